/* talentloop progressive enhancement. Everything works without this file;
   it only smooths the experience. No dependencies, no inline handlers (CSP). */
(function () {
  "use strict";

  // Move focus to a form's error summary so keyboard and screen-reader users
  // land on the list of problems after a failed submit.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  // Links in the error summary: focus the field itself, not just scroll to it,
  // and bring its label into view too.
  function onSummaryClick(event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) {
      return;
    }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) {
      return;
    }
    event.preventDefault();
    var holder = target.closest(".field, .fieldset") || target;
    holder.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  }

  // Avoid double submissions from double clicks: ignore a second submit of the
  // same form while the first is in flight. Reset when the page is restored
  // from the back/forward cache.
  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") {
      return;
    }
    // htmx-driven forms manage their own requests.
    if (event.defaultPrevented || form.matches("[hx-post], [hx-put], [hx-patch], [hx-delete]")) {
      return;
    }
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
    form.querySelectorAll("button[type='submit'], button:not([type])").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
  }

  function resetForms() {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("button[aria-disabled='true']").forEach(function (button) {
        button.removeAttribute("aria-disabled");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", focusErrorSummary);
  document.addEventListener("click", onSummaryClick);
  document.addEventListener("submit", onSubmit);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      resetForms();
    }
  });
})();
