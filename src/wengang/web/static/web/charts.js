// Draws every element with data-chart from the JSON block it names (json_script): no inline
// script, so the Content-Security-Policy stays strict. SVG renderer: crisp and printable.
// The block holds {labels, values} (one series) or {labels, series: [{name, values}, ...]}.
document.addEventListener("DOMContentLoaded", function () {
  var colours = ["#8c959f", "#c0282d", "#0b57d0"];
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var data = JSON.parse(document.getElementById(element.dataset.chart).textContent);
    var series = data.series || [{ name: "", values: data.values }];
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      grid: { left: 8, right: 16, top: data.series ? 32 : 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: data.series ? { top: 0 } : undefined,
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: data.labels },
      series: series.map(function (one, index) {
        return { type: "bar", name: one.name, data: one.values,
                 itemStyle: { color: colours[(index + (data.series ? 0 : 1)) % colours.length] },
                 label: { show: !data.series, position: "right" } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
