/* Draws the charts of the reports pages with Apache ECharts (vendored, see echarts.LICENSE.txt).
   Each chart container names a <script type="application/json"> holding {option, urls}: the
   ECharts option built on the server and one registry link per category. Without JavaScript the
   containers stay hidden and the tables below them carry the same figures. */
(function () {
  "use strict";

  function draw() {
    if (!window.echarts) { return; }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      if (!spec.option || !spec.option.series || !spec.option.series.length) { return; }
      el.hidden = false;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(spec.option);
      chart.on("click", function (params) {
        var url = spec.urls && spec.urls[params.dataIndex];
        if (url) { window.location.href = url; }
      });
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
