/* HomeLoop field app: the IndexedDB store shared by the pages and the service worker.
 * Stores: "outbox" (queued changes, keyPath "key", index "seq"), "packets" (offline work-order
 * packets, keyPath "id"), "meta" (small values: csrf token, versions, prepared_at).
 */
(function (g) {
  "use strict";
  var NAME = "homeloop-field";
  var opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      var req = g.indexedDB.open(NAME, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        db.createObjectStore("outbox", { keyPath: "key" }).createIndex("seq", "seq");
        db.createObjectStore("packets", { keyPath: "id" });
        db.createObjectStore("meta");
      };
      req.onsuccess = function () {
        var db = req.result;
        db.onversionchange = function () { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = function () { opening = null; reject(req.error); };
    });
    return opening;
  }

  function run(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result;
        var req = fn(tx.objectStore(store));
        if (req) req.onsuccess = function () { result = req.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  g.HLFieldStore = {
    get: function (store, key) { return run(store, "readonly", function (s) { return s.get(key); }); },
    put: function (store, value, key) {
      return run(store, "readwrite", function (s) { return key === undefined ? s.put(value) : s.put(value, key); });
    },
    del: function (store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); },
    clear: function (store) { return run(store, "readwrite", function (s) { return s.clear(); }); },
    all: function (store) {
      return run(store, "readonly", function (s) {
        return store === "outbox" ? s.index("seq").getAll() : s.getAll();
      });
    },
    replaceAll: function (store, values) {
      return run(store, "readwrite", function (s) {
        s.clear();
        values.forEach(function (v) { s.put(v); });
      });
    }
  };
})(self);
