/* Service desk: keyboard shortcuts in the triage queue and a polite auto-refresh.
 *   j / k      next / previous ticket row (focus moves to its link)
 *   Enter / o  open the focused ticket
 *   a          assign the focused (or checked) tickets to me
 *   /          focus the search box
 * The queue refreshes itself every 30 s (hx-trigger on #queue); a refresh is skipped while
 * tickets are checked or a row has keyboard focus, so it never throws away a selection. */
(function () {
  "use strict";
  var current = -1;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue tr[data-row]")); }

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function select(index) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (r, i) { r.classList.toggle("is-current", i === current); });
    var link = all[current].querySelector("a[data-open]");
    if (link) link.focus();
  }

  function assignToMe() {
    var form = document.getElementById("bulk-form");
    var button = form && form.querySelector("[data-bulk-assign]");
    if (!button) return;
    var checked = form.querySelectorAll("input[name=ticket]:checked");
    if (!checked.length && current >= 0) {
      var box = rows()[current] && rows()[current].querySelector("input[name=ticket]");
      if (box) box.checked = true;
    }
    var who = document.getElementById("bulk-assignee");
    if (who) who.value = "me";
    if (form.requestSubmit) form.requestSubmit(button); else button.click();
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    var onTicket = document.querySelector("[data-assign-me]");
    if (e.key === "a" && onTicket && !document.getElementById("queue")) { e.preventDefault(); onTicket.click(); return; }
    if (!document.getElementById("queue")) return;
    if (e.key === "j") { e.preventDefault(); select(current + 1); }
    else if (e.key === "k") { e.preventDefault(); select(current - 1); }
    else if (e.key === "o" && current >= 0) {
      var link = rows()[current].querySelector("a[data-open]");
      if (link) { e.preventDefault(); link.click(); }
    } else if (e.key === "a") { e.preventDefault(); assignToMe(); }
    else if (e.key === "/") {
      var q = document.getElementById("q");
      if (q) { e.preventDefault(); q.focus(); }
    }
  });

  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = e.detail && e.detail.elt;
    if (!el || el.id !== "queue") return;
    if (el.querySelector("input[name=ticket]:checked") || current >= 0 && el.contains(document.activeElement)) {
      e.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail && e.detail.target && e.detail.target.id === "queue") current = -1;
  });
})();
