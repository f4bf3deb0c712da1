// The 30-day chart of the monitoring page (administrators); redrawn after live updates.
(function () {
  "use strict";
  let chart = null;
  // "2026-12-06" as the page's language writes a day: 06/12 in pt-BR ("12-06" read as
  // 12 June there), 12/06 in en-US. The string is the desk's calendar day: no zone.
  const dayFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    day: "2-digit", month: "2-digit", timeZone: "UTC",
  });
  function dayLabel(day) {
    return dayFormat.format(new Date(day + "T00:00:00Z"));
  }
  function draw() {
    const canvas = document.getElementById("daily-chart");
    const data = document.getElementById("daily-data");
    if (!canvas || !data || !window.Chart) return;
    const parsed = JSON.parse(data.textContent);
    if (chart) chart.destroy();
    chart = new Chart(canvas, {
      type: "bar",
      data: { labels: parsed.labels.map(dayLabel), datasets: [{ label: parsed.label, data: parsed.values, backgroundColor: "#0172ad" }] },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("console:updated", draw);
})();
