// Draws every element with data-chart from the JSON block it names (json_script): no inline
// script, so the Content-Security-Policy stays strict. SVG renderer: crisp and printable.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var data = JSON.parse(document.getElementById(element.dataset.chart).textContent);
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: data.labels },
      series: [{ type: "bar", data: data.values, itemStyle: { color: "#c0282d" },
                 label: { show: true, position: "right" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
