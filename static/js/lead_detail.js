// Lead detail: listen to this lead's room; when someone else changes it, show the new
// status, score and assignee (as text) and offer a reload before anyone overwrites it.
import { connect, getJSON } from "./realtime.js";

const header = document.getElementById("lead-header");
const leadId = Number(header.dataset.leadId);
let version = Number(header.dataset.version);

async function onLeadUpdated(data) {
  if (Number(data.id) !== leadId || data.visible === false) return;
  if (Number(data.version_id) <= version) return;
  version = Number(data.version_id);
  const lead = await getJSON(`/facebook-leads/api/leads/${leadId}`);
  document.querySelector("#lead-status .badge").textContent = lead.status;
  document.querySelector("#lead-score .badge").textContent = String(lead.score);
  document.getElementById("lead-assignee").textContent = lead.assigned_to || "nobody";
  document.getElementById("stale-banner").classList.remove("d-none");
}

connect({ lead_updated: onLeadUpdated }, (socket) => socket.emit("join_lead", { lead_id: leadId }));
