/* HomeLoop field app: the offline outbox (pages and service worker share this file).
 * Every change made on the phone is an item, in order, with an idempotency key:
 *   {key, seq, type: photo|status|check|notes|part|signature, work_order_id, base_version,
 *    at, payload, blob (photos), state: queued|uploading|synced|failed, reason, retryable}
 * sync() sends queued items in order: JSON items in batches to /field/api/sync, photos one by
 * one (multipart) to /field/api/work-orders/<id>/photos. An item leaves "uploading" only when
 * the server answered: a photo is never dropped before the server confirms it is stored, and a
 * retried key never creates a duplicate (the server remembers keys).
 */
/* global HLFieldStore */
(function (g) {
  "use strict";
  var S = g.HLFieldStore;
  var progress = {}; // key -> percent, in memory only
  var listeners = [];
  var counter = 0;
  var syncing = null;
  var queueTail = Promise.resolve();
  var again = false;

  function newKey() {
    if (g.crypto && g.crypto.randomUUID) return g.crypto.randomUUID();
    var b = new Uint8Array(16);
    g.crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  function notify() {
    listeners.forEach(function (fn) { try { fn(); } catch (e) { /* keep going */ } });
    if (g.clients && g.clients.matchAll) { // in the service worker: tell the pages
      g.clients.matchAll({ type: "window" }).then(function (list) {
        list.forEach(function (c) { c.postMessage({ type: "outbox-changed" }); });
      });
    }
  }

  function versionKey(wo) { return "version:" + wo; }

  /* The version the next edit of ``wo`` is based on; each queued edit bumps it by one, as the
   * server will when it applies the edit. */
  function takeVersion(wo) {
    return S.get("meta", versionKey(wo)).then(function (v) {
      var base = typeof v === "number" ? v : null;
      return S.put("meta", base === null ? null : base + 1, versionKey(wo)).then(function () { return base; });
    });
  }

  function pending(items) {
    return items.filter(function (i) { return i.state !== "synced"; });
  }

  var api = {
    progress: progress,
    newKey: newKey,
    onChange: function (fn) { listeners.push(fn); },
    notify: notify,
    all: function () { return S.all("outbox"); },

    /* The server's version of a work order, seen on a page or packet: adopt it unless edits
     * based on our own count are still waiting (versions only grow). */
    seeVersion: function (wo, version) {
      return Promise.all([S.all("outbox"), S.get("meta", versionKey(wo))]).then(function (r) {
        var waiting = pending(r[0]).some(function (i) { return i.work_order_id === wo && i.type !== "photo"; });
        if (waiting && typeof r[1] === "number") return;
        var next = typeof r[1] === "number" ? Math.max(r[1], version) : version;
        return S.put("meta", next, versionKey(wo));
      });
    },

    /* Serialized: two quick taps must not read the same base version. */
    enqueue: function (item) {
      var run = queueTail.then(function () { return enqueueNow(item); });
      queueTail = run.catch(function () {});
      return run;
    },

    retry: function (key) {
      return S.get("outbox", key).then(function (item) {
        if (!item) return;
        item.state = "queued"; item.reason = "";
        return S.put("outbox", item);
      }).then(notify);
    },

    /* "Apply my change again" after a conflict: re-base this item and the later failed edits
     * of the same work order on the server's current version. */
    rebase: function (key) {
      return S.all("outbox").then(function (items) {
        var first = items.find(function (i) { return i.key === key; });
        if (!first) return;
        var base = first.current_version;
        var chain = items.filter(function (i) {
          return i.work_order_id === first.work_order_id && i.type !== "photo" &&
            i.state !== "synced" && i.seq >= first.seq;
        });
        var writes = chain.map(function (i) {
          i.base_version = base++; i.state = "queued"; i.reason = "";
          return S.put("outbox", i);
        });
        writes.push(S.put("meta", base, versionKey(first.work_order_id)));
        return Promise.all(writes);
      }).then(notify);
    },

    discard: function (key) {
      return S.get("outbox", key).then(function (item) {
        if (!item) return;
        return S.del("outbox", key).then(function () {
          if (item.current_version) return S.put("meta", item.current_version, versionKey(item.work_order_id));
        });
      }).then(notify);
    },

    /* One sync at a time (across tabs and the worker, with Web Locks); a request made while
     * one runs is served by one more pass afterwards, so nothing queued meanwhile waits. */
    sync: function () {
      if (syncing) { again = true; return syncing; }
      var work = function () { return runSync(); };
      var locks = g.navigator && g.navigator.locks;
      syncing = (locks ? locks.request("homeloop-field-outbox", work) : work())
        .then(function (ok) {
          syncing = null;
          if (again && ok) { again = false; return api.sync(); }
          again = false;
          return ok;
        }, function (e) { syncing = null; again = false; throw e; });
      return syncing;
    }
  };

  function enqueueNow(item) {
    item.key = item.key || newKey();
    item.seq = Date.now() * 1000 + (counter++ % 1000);
    item.at = item.at || new Date().toISOString();
    item.state = "queued";
    item.reason = "";
    var ready = item.type === "photo" ? Promise.resolve(null) : takeVersion(item.work_order_id);
    return ready.then(function (base) {
      if (item.type !== "photo") item.base_version = base;
      return S.put("outbox", item);
    }).then(function () { notify(); return item; });
  }

  function save(item) { return S.put("outbox", item).then(notify); }

  function csrf() { return S.get("meta", "csrf"); }

  function offlineFailure(items, reason) {
    return Promise.all(items.map(function (i) {
      i.state = "failed"; i.retryable = true; i.reason = reason || "offline";
      delete progress[i.key];
      return S.put("outbox", i);
    })).then(notify);
  }

  function applyResult(item, result) {
    delete progress[item.key];
    if (result.status === "ok") {
      item.state = "synced"; item.syncedAt = new Date().toISOString(); item.reason = "";
      item.server_version = result.version;
      delete item.blob; // the server has it: free the space
      if (item.type === "photo") { item.thumb = result.thumb; }
      var bump = typeof result.version === "number" ?
        S.get("meta", versionKey(item.work_order_id)).then(function (v) {
          if (typeof v !== "number" || v < result.version) return S.put("meta", result.version, versionKey(item.work_order_id));
        }) : Promise.resolve();
      return bump.then(function () { return S.put("outbox", item); });
    }
    item.state = "failed"; item.retryable = false;
    item.conflict = result.status === "conflict";
    item.current_version = result.current_version;
    item.reason = result.message || result.status;
    return S.put("outbox", item);
  }

  function sendBatch(batch, token) {
    batch.forEach(function (i) { i.state = "uploading"; });
    return Promise.all(batch.map(function (i) { return S.put("outbox", i); })).then(notify).then(function () {
      var body = JSON.stringify({ items: batch.map(function (i) {
        return { key: i.key, type: i.type, work_order_id: i.work_order_id,
                 base_version: i.base_version, at: i.at, payload: i.payload };
      }) });
      return fetch("/field/api/sync", {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "Content-Type": "application/json", "x-csrftoken": token || "" }
      });
    }).then(function (res) {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.json();
    }).then(function (data) {
      var byKey = {};
      (data.results || []).forEach(function (r) { byKey[r.key] = r; });
      return Promise.all(batch.map(function (i) {
        return applyResult(i, byKey[i.key] || { status: "error", message: "" });
      }));
    });
  }

  function uploadPhoto(item, token) {
    var form = new FormData();
    form.append("photo", item.blob, item.filename || "photo.jpg");
    form.append("caption", item.payload.caption || "");
    form.append("customer_visible", item.payload.customer_visible ? "1" : "");
    var url = "/field/api/work-orders/" + item.work_order_id + "/photos";
    var headers = { "x-csrftoken": token || "", "Idempotency-Key": item.key };
    item.state = "uploading";
    progress[item.key] = 0;
    return save(item).then(function () {
      if (typeof g.XMLHttpRequest === "undefined") { // service worker: no progress events
        return fetch(url, { method: "POST", body: form, headers: headers, credentials: "same-origin" })
          .then(function (res) { return res.json().then(function (d) { return { code: res.status, data: d }; }); });
      }
      return new Promise(function (resolve, reject) {
        var xhr = new g.XMLHttpRequest();
        xhr.open("POST", url);
        Object.keys(headers).forEach(function (h) { xhr.setRequestHeader(h, headers[h]); });
        xhr.upload.onprogress = function (e) {
          if (e.lengthComputable) { progress[item.key] = Math.round(100 * e.loaded / e.total); notify(); }
        };
        xhr.onload = function () {
          var data = null;
          try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
          resolve({ code: xhr.status, data: data });
        };
        xhr.onerror = function () { reject(new Error("network")); };
        xhr.onabort = function () { reject(new Error("network")); };
        xhr.send(form);
      });
    }).then(function (r) {
      if (r.code >= 500 || !r.data) throw new Error("HTTP " + r.code);
      if (r.code !== 200) return applyResult(item, { status: "error", message: r.data.message || ("HTTP " + r.code) });
      return applyResult(item, r.data);
    });
  }

  function runSync() {
    return Promise.all([S.all("outbox"), csrf()]).then(function (r) {
      var token = r[1];
      var todo = r[0].filter(function (i) {
        return i.state === "queued" || i.state === "uploading" || (i.state === "failed" && i.retryable);
      });
      var index = 0;
      function next() {
        if (index >= todo.length) return Promise.resolve(true);
        var item = todo[index];
        if (item.type === "photo") {
          index += 1;
          return uploadPhoto(item, token).then(next, function () {
            return offlineFailure(todo.slice(index - 1)).then(function () { return false; });
          });
        }
        var batch = [];
        while (index < todo.length && todo[index].type !== "photo" && batch.length < 50) {
          batch.push(todo[index]); index += 1;
        }
        return sendBatch(batch, token).then(next, function () {
          return offlineFailure(todo.slice(index - batch.length)).then(function () { return false; });
        });
      }
      return next();
    }).then(function (ok) {
      return prune().then(function () { notify(); return ok; });
    });
  }

  /* Synced items are kept a day so the technician sees them arrive, then forgotten. */
  function prune() {
    var cutoff = Date.now() - 24 * 3600 * 1000;
    return S.all("outbox").then(function (items) {
      return Promise.all(items.filter(function (i) {
        return i.state === "synced" && Date.parse(i.syncedAt) < cutoff;
      }).map(function (i) { return S.del("outbox", i.key); }));
    });
  }

  g.HLFieldOutbox = api;
})(self);
