// Lead detail: listen to this lead's room; when someone else changes it, show the new
// status, score and assignee (as text) and offer a reload before anyone overwrites it.
import { connect, getJSON, ui } from "./realtime.js";
import { keepTimesCurrent } from "./times.js";

const header = document.getElementById("lead-header");
const leadId = Number(header.dataset.leadId);
let version = Number(header.dataset.version);

async function onLeadUpdated(data) {
  if (Number(data.id) !== leadId || data.visible === false) return;
  if (Number(data.version_id) <= version) return;
  version = Number(data.version_id);
  const lead = await getJSON(`/facebook-leads/api/leads/${leadId}`);
  const styles = JSON.parse(header.dataset.statusStyles);
  const badge = document.querySelector("#lead-status .badge");
  badge.textContent = ui().status[lead.status] ?? lead.status;
  badge.dataset.status = lead.status;
  badge.className = `badge text-bg-${styles[lead.status] || "secondary"}`;
  const pill = document.querySelector("#lead-score .badge");
  pill.textContent = String(lead.score);
  const tiers = JSON.parse(header.dataset.scoreTiers);
  const tier = lead.score >= tiers.hot ? "success" : lead.score >= tiers.warm ? "warning" : "secondary";
  pill.className = `badge rounded-pill text-bg-${tier}`;
  document.getElementById("lead-assignee").textContent = lead.assigned_to || ui().nobody;
  document.getElementById("stale-banner").classList.remove("d-none");
}

connect({ lead_updated: onLeadUpdated }, (socket) => socket.emit("join_lead", { lead_id: leadId }));
keepTimesCurrent();

// "When should we try again?": asked (required) after a callback or no-answer result; the
// time field is only for "at a time…".
const picks = document.getElementById("follow-up-picks");
if (picks) {
  const asksWhen = JSON.parse(picks.dataset.asksWhen);
  const result = document.getElementById("result");
  const pick = document.getElementById("follow_up");
  const at = document.getElementById("follow_up_at");
  const update = () => {
    const asked = asksWhen.includes(result.value);
    pick.required = asked;
    picks.classList.toggle("border-start", asked);
    picks.classList.toggle("border-warning", asked);
    at.hidden = pick.value !== "at";
    at.required = pick.value === "at";
  };
  result.addEventListener("change", update);
  pick.addEventListener("change", update);
  update();
}

// Coming back from a call, WhatsApp or an email offers "log it": the contact type is
// remembered for this tab when its button is used, and asked about when the page is seen again.
const logIt = document.getElementById("log-it");
const pendingKey = `mld-contact:${leadId}`;
const PENDING_MS = 4 * 3600 * 1000;

function pendingContact() {
  try {
    const pending = JSON.parse(sessionStorage.getItem(pendingKey) || "null");
    return pending && Date.now() - pending.at < PENDING_MS ? pending : null;
  } catch {
    return null;
  }
}

function offerLogIt() {
  const pending = pendingContact();
  if (!pending || !logIt.dataset[pending.type]) return;
  document.getElementById("log-it-text").textContent = logIt.dataset[pending.type];
  logIt.classList.remove("d-none");
}

function closeLogIt() {
  sessionStorage.removeItem(pendingKey);
  logIt.classList.add("d-none");
}

if (logIt) {
  const contacts = "#contact-buttons [data-contact], #action-bar [data-contact]:not([data-contact=log])";
  for (const button of document.querySelectorAll(contacts)) {
    button.addEventListener("click", () => {
      sessionStorage.setItem(pendingKey, JSON.stringify({ type: button.dataset.contact, at: Date.now() }));
      setTimeout(offerLogIt, 1500); // a desktop without a phone app never leaves the page
    });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") offerLogIt();
  });
  window.addEventListener("focus", offerLogIt);
  document.getElementById("log-it-yes").addEventListener("click", () => {
    const pending = pendingContact();
    closeLogIt();
    if (!pending) return;
    document.getElementById("interaction_type").value = pending.type;
    document.getElementById("work").scrollIntoView({ behavior: "smooth", block: "start" });
    document.getElementById("result").focus();
  });
  document.getElementById("log-it-no").addEventListener("click", closeLogIt);
  offerLogIt();
}
// The phone's bottom bar: "log" goes to the notes of the one-step form, ready to type.
document.querySelector("#action-bar [data-contact=log]")?.addEventListener("click", (event) => {
  const notes = document.getElementById("description");
  if (!notes) return;
  event.preventDefault();
  notes.scrollIntoView({ block: "center" });
  notes.focus({ preventScroll: true });
});
// A logged contact answers the question: the form's submit clears it.
document.getElementById("interaction-form")?.addEventListener("submit", () => {
  sessionStorage.removeItem(pendingKey);
});
