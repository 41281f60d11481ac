// Relative times ("12 dk. önce") stay current while a page is open: every <time data-relative>
// the server rendered is rewritten each half minute, with the same rounding as Babel's.
import { pageLanguage, ui } from "./realtime.js";

const UNITS = [
  ["year", 365 * 86400],
  ["month", 30 * 86400],
  ["week", 7 * 86400],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];
const THRESHOLD = 0.85; // 52 minutes is "1 hour ago", 50 minutes still "50 min ago"

export function ago(date, now = Date.now()) {
  const seconds = (now - date.getTime()) / 1000;
  if (seconds < 60) return ui().justNow;
  const format = new Intl.RelativeTimeFormat(pageLanguage(), { style: "short", numberingSystem: "latn" });
  for (const [unit, size] of UNITS) {
    const value = seconds / size;
    if (value >= THRESHOLD) return format.format(-Math.max(1, Math.round(value)), unit);
  }
  return ui().justNow;
}

export function refreshTimes(root = document) {
  for (const element of root.querySelectorAll("time[data-relative]")) {
    const when = new Date(element.dateTime);
    if (!Number.isNaN(when.getTime())) element.textContent = ago(when);
  }
}

export function keepTimesCurrent() {
  refreshTimers();
  refreshClocks();
  setInterval(() => {
    refreshTimes();
    refreshTimers();
    refreshClocks();
  }, 15_000);
}

// Response-target timers (`.response-timer[data-due]`): "in 4 min" / "3 min ago" and their
// colour (ok, soon = the last quarter of the target, late) follow the clock.
export function until(date, now = Date.now()) {
  const seconds = (date.getTime() - now) / 1000;
  const format = new Intl.RelativeTimeFormat(pageLanguage(), { style: "short", numberingSystem: "latn" });
  for (const [unit, size] of UNITS) {
    const value = Math.abs(seconds) / size;
    if (value >= THRESHOLD || unit === "second") {
      return format.format(Math.sign(seconds || 1) * Math.max(1, Math.round(value)), unit);
    }
  }
  return "";
}

export function refreshTimers(root = document, now = Date.now()) {
  for (const element of root.querySelectorAll(".response-timer[data-due]")) {
    const due = new Date(element.dataset.due);
    if (Number.isNaN(due.getTime())) continue;
    const left = (due.getTime() - now) / 1000;
    const quarter = Number(element.dataset.minutes || 0) * 60 * 0.25;
    const state = left <= 0 ? "late" : left < quarter ? "soon" : "ok";
    element.classList.remove("ok", "soon", "late");
    element.classList.add(state);
    const text = element.querySelector(".timer-text");
    if (text) text.textContent = until(due, now);
  }
}

// The patient's local time (`.patient-clock[data-zone]`): the time there, in the page's
// language, and "good time to call" while it is 09:00–20:00 there.
export function refreshClocks(root = document, now = new Date()) {
  for (const element of root.querySelectorAll(".patient-clock[data-zone]")) {
    let text;
    let hour;
    try {
      const zone = element.dataset.zone;
      const shown = { timeZone: zone, timeStyle: "short", numberingSystem: "latn" };
      text = new Intl.DateTimeFormat(pageLanguage(), shown).format(now);
      const clock = { timeZone: zone, hour: "numeric", hourCycle: "h23", numberingSystem: "latn" };
      hour = Number(new Intl.DateTimeFormat("en", clock).format(now));
    } catch {
      continue; // a zone this browser does not know: keep what the server wrote
    }
    const good = hour >= 9 && hour < 20;
    element.classList.toggle("good", good);
    element.classList.toggle("late-there", !good);
    const time = element.querySelector(".clock-time");
    if (time) time.textContent = text;
    const hint = element.querySelector(".clock-hint");
    if (hint) hint.textContent = good ? ui().goodToCall : ui().notGoodToCall;
  }
}
