// FieldCRM's own behaviour. No inline scripts anywhere (Content-Security-Policy).
(function () {
  "use strict";

  // Select the whole invitation link on tap so it is easy to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("copy-field")) {
      event.target.select();
    }
  });

  // Pipeline: drag a card to another column on a wide screen. The tap menu on every card does the same
  // without dragging; both send the same htmx POST.
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

  // Dragging is for a board that shows its columns side by side (app.css: from 900 px); below that one column
  // fills the screen and the tap menu moves a card, so a phone never downloads the drag library.
  var sideBySide = window.matchMedia("(min-width: 900px)");
  function initWhereUsed(root) { if (sideBySide.matches) initBoard(root); }
  window.addEventListener("load", function () { initWhereUsed(document); });
  document.addEventListener("htmx:load", function (event) { initWhereUsed(event.detail.elt.ownerDocument || document); });
  sideBySide.addEventListener("change", function () { initWhereUsed(document); });
})();

// =================================================================================================
// Call notes and visits (activities blueprint, issue #5): the note sheet, "came back from a call",
// visit check-in. Markup: app/templates/activities/.
// =================================================================================================
(function () {
  "use strict";

  var PENDING_KEY = "fieldcrm.noteAfterCall";  // sessionStorage only: the customer page a call left from
  var MIN_AWAY_MS = 3000;  // away for less than this is a flick to another app, not a call
  var PENDING_TTL_MS = 2 * 60 * 60 * 1000;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));  // randomUUID needs HTTPS; this does not
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // A blank form gets a key of its own once; a form already sent keeps its key, so that sending it
  // again (double tap, retry after a lost answer) stores nothing twice.
  function giveKey(form) {
    if (form && form.hasAttribute("data-fresh") && form.elements.client_key) {
      form.elements.client_key.value = uuid();
      form.removeAttribute("data-fresh");
    }
  }

  // --- the sheet ----------------------------------------------------------------------------------
  function sheet() { return document.getElementById("note-sheet"); }

  function showSheet() {
    var dialog = sheet();
    if (!dialog) return;
    giveKey(dialog.querySelector("form[data-note-form]"));
    if (!dialog.open) dialog.showModal();
  }

  // Open the sheet with the form at url: at once when it is already there, else after loading it.
  function openNoteSheet(url) {
    var dialog = sheet();
    if (!dialog || typeof htmx === "undefined") return false;
    var form = dialog.querySelector("form[data-note-form]");
    if (form && form.getAttribute("data-source") === url) {
      showSheet();
    } else {
      htmx.ajax("GET", url, { target: "#note-sheet-body", swap: "innerHTML" }).then(showSheet);
    }
    return true;
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : event.target.parentElement;
    if (!target) return;
    var opener = target.closest("a[data-note-open]");
    if (opener && !(event.ctrlKey || event.metaKey || event.shiftKey)) {
      // Captured before htmx's boost sees the click: the link stays a page for browsers without JS.
      if (openNoteSheet(opener.getAttribute("href"))) {
        event.preventDefault();
        event.stopPropagation();
      }
      return;
    }
    var dialog = sheet();
    if (target.closest("[data-sheet-close]") || (dialog && target === dialog)) {  // the × or the backdrop
      if (dialog && dialog.open) dialog.close();
      return;
    }
    if (target.closest('a[href^="tel:"], a[href^="https://zalo.me/"], a[data-note-after]')) rememberCall();
  }, true);

  // The server's answer to a saved note: the page is updated out of band; the sheet closes.
  document.addEventListener("note-saved", function () {
    var dialog = sheet();
    if (dialog && dialog.open) dialog.close();
  });

  // Next step: "Pick a date" opens the date; typing a date or a time picks "Pick a date".
  document.addEventListener("change", function (event) {
    var input = event.target, form = input.form;
    if (!form || !form.hasAttribute("data-note-form")) return;
    if (input.name === "next_step" && input.value === "date" && form.elements.next_on) {
      form.elements.next_on.focus();
      try { form.elements.next_on.showPicker(); } catch (error) { /* not every browser has a picker */ }
    }
    if ((input.name === "next_on" || input.name === "next_at") && input.value) {
      var pick = form.querySelector('input[name="next_step"][value="date"]');
      if (pick) pick.checked = true;
    }
  });

  // --- back from a call: the sheet opens by itself --------------------------------------------------
  function readPending() {
    try { return JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null"); } catch (error) { return null; }
  }

  function writePending(pending) {
    try {
      if (pending) sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
      else sessionStorage.removeItem(PENDING_KEY);
    } catch (error) { /* private mode: no sheet by itself, the Note button still works */ }
  }

  function rememberCall() {
    var dialog = sheet(), url = dialog && dialog.getAttribute("data-note-url");
    if (!url) return;
    writePending({ url: url, path: location.pathname, at: Date.now(), hiddenAt: null });
    // Fetch the form now, while the call starts: it is there when the rep comes back, even without signal.
    var form = dialog.querySelector("form[data-note-form]");
    if (typeof htmx !== "undefined" && !(form && form.getAttribute("data-source") === url)) {
      htmx.ajax("GET", url, { target: "#note-sheet-body", swap: "innerHTML" });
    }
  }

  function cameBack() {
    var pending = readPending();
    if (!pending) return;
    if (Date.now() - pending.at > PENDING_TTL_MS || pending.path !== location.pathname) { writePending(null); return; }
    if (!pending.hiddenAt) return;  // the page was never left: the call has not started
    if (Date.now() - pending.hiddenAt < MIN_AWAY_MS) {  // a flick: keep waiting for the real call
      pending.hiddenAt = null;
      writePending(pending);
      return;
    }
    writePending(null);
    openNoteSheet(pending.url);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "hidden") { cameBack(); return; }
    var pending = readPending();
    if (pending && !pending.hiddenAt) {
      pending.hiddenAt = Date.now();
      writePending(pending);
    }
  });
  window.addEventListener("pageshow", cameBack);  // the phone reloaded the page while the call ran

  // --- visit check-in -------------------------------------------------------------------------------
  function locate(done) {
    var finished = false;
    function finish(place) { if (!finished) { finished = true; done(place); } }
    if (!navigator.geolocation) { finish({ reason: "unsupported" }); return; }
    // The browser's own timeout does not run while it asks for permission: give up after 20 s anyway.
    setTimeout(function () { finish({ reason: "timeout" }); }, 20000);
    navigator.geolocation.getCurrentPosition(function (position) {
      finish({ lat: position.coords.latitude, lng: position.coords.longitude, accuracy: position.coords.accuracy });
    }, function (error) {
      finish({ reason: error.code === 1 ? "denied" : error.code === 3 ? "timeout" : "unavailable" });
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 0 });
  }

  window.FieldCRM = window.FieldCRM || {};
  window.FieldCRM.locate = locate;  // Nearby asks for the position the same way (below)

  function setBusy(form, busy) {
    var button = form.querySelector("button[type=submit]");
    form.setAttribute("aria-busy", busy ? "true" : "false");
    if (!button) return;
    if (busy) {
      button.setAttribute("data-label", button.textContent);
      button.textContent = button.getAttribute("data-busy-label") || button.textContent;
    } else if (button.hasAttribute("data-label")) {
      button.textContent = button.getAttribute("data-label");
    }
    button.disabled = busy;
  }

  // Without JavaScript the form posts as it is (a visit without location); with it, the position comes first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-checkin") || typeof htmx === "undefined") return;
    event.preventDefault();
    event.stopPropagation();
    if (form.getAttribute("aria-busy") === "true") return;  // a second tap while locating
    giveKey(form);
    setBusy(form, true);
    form.addEventListener("htmx:afterRequest", function () { setBusy(form, false); }, { once: true });
    locate(function (place) {
      var fields = form.elements;
      fields.lat.value = place.lat == null ? "" : place.lat;
      fields.lng.value = place.lng == null ? "" : place.lng;
      fields.accuracy.value = place.accuracy == null ? "" : place.accuracy;
      fields.reason.value = place.reason || "";
      htmx.trigger(form, "checkin-ready");
    });
  }, true);
})();

