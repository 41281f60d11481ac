// Analytics: charts from the #analytics-charts JSON block (numbers are also in the tables
// beside them), a sortable staff table, and a live refresh of the figures on `stats_updated`,
// at most every 10 s: the page's own HTML is fetched again and its body swapped in (escaped,
// server-rendered markup parsed with DOMParser).
import { brandColour, connect, pageLanguage } from "./realtime.js";

const REFRESH_MS = 10000;
const charts = [];
let lastRefresh = 0;
let pending = null;

function makeChart(id, config) {
  const canvas = document.getElementById(id);
  if (!canvas || !window.Chart) return;
  config.options = Object.assign(
    { locale: pageLanguage(), maintainAspectRatio: false, animation: false },
    config.options || {},
  );
  charts.push(new window.Chart(canvas, config));
}

function drawCharts() {
  while (charts.length) charts.pop().destroy();
  const source = document.getElementById("analytics-charts");
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const integer = { beginAtZero: true, ticks: { precision: 0 } };
  makeChart("funnel-chart", {
    type: "bar",
    data: { labels: data.funnel.labels, datasets: [{ label: data.funnel.label, data: data.funnel.values, backgroundColor: brandColour() }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: integer } },
  });
  makeChart("trend-chart", {
    type: "line",
    data: {
      labels: data.trend.labels,
      datasets: [
        { label: data.trend.names[0], data: data.trend.leads, borderColor: brandColour(), backgroundColor: brandColour(), tension: 0.2 },
        { label: data.trend.names[1], data: data.trend.average, borderColor: "#198754", borderDash: [6, 4], pointRadius: 0 },
        { label: data.trend.names[2], data: data.trend.previous, borderColor: "#adb5bd", pointRadius: 0 },
      ],
    },
    options: { scales: { y: integer } },
  });
  makeChart("weekly-chart", {
    type: "bar",
    data: { labels: data.weekly.labels, datasets: [{ label: data.weekly.label, data: data.weekly.values, backgroundColor: "#198754" }] },
    options: { plugins: { legend: { display: false } }, scales: { y: integer } },
  });
}

function sortTable(button) {
  const table = button.closest("table");
  const column = [...button.closest("tr").children].indexOf(button.closest("th"));
  const numeric = button.dataset.sort === "number";
  const descending = button.dataset.direction !== "desc";
  button.dataset.direction = descending ? "desc" : "asc";
  const body = table.tBodies[0];
  const value = (row) => row.children[column]?.dataset.value ?? "";
  const rows = [...body.rows].filter((row) => row.children.length > 1);
  rows.sort((a, b) => {
    const order = numeric ? Number(value(a)) - Number(value(b)) : value(a).localeCompare(value(b), pageLanguage());
    return descending ? -order : order;
  });
  for (const row of rows) body.appendChild(row);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-sort]");
  if (button) sortTable(button);
});

// Choosing dates means a custom range.
for (const id of ["date_from", "date_to"]) {
  document.getElementById(id)?.addEventListener("change", () => {
    const period = document.getElementById("period");
    if (period) period.value = "custom";
  });
}

async function refresh() {
  pending = null;
  lastRefresh = Date.now();
  const body = document.getElementById("analytics-body");
  if (!body) return;
  const response = await fetch(body.dataset.refreshUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = doc.getElementById("analytics-body");
  if (!fresh) return;
  body.replaceWith(document.adoptNode(fresh));
  drawCharts();
}

function scheduleRefresh() {
  if (pending) return;
  const wait = Math.max(0, lastRefresh + REFRESH_MS - Date.now());
  pending = setTimeout(refresh, wait);
}

drawCharts();
lastRefresh = Date.now();
if (window.io) connect({ stats_updated: scheduleRefresh, lead_created: scheduleRefresh });
