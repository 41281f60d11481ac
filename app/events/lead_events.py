"""Socket.IO handlers: who may connect and which rooms they join."""

from flask_login import current_user
from flask_socketio import join_room

from app.events import DASHBOARD_ROOM
from app.extensions import socketio


@socketio.on("connect")
def on_connect(auth=None):
    if not current_user.is_authenticated:
        return False
    join_room(f"user:{current_user.id}")
    if current_user.is_superadmin:
        join_room(DASHBOARD_ROOM)
    return True
