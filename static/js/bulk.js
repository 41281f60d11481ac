// Selection and bulk actions on the dashboard: a checkbox per row, "select this page",
// "select all N matching" (the filter goes to the server, never the ids), a sticky bar with the
// actions, a confirmation for deleting, the result with Undo, and exports of what is selected.
// Words come from the #bulk-strings JSON block; numbers through Intl (realtime.js).
import { csrfToken, fill, formatNumber, plural } from "./realtime.js";

const root = document.getElementById("bulk");
const bar = document.getElementById("bulk-bar");
const rows = document.getElementById("lead-rows");
// "Select this page": the table's heading on a desktop, a box above the cards on a phone.
const pageBoxes = [...document.querySelectorAll("#select-page, #select-page-phone")];
const result = document.getElementById("bulk-result");
const words = JSON.parse(document.getElementById("bulk-strings")?.textContent || "{}");
const selected = new Set();
let allMatching = false;
let runningJob = null;

const total = () => Number(root.dataset.total);
const count = () => (allMatching ? total() : selected.size);
const checkboxes = () => (rows ? [...rows.querySelectorAll("input.lead-select")] : []);

function render() {
  const boxes = checkboxes();
  for (const box of boxes) {
    box.checked = allMatching || selected.has(Number(box.value));
    box.closest("tr").classList.toggle("table-active", box.checked);
  }
  const onPage = boxes.filter((box) => box.checked).length;
  for (const pageBox of pageBoxes) {
    pageBox.checked = boxes.length > 0 && onPage === boxes.length;
    pageBox.indeterminate = onPage > 0 && onPage < boxes.length;
  }
  bar.classList.toggle("d-none", count() === 0);
  document.getElementById("bulk-count").textContent = plural(words.selected, count());
  const all = document.getElementById("bulk-select-all");
  const offer = !allMatching && boxes.length > 0 && onPage === boxes.length && total() > boxes.length;
  all.classList.toggle("d-none", !offer && !allMatching);
  all.disabled = allMatching;
  all.textContent = plural(allMatching ? words.allSelected : words.selectAll, total());
  updateExportLinks();
}

export function keepSelection(row) {
  // A row replaced by a live update keeps its checkbox state.
  const box = row.querySelector("input.lead-select");
  if (box) box.checked = allMatching || selected.has(Number(box.value));
  row.classList.toggle("table-active", Boolean(box && box.checked));
}

function toggle(id, on) {
  allMatching = false;
  if (on) selected.add(id);
  else selected.delete(id);
  render();
}

function selection() {
  if (allMatching) return { filter: JSON.parse(root.dataset.filter) };
  return { ids: [...selected] };
}

function updateExportLinks() {
  const columns = [...document.querySelectorAll("input.export-column:checked")].map((b) => b.value);
  const bom = document.getElementById("export-bom")?.checked;
  const contactable = document.getElementById("export-contactable")?.checked;
  for (const link of document.querySelectorAll("a.export-link")) {
    const url = new URL(link.href, window.location.href);
    url.searchParams.delete("ids");
    if (!allMatching && selected.size > 0) url.searchParams.set("ids", [...selected].join(","));
    if (columns.length) url.searchParams.set("columns", columns.join(","));
    else url.searchParams.delete("columns");
    if (bom && link.dataset.format === "csv") url.searchParams.set("bom", "1");
    else url.searchParams.delete("bom");
    if (contactable) url.searchParams.set("contact", "ok");
    else if (url.searchParams.get("contact") === "ok") url.searchParams.delete("contact");
    link.href = url.pathname + url.search;
  }
  const scope = document.getElementById("export-scope");
  if (scope && !allMatching && selected.size > 0) scope.textContent = plural(words.selected, selected.size);
}

function show(text, kind, undoJob) {
  result.classList.remove("d-none", "alert-success", "alert-danger", "alert-info");
  result.classList.add(`alert-${kind}`);
  document.getElementById("bulk-result-text").textContent = text;
  const undo = document.getElementById("bulk-undo");
  undo.classList.toggle("d-none", !undoJob);
  undo.dataset.jobId = undoJob || "";
  document.getElementById("bulk-reload").classList.toggle("d-none", kind === "info");
}

function describe(body) {
  let text = fill(words.changed, { changed: formatNumber(body.changed), matched: formatNumber(body.matched) });
  const counts = Object.entries(body.skipped_counts || {});
  if (counts.length) {
    const skipped = counts.reduce((sum, [, n]) => sum + n, 0);
    const reasons = counts.map(([reason, n]) => `${words.reasons[reason] || reason}: ${formatNumber(n)}`);
    text += ` ${plural(words.skipped, skipped)} (${reasons.join(", ")}).`;
  }
  return text;
}

