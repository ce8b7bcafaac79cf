// Survey results: one bar chart per question; data from <script type="application/json"> blocks (strict CSP).
(function () {
  "use strict";
  function start() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart=bars]").forEach(function (el) {
      var source = document.getElementById(el.dataset.source);
      if (!source) { return; }
      var d = JSON.parse(source.textContent);
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        grid: { left: 36, right: 12, top: 12, bottom: 24 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: d.values, itemStyle: { color: "#2e90fa" } }]
      });
      el.dataset.ready = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
