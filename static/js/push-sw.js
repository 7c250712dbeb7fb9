/* Push handlers shared by the portal's and the field app's service workers (importScripts).
 * push: show the notification (the tag is the notification id, so a message delivered twice
 * replaces itself instead of stacking). notificationclick: open the deep link, or the
 * "why did I get this" page from its action. pushsubscriptionchange: subscribe again with the
 * same key and tell the server, proving ownership with the old endpoint.
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
  event.waitUntil(clients.matchAll({type: "window", includeUncontrolled: true})
    .then(function (list) {
      for (var i = 0; i < list.length; i++) {
        if (list[i].url === url && "focus" in list[i]) return list[i].focus();
      }
      return clients.openWindow(url);
    }));
});

self.addEventListener("pushsubscriptionchange", function (event) {
  var old = event.oldSubscription;
  if (!old || !old.options || !old.options.applicationServerKey) return;
  event.waitUntil(self.registration.pushManager.subscribe({
    userVisibleOnly: true, applicationServerKey: old.options.applicationServerKey
  }).then(function (sub) {
    // One renewal endpoint for every surface: the old endpoint, not a session, proves who.
    return fetch("/portal/notifications/push/renew", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({old_endpoint: old.endpoint, subscription: sub.toJSON()})
    });
  }));
});
