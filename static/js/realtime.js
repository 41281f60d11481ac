// One Socket.IO connection per page; handlers are a table of event name -> function.
// Lead data from the server is only ever put on the page as text (textContent) or as
// server-rendered, escaped HTML partials parsed with DOMParser.
// Words come from the server, translated (the #ui-strings JSON block); numbers are written
// by Intl in the page's language (<html lang>, data-locale), with the server's Latin digits.

let strings = null;

export function ui() {
  if (strings === null) {
    const block = document.getElementById("ui-strings");
    strings = block ? JSON.parse(block.textContent) : {};
  }
  return strings;
}

// The locale that writes numbers and times: <html data-locale> (en-GB for English), else lang.
export function pageLanguage() {
  const root = document.documentElement;
  return root.dataset.locale || root.lang || undefined;
}

// The brand colour (static/css/brand.css), for charts.
export function brandColour() {
  return getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#0b6e74";
}

export function formatNumber(value) {
  return new Intl.NumberFormat(pageLanguage(), { numberingSystem: "latn" }).format(value);
}

// forms: {plural category: text with {count}}, as ui_strings() builds them.
export function plural(forms, count) {
  const category = new Intl.PluralRules(pageLanguage()).select(count);
  return (forms[category] ?? forms.other).replace("{count}", formatNumber(count));
}

export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

export function connect(handlers, onConnect) {
  const badge = document.getElementById("live-status");
  const socket = window.io({ transports: ["websocket", "polling"] });
  // One connection a page: notices.js hears follow-ups falling due through this one.
  window.mldSocket = socket;
  // … and alerts.js hears new leads (the tab title, sound, desktop notifications).
  for (const name of ["task_due", "lead_created", "leads_assigned"]) {
    socket.on(name, (data) => window.dispatchEvent(new CustomEvent(`mld:${name}`, { detail: data })));
  }
  socket.on("connect", () => {
    if (badge) {
      badge.textContent = badge.dataset.connected;
      badge.className = "badge text-bg-success";
    }
    if (onConnect) onConnect(socket);
  });
  socket.on("disconnect", () => {
    if (badge) {
      badge.textContent = badge.dataset.disconnected;
      badge.className = "badge text-bg-secondary";
    }
  });
  // This sign-in ended (signed out here or elsewhere, password changed, deactivated): the
  // server disconnects this socket next. Reload a moment later, so the page follows its
  // cookie (the login page, or the re-issued sign-in), unless it is navigating away already.
  socket.on("session_ended", () => setTimeout(() => window.location.reload(), 1000));
  for (const [event, handler] of Object.entries(handlers)) socket.on(event, handler);
  return socket;
}

export async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

export async function fetchRow(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) return null;
  const html = await response.text();
  const doc = new DOMParser().parseFromString(`<table><tbody>${html}</tbody></table>`, "text/html");
  const row = doc.querySelector("tr[data-lead-id]");
  return row ? document.adoptNode(row) : null;
}
