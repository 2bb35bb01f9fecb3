// 事件 Live countdowns on the incidents pages: every [data-due] element counts down to its deadline each second
// (then up, once overdue, in red). The server's clock at render time (data-now) anchors it, so the count is the
// server's, whatever the browser's clock says.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(seconds, dayWord) {
    var s = Math.abs(seconds), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
        m = Math.floor((s % 3600) / 60), r = s % 60;
    return (d ? d + dayWord + " " : "") + pad(h) + ":" + pad(m) + ":" + pad(r);
  }
  function start(root) {
    var loaded = Date.now();
    (root || document).querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due")), now = Date.parse(el.getAttribute("data-now"));
      if (isNaN(due) || isNaN(now)) { return; }
      el.cgOffset = now - loaded;
      el.cgDue = due;
    });
  }
  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      if (el.cgDue === undefined) { return; }
      var left = Math.floor((el.cgDue - (Date.now() + el.cgOffset)) / 1000), over = left < 0;
      var b = el.querySelector("b");
      if (!b) { return; }
      b.textContent = format(left, el.getAttribute("data-day") || "d");
      if (el.firstChild && el.firstChild.nodeType === 3) {
        el.firstChild.textContent = (over ? el.getAttribute("data-over") : el.getAttribute("data-left")) + " ";
      }
      el.classList.toggle("overdue", over);
      el.classList.toggle("due", !over);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { start(document); tick(); window.setInterval(tick, 1000); });
  document.addEventListener("htmx:afterSettle", function (e) { start(e.target); tick(); });
})();
