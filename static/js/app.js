/* HomeLoop app.js: progressive enhancement for every surface (markup contract: static/README.md).
 * CSP-safe (no inline handlers, eval or inline styles); works with or without htmx.
 * CSRF header for htmx, data-confirm, double-submit guard, upload progress,
 * data-autosubmit, data-dismiss / data-autohide. Load after htmx, with defer. */
(function () {
  "use strict";
  var doc = document;
  var BUSY = "data-hl-busy";

  function csrfToken() {
    var m = doc.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : null;
  }

  function formOf(el) {
    if (!el || !el.closest) return null;
    return el.tagName === "FORM" ? el : el.form || el.closest("form");
  }

  // (a) CSRF header on every htmx request (body also carries hx-headers).
  doc.addEventListener("htmx:configRequest", function (e) {
    var token = csrfToken();
    if (token && e.detail && e.detail.headers) e.detail.headers["x-csrftoken"] = token;
  });

  // (b) data-confirm. Capture phase, so a "cancel" stops htmx and native handlers.
  function cancel(e) {
    e.preventDefault();
    e.stopImmediatePropagation();
  }
  doc.addEventListener("click", function (e) {
    var el = e.target.closest && e.target.closest("a[data-confirm],button[data-confirm],input[data-confirm]");
    if (el && !el.disabled && !window.confirm(el.getAttribute("data-confirm"))) cancel(e);
  }, true);

  // Forms that htmx actually sent (htmx prevents the native submit, so
  // defaultPrevented alone can't tell "htmx sent it" from "nobody sent it").
  var sent = typeof WeakSet === "function" ? new WeakSet() : null;

  doc.addEventListener("submit", function (e) {
    var form = e.target;
    var submitter = e.submitter;
    // A submitter with its own data-confirm was already asked on click.
    if (form.hasAttribute("data-confirm") && !(submitter && submitter.hasAttribute("data-confirm")) &&
        !window.confirm(form.getAttribute("data-confirm"))) {
      cancel(e);
      return;
    }
    if (sent) sent.delete(form);
  }, true);

  doc.addEventListener("htmx:beforeSend", function (e) {
    var form = formOf(e.target);
    if (form && sent) sent.add(form);
  });

  // (c) disable submit buttons while the form submits (double-tap guard).
  function setBusy(form, busy) {
    var els = form.elements; // includes buttons outside the form with form="id"
    for (var i = 0; i < els.length; i++) {
      var b = els[i];
      if (busy && b.type === "submit" && !b.disabled) {
        b.disabled = true;
        b.setAttribute(BUSY, "");
        b.classList.add("is-busy");
      } else if (!busy && b.hasAttribute(BUSY)) {
        b.disabled = false;
        b.removeAttribute(BUSY);
        b.classList.remove("is-busy");
      }
    }
    if (busy) {
      form.setAttribute(BUSY, "");
      form.setAttribute("aria-busy", "true");
    } else {
      form.removeAttribute(BUSY);
      form.removeAttribute("aria-busy");
    }
  }

  doc.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.hasAttribute("data-no-disable")) return;
    var viaHtmx = !!(sent && sent.has(form));
    // Native submit: not prevented. htmx submit: prevented, but beforeSend fired.
    // Prevented and not sent (hx-confirm cancelled, validation halted, ...): leave alone.
    if (e.defaultPrevented && !viaHtmx) return;
    // Deferred so the submitter's name=value is still part of the native form data.
    setTimeout(function () { setBusy(form, true); }, 0);
    // htmx always fires htmx:afterRequest (success, error, timeout, abort). A native
    // submit that answers with a file download never unloads the page: re-enable later.
    if (!viaHtmx) setTimeout(function () { setBusy(form, false); }, 15000);
  });

  doc.addEventListener("htmx:afterRequest", function (e) {
    var form = e.target;
    if (form.tagName !== "FORM") return;
    setTimeout(function () { setBusy(form, false); }, 0);
    resetProgress(form, e.detail && e.detail.successful);
  });

  // Back/forward cache restores a page with its buttons still disabled.
  window.addEventListener("pageshow", function () {
    var forms = doc.querySelectorAll("form[" + BUSY + "]");
    for (var i = 0; i < forms.length; i++) setBusy(forms[i], false);
  });

  // (d) upload progress bars.
  function bars(form) {
    return form ? form.querySelectorAll("progress[data-upload-progress]") : [];
  }
  function resetProgress(form, ok) {
    var list = bars(form);
    for (var i = 0; i < list.length; i++) {
      if (ok) list[i].value = 100;
      else { list[i].value = 0; list[i].hidden = true; }
    }
  }
  doc.addEventListener("htmx:beforeSend", function (e) {
    var list = bars(formOf(e.target));
    for (var i = 0; i < list.length; i++) {
      list[i].max = 100;
      list[i].value = 0;
      list[i].hidden = false;
    }
  });
  doc.addEventListener("htmx:xhr:progress", function (e) {
    var d = e.detail || {};
    if (!d.lengthComputable || !d.total) return;
    var pct = Math.round((d.loaded / d.total) * 100);
    var list = bars(formOf(e.target));
    for (var i = 0; i < list.length; i++) {
      // upload and download both report progress: never move backwards
      if (pct > list[i].value) {
        list[i].value = pct;
        list[i].textContent = pct + "%";
      }
    }
  });

  // (f) data-autosubmit: submit the enclosing form on change.
  doc.addEventListener("change", function (e) {
    var el = e.target;
    if (!el.hasAttribute || !el.hasAttribute("data-autosubmit")) return;
    var form = el.form;
    if (!form) return;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else if (form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }))) form.submit();
  });

  // (g) dismissible flashes/toasts, and auto-hiding toasts.
  function dismiss(el) {
    if (el && el.parentNode) el.parentNode.removeChild(el);
  }
  doc.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-dismiss]");
    if (!btn) return;
    e.preventDefault();
    dismiss(btn.closest("[data-dismissible],.alert,.toast"));
  });
  function autohide(root) {
    var list = (root || doc).querySelectorAll ? (root || doc).querySelectorAll("[data-autohide]") : [];
    for (var i = 0; i < list.length; i++) {
      var el = list[i];
      if (el.hasAttribute("data-hl-timer")) continue;
      el.setAttribute("data-hl-timer", "");
      setTimeout(dismiss.bind(null, el), parseInt(el.getAttribute("data-autohide"), 10) || 5000);
    }
  }
  doc.addEventListener("htmx:load", function (e) { autohide(e.target); });
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", function () { autohide(doc); });
  else autohide(doc);
})();
