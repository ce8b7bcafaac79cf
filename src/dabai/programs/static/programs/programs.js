// The organiser's chart of survey scores and attendance over sessions (ECharts, vendored by insights).
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("[data-programme-chart]")) {
    const source = document.getElementById(el.dataset.source);
    if (!source || !window.echarts) continue;
    const data = JSON.parse(source.textContent);
    const chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["满意度", "NPS", "出席"] },
      xAxis: { type: "category", data: data.labels },
      yAxis: [{ type: "value", name: "1–5 / 人", min: 0 }, { type: "value", name: "NPS", min: -100, max: 100 }],
      series: [
        { name: "满意度", type: "line", data: data.rating, connectNulls: true },
        { name: "NPS", type: "line", yAxisIndex: 1, data: data.nps, connectNulls: true },
        { name: "出席", type: "bar", data: data.attended },
      ],
    });
  }
});
