// The dashboard list: a click anywhere on a row (or card) opens the lead, except on what has an
// action of its own; filters apply as they change (debounced), with only the non-empty ones in
// the URL; the scroll position comes back with the list; columns can be shown or hidden
// (remembered per user in this browser).
const filters = document.getElementById("lead-filters");
const OWN_ACTION = "a, button, input, select, textarea, label, summary, details, .bulk-cell";
const SCROLL_KEY = "mld-list-scroll";
const FOCUS_KEY = "mld-filter-focus";

export function leadLink(item) {
  return item?.querySelector("a.lead-name")?.href || null;
}

export function openLead(item, { newTab = false, hash = "" } = {}) {
  const href = leadLink(item);
  if (!href) return;
  if (newTab) return window.open(href + hash, "_blank", "noopener");
  rememberScroll();
  window.location.assign(href + hash);
}

document.addEventListener("click", (event) => {
  const item = event.target.closest?.("[data-lead-id]");
  if (!item || event.target.closest(OWN_ACTION) || event.button !== 0) return;
  if (window.getSelection()?.toString()) return; // selecting text to copy it
  openLead(item, { newTab: event.ctrlKey || event.metaKey });
});

// --- the scroll position, for "back" from a lead --------------------------------------------

function rememberScroll() {
  sessionStorage.setItem(SCROLL_KEY, JSON.stringify({ url: location.href, y: window.scrollY }));
}

function restoreScroll() {
  const [entry] = performance.getEntriesByType("navigation");
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(SCROLL_KEY) || "null");
  } catch {
    return;
  }
  if (entry?.type === "back_forward" && saved?.url === location.href) window.scrollTo(0, saved.y);
}

if (filters) {
  // Only the list's own position is kept (a lead page importing this module leaves it alone).
  window.addEventListener("pagehide", rememberScroll);
  restoreScroll();
}

// --- filters as they change -------------------------------------------------------------------

export function filterUrl(form) {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    const text = String(value).trim();
    const byDefault = form.elements[key]?.dataset?.default; // e.g. sort=received: not said
    if (text !== "" && text !== byDefault) params.append(key, text);
  }
  const query = params.toString().replace(/%2C/g, ",");
  return location.pathname + (query ? `?${query}` : "");
}

function currentUrl() {
  const params = new URLSearchParams(location.search);
  params.delete("page");
  const query = params.toString().replace(/%2C/g, ",");
  return location.pathname + (query ? `?${query}` : "");
}

let timer = null;

function apply(delay) {
  clearTimeout(timer);
  timer = setTimeout(() => {
    if (!filters.checkValidity()) return; // a date or score still being typed
    const url = filterUrl(filters);
    if (url === currentUrl()) return;
    const field = document.activeElement;
    if (field && filters.contains(field) && field.id) {
      sessionStorage.setItem(FOCUS_KEY, field.id);
    }
    window.location.assign(url);
  }, delay);
}

function restoreFocus() {
  const id = sessionStorage.getItem(FOCUS_KEY);
  sessionStorage.removeItem(FOCUS_KEY);
  const field = id && document.getElementById(id);
  if (!field || !filters.contains(field)) return;
  field.focus();
  if (typeof field.setSelectionRange === "function" && /^(text|search)$/.test(field.type)) {
    field.setSelectionRange(field.value.length, field.value.length);
  }
}

if (filters) {
  filters.addEventListener("input", (event) => {
    if (event.target.matches("input[type=search], input[type=text], input[type=number]")) apply(600);
  });
  filters.addEventListener("change", (event) => {
    if (event.target.matches("select, input[type=checkbox]")) apply(250);
  });
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    apply(0);
  });
  restoreFocus();
}

// --- columns shown or hidden ------------------------------------------------------------------

const table = document.querySelector(".leads-table");
const columnsKey = `mld-columns:${document.body.dataset.userId || ""}`;

function hiddenColumns() {
  try {
    const stored = JSON.parse(localStorage.getItem(columnsKey) || "null");
    return Array.isArray(stored) ? stored : null;
  } catch {
    return null;
  }
}

function showColumns(hidden) {
  for (const box of document.querySelectorAll("input.column-toggle")) {
    const column = box.dataset.column;
    box.checked = !hidden.includes(column);
    table?.classList.toggle(`hide-${column}`, hidden.includes(column));
  }
}

const toggles = [...document.querySelectorAll("input.column-toggle")];
if (toggles.length) {
  const defaults = toggles.filter((box) => !box.defaultChecked).map((box) => box.dataset.column);
  showColumns(hiddenColumns() ?? defaults);
  for (const box of toggles) {
    box.addEventListener("change", () => {
      const hidden = toggles.filter((other) => !other.checked).map((other) => other.dataset.column);
      localStorage.setItem(columnsKey, JSON.stringify(hidden));
      showColumns(hidden);
    });
  }
}
