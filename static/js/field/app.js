/* HomeLoop field app pages: offline preparation, the work-order page and its outbox.
 * Every change goes through HLFieldOutbox (online too), so online and offline behave the same:
 * the page shows the change at once, the outbox sends it when it can.
 * Markup contract: fieldapp/templates/fieldapp/ (data-field-* attributes).
 */
/* global HLFieldStore, HLFieldOutbox */
(function () {
  "use strict";
  var doc = document;
  var S = window.HLFieldStore;
  var O = window.HLFieldOutbox;
  if (!S || !O || !window.indexedDB) return;
  var strings = (doc.querySelector("[data-field-strings]") || {}).dataset || {};
  var PAGES = "field-pages";
  var MEDIA = "field-media";
  var previews = {}; // outbox key -> object URL of a queued photo

  function t(name, values) {
    var text = strings[name] || name;
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }
  function $(sel, root) { return (root || doc).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(sel)); }
  function el(tag, cls, text) {
    var e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function hhmm(iso) {
    var d = new Date(iso);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  // --- service worker, token, Background Sync -------------------------------------------------
  var registration = null;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" }).then(function (r) {
      registration = r;
    }).catch(function () { /* still works online */ });
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "outbox-changed") render();
    });
  }
  var token = $('meta[name="csrf-token"]');
  if (token && token.content) S.put("meta", token.content, "csrf");

  function requestSync() {
    if (registration && registration.sync) {
      registration.sync.register("field-outbox").catch(function () { /* not allowed: fine */ });
    }
    if (navigator.onLine) return O.sync().then(afterSync);
    return Promise.resolve();
  }

  // After a sync, refresh the cached copy of this page so it opens offline as it is now.
  function afterSync() {
    var box = $("[data-field-wo]");
    if (!box || !navigator.onLine || !window.caches) return;
    return O.all().then(function (items) {
      var mine = items.filter(function (i) { return i.work_order_id === box.dataset.fieldWo; });
      if (mine.some(function (i) { return i.state !== "synced"; })) return;
      return caches.open(PAGES).then(function (c) { return c.add(location.pathname); }).catch(function () {});
    });
  }

  // --- sync chip in the top bar ------------------------------------------------------------------
  function renderChip(items) {
    var chip = $("[data-field-sync-chip]");
    if (!chip) return;
    var waiting = items.filter(function (i) { return i.state !== "synced"; });
    var failed = waiting.filter(function (i) { return i.state === "failed"; });
    var busy = waiting.some(function (i) { return i.state === "uploading"; });
    chip.hidden = false;
    chip.className = "sync-chip sync-chip--" + (failed.length ? "failed" : busy ? "syncing" : waiting.length ? "queued" : "ready");
    chip.textContent = failed.length ? t("syncFailed") : waiting.length ? t("pending", { n: waiting.length }) : t("allSynced");
    chip.dataset.count = String(waiting.length);
  }

  // --- My day: offline preparation ------------------------------------------------------------------
  function renderDay() {
    if (!$("[data-field-day]")) return Promise.resolve();
    return Promise.all([S.all("packets"), S.get("meta", "prepared_at")]).then(function (r) {
      var ids = {};
      r[0].forEach(function (p) { ids[p.id] = p; });
      $$("[data-wo-row]").forEach(function (row) {
        var chip = $("[data-offline-chip]", row);
        var ready = ids[row.dataset.woRow] && r[1];
        chip.hidden = !ready;
        if (ready) chip.textContent = t("ready", { t: hhmm(r[1]) });
      });
      if (r[1]) $("[data-field-ready-status]").textContent = t("prepared") + " · " + hhmm(r[1]);
    });
  }

  function prepare() {
    var status = $("[data-field-ready-status]");
    var button = $("[data-field-prepare]");
    if (status) status.textContent = t("preparing");
    if (button) button.disabled = true;
    return fetch("/field/api/packets", { credentials: "same-origin" }).then(function (res) {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.json();
    }).then(function (data) {
      var packets = data.work_orders || [];
      var pages = ["/field/", "/field/offline"].concat(packets.map(function (p) { return p.page_url; }));
      var thumbs = [];
      packets.forEach(function (p) { p.photos.forEach(function (ph) { thumbs.push(ph.thumb); }); });
      return Promise.all([
        S.replaceAll("packets", packets),
        Promise.all(packets.map(function (p) { return O.seeVersion(p.id, p.version); })),
        caches.open(PAGES).then(function (c) { return c.addAll(pages); }),
        caches.open(MEDIA).then(function (c) {
          return Promise.all(thumbs.map(function (u) { return c.match(u).then(function (hit) { return hit || c.add(u); }); }));
        })
      ]).then(function () { return S.put("meta", data.generated_at, "prepared_at"); });
    }).then(renderDay).catch(function () {
      if (status) status.textContent = t("prepareFailed");
    }).then(function () { if (button) button.disabled = false; });
  }

  // --- work-order page -----------------------------------------------------------------------------
  var box = $("[data-field-wo]");
  var woId = box && box.dataset.fieldWo;

  function showError(text) {
    var err = $("[data-field-error]");
    if (!err) return;
    err.textContent = text || "";
    err.hidden = !text;
  }

  var TONES = { scheduled: "info", en_route: "info", on_site: "warning", completed: "success",
                needs_follow_up: "danger" };
  function statusLabel(status) {
    return strings["status" + status.charAt(0).toUpperCase() + status.slice(1)] || status;
  }

  function setStatus(status) {
    box.dataset.status = status;
    var badge = $("[data-field-status-badge] .badge");
    if (badge) {
      badge.textContent = statusLabel(status);
      badge.className = "badge badge--" + (TONES[status] || "neutral");
    }
    $$("[data-from]", box).forEach(function (b) { b.hidden = b.dataset.from.split(" ").indexOf(status) < 0; });
  }

  function itemText(item) {
    var p = item.payload || {};
    var what = t("type" + item.type.charAt(0).toUpperCase() + item.type.slice(1));
    if (item.type === "status") return what + ": " + statusLabel(p.status);
    if (item.type === "check") return what + ": " + (p.label || p.key) + (p.done ? " ✓" : " ✗");
    if (item.type === "part") return what + ": " + p.name + " × " + p.quantity;
    if (item.type === "photo") return what + (p.caption ? ": " + p.caption : "");
    if (item.type === "signature") return what + ": " + p.signer_name;
    return what;
  }

  function renderOutbox(items) {
    var list = $("[data-field-outbox]");
    if (!list) return;
    list.textContent = "";
    items.filter(function (i) { return i.work_order_id === woId; }).forEach(function (item) {
      var li = el("li", "list__item field-outbox__item");
      li.dataset.key = item.key;
      li.dataset.state = item.state;
      li.appendChild(el("span", "field-outbox__what", itemText(item)));
      var chipState = { queued: "queued", uploading: "syncing", synced: "ready", failed: "failed" }[item.state];
      li.appendChild(el("span", "list__end sync-chip sync-chip--" + chipState, t(item.state)));
      if (item.state === "uploading" && O.progress[item.key] !== undefined) {
        var bar = el("progress", "progress");
        bar.max = 100; bar.value = O.progress[item.key];
        bar.textContent = bar.value + "%";
        li.appendChild(bar);
      }
      if (item.state === "failed") {
        li.appendChild(el("span", "field__error", item.reason === "offline" ? t("offline") : item.reason));
        var actions = el("span", "field-outbox__actions");
        if (item.conflict) {
          actions.appendChild(button(t("keep"), "rebase", item.key));
          actions.appendChild(button(t("discard"), "discard", item.key));
        } else {
          actions.appendChild(button(t("retry"), "retry", item.key));
          if (!item.retryable) actions.appendChild(button(t("discard"), "discard", item.key));
        }
        li.appendChild(actions);
      }
      list.appendChild(li);
    });
  }

  function button(label, action, key) {
    var b = el("button", "btn btn--small btn--secondary", label);
    b.type = "button";
    b.dataset.outboxAction = action;
    b.dataset.key = key;
    return b;
  }

  // Show changes this page's HTML does not contain yet (queued, or synced after it was made).
  function overlay(items) {
    var since = Date.parse(box.dataset.renderedAt);
    var status = null;
    items.forEach(function (item) {
      if (item.work_order_id !== woId) return;
      if (item.state === "synced" && Date.parse(item.syncedAt) < since) return;
      if (item.state === "failed" && !item.retryable) return;
      var p = item.payload || {};
      if (item.type === "status") status = p.status;
      if (item.type === "check") {
        var input = $('[data-field-check="' + p.key + '"]');
        if (input) { input.checked = !!p.done; input.disabled = false; }
      }
      if (item.type === "signature") {
        var signed = $("[data-field-signed]");
        signed.hidden = false;
        signed.textContent = t("signedBy", { n: p.signer_name }) + " · " + hhmm(item.at);
      }
      if (item.type === "part" && !$('[data-part-key="' + item.key + '"]')) {
        var li = el("li", "list__item", p.name + " × " + p.quantity);
        li.dataset.partKey = item.key;
        $("[data-field-parts]").appendChild(li);
      }
      if (item.type === "photo" && !$('[data-photo-key="' + item.key + '"]')) {
        var src = item.thumb || (item.blob ? (previews[item.key] = previews[item.key] || URL.createObjectURL(item.blob)) : null);
        if (src) {
          var ph = el("li");
          ph.dataset.photoKey = item.key;
          var img = el("img");
          img.src = src; img.alt = p.caption || ""; img.width = 320; img.height = 320;
          ph.appendChild(img);
          $("[data-field-photo-grid]").insertBefore(ph, $("[data-field-photo-grid]").firstChild);
        }
      }
    });
    if (status) setStatus(status);
  }

  function render() {
    return O.all().then(function (items) {
      renderChip(items);
      if (box) { overlay(items); renderOutbox(items); }
    });
  }
  O.onChange(function () { render(); });

  function queue(type, payload, extra) {
    var item = Object.assign({ type: type, work_order_id: woId, payload: payload }, extra || {});
    return O.enqueue(item).then(function (queued) {
      render();
      requestSync();
      return queued;
    });
  }

  function requiredMissing() {
    return $$("[data-check-item][data-required]").some(function (li) {
      return !$("[data-field-check]", li).checked;
    });
  }

  // Long edge about 2048 px, JPEG: saves mobile data. Anything the browser cannot decode
  // (HEIC on most phones) goes as it is: the server converts it.
  function downsize(file) {
    if (!window.createImageBitmap) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bmp) {
      var scale = Math.min(1, 2048 / Math.max(bmp.width, bmp.height));
      if (scale === 1 && file.type === "image/jpeg" && file.size < 1.5e6) return file;
      var canvas = doc.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      if (bmp.close) bmp.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  function queuePhotos(files, caption, visible) {
    var keys = [];
    return files.reduce(function (chain, file) {
      return chain.then(function () { return downsize(file); }).then(function (blob) {
        return queue("photo", { caption: caption, customer_visible: visible },
                     { blob: blob, filename: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg" });
      }).then(function (item) { keys.push(item.key); });
    }, Promise.resolve()).then(function () { return keys; });
  }

  function wirePage() {
    O.seeVersion(woId, parseInt(box.dataset.version, 10));
    box.addEventListener("click", function (e) {
      var step = e.target.closest("[data-field-step]");
      if (step) {
        showError("");
        queue("status", { status: step.dataset.fieldStep }).then(function () { setStatus(step.dataset.fieldStep); });
        return;
      }
      if (e.target.closest("[data-field-complete]")) {
        if (requiredMissing()) { showError(t("requiredMissing")); return; }
        showError("");
        queue("status", { status: "completed" }).then(function () { setStatus("completed"); });
        return;
      }
      if (e.target.closest("[data-field-sync-now]")) { O.all().then(retryNetworkFailures).then(requestSync); return; }
      if (e.target.closest("[data-field-sign-open]")) { openSignature(); return; }
      var action = e.target.closest("[data-outbox-action]");
      if (action) O[action.dataset.outboxAction](action.dataset.key).then(requestSync);
    });
    box.addEventListener("change", function (e) {
      var check = e.target.closest("[data-field-check]");
      if (check) {
        var li = check.closest("[data-check-item]");
        queue("check", { key: check.dataset.fieldCheck, done: check.checked,
                         label: li.querySelector("span").textContent });
        return;
      }
      var itemPhoto = e.target.closest("[data-field-item-photo]");
      if (itemPhoto && itemPhoto.files.length) {
        var key = itemPhoto.dataset.fieldItemPhoto;
        var row = itemPhoto.closest("[data-check-item]");
        queuePhotos(Array.prototype.slice.call(itemPhoto.files), itemPhoto.dataset.caption, true).then(function (keys) {
          itemPhoto.value = "";
          var input = $("[data-field-check]", row);
          input.disabled = false; input.checked = true;
          row.dataset.hasPhoto = "";
          return queue("check", { key: key, done: true, photo_keys: keys, label: $("span", row).textContent });
        });
        return;
      }
      var form = e.target.closest("[data-field-photo-form]");
      if (form) {
        var n = form.elements.camera.files.length + form.elements.gallery.files.length;
        var hint = $("[data-field-picked]", form);
        hint.hidden = !n;
        hint.textContent = t("picked", { n: n });
      }
    });
    box.addEventListener("submit", function (e) {
      var form = e.target;
      e.preventDefault();
      if (form.matches("[data-field-photo-form]")) {
        var files = Array.prototype.slice.call(form.elements.camera.files).concat(
          Array.prototype.slice.call(form.elements.gallery.files));
        if (!files.length) return;
        queuePhotos(files, form.elements.caption.value, form.elements.customer_visible.checked).then(function () {
          form.reset();
          $("[data-field-picked]", form).hidden = true;
        });
      } else if (form.matches("[data-field-notes-form]")) {
        queue("notes", { notes: form.elements.notes.value });
      } else if (form.matches("[data-field-part-form]")) {
        queue("part", { id: O.newKey(), name: form.elements.name.value, quantity: parseInt(form.elements.quantity.value, 10) || 1 });
        form.reset();
      } else if (form.matches("[data-field-followup]")) {
        queue("status", { status: "needs_follow_up", reason: form.elements.reason.value }).then(function () {
          setStatus("needs_follow_up");
        });
      }
    });
    var sign = $("[data-field-sign-form]");
    if (sign) {
      sign.addEventListener("submit", function (e) {
        e.preventDefault(); // signature.js has filled the PNG data URL (or stopped an empty pad)
        var image = $("[data-signature-output]", sign).value;
        if (!image) return;
        queue("signature", { signer_name: sign.elements.signer_name.value, image: image });
        closeSignature();
      });
      $("[data-field-sign-cancel]", sign).addEventListener("click", closeSignature);
    }
  }

  var scrolledTo = 0;
  function openSignature() {
    var sign = $("[data-field-sign-form]");
    scrolledTo = window.scrollY;
    window.scrollTo(0, 0); // a scrolled page shifts fixed views on some phones
    sign.hidden = false;
    doc.body.classList.add("no-scroll");
    window.dispatchEvent(new Event("resize")); // signature.js sizes the canvas to its box
  }
  function closeSignature() {
    $("[data-field-sign-form]").hidden = true;
    doc.body.classList.remove("no-scroll");
    window.scrollTo(0, scrolledTo);
  }

  function retryNetworkFailures(items) {
    return Promise.all(items.filter(function (i) { return i.state === "failed" && i.retryable; })
      .map(function (i) { return O.retry(i.key); }));
  }

  // --- sign-out drops cached pages, photos and packets -----------------------------------------------
  doc.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("[data-field-signout]") || form.dataset.cleared) return;
    e.preventDefault();
    O.all().then(function (items) {
      var waiting = items.some(function (i) { return i.state !== "synced"; });
      if (waiting && !window.confirm(t("signoutPending"))) return;
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "sign-out" });
      }
      var drops = [S.clear("packets"), S.put("meta", null, "prepared_at")];
      if (window.caches) {
        drops.push(caches.keys().then(function (names) {
          return Promise.all(names.filter(function (n) { return n === PAGES || n === MEDIA; })
            .map(function (n) { return caches.delete(n); }));
        }));
      }
      return Promise.all(drops).catch(function () {}).then(function () {
        form.dataset.cleared = "1";
        form.submit();
      });
    });
  });

  // --- start ------------------------------------------------------------------------------------------
  var chipButton = $("[data-field-sync-chip]");
  if (chipButton) chipButton.addEventListener("click", function () { O.all().then(retryNetworkFailures).then(requestSync); });
  var prep = $("[data-field-prepare]");
  if (prep) prep.addEventListener("click", prepare);
  if (box) wirePage();
  window.addEventListener("online", function () { O.all().then(retryNetworkFailures).then(requestSync); });
  render().then(renderDay).then(function () {
    if (navigator.onLine) {
      O.all().then(retryNetworkFailures).then(requestSync);
      if ($("[data-field-day]")) {
        S.get("meta", "prepared_at").then(function (at) {
          if (!at || Date.now() - Date.parse(at) > 15 * 60 * 1000) prepare();
        });
      }
    }
  });
})();
