/* HomeLoop signature.js: wires signature_pad to the .signature-screen layout.
 * Load on the signature page only, after the vendor file:
 *   <script src="/static/vendor/signature_pad/signature_pad.umd.min.js" defer></script>
 *   <script src="/static/js/signature.js" defer></script>
 * Markup contract (static/README.md "Signature screen"):
 *   canvas[data-signature-pad]        inside .signature-screen__pad
 *   input[type=hidden][data-signature-output]   receives a PNG data URL on submit
 *   [data-signature-clear]            button that clears the pad
 *   [data-signature-error]            hidden element shown when submitting an empty pad
 */
(function () {
  "use strict";
  if (typeof window.SignaturePad !== "function") return;

  function init(canvas) {
    var form = canvas.closest("form");
    var box = canvas.parentNode;
    var pad = new window.SignaturePad(canvas, { penColor: "#111", minWidth: 0.8, maxWidth: 2.6 });

    function resize() {
      // Match the backing store to the CSS box and device pixel ratio; keep the strokes.
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var data = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (data.length) pad.fromData(data);
    }
    function mark() {
      box.classList.toggle("is-signed", !pad.isEmpty());
    }
    window.addEventListener("resize", resize);
    pad.addEventListener("endStroke", function () {
      mark();
      var err = form && form.querySelector("[data-signature-error]");
      if (err) err.hidden = true;
    });
    resize();

    if (!form) return;
    var clear = form.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", function () { pad.clear(); mark(); });

    // Capture phase: runs before htmx (or the browser) collects the form values.
    document.addEventListener("submit", function (e) {
      if (e.target !== form) return;
      var out = form.querySelector("[data-signature-output]");
      if (pad.isEmpty()) {
        e.preventDefault();
        e.stopImmediatePropagation();
        var err = form.querySelector("[data-signature-error]");
        if (err) err.hidden = false;
        return;
      }
      if (out) out.value = pad.toDataURL("image/png");
    }, true);
  }

  function start() {
    var list = document.querySelectorAll("canvas[data-signature-pad]");
    for (var i = 0; i < list.length; i++) init(list[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