async function send(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  return { status: response.status, data };
}

async function run(body) {
  const { status, data } = await send(root.dataset.bulkUrl, { ...body, ...selection() });
  if (status === 400 && data.error?.code === "confirmation_required") return confirmDelete(body, data.error.message);
  if (status >= 400) return show(data.error?.message || words.failed, "danger");
  if (status === 202) {
    runningJob = data.job_id;
    return show(fill(words.running, { processed: 0, matched: formatNumber(data.matched) }), "info");
  }
  finished(data);
}

function finished(data) {
  runningJob = null;
  selected.clear();
  allMatching = false;
  render();
  show(describe(data), "success", data.changed ? data.job_id : null);
}

export async function onBulkProgress(progress) {
  if (!runningJob || Number(progress.job_id) !== runningJob) return;
  if (progress.state === "running") {
    const values = { processed: formatNumber(progress.processed), matched: formatNumber(progress.matched) };
    return show(fill(words.running, values), "info");
  }
  const response = await fetch(root.dataset.jobUrl.replace(/\/0$/, `/${runningJob}`), { credentials: "same-origin" });
  if (response.ok) finished(await response.json());
}

async function undo(event) {
  const jobId = event.currentTarget.dataset.jobId;
  const { status, data } = await send(root.dataset.undoUrl.replace(/\/0\/undo$/, `/${jobId}/undo`), {});
  if (status >= 400) return show(data.error?.message || words.failed, "danger");
  let text = fill(words.undone, { undone: formatNumber(data.undone ?? 0) });
  const kept = data.counts?.changed_since;
  if (kept) text += ` ${plural(words.notUndone, kept)}`;
  show(text, "success");
}

function confirmDelete(body, serverMessage) {
  const dialog = document.getElementById("bulk-confirm");
  const n = count();
  const typed = n > Number(root.dataset.confirmOver) || Boolean(serverMessage);
  document.getElementById("bulk-confirm-text").textContent = plural(words.confirmDelete, n);
  document.getElementById("bulk-confirm-typed").classList.toggle("d-none", !typed);
  const input = document.getElementById("bulk-confirm-input");
  input.value = "";
  document.getElementById("bulk-confirm-label").textContent = serverMessage || fill(words.typeCount, { count: n });
  dialog.returnValue = "";
  dialog.onclose = () => {
    if (dialog.returnValue !== "confirm") return;
    run({ ...body, confirm: typed ? input.value.trim() : String(n) });
  };
  dialog.showModal();
  if (typed) input.focus();
}

function bind() {
  rows?.addEventListener("change", (event) => {
    if (event.target.matches("input.lead-select")) toggle(Number(event.target.value), event.target.checked);
  });
  rows?.addEventListener("keydown", (event) => {
    const row = event.target.closest?.("tr[data-lead-id]");
    if (event.key !== " " || !row || event.target !== row) return;
    event.preventDefault();
    const box = row.querySelector("input.lead-select");
    toggle(Number(box.value), !box.checked);
  });
  for (const pageBox of pageBoxes) {
    pageBox.addEventListener("change", () => {
      allMatching = false;
      for (const box of checkboxes()) {
        if (pageBox.checked) selected.add(Number(box.value));
        else selected.delete(Number(box.value));
      }
      render();
    });
  }
  document.getElementById("bulk-select-all").addEventListener("click", () => {
    allMatching = true;
    render();
  });
  document.getElementById("bulk-clear").addEventListener("click", () => {
    allMatching = false;
    selected.clear();
    render();
  });
  for (const form of bar.querySelectorAll("form.bulk-form")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (form.dataset.action === "status") return run({ action: "status", status: form.elements.status.value });
      const option = form.elements.user_id.selectedOptions[0];
      if (option.value === "spread") return run({ action: "assign", user_ids: option.dataset.userIds.split(",").map(Number) });
      run({ action: "assign", user_id: option.value ? Number(option.value) : null });
    });
  }
  for (const button of bar.querySelectorAll("button.bulk-simple")) {
    button.addEventListener("click", () => (button.dataset.action === "delete" ? confirmDelete({ action: "delete" }) : run({ action: "restore" })));
  }
  document.getElementById("bulk-undo").addEventListener("click", undo);
  for (const box of document.querySelectorAll("input.export-column, #export-bom, #export-contactable")) box.addEventListener("change", updateExportLinks);
}

if (root && bar) {
  bind();
  render();
}
