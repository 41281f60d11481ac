// Live dashboard: new leads appear at the top, changed rows are replaced, cards recount.
import { connect, fetchRow, formatNumber, getJSON, plural, ui } from "./realtime.js";
import { keepSelection, onBulkProgress } from "./bulk.js";
import { keepTimesCurrent } from "./times.js";

const rows = document.getElementById("lead-rows");
const banner = document.getElementById("new-leads-banner");
const PAGE_SIZE = 50;
let unseen = 0;

function rowUrl(id) {
  // The list's filter goes along, so the row's link opens the lead within this list.
  return rows ? rows.dataset.rowUrl.replace(/\/0\/row$/, `/${id}/row`) + window.location.search : null;
}

function flash(row) {
  row.classList.add("table-warning");
  setTimeout(() => row.classList.remove("table-warning"), 2500);
}

function announce() {
  unseen += 1;
  banner.querySelector("span").textContent = plural(ui().newLeads, unseen);
  banner.classList.remove("d-none");
}

// An empty list renders its table hidden beside the empty-state card: the first row shows it.
function showTable() {
  document.getElementById("lead-table")?.classList.remove("d-none");
  document.getElementById("lead-empty")?.classList.add("d-none");
}

async function onLeadCreated(data) {
  if (!rows || rows.dataset.liveInsert !== "true") return announce();
  if (rows.querySelector(`tr[data-lead-id="${Number(data.id)}"]`)) return;
  const row = await fetchRow(rowUrl(Number(data.id)));
  if (!row) return;
  rows.prepend(row);
  showTable();
  flash(row);
  while (rows.children.length > PAGE_SIZE) rows.lastElementChild.remove();
}

const me = Number(document.body.dataset.userId);
const isStaff = document.body.dataset.role === "staff";

async function onLeadUpdated(data) {
  if (!rows) return;
  const current = rows.querySelector(`tr[data-lead-id="${Number(data.id)}"]`);
  if (!current) {
    // A lead just given to this staff member: it belongs at the top of their list.
    if (isStaff && Number(data.assigned_to_id) === me) await onLeadCreated(data);
    return;
  }
  if (data.visible === false) return current.remove();
  const row = await fetchRow(rowUrl(Number(data.id)));
  if (row) {
    keepSelection(row);
    current.replaceWith(row);
    flash(row);
  } else {
    current.remove(); // no longer ours to see
  }
}

// The cards count under the page's filters (the same query as "N matching"). Filtered counts
// that the counters cannot answer cost a query each: refreshed at most every 10 s.
const cards = document.getElementById("stat-cards");
const STATS_EVERY_MS = 10_000;
let statsAt = 0;
let statsTimer = null;

function onStatsUpdated() {
  if (cards?.dataset.filtered !== "true") return refreshStats();
  if (statsTimer) return;
  statsTimer = setTimeout(() => {
    statsTimer = null;
    refreshStats();
  }, Math.max(0, statsAt + STATS_EVERY_MS - Date.now()));
}

async function refreshStats() {
  statsAt = Date.now();
  const stats = await getJSON(`/facebook-leads/api/stats${window.location.search}`);
  const capped = new Set(stats.capped || []);
  for (const [status, count] of Object.entries(stats.by_status)) {
    const cell = document.querySelector(`[data-stat="${status}"]`);
    if (cell) cell.textContent = formatNumber(count) + (capped.has(status) ? "+" : "");
  }
  const today = document.querySelector('[data-stat="today"]');
  if (today) today.textContent = formatNumber(stats.today);
  const total = document.getElementById("lead-total");
  if (total && total.dataset.live === "true") total.textContent = plural(ui().leadTotal, stats.total);
  const unassigned = document.getElementById("unassigned-badge");
  if (unassigned) unassigned.textContent = plural(ui().unassignedNew, stats.unassigned_new);
}

// A bulk action changed many leads at once: refresh the rows on this page (staff: and show
// leads just given to them, when the list takes live inserts).
async function onLeadsUpdated(data) {
  if (!rows) return;
  const ids = (data.ids || []).map(Number);
  const shown = ids.filter((id) => rows.querySelector(`tr[data-lead-id="${id}"]`));
  const fresh = isStaff && rows.dataset.liveInsert === "true" ? ids.filter((id) => !shown.includes(id)) : [];
  await Promise.all(shown.map((id) => onLeadUpdated({ id })));
  for (const id of fresh.slice(0, PAGE_SIZE)) await onLeadCreated({ id });
}

// A missed response target: the row comes back red (routing may also have moved the lead).
function onSlaBreached(data) {
  return onLeadUpdated({ id: data.id, assigned_to_id: data.assigned_to_id });
}

connect({
  lead_created: onLeadCreated,
  lead_updated: onLeadUpdated,
  leads_updated: onLeadsUpdated,
  stats_updated: onStatsUpdated,
  bulk_progress: onBulkProgress,
  sla_breached: onSlaBreached,
});
keepTimesCurrent();
