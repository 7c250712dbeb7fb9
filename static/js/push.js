/* Turn on web push for this device, on any surface (portal, field app): register the
 * surface's service worker, ask permission from a tap, subscribe with the server's VAPID key,
 * send the subscription. Nothing here names a surface: every URL comes from the markup
 * (backend/web/templates/ui/notifications.html, macro push_panel):
 *   [data-push]  data-subscribe-url, data-unsubscribe-url, data-sw-url, data-sw-scope, and
 *                data-vapid-key (inline) or data-vapid-key-url (GET → {"key": "..."})
 *   buttons      [data-push-enable], [data-push-disable]
 *   messages     [data-push-state="on|off|ios|unsupported|denied|failed"]
 * The service worker itself reports pushsubscriptionchange to its surface's renewal URL
 * (set by the server in the worker's source: self.HL_PUSH_RENEW_URL).
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box) return;
  var cfg = box.dataset;

  function show(state) {
    box.querySelectorAll("[data-push-state]").forEach(function (el) {
      el.hidden = el.getAttribute("data-push-state") !== state;
    });
    box.setAttribute("data-push-current", state);
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
  function checked(r) {
    // A redirect means the session ended (sent to sign-in): that is not a success.
    if (!r.ok || r.redirected) throw new Error("HTTP " + r.status);
    return r;
  }
  function keyBytes(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function sameKey(buffer, b64) {
    if (!buffer || !b64) return true; // cannot tell: assume it is ours
    var a = new Uint8Array(buffer), b = keyBytes(b64);
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify(body)
    }).then(checked);
  }

  var keyPromise = null;
  function vapidKey() {
    if (cfg.vapidKey) return Promise.resolve(cfg.vapidKey);
    if (!keyPromise) {
      keyPromise = fetch(cfg.vapidKeyUrl, {credentials: "same-origin",
                                           headers: {"Accept": "application/json"}})
        .then(checked)
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (!data || !data.key) throw new Error("no key");
          return data.key;
        })
        .catch(function (err) { keyPromise = null; throw err; }); // offline: try again later
    }
    return keyPromise;
  }

  var ios = /iPhone|iPad|iPod/.test(navigator.userAgent);
  var standalone = window.matchMedia("(display-mode: standalone)").matches ||
    navigator.standalone === true;
  var supported = "serviceWorker" in navigator && "PushManager" in window &&
    "Notification" in window;
  if (!supported) { show(ios && !standalone ? "ios" : "unsupported"); return; }
  if (Notification.permission === "denied") { show("denied"); return; }

  var ready = navigator.serviceWorker.register(cfg.swUrl, {scope: cfg.swScope})
    .then(function () { return navigator.serviceWorker.ready; });

  function turnedOn() { show("on"); button("enable", false); button("disable", true); }
  function turnedOff() { show("off"); button("disable", false); button("enable", true); }

  ready.then(function (reg) { return reg.pushManager.getSubscription(); })
    .then(function (sub) {
      if (!sub) { turnedOff(); return; }
      // A subscription made with an older server key no longer receives anything.
      return vapidKey().then(function (key) {
        if (sameKey(sub.options && sub.options.applicationServerKey, key)) turnedOn();
        else turnedOff();
      }, function () { turnedOn(); });
    })
    .catch(function () { show("failed"); });
  vapidKey().catch(function () { /* fetched again on the tap */ });

  var enable = box.querySelector("[data-push-enable]");
  if (enable) enable.addEventListener("click", function () {
    enable.disabled = true;
    var key;
    Notification.requestPermission() // first, straight from the tap (iOS insists)
      .then(function (perm) {
        if (perm !== "granted") throw new Error(perm === "denied" ? "denied" : "dismissed");
        return vapidKey();
      })
      .then(function (k) { key = k; return ready; })
      .then(function (reg) {
        return reg.pushManager.getSubscription().then(function (old) {
          if (old && !sameKey(old.options && old.options.applicationServerKey, key)) {
            return old.unsubscribe().then(function () { return reg; });
          }
          return reg;
        });
      })
      .then(function (reg) {
        return reg.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(key)
        });
      })
      .then(function (sub) { return post(cfg.subscribeUrl, sub.toJSON()); })
      .then(turnedOn)
      .catch(function (err) {
        var msg = err && err.message;
        if (msg === "denied") { show("denied"); button("enable", false); }
        else if (msg === "dismissed") turnedOff();
        else show("failed");
      })
      .then(function () { enable.disabled = false; });
  });

  var disable = box.querySelector("[data-push-disable]");
  if (disable) disable.addEventListener("click", function () {
    disable.disabled = true;
    ready.then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        if (!sub) return null;
        var endpoint = sub.endpoint;
        return sub.unsubscribe().then(function () {
          return post(cfg.unsubscribeUrl, {endpoint: endpoint});
        });
      })
      .then(turnedOff)
      .catch(function () { show("failed"); })
      .then(function () { disable.disabled = false; });
  });
})();
