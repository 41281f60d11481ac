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
  setInterval(() => refreshTimes(), 30_000);
}
