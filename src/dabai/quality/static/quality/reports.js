// Supervisors' report charts, drawn by the vendored ECharts under the strict CSP (no inline script, no
// inline style): the data comes from a <script type="application/json"> block named by data-source, and
// every point carries the URL of the conversations behind it ("drill"), so a click opens that list.
// Tooltips are drawn in the canvas (richText): ECharts' HTML tooltips carry inline styles the CSP refuses.
(function () {
  "use strict";
  function percentLines(el, d) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      legend: { type: "scroll", top: 0 },
      grid: { left: 44, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: d.labels },
      yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min / 10) * 10); }, max: 100, axisLabel: { formatter: "{value}%" } },
      series: d.series.map(function (s) {
        return { type: "line", name: s.name, data: s.data, connectNulls: true, symbolSize: 9 };
      })
    });
    chart.on("click", function (p) {
      var s = d.series[p.seriesIndex];
      if (s && s.drill && s.drill[p.dataIndex]) { window.location.href = s.drill[p.dataIndex]; }
    });
    return chart;
  }
  function start() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-report-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.source);
      if (!source) { return; }
      var chart = percentLines(el, JSON.parse(source.textContent));
      el.dataset.ready = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
