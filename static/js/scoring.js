// Score distribution chart; the data comes from a JSON script block rendered by the server.
import { brandColour } from "./realtime.js";

const source = document.getElementById("score-data");
const canvas = document.getElementById("score-chart");
if (source && canvas && window.Chart) {
  const data = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: [{ label: data.label, data: data.leads, backgroundColor: brandColour() }] },
    options: {
      locale: document.documentElement.dataset.locale || document.documentElement.lang || undefined,
      plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}
