/* Rapid review keyboard shortcuts: a key clicks the button or focuses the field whose
   data-shortcut names it. Nothing fires while typing in a field or with a modifier held,
   and without this script the buttons are plain form submits. */
(function () {
  "use strict";
  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var key = (event.key || "").toLowerCase();
    if (key.length !== 1) return;
    var control = document.querySelector('[data-shortcut="' + key + '"]');
    if (!control) return;
    event.preventDefault();
    if (control.tagName.toLowerCase() === "button") {
      control.click();
    } else {
      control.focus();
    }
  });
})();
