"""Socket.IO handlers: who may connect, and which rooms they may join.

Superadmins join `dashboard`, everyone their own `user:<id>` and the `session:<id>` of their
sign-in (ending the sign-in disconnects that room); `join_lead` adds `lead:<id>` only for a
lead the user may see (the same `visible_leads` rule as the pages).

`register_handlers()` attaches them to the Socket.IO server of the app being created: every
`socketio.init_app` makes a new server, and a decorator run once at import time would only
reach the first one (a later app would then accept anonymous connections and join no rooms)."""

import logging

from flask_login import current_user
from flask_socketio import disconnect, join_room, leave_room

from app.events import DASHBOARD_ROOM, session_room
from app.extensions import db, socketio
from app.models.base import MAX_ID
from app.services import lead_service

log = logging.getLogger(__name__)


def on_connect(auth=None):
    if not current_user.is_authenticated:
        return False  # refused: no anonymous listeners
    join_room(f"user:{current_user.id}")
    join_room(session_room(current_user.session_id))
    if current_user.is_superadmin:
        join_room(DASHBOARD_ROOM)
    return True


def on_join_lead(data):
    if not current_user.is_authenticated:
        disconnect()
        return {"ok": False}
    lead_id = data.get("lead_id") if isinstance(data, dict) else None
    if not isinstance(lead_id, int) or isinstance(lead_id, bool):
        return {"ok": False, "error": "lead_id must be a number"}
    if not 0 < lead_id <= MAX_ID:
        return {"ok": False, "error": "not found"}
    try:
        allowed = lead_service.get_visible_lead(current_user, lead_id) is not None
    finally:
        db.session.remove()
    if not allowed:
        return {"ok": False, "error": "not found"}
    try:
        join_room(f"lead:{lead_id}")
    except ValueError:  # the socket closed while the lead was looked up (the page was left)
        return {"ok": False, "error": "disconnected"}
    return {"ok": True}


def on_leave_lead(data):
    lead_id = data.get("lead_id") if isinstance(data, dict) else None
    if isinstance(lead_id, int):
        leave_room(f"lead:{lead_id}")
    return {"ok": True}


HANDLERS = {"connect": on_connect, "join_lead": on_join_lead, "leave_lead": on_leave_lead}


def register_handlers() -> None:
    for event, handler in HANDLERS.items():
        socketio.on_event(event, handler)
