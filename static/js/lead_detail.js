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
  pill.className = `badge rounded-pill text-bg-${lead.score >= 70 ? "success" : lead.score >= 40 ? "warning" : "secondary"}`;
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
