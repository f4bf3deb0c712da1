// The 30-day chart of the monitoring page (administrators); redrawn after live updates.
(function () {
  "use strict";
  let chart = null;
  function draw() {
    const canvas = document.getElementById("daily-chart");
    const data = document.getElementById("daily-data");
    if (!canvas || !data || !window.Chart) return;
    const parsed = JSON.parse(data.textContent);
    if (chart) chart.destroy();
    chart = new Chart(canvas, {
      type: "bar",
      data: { labels: parsed.labels.map((d) => d.slice(5)), datasets: [{ label: parsed.label, data: parsed.values, backgroundColor: "#0172ad" }] },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("console:updated", draw);
})();
