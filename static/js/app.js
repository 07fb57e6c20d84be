// Roster's only script besides htmx. Loaded with defer; no inline scripts (CSP).
(function () {
  "use strict";
  function wire(root) {
    // Burger menu on small screens.
    root.querySelectorAll("[data-toggle]").forEach(function (el) {
      if (el.dataset.wired) return;
      el.dataset.wired = "1";
      el.addEventListener("click", function () {
        var target = document.getElementById(el.dataset.toggle);
        if (target) target.classList.toggle("is-open");
        el.classList.toggle("is-active");
      });
    });
    // Close buttons on flash notifications.
    root.querySelectorAll(".notification .delete").forEach(function (btn) {
      if (btn.dataset.wired) return;
      btn.dataset.wired = "1";
      btn.addEventListener("click", function () { btn.parentNode.remove(); });
    });
    // Confirm dangerous actions.
    root.querySelectorAll("form[data-confirm]").forEach(function (f) {
      if (f.dataset.wired) return;
      f.dataset.wired = "1";
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); e.stopImmediatePropagation(); }
      }, true);
    });
    // Browser time zone as the default on setup/signup.
    root.querySelectorAll("input[data-default-timezone]").forEach(function (i) {
      if (!i.value && window.Intl) { i.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:load", function (e) { wire(e.target); });
})();
