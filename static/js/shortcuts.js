// Keyboard shortcuts on the dashboard and the lead page: `/` search, `j`/`k` next/previous,
// Enter open, `a` assign, `s` status, `l` log, `?` the list of them (#shortcuts-help, written
// by the server in the page's language). None of them fires while typing in a field.
import { openLead } from "./lead_list.js";

const help = document.getElementById("shortcuts-help");
const TYPING = "input, textarea, select, [contenteditable=''], [contenteditable=true]";
// The lead page's controls for a, s and l; the dashboard opens the lead at them (#assign…).
const TARGETS = { assign: "#user_id", status: "#status-select", log: "#interaction_type" };
const KEYS = { a: "assign", s: "status", l: "log" };

function items() {
  return [...document.querySelectorAll("#lead-rows [data-lead-id], .lead-card[data-lead-id]")].filter(
    (item) => item.offsetParent !== null,
  );
}

function currentItem() {
  return document.activeElement?.closest?.("[data-lead-id]") || null;
}

function move(step) {
  const list = items();
  if (!list.length) return;
  const index = list.indexOf(currentItem());
  const next = list[index < 0 ? 0 : Math.min(Math.max(index + step, 0), list.length - 1)];
  next.focus();
  next.scrollIntoView({ block: "nearest" });
}

export function focusTarget(name) {
  const control = document.querySelector(TARGETS[name] || "");
  if (!control) return false;
  control.scrollIntoView({ block: "center" });
  control.focus();
  return true;
}

// `/` on a phone: the search box sits in the closed off-canvas filter panel; open it first.
function focusSearch() {
  const search = document.getElementById("q");
  if (!search) return false;
  const panel = search.closest(".offcanvas-md");
  const hidden = getComputedStyle(search).visibility === "hidden" || !search.getClientRects().length;
  if (!hidden || !panel || !window.bootstrap) return search.focus();
  panel.addEventListener("shown.bs.offcanvas", () => search.focus(), { once: true });
  return window.bootstrap.Offcanvas.getOrCreateInstance(panel).show();
}

function onDashboard(event) {
  const item = currentItem();
  if (event.key === "/") return focusSearch();
  if (event.key === "j") return move(1);
  if (event.key === "k") return move(-1);
  if (event.key === "Enter" && item && event.target === item) return openLead(item);
  if (KEYS[event.key] && item) return openLead(item, { hash: `#${KEYS[event.key]}` });
  return false;
}

function onLeadPage(event) {
  const link = { j: "lead-next", k: "lead-prev" }[event.key];
  // Stepping through the list replaces this page in the history: Back returns to the list.
  const href = link && document.getElementById(link)?.href;
  if (href) return window.location.replace(href);
  if (link) return undefined;
  if (KEYS[event.key]) return focusTarget(KEYS[event.key]);
  return false;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (event.target.closest?.(TYPING) || help?.open) return;
  if (event.key === "?") {
    event.preventDefault();
    return help?.showModal();
  }
  const handled = document.getElementById("lead-header") ? onLeadPage(event) : onDashboard(event);
  if (handled !== false) event.preventDefault();
});

// The lead page opened from the dashboard with `a`, `s` or `l`: go to that control.
const wanted = window.location.hash.slice(1);
if (document.getElementById("lead-header") && TARGETS[wanted]) focusTarget(wanted);
document.getElementById("shortcuts-button")?.addEventListener("click", () => help?.showModal());
document.documentElement.dataset.shortcuts = "on";
