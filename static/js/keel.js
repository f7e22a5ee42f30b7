/* Keel's page behaviour, in one file so the Content-Security-Policy needs no inline script or style:
   templates mark elements with data- attributes and this file acts on them (also in content htmx swaps in). */
(function () {
  "use strict";

  function apply(root) {
    scrollableTables(root);
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = el.dataset.width + "%";
    });
    root.querySelectorAll("[data-depth]").forEach(function (el) {
      el.style.setProperty("--depth", el.dataset.depth);
    });
    /* Lists of people and departments run to hundreds: a searchable picker (Tom Select) instead of Ctrl-click. */
    if (typeof TomSelect !== "undefined") {
      root.querySelectorAll("select[multiple]:not(.tomselected):not([data-plain])").forEach(function (el) {
        new TomSelect(el, {
          plugins: ["remove_button"], maxOptions: null, hidePlaceholder: true, closeAfterSelect: true,
          placeholder: el.dataset.placeholder || "Type to search, or pick from the list",
        });
        /* The picker's field now carries the label; the select it fills stays in the form for the browser only. */
        el.setAttribute("aria-hidden", "true");
        el.setAttribute("tabindex", "-1");
      });
    }
  }

  /* A filter that changes submits its form (radio buttons, switches, pickers). */
  document.addEventListener("change", function (event) {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) { field.form.submit(); }
  });

  document.addEventListener("submit", function (event) {
    const form = event.target;
    /* Forms that undo something ask first. */
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    /* A second click on Send while the first is on its way sends nothing more (the server also refuses it). */
    if (form.hasAttribute("data-submit-once")) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    }
  });

  /* The organization chart's filter box hides the rows that do not match. */
  document.addEventListener("input", function (event) {
    if (event.target.id !== "org-filter") { return; }
    const words = event.target.value.trim().toLowerCase();
    document.querySelectorAll(".keel-tree tbody tr[data-search]").forEach(function (row) {
      row.hidden = words !== "" && !row.dataset.search.includes(words);
    });
  });

  /* A table wider than the screen scrolls in its own box: keyboard users reach that box with Tab (WCAG 2.1.1), and
     a screen reader names it. Only boxes that do scroll become tab stops, checked again when the width changes. */
  function scrollableTables(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) {
          const caption = box.querySelector("caption, table[aria-label]");
          const name = caption ? (caption.getAttribute("aria-label") || caption.textContent) : "";
          box.setAttribute("aria-label", (name.trim() || "Table") + " (scrolls sideways)");
          box.dataset.namedByKeel = "1";
        }
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        if (box.dataset.namedByKeel) { box.removeAttribute("aria-label"); delete box.dataset.namedByKeel; }
      }
    });
  }
  let resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { scrollableTables(document); }, 100);
  });

  /* The header's search: "/" focuses it, the arrow keys move through its suggestions, Escape closes them. */
  function searchLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("#keel-search-suggestions a"));
  }
  function closeSearch() {
    const box = document.getElementById("keel-search-suggestions");
    if (box) { box.innerHTML = ""; }
  }
  document.addEventListener("keydown", function (event) {
    const input = document.getElementById("keel-search-input");
    if (!input) { return; }
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
      return;
    }
    const inSearch = event.target === input || event.target.closest("#keel-search-suggestions");
    if (!inSearch) { return; }
    const links = searchLinks();
    const at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[Math.min(at + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      if (at === 0) { input.focus(); } else { links[at - 1].focus(); }
    } else if (event.key === "Escape") {
      closeSearch();
      input.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".keel-search")) { closeSearch(); }
  });

  document.addEventListener("htmx:load", function (event) { apply(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { apply(document); });
  } else {
    apply(document);
  }
})();
