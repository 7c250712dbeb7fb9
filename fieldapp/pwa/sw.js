/* HomeLoop field app service worker, served at /field/sw.js (scope /field/).
 * - precaches a versioned app shell; drops old caches on activate and on sign-out
 * - pages: network first, then the copy cached by "ready for offline", then /field/offline
 * - static assets (versioned ?v= URLs) and photo thumbnails: cache first
 * - Background Sync (Chromium) replays the IndexedDB outbox (static/js/field/outbox.js)
 * - push display/click handling comes from /static/js/push-sw.js when that file exists;
 *   pushsubscriptionchange reports to the field app's own renewal URL (HL_PUSH_RENEW_URL)
 */
/* global importScripts, HLFieldOutbox */
"use strict";

var VERSION = "__VERSION__";
var SHELL = __SHELL__;
var SHELL_CACHE = "field-shell-" + VERSION;
var PAGES_CACHE = "field-pages";
var MEDIA_CACHE = "field-media";
var KEEP = [SHELL_CACHE, PAGES_CACHE, MEDIA_CACHE];

try {
  importScripts("/static/js/field/store.js?v=" + VERSION, "/static/js/field/outbox.js?v=" + VERSION);
} catch (e) { /* Background Sync falls back to page-driven sync */ }
self.HL_PUSH_RENEW_URL = __PUSH_RENEW_URL__;
try {
  importScripts("/static/js/push-sw.js?v=" + VERSION);
} catch (e) { /* push display is optional: the notifications module may not be installed */ }

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL);
  }).then(function () { return self.skipWaiting(); }));
});

function dropCaches(keep) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("field-") === 0 && keep.indexOf(n) < 0;
    }).map(function (n) { return caches.delete(n); }));
  });
}

self.addEventListener("activate", function (event) {
  event.waitUntil(dropCaches(KEEP).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "sign-out") {
    // Keep only the shell: nothing of the technician's jobs stays on the phone. Their work
    // alerts stop too (a shared phone must not show the next person someone else's jobs):
    // the push service then answers 410, the server drops the subscription and e-mail takes
    // over until they turn notifications on again.
    var unsubscribe = self.registration.pushManager ?
      self.registration.pushManager.getSubscription().then(function (sub) {
        return sub ? sub.unsubscribe() : false;
      }).catch(function () { return false; }) : Promise.resolve(false);
    event.waitUntil(Promise.all([dropCaches([SHELL_CACHE]), unsubscribe]));
  }
});

function networkFirst(request) {
  return fetch(request).then(function (response) {
    var path = new URL(request.url).pathname;
    if (response.ok && !response.redirected && path.indexOf("/field/sign-in") !== 0) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, { cacheName: PAGES_CACHE, ignoreVary: true }).then(function (hit) {
      return hit || caches.match("/field/offline", { ignoreVary: true });
    });
  });
}

function cacheFirst(request, cacheName) {
  return caches.match(request, { ignoreVary: true }).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(cacheName).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/field/api/") === 0) return; // always the network
  if (request.mode === "navigate" && url.pathname.indexOf("/field/") === 0) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request, SHELL_CACHE));
  } else if (url.pathname.indexOf("/field/photos/") === 0) {
    event.respondWith(cacheFirst(request, MEDIA_CACHE));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === "field-outbox" && typeof HLFieldOutbox !== "undefined") {
    event.waitUntil(HLFieldOutbox.sync());
  }
});
