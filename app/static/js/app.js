// FieldCRM's own behaviour. No inline scripts anywhere (Content-Security-Policy).
(function () {
  "use strict";

  // Select the whole invitation link on tap so it is easy to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("copy-field")) {
      event.target.select();
    }
  });

  // Pipeline: drag a card to another column (long press on phones). The tap menu on every
  // card does the same without dragging; both send the same htmx POST.
  function openLostForm(card) {
    var menu = card.querySelector(".move-menu");
    if (!menu) return;
    menu.open = true;
    var reason = menu.querySelector(".lost-form input[name=lost_reason]");
    if (reason) reason.focus();
  }

  function moveByDrop(event) {
    var card = event.item;
    if (event.from === event.to) return;
    // Put the card back where it was: the server's answer removes it there and adds the fresh card on top of
    // the new column. (Left in the new column, htmx would copy Sortable's inline style onto the fresh card,
    // which the Content-Security-Policy forbids.)
    event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
    card.removeAttribute("style");
    if (event.to.dataset.needsReason) {
      openLostForm(card);  // Lost needs a reason: ask for it in the card's own menu
      return;
    }
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card, target: card, swap: "outerHTML",
      values: { stage_id: event.to.dataset.stageId, version: card.dataset.version },
    });
  }

  function initBoard(root) {
    if (typeof Sortable === "undefined") return;
    root.querySelectorAll(".board .column-cards").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "on";
      Sortable.create(list, {
        group: "pipeline", draggable: ".deal-card", filter: ".move-menu, summary, button, input, select",
        preventOnFilter: false, delay: 250, delayOnTouchOnly: true, animation: 120, onEnd: moveByDrop,
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { initBoard(document); });
  document.addEventListener("htmx:load", function (event) { initBoard(event.detail.elt.ownerDocument || document); });
})();
