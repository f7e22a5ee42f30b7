/* Keel's colour scheme follows the system setting (Bootstrap's colour modes, data-bs-theme on <html>). Loaded in
   <head> before the styles apply, so a dark system never sees a light flash; a change of the system setting
   while a page is open switches it at once and tells the charts ("keel:theme"). */
(function () {
  "use strict";
  const dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function apply() {
    document.documentElement.setAttribute("data-bs-theme", dark && dark.matches ? "dark" : "light");
  }
  apply();
  if (dark) {
    dark.addEventListener("change", function () {
      apply();
      document.dispatchEvent(new CustomEvent("keel:theme"));
    });
  }
})();
