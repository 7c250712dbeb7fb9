/* Push handlers shared by the portal's and the field app's service workers (importScripts).
 * push: show the notification (the tag is the notification id, so a message delivered twice
 * replaces itself instead of stacking). notificationclick: open the deep link (a portal,
 * field app or desk path), or the "why did I get this" page from its action, reusing a window
 * of this worker's scope when one is open. pushsubscriptionchange: subscribe again with the
 * same key and tell the server, proving ownership with the old endpoint.
 * Surface-neutral: the worker that imports this sets self.HL_PUSH_RENEW_URL (its surface's
 * renewal URL); without it the URL is derived from the scope (<scope>notifications/push/renew).
 */
/* global self, clients */
"use strict";

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var title = data.title || "HomeLoop";
  var zh = (self.navigator && (self.navigator.language || "")).indexOf("zh") === 0;
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    renotify: false,
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    data: {url: data.url || "/", why: data.why || ""},
    actions: data.why ? [{action: "why", title: zh ? "为什么收到？" : "Why this?"}] : []
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var info = event.notification.data || {};
  var target = event.action === "why" && info.why ? info.why : (info.url || "/");
  var url = new URL(target, self.location.origin).href;
  var scope = self.registration.scope;
  event.waitUntil(clients.matchAll({type: "window", includeUncontrolled: true})
    .then(function (list) {
      var i;
      for (i = 0; i < list.length; i++) {
        if (list[i].url === url && "focus" in list[i]) return list[i].focus();
      }
      // A window of this app (same scope) is open: take it to the link instead of adding one.
      if (url.indexOf(scope) === 0) {
        for (i = 0; i < list.length; i++) {
          var client = list[i];
          if (client.url.indexOf(scope) === 0 && "navigate" in client) {
            return client.navigate(url).then(function (c) {
              return (c || client).focus();
            }).catch(function () { return clients.openWindow(url); });
          }
        }
      }
      return clients.openWindow(url);
    }));
});

function renewUrl() {
  return self.HL_PUSH_RENEW_URL ||
    new URL("notifications/push/renew", self.registration.scope).href;
}

self.addEventListener("pushsubscriptionchange", function (event) {
  var old = event.oldSubscription;
  if (!old || !old.options || !old.options.applicationServerKey) return;
  event.waitUntil(self.registration.pushManager.subscribe({
    userVisibleOnly: true, applicationServerKey: old.options.applicationServerKey
  }).then(function (sub) {
    // The surface's renewal endpoint: the old endpoint, not a session, proves who.
    return fetch(renewUrl(), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({old_endpoint: old.endpoint, subscription: sub.toJSON()})
    });
  }));
});
