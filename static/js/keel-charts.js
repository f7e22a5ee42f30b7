/* Keel's trend charts: each <canvas data-trend="ID"> draws the JSON in <script id="ID"> with Chart.js.
   The data comes from metrics.dashboards._trend: labels, values, department, target, unit, decimals. */
(function () {
  "use strict";
  /* Colours come from keel.css (--keel-chart-*), so the charts follow the light or dark scheme. */
  function colours() {
    const style = getComputedStyle(document.documentElement);
    const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    return {
      value: read("--keel-chart-value", "#1f4a73"), target: read("--keel-chart-target", "#1f7a6f"),
      other: read("--keel-chart-other", "#6b7587"), grid: read("--keel-chart-grid", "rgba(0,0,0,.1)"),
      text: read("--keel-chart-text", "#495057"),
    };
  }

  function format(value, data) {
    if (value === null || value === undefined) return "–";
    const text = Number(value).toLocaleString(undefined, {
      minimumFractionDigits: data.decimals, maximumFractionDigits: data.decimals,
    });
    return data.unit ? (data.unit === "%" ? text + "%" : text + " " + data.unit) : text;
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.trend);
    if (!source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const compact = canvas.dataset.compact === "true";
    const c = colours();
    const NAVY = c.value, TEAL = c.target, GREY = c.other;
    const existing = Chart.getChart(canvas);
    if (existing) existing.destroy();
    const datasets = [{
      label: canvas.dataset.label || "Value", data: data.values, borderColor: NAVY, backgroundColor: NAVY,
      tension: 0.3, spanGaps: true, pointRadius: compact ? 0 : 3, borderWidth: 2,
    }];
    if (data.department && data.department.length) {
      datasets.push({
        label: "Department", data: data.department, borderColor: GREY, backgroundColor: GREY,
        borderDash: [4, 3], tension: 0.3, spanGaps: true, pointRadius: 0, borderWidth: 1.5,
      });
    }
    if (data.target.some((t) => t !== null)) {
      datasets.push({
        label: "Target", data: data.target, borderColor: TEAL, backgroundColor: TEAL, stepped: true,
        pointRadius: 0, borderWidth: 1.5, borderDash: [2, 2],
      });
    }
    new Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: !compact, position: "bottom", labels: { boxWidth: 12, color: c.text } },
          tooltip: { callbacks: { label: (item) => item.dataset.label + ": " + format(item.raw, data) } },
        },
        scales: {
          x: { display: !compact, grid: { color: c.grid }, ticks: { color: c.text, maxRotation: 0, autoSkip: true, autoSkipPadding: 12,
                                            maxTicksLimit: window.innerWidth < 576 ? 4 : 6 } },
          // precision keeps ticks at the metric's decimals, so no two ticks print the same label
          y: { display: !compact, grid: { color: c.grid }, ticks: { color: c.text, precision: data.decimals, maxTicksLimit: 6,
                                            callback: (v) => format(v, data) } },
        },
      },
    });
  }

  function drawAll(root) {
    root.querySelectorAll("canvas[data-trend]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", () => drawAll(document));
  document.addEventListener("keel:theme", () => drawAll(document));
  document.body && document.body.addEventListener("htmx:afterSwap", (event) => drawAll(event.target));
})();
