// Voice-of-the-customer charts, drawn by the vendored ECharts under the strict CSP (no inline script).
// A chart's data comes from a <script type="application/json"> block (data-source) or from the portal's
// JSON views (data-url, same origin). Every point carries the query string of the cases behind it
// ("drill"), so a click opens the case library with those facets set. Tooltips are drawn in the canvas
// (richText): the HTML ones carry inline styles, which the CSP refuses.
(function () {
  "use strict";
  function open(d, query) {
    if (query) { window.location.href = (d.cases_url || "/voc/cases/") + "?" + query; }
  }
  function base(el) {
    return echarts.init(el, null, { renderer: "canvas" });
  }
  var kinds = {
    weekly: function (el, d) {
      var chart = base(el);
      chart.setOption({
        grid: { left: 36, right: 12, top: 12, bottom: 24 },
        tooltip: { trigger: "axis", renderMode: "richText" },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", name: el.dataset.seriesName || "", data: d.counts }]
      });
      return chart;
    },
    topics: function (el, d) {
      var chart = base(el);
      chart.setOption({
        tooltip: { trigger: "item", renderMode: "richText" },
        legend: { type: "scroll", top: 0 },
        grid: { left: 36, right: 12, top: 36, bottom: 24 },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: d.series.map(function (s) {
          return { type: "line", name: s.name, data: s.data, smooth: true, symbolSize: 8 };
        })
      });
      chart.on("click", function (p) { open(d, d.series[p.seriesIndex].drill[p.dataIndex]); });
      return chart;
    },
    sentiment: function (el, d) {
      var chart = base(el);
      var colours = { positive: "#2e7d32", neutral: "#9e9e9e", negative: "#c62828" };
      chart.setOption({
        tooltip: { trigger: "axis", renderMode: "richText" },
        legend: { top: 0 },
        grid: { left: 36, right: 12, top: 36, bottom: 24 },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", minInterval: 1 },
        series: d.series.map(function (s) {
          return { type: "bar", stack: "all", name: s.name, data: s.data, itemStyle: { color: colours[s.key] } };
        })
      });
      chart.on("click", function (p) { open(d, d.series[p.seriesIndex].drill[p.dataIndex]); });
      return chart;
    },
    net_sentiment: function (el, d) {
      var chart = base(el);
      chart.setOption({
        tooltip: { trigger: "axis", renderMode: "richText" },
        grid: { left: 110, right: 24, top: 12, bottom: 24 },
        xAxis: { type: "value", min: -100, max: 100 },
        yAxis: { type: "category", data: d.labels, inverse: true },
        series: [{
          type: "bar", data: d.data.map(function (v) {
            return { value: v, itemStyle: { color: v < 0 ? "#c62828" : "#2e7d32" } };
          })
        }]
      });
      chart.on("click", function (p) { open(d, d.drill[p.dataIndex]); });
      return chart;
    },
    escalations: function (el, d) {
      var chart = base(el);
      chart.setOption({
        tooltip: { trigger: "axis", renderMode: "richText" },
        grid: { left: 36, right: 12, top: 12, bottom: 24 },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: [{ type: "line", data: d.data, areaStyle: {}, symbolSize: 8, itemStyle: { color: "#b00020" } }]
      });
      chart.on("click", function (p) { open(d, d.drill[p.dataIndex]); });
      return chart;
    },
    channels: function (el, d) {
      var chart = base(el);
      chart.setOption({
        tooltip: { trigger: "item", renderMode: "richText" },
        legend: { type: "scroll", bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"], data: d.items }]
      });
      chart.on("click", function (p) { open(d, d.items[p.dataIndex].drill); });
      return chart;
    },
    products: function (el, d) {
      var chart = base(el);
      chart.setOption({
        tooltip: { trigger: "axis", renderMode: "richText" },
        grid: { left: 90, right: 24, top: 12, bottom: 24 },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: d.labels, inverse: true },
        series: [{ type: "bar", data: d.data }]
      });
      chart.on("click", function (p) { open(d, d.drill[p.dataIndex]); });
      return chart;
    }
  };
  function draw(el, d) {
    var make = kinds[el.dataset.chart] || kinds.weekly;
    var chart = make(el, d);
    el.dataset.ready = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function start() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.url) {
        fetch(el.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (d) { if (d) { draw(el, d); } });
        return;
      }
      var source = document.getElementById(el.dataset.source);
      if (source) { draw(el, JSON.parse(source.textContent)); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
