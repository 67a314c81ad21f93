/* Pipeline board: drag a card to another stage. SortableJS (static/vendor, pinned in
   package-lock.json) does the dragging; a drop POSTs the same move as the card's own
   "Move to" form, with the stage the card was shown in, so a move someone else made
   meanwhile is refused and the card goes back. Without JavaScript the forms still work. */
(function () {
  "use strict";

  var boardEl = document.querySelector("[data-pipeline-board]");
  if (!boardEl || !window.Sortable) {
    return;
  }
  var alertBox = document.querySelector("[data-board-message]");
  var alertText = document.querySelector("[data-board-message-text]");

  function csrfToken() {
    // The layout puts the token in the body's hx-headers for htmx; reuse it.
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
    } catch (error) {
      return "";
    }
  }

  function say(text, problem) {
    alertText.textContent = text;
    alertBox.hidden = false;
    alertBox.classList.toggle("alert--warning", problem);
    alertBox.classList.toggle("alert--info", !problem);
  }

  function recount(list, delta) {
    var count = list.closest(".pipeline-column").querySelector("[data-column-count]");
    count.textContent = String(Number(count.textContent) + delta);
  }

  function putBack(evt) {
    var before = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, before);
  }

  function moved(evt) {
    var card = evt.item;
    var toStage = evt.to.getAttribute("data-stage");
    card.setAttribute("data-stage", toStage);
    card.querySelector("[data-from-stage]").value = toStage;
    card.querySelector("select[name='to_stage']").value = toStage;
    recount(evt.from, -1);
    recount(evt.to, 1);
    say("Moved " + card.querySelector(".pipeline-card__name").textContent + " to " +
        evt.to.getAttribute("data-stage-name") + ".", false);
  }

  function onEnd(evt) {
    if (evt.from === evt.to) {
      return;
    }
    var card = evt.item;
    var body = new URLSearchParams();
    body.set("to_stage", evt.to.getAttribute("data-stage"));
    body.set("from_stage", card.getAttribute("data-stage"));
    fetch("/backoffice/applications/" + card.getAttribute("data-application") + "/move", {
      method: "POST",
      credentials: "same-origin",
      headers: {"accept": "application/json", "x-csrftoken": csrfToken()},
      body: body
    }).then(function (response) {
      if (response.ok) {
        moved(evt);
        return null;
      }
      return response.json().catch(function () { return {}; }).then(function (problem) {
        putBack(evt);
        say((problem && problem.detail) || "The move did not go through. Reload the page.",
            true);
      });
    }).catch(function () {
      putBack(evt);
      say("The move did not go through (no connection?). Reload the page.", true);
    });
  }

  boardEl.querySelectorAll("[data-stage]").forEach(function (list) {
    if (list.tagName !== "OL") {
      return;
    }
    window.Sortable.create(list, {
      group: "pipeline",
      animation: 150,
      draggable: ".pipeline-card",
      // The card's own form stays usable: no drag starts on its controls.
      filter: "form, select, button, input",
      preventOnFilter: false,
      onEnd: onEnd
    });
  });
}());
