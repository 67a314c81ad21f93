/* Check-in page: the "Scan ticket" camera. Without JavaScript or a camera the page still
   works (search, the ticket field for handheld scanners, walk-ins); this only adds the
   camera. qr-scanner (static/vendor, pinned in package-lock.json) decodes the QR code; it
   uses the browser's BarcodeDetector when there is one, else a web worker. */
(function () {
  "use strict";

  var root = document.querySelector("[data-checkin-scanner]");
  var form = document.querySelector("[data-scan-form]");
  if (!root || !form || !window.QrScanner) {
    return;
  }
  var start = root.querySelector("[data-scanner-start]");
  var stop = root.querySelector("[data-scanner-stop]");
  var camera = root.querySelector("[data-scanner-camera]");
  var video = root.querySelector("video");
  var message = root.querySelector("[data-scanner-message]");
  var field = form.querySelector("input[name='ticket']");
  var scanner = null;
  var lastText = "";
  var lastAt = 0;
  // The same ticket stays in front of the camera for a moment: one submit per ticket.
  var REPEAT_MS = 4000;

  function say(text) {
    message.textContent = text;
  }

  function onDecode(result) {
    var text = (result && result.data) || "";
    var now = Date.now();
    if (!text || (text === lastText && now - lastAt < REPEAT_MS)) {
      return;
    }
    lastText = text;
    lastAt = now;
    field.value = text;
    form.requestSubmit();
  }

  function cameraProblem(error) {
    var name = error && error.name ? error.name : String(error);
    if (name === "NotAllowedError") {
      return "The camera is blocked. Allow it in the browser's site settings, or search by name.";
    }
    return "The camera could not be started. Search by name, or type the ticket code below.";
  }

  function startScanning() {
    scanner = scanner || new window.QrScanner(video, onDecode, {
      returnDetailedScanResult: true,
      preferredCamera: "environment",
      maxScansPerSecond: 8
    });
    scanner.start().then(function () {
      camera.hidden = false;
      start.hidden = true;
      say("Point the camera at the QR code on the ticket.");
    }).catch(function (error) {
      say(cameraProblem(error));
    });
  }

  function stopScanning() {
    if (scanner) {
      scanner.stop();
    }
    camera.hidden = true;
    start.hidden = false;
    say("");
  }

  window.QrScanner.hasCamera().then(function (hasCamera) {
    start.hidden = !hasCamera;
  });
  start.addEventListener("click", startScanning);
  stop.addEventListener("click", stopScanning);

  // After each answer: clear the field for the next ticket, and a short buzz so the
  // host can keep their eyes on the queue.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "checkin-result") {
      field.value = "";
      if (navigator.vibrate) {
        navigator.vibrate(60);
      }
    }
  });
})();
