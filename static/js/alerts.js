// In-browser alerts of new leads, on every signed-in page of a user who kept "notifications in
// this browser" on (/account): the tab title counts the new leads that came while the page
// was not looked at ("(3) Leads · …"), an optional sound (this browser's choice), and a
// desktop notification when the user allowed them (asked only from a button on /account).
// What arrives is already filtered by the server: superadmins hear every `lead_created`
// (the dashboard room), staff only leads routed or assigned to them (their own room). The
// payloads carry ids, no names, so a notification on a locked screen shows no patient.
import { fill, formatNumber, plural, ui } from "./realtime.js";

const body = document.body;
const me = Number(body.dataset.userId);
const enabled = body.dataset.browserAlerts === "1";
const superadmin = body.dataset.role === "superadmin";
const SOUND_KEY = "mld.alertSound";
const baseTitle = document.title;
const unseen = new Set();
const heard = new Set(); // "kind:id": a lead announced twice (created, then assigned) alerts once
let pending = { assigned: new Set(), unassigned: new Set() };
let timer = null;

function lookedAt() {
  return document.visibilityState === "visible" && document.hasFocus();
}

function showCount() {
  document.title = unseen.size
    ? fill(ui().titleCount, { count: formatNumber(unseen.size), title: baseTitle })
    : baseTitle;
}

function seen() {
  if (!lookedAt() || !unseen.size) return;
  unseen.clear();
  showCount();
}

export function soundOn() {
  try {
    return localStorage.getItem(SOUND_KEY) === "1";
  } catch {
    return false; // storage refused (private mode): no sound
  }
}

let audio = null;
function beep() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  audio = audio || new Context();
  if (audio.state === "suspended") audio.resume().catch(() => {}); // plays once the page had a gesture
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.15, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.4);
}

function notifyNow() {
  timer = null;
  const { assigned, unassigned } = pending;
  pending = { assigned: new Set(), unassigned: new Set() };
  if (soundOn()) beep();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  for (const [ids, forms, single, tag] of [
    [assigned, ui().alertAssigned, ui().alertAssignedOne, "mld-leads-mine"],
    [unassigned, ui().alertUnassigned, ui().alertUnassignedOne, "mld-leads-new"],
  ]) {
    if (!ids.size) continue;
    const first = [...ids][0];
    const title = ids.size === 1 ? single : plural(forms, ids.size);
    const url = ids.size === 1 ? `/facebook-leads/${Number(first)}` : "/facebook-leads/";
    const notification = new Notification(title, {
      body: ids.size === 1 ? fill(ui().alertLead, { id: String(Number(first)) }) : "",
      tag,
    });
    notification.onclick = () => {
      window.focus();
      window.location.href = url;
    };
  }
}

// kind: "mine" (assigned to me), "unassigned" (a superadmin's to notify) or null (a new lead
// a superadmin sees routed to someone else: counted in the title, not notified).
function arrived(ids, kind) {
  const fresh = ids.filter((id) => Number.isInteger(id) && !heard.has(`${kind}:${id}`));
  if (!fresh.length) return;
  for (const id of fresh) heard.add(`${kind}:${id}`);
  if (!lookedAt()) {
    for (const id of fresh) unseen.add(id);
    showCount();
  }
  if (!kind) return;
  for (const id of fresh) (kind === "mine" ? pending.assigned : pending.unassigned).add(id);
  // A burst (a sync of many leads) makes one notification, not one a lead.
  if (timer === null) timer = setTimeout(notifyNow, 800);
}

function onLeadCreated(data) {
  if (!data || data.quiet) return;
  if (data.assigned_to_id === me) arrived([data.id], "mine");
  else if (superadmin) arrived([data.id], data.assigned_to_id == null ? "unassigned" : null);
}

function onLeadsAssigned(data) {
  if (data && Array.isArray(data.ids)) arrived(data.ids, "mine");
}

// /account: the permission button (a user gesture, never on page load) and the sound choice.
function offerControls() {
  const box = document.getElementById("browser-alerts");
  if (!box) return;
  const button = box.querySelector("#allow-notifications");
  const state = box.querySelector("#notification-state");
  const show = () => {
    const permission = "Notification" in window ? Notification.permission : "unsupported";
    state.textContent = ui().notificationState[permission] ?? permission;
    button.classList.toggle("d-none", permission !== "default");
  };
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    show();
  });
  const sound = box.querySelector("#alert-sound");
  sound.checked = soundOn();
  sound.addEventListener("change", () => {
    try {
      localStorage.setItem(SOUND_KEY, sound.checked ? "1" : "0");
    } catch {
      sound.checked = false;
    }
    if (sound.checked) beep(); // a sample, and it unlocks audio (this is a gesture)
  });
  show();
}

offerControls();
if (enabled) {
  window.addEventListener("mld:lead_created", (event) => onLeadCreated(event.detail));
  window.addEventListener("mld:leads_assigned", (event) => onLeadsAssigned(event.detail));
  document.addEventListener("visibilitychange", seen);
  window.addEventListener("focus", seen);
}
