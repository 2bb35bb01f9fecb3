// CollectGuard console: charts from server-made ECharts options (data-chart), confirmations (data-confirm),
// and the same after every HTMX swap. No inline script anywhere (the pages' CSP allows scripts from here only).
(function () {
  "use strict";
  var PALETTE = ["#2f6fde", "#d9480f", "#2b8a3e", "#ae3ec9", "#f08c00", "#1098ad", "#e64980", "#5c7cfa",
                 "#868e96", "#74b816"];

  function initCharts(root) {
    if (typeof window.echarts === "undefined") { return; }
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      var option;
      try { option = JSON.parse(el.getAttribute("data-chart")); } catch (e) { console.warn("bad chart option", el.id); return; }
      var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "canvas" });
      option.color = option.color || PALETTE;
      option.textStyle = option.textStyle || { fontFamily: "'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif" };
      option.animation = false;
      chart.setOption(option, true);
      el.setAttribute("data-chart-ready", "1");
    });
  }

  function confirmSubmit(event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  }

  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("submit", confirmSubmit, true);
  document.addEventListener("htmx:afterSettle", function (e) { initCharts(e.target); });
  window.addEventListener("resize", function () {
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart-ready]").forEach(function (el) {
      var c = window.echarts.getInstanceByDom(el); if (c) { c.resize(); }
    });
  });
})();
