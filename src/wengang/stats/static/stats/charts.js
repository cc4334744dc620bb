// Draws each [data-stats-chart] from the JSON block it names (json_script): no inline script, so
// the Content-Security-Policy stays strict. The block (stats/charts.py) holds
// {type: "bar"|"line"|"pie", labels, series: [{name, values, axis?, bar?}], axes?, stack?, vertical?}.
document.addEventListener("DOMContentLoaded", function () {
  var colours = ["#0b57d0", "#c0282d", "#8c959f", "#1a7f37", "#bf8700", "#8250df"];
  document.querySelectorAll("[data-stats-chart]").forEach(function (element) {
    var data = JSON.parse(document.getElementById(element.dataset.statsChart).textContent);
    var chart = echarts.init(element, null, { renderer: "svg" });
    var option;
    if (data.type === "pie") {
      option = {
        color: colours,
        tooltip: { trigger: "item", valueFormatter: function (v) { return (v * 100).toFixed(1) + "%"; } },
        legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"],
                   label: { formatter: function (p) { return p.name + "\n" + (p.value * 100).toFixed(1) + "%"; } },
                   data: data.labels.map(function (label, i) { return { name: label, value: data.series[0].values[i] }; }) }]
      };
    } else {
      var horizontal = data.type === "bar" && !data.vertical;
      var category = { type: "category", data: data.labels, inverse: horizontal };
      // Axis names only on vertical charts: at the end of a horizontal axis they are cut off
      // (the legend names the series). Counts never get fractional ticks.
      var axes = (data.axes || [""]).map(function (name) {
        return { type: "value", name: horizontal ? "" : name, minInterval: 1 };
      });
      option = {
        color: colours,
        grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        legend: { top: 0, type: "scroll" },
        xAxis: horizontal ? axes.map(function (axis, i) { return Object.assign(axis, { position: i ? "top" : "bottom" }); }) : category,
        yAxis: horizontal ? category : axes,
        series: data.series.map(function (one) {
          var series = { type: data.type === "line" && !one.bar ? "line" : "bar", name: one.name, data: one.values };
          if (one.axis) { series[horizontal ? "xAxisIndex" : "yAxisIndex"] = Math.min(one.axis, axes.length - 1); }
          if (data.stack) { series.stack = "total"; }
          if (series.type === "line") { series.smooth = true; }
          return series;
        })
      };
    }
    option.animation = false;  // drawn at once: printable, and nothing moves on old machines
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
