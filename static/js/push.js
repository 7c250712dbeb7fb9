/* Turn on web push for the portal (and the field app): register the service worker, ask
 * permission from a tap, subscribe with the server's VAPID key, send the subscription.
 * Markup: a [data-push] element with data-vapid-key, data-subscribe-url,
 * data-unsubscribe-url, data-sw-url, data-sw-scope; buttons [data-push-enable] and
 * [data-push-disable]; messages [data-push-state="on|ios|unsupported|denied|failed"].
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box) return;

  function show(state) {
    box.querySelectorAll("[data-push-state]").forEach(function (el) {
      el.hidden = el.getAttribute("data-push-state") !== state;
    });
  }
  function button(name, visible) {
    var el = box.querySelector("[data-push-" + name + "]");
    if (el) el.hidden = !visible;
    return el;
  }
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  function keyBytes(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify(body)
    }).then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r; });
  }

  var ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
  var standalone = window.matchMedia("(display-mode: standalone)").matches ||
    navigator.standalone === true;
  var supported = "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window;
  if (!supported) { show(ios && !standalone ? "ios" : "unsupported"); return; }
  if (Notification.permission === "denied") { show("denied"); return; }

  var ready = navigator.serviceWorker.register(box.dataset.swUrl, {scope: box.dataset.swScope})
    .then(function () { return navigator.serviceWorker.ready; });

  ready.then(function (reg) { return reg.pushManager.getSubscription(); })
    .then(function (sub) {
      if (sub) { show("on"); button("disable", true); } else { button("enable", true); }
    })
    .catch(function () { show("failed"); });

  var enable = box.querySelector("[data-push-enable]");
  if (enable) enable.addEventListener("click", function () {
    enable.disabled = true;
    Notification.requestPermission()
      .then(function (perm) {
        if (perm !== "granted") throw new Error(perm === "denied" ? "denied" : "dismissed");
        return ready;
      })
      .then(function (reg) {
        return reg.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey)
        });
      })
      .then(function (sub) { return post(box.dataset.subscribeUrl, sub.toJSON()); })
      .then(function () { show("on"); button("enable", false); button("disable", true); })
      .catch(function (err) {
        show(err && err.message === "denied" ? "denied" : "failed");
      })
      .then(function () { enable.disabled = false; });
  });

  var disable = box.querySelector("[data-push-disable]");
  if (disable) disable.addEventListener("click", function () {
    ready.then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        if (!sub) return null;
        var endpoint = sub.endpoint;
        return sub.unsubscribe().then(function () {
          return post(box.dataset.unsubscribeUrl, {endpoint: endpoint});
        });
      })
      .then(function () { show(""); button("disable", false); button("enable", true); })
      .catch(function () { show("failed"); });
  });
})();
