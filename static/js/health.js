// Sync health: show "Sync now" progress live (fetched / created per form), as text.
import { connect } from "./realtime.js";

function onProgress(data) {
  const line = document.querySelector(`.sync-progress[data-config-id="${Number(data.config_id)}"]`);
  if (!line) return;
  const ended = { ok: "finished", partial: "finished with problems (see the runs)", failed: "failed" };
  const state = ended[data.status] || "running";
  line.textContent = `Form ${String(data.form_id)}: ${state}, ${Number(data.fetched)} fetched, ${Number(data.created)} new.`;
}

connect({ sync_progress: onProgress });
