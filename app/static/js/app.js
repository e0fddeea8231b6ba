// FieldCRM's own behaviour. No inline scripts anywhere (Content-Security-Policy).
(function () {
  "use strict";
  // Select the whole invitation link on tap so it is easy to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("copy-field")) {
      event.target.select();
    }
  });
})();