// =================================================================================================
// Nearby (field blueprint, issue #7): the phone's position, then the due customers nearest first.
// The position travels only in the query string of a GET; without one the server's list by address
// stays, with a line saying why. Markup: app/templates/field/nearby.html.
// =================================================================================================
(function () {
  "use strict";

  function load(button, params) {
    if (typeof htmx === "undefined" || !document.getElementById("nearby-results")) return null;
    var url = button.getAttribute("data-nearby-url") + "?" + new URLSearchParams(params).toString();
    return htmx.ajax("GET", url, { source: button, target: "#nearby-results", swap: "innerHTML" });
  }

  function setBusy(button, busy) {
    if (busy) {
      button.setAttribute("data-label", button.textContent);
      button.textContent = button.getAttribute("data-busy-label") || button.textContent;
    } else if (button.hasAttribute("data-label")) {
      button.textContent = button.getAttribute("data-label");
    }
    button.setAttribute("aria-busy", busy ? "true" : "false");
    button.disabled = busy;
  }

  function locateAndLoad(button) {
    if (button.getAttribute("aria-busy") === "true" || !window.FieldCRM || !window.FieldCRM.locate) return;
    setBusy(button, true);
    window.FieldCRM.locate(function (place) {
      var params = place.lat == null ? { reason: place.reason }
        : { lat: place.lat.toFixed(6), lng: place.lng.toFixed(6) };
      var done = function () { setBusy(button, false); };
      var request = load(button, params);
      if (request) request.then(done, done); else done();
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : event.target.parentElement;
    var button = target && target.closest("[data-nearby-locate]");
    if (button) { event.preventDefault(); locateAndLoad(button); }
  });

  // Ask at once only when the site already may know the position (no permission prompt on arrival);
  // a refusal the browser remembers shows its reason instead of a button that cannot work.
  function autoLocate() {
    var button = document.querySelector("[data-nearby-locate][data-nearby-auto]");
    if (!button || button.hasAttribute("data-nearby-started")) return;
    button.setAttribute("data-nearby-started", "");
    if (!navigator.permissions || !navigator.permissions.query) return;
    navigator.permissions.query({ name: "geolocation" }).then(function (status) {
      if (status.state === "granted") locateAndLoad(button);
      else if (status.state === "denied") load(button, { reason: "denied" });
    }, function () { /* no Permissions API for geolocation: wait for the tap */ });
  }

  document.addEventListener("DOMContentLoaded", autoLocate);
  document.addEventListener("htmx:load", autoLocate);  // arriving by a boosted link
})();
