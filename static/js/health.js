// Sync health: show "Sync now" progress live (fetched / created per form), as text.
import { connect, fill, formatNumber, ui } from "./realtime.js";

function onProgress(data) {
  const line = document.querySelector(`.sync-progress[data-config-id="${Number(data.config_id)}"]`);
  if (!line) return;
  const template = data.status === "ok" ? ui().syncFinished : ui().syncRunning;
  line.textContent = fill(template, {
    form: String(data.form_id),
    fetched: formatNumber(Number(data.fetched)),
    created: formatNumber(Number(data.created)),
  });
}

connect({ sync_progress: onProgress });
