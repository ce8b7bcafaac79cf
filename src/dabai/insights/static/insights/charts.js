// Voice-of-the-customer charts: data comes from <script type="application/json"> blocks (no inline script,
// strict CSP); each chart drills down to the matching cases on click.
(function () {
  "use strict";
  function data(el) {
    var source = document.getElementById(el.dataset.source);
    return source ? JSON.parse(source.textContent) : null;
  }
  function weekly(el, d) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 36, right: 12, top: 12, bottom: 24 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: d.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", name: el.dataset.seriesName || "", data: d.counts }]
    });
    el.dataset.ready = "1";
    return chart;
  }
  function topics(el, d) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 36, right: 12, top: 36, bottom: 24 },
      xAxis: { type: "category", data: d.weeks.map(function (w) { return w.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: d.series.map(function (s) {
        return { type: "line", name: s.name, data: s.counts, smooth: true, topicKey: s.key };
      })
    });
    chart.on("click", function (p) {
      var s = d.series[p.seriesIndex];
      var start = d.weeks[p.dataIndex];
      var end = d.weeks[p.dataIndex + 1];
      var query = "?intent=" + encodeURIComponent(s.key) + "&since=" + start;
      if (end) { query += "&until=" + end; }
      window.location.href = el.dataset.drill + query;
    });
    el.dataset.ready = "1";
    return chart;
  }
  function start() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d = data(el);
      if (!d) { return; }
      var chart = el.dataset.chart === "topics" ? topics(el, d) : weekly(el, d);
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
