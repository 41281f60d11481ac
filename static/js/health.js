// Sync health: show "Sync now" progress live (fetched / created per form), as text.
import { connect, fill, formatNumber, ui } from "./realtime.js";

function onProgress(data) {
  const line = document.querySelector(`.sync-progress[data-config-id="${Number(data.config_id)}"]`);
  if (!line) return;
  const templates = { ok: ui().syncFinished, partial: ui().syncPartial, failed: ui().syncFailed };
  line.textContent = fill(templates[data.status] || ui().syncRunning, {
    form: String(data.form_id),
    fetched: formatNumber(Number(data.fetched)),
    created: formatNumber(Number(data.created)),
  });
}

connect({ sync_progress: onProgress });
