/* Keel's goal pages: the progress chart of a goal (Chart.js, from goals.progress.history via json_script),
   and "Expand all" / "Collapse all" on the cascade. */
(function () {
  "use strict";
  const NAVY = "#1f4a73", TEAL = "#2a9d8f", GREY = "#8a94a6", AMBER = "#d08a00";

  function percent(value) {
    return value === null || value === undefined ? "–" : Math.round(value) + "%";
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.goalChart);
    if (!source || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const datasets = [
      { label: "Progress", data: data.progress, borderColor: NAVY, backgroundColor: NAVY, tension: 0.25,
        spanGaps: true, pointRadius: 2, borderWidth: 2 },
      { label: "Time gone", data: data.expected, borderColor: GREY, backgroundColor: GREY, borderDash: [4, 3],
        pointRadius: 0, borderWidth: 1.5 },
    ];
    if (data.forecast.some((v) => v !== null)) {
      datasets.push({ label: "Forecast", data: data.forecast, borderColor: TEAL, backgroundColor: TEAL,
        borderDash: [2, 3], pointRadius: 0, borderWidth: 2, spanGaps: true });
    }
    if (data.checkIns.some((v) => v !== null)) {
      datasets.push({ label: "Check-ins", data: data.checkIns, borderColor: AMBER, backgroundColor: AMBER,
        showLine: false, pointRadius: 5, pointStyle: "rectRot" });
    }
    new Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: { callbacks: { label: (item) => item.dataset.label + ": " + percent(item.raw) } },
        },
        scales: {
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } },
        },
      },
    });
  }

  function tree(button) {
    const open = button.dataset.tree === "open";
    document.querySelectorAll(".keel-goal-tree details").forEach((node) => { node.open = open; });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("canvas[data-goal-chart]").forEach(draw);
    document.querySelectorAll("button[data-tree]").forEach((button) => {
      button.addEventListener("click", () => tree(button));
    });
  });
})();
