"""Socket.IO client managers that can disconnect every socket in a room, on every process.

python-socketio disconnects one socket by sid across processes, but the sids of a sign-in's
sockets held by other processes are not known here. So `disconnect_room` travels on the message
queue as a `close_room` message marked `disconnect`, and each process disconnects the members
of that room it holds (a process without this manager would only empty the room)."""

import socketio
from flask import Flask


class RoomDisconnects:
    """`disconnect_room(room)` for a client manager."""

    def disconnect_room(self, room: str, namespace: str = "/") -> None:
        self.disconnect_members(room, namespace)

    def disconnect_members(self, room: str, namespace: str) -> None:
        for sid, _ in list(self.get_participants(namespace, room)):
            self.server.disconnect(sid, namespace=namespace, ignore_queue=True)


class LocalManager(RoomDisconnects, socketio.Manager):
    """One process, no message queue."""


class RedisManager(RoomDisconnects, socketio.RedisManager):
    """Processes sharing Redis pub/sub: a room is disconnected wherever its sockets are."""

    def disconnect_room(self, room: str, namespace: str = "/") -> None:
        message = {
            "method": "close_room",
            "room": room,
            "namespace": namespace,
            "host_id": self.host_id,
            "disconnect": True,
        }
        self._handle_close_room(message)
        self._publish(message)

    def _handle_close_room(self, message: dict) -> None:
        if message.get("disconnect"):
            self.disconnect_members(message.get("room"), message.get("namespace") or "/")
        else:
            super()._handle_close_room(message)


def client_manager(app: Flask) -> socketio.Manager:
    """A new manager for this app's Socket.IO server: Redis pub/sub when REDIS_URL is set."""
    if not app.config["REDIS_URL"]:
        return LocalManager()
    return RedisManager(app.config["REDIS_URL"], channel=app.config["SOCKETIO_CHANNEL"])
