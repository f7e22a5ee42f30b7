/* The readings import page: when a file is chosen, preselect its decimal separator from its first line, as the
   server would detect it (columns separated by semicolons, the usual European shape: a decimal comma; otherwise
   a point), and say why. A choice the person made themselves is left alone. Without JavaScript, "Detect it"
   does the same on the server. */
(function () {
  "use strict";
  const form = document.querySelector("[data-import-form]");
  if (!form) return;
  const input = form.querySelector('input[type="file"][name="file"]');
  const hint = form.querySelector("[data-decimal-hint]");
  let touched = false;
  form.querySelectorAll('input[name="decimal"]').forEach((radio) => {
    radio.addEventListener("change", () => { touched = true; });
  });
  if (!input || !hint) return;
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file || touched) return;
    const first = (await file.slice(0, 4096).text()).split(/\r\n|\n|\r/)[0];
    const semicolons = (first.match(/;/g) || []).length;
    const commas = (first.match(/,/g) || []).length;
    const decimal = semicolons > commas ? "comma" : "point";
    const radio = form.querySelector(`input[name="decimal"][value="${decimal}"]`);
    if (radio) radio.checked = true;
    hint.textContent = decimal === "comma"
      ? "Its columns are separated by semicolons, so its decimal separator is taken to be a comma (87,5)."
      : "Its columns are separated by commas, so its decimal separator is taken to be a point (87.5).";
    hint.hidden = false;
  });
})();
