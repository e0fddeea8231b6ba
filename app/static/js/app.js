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
    var focusReason = function () {
      var reason = menu.querySelector(".lost-form input[name=lost_reason]");
      if (reason) reason.focus();
      return Boolean(reason);
    };
    // The options load when the menu first opens; focus the reason once they are there.
    menu.addEventListener("htmx:afterSettle", focusReason, { once: true });
    menu.open = true;
    focusReason();
  }

  // An opened menu near the bottom of the screen scrolls into view, above the tab bar.
  document.addEventListener("toggle", function (event) {
    if (event.target.classList && event.target.classList.contains("move-menu") && event.target.open) {
      event.target.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  }, true);

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

  function loadSortable() {
    var board = document.querySelector(".board[data-sortable-src]");
    if (!board || typeof Sortable !== "undefined" || document.getElementById("sortable-js")) return;
    var script = document.createElement("script");
    script.id = "sortable-js";
    script.src = board.dataset.sortableSrc;
    script.onload = function () { initBoard(document); };
    document.head.appendChild(script);
  }

  function initBoard(root) {
    if (typeof Sortable === "undefined") { loadSortable(); return; }
    root.querySelectorAll(".board .column-cards").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "on";
      Sortable.create(list, {
        group: "pipeline", draggable: ".deal-card", filter: ".move-menu, summary, button, input, select",
        preventOnFilter: false, delay: 250, delayOnTouchOnly: true, animation: 120, onEnd: moveByDrop,
      });
    });
  }

  // A card moved into a column that had not loaded yet sits on top of it; when the column's page
  // arrives it brings that card again. Keep the first one.
  var loadingLists = new WeakMap();
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (elt && elt.classList && elt.classList.contains("more")) {
      loadingLists.set(event.detail.xhr, elt.closest(".column-cards"));
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var list = loadingLists.get(event.detail.xhr);
    if (!list) return;
    var seen = {};
    list.querySelectorAll(".deal-card").forEach(function (card) {
      if (seen[card.id]) card.remove(); else seen[card.id] = true;
    });
  });

  window.addEventListener("load", function () { initBoard(document); });
  document.addEventListener("htmx:load", function (event) { initBoard(event.detail.elt.ownerDocument || document); });
})();
