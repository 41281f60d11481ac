// Follow-ups falling due, on every signed-in page: the server's `task_due` (to this user's
// own room) shows a notice here and, when the user allowed it, a browser notification.
// Times with data-due turn red once they pass. Lead names are only ever set as text.
import { connect, fill, pageLanguage, ui } from "./realtime.js";

const box = document.getElementById("task-notices");

// The desk's one time zone (APP_TIMEZONE), not the browser's.
function clock(iso) {
  const options = { hour: "2-digit", minute: "2-digit", numberingSystem: "latn" };
  if (box?.dataset.timezone) options.timeZone = box.dataset.timezone;
  return new Intl.DateTimeFormat(pageLanguage(), options).format(new Date(iso));
}

function noticeText(data) {
  const kind = ui().taskKinds?.[data.kind] ?? data.kind;
  return fill(ui().taskDue, { kind, name: data.name || "#" + data.lead_id, time: clock(data.due_at) });
}

export function showTaskDue(data) {
  const url = `/facebook-leads/${Number(data.lead_id)}`;
  const text = noticeText(data);
  if (box && !box.querySelector(`[data-task-id="${Number(data.task_id)}"]`)) {
    const notice = document.createElement("div");
    notice.classList.add("alert", "alert-warning", "shadow", "d-flex", "align-items-center", "gap-2", "mb-2", "task-notice");
    notice.setAttribute("role", "alert");
    notice.dataset.taskId = String(Number(data.task_id));
    const words = document.createElement("span");
    words.className = "me-auto";
    words.textContent = text;
    const open = document.createElement("a");
    open.classList.add("btn", "btn-sm", "btn-warning");
    open.href = url;
    open.textContent = ui().openLead;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("aria-label", ui().close);
    close.addEventListener("click", () => notice.remove());
    notice.append(words, open, close);
    box.append(notice);
  }
  if ("Notification" in window && Notification.permission === "granted") {
    const notification = new Notification(text, { tag: `task-${data.task_id}` });
    notification.onclick = () => {
      window.focus();
      window.location.href = url;
    };
  }
  markOverdue();
}

// Times that passed turn red (the server drew them before they did).
export function markOverdue(root = document) {
  const now = Date.now();
  for (const element of root.querySelectorAll("[data-due]")) {
    if (element.dataset.overdue !== "true" && Date.parse(element.dataset.due) <= now) {
      element.dataset.overdue = "true";
      element.classList.remove("text-body-secondary");
      element.classList.add("text-danger", "fw-semibold");
    }
  }
}

function offerNotifications() {
  const button = document.getElementById("enable-reminders");
  if (!button || !("Notification" in window) || Notification.permission !== "default") return;
  button.classList.remove("d-none");
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    button.classList.add("d-none");
  });
}

window.addEventListener("mld:task_due", (event) => showTaskDue(event.detail));
// Pages with a live connection already hear task_due (realtime.js); others open one here,
// loading the Socket.IO client first when the page did not.
if (!window.mldSocket && box) {
  if (window.io) {
    connect({});
  } else {
    const script = document.createElement("script");
    script.src = box.dataset.socketio;
    script.addEventListener("load", () => window.mldSocket || connect({}));
    document.head.append(script);
  }
}
offerNotifications();
markOverdue();
setInterval(markOverdue, 30_000);
