"""Socket.IO events, queued in the DB session and sent only after its commit; and the nudge
that wakes the mail sender after a commit that queued mail (the mails themselves are rows of
`mail_outbox`, written in the same transaction)."""

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from app.extensions import db, socketio

log = logging.getLogger(__name__)

DASHBOARD_ROOM = "dashboard"
OUTBOXES = ("outbox",)
CLOSE_ROOM = "close_room"  # an outbox entry that empties a room instead of emitting
DISCONNECT_ROOM = "disconnect_room"  # … that disconnects every socket in a room


def publish(event: str, data: dict[str, Any], *, to: str | list[str] | None = None) -> None:
    """Queue a Socket.IO event; it goes out only if the current transaction commits."""
    db.session.info.setdefault("outbox", []).append((event, data, to))


def close_room(room: str) -> None:
    """Queue emptying *room* (after commit), for when its members lost the right to hear it."""
    db.session.info.setdefault("outbox", []).append((CLOSE_ROOM, {}, room))


def disconnect_room(room: str) -> None:
    """Queue disconnecting every socket in *room*, on every process (after commit)."""
    db.session.info.setdefault("outbox", []).append((DISCONNECT_ROOM, {}, room))


def session_room(session_id: int) -> str:
    """The room of the sockets opened under one sign-in (`user_sessions` row)."""
    return f"session:{session_id}"


def mail_queued() -> None:
    """Note that this transaction queued mail: its commit wakes the mail sender."""
    db.session.info["mail_queued"] = True


def pending() -> list[tuple[str, dict[str, Any], Any]]:
    """Events queued in the current session (for tests and diagnostics)."""
    return list(db.session.info.get("outbox", []))


@sa.event.listens_for(db.session, "after_transaction_create")
def _mark(session, transaction) -> None:
    if transaction.nested:  # a savepoint: remember where its queued items start
        marks = session.info.setdefault("outbox_marks", {})
        marks[transaction] = {box: len(session.info.get(box, [])) for box in OUTBOXES}


@sa.event.listens_for(db.session, "after_commit")
def _send(session) -> None:
    if session.in_nested_transaction():
        return  # only a savepoint was released: the real commit is still to come
    session.info.pop("outbox_marks", None)
    if session.info.pop("mail_queued", False) and has_app_context():
        wake = current_app.extensions.get("mail_sender")
        if wake is not None:
            wake()  # hands the sending to the runner's mail thread: never waits for SMTP
    outbox = session.info.pop("outbox", [])
    for event, data, to in outbox:
        try:
            if event == CLOSE_ROOM:
                socketio.close_room(to)
            elif event == DISCONNECT_ROOM:
                socketio.server.manager.disconnect_room(to, "/")
            else:
                socketio.emit(event, data, to=to)
        except Exception:  # a dead message queue must not undo a committed sync
            log.exception("could not emit %s", event)


@sa.event.listens_for(db.session, "after_soft_rollback")
def _drop(session, previous_transaction) -> None:
    if previous_transaction.nested:  # drop only what was queued inside the savepoint
        marks = session.info.get("outbox_marks", {}).pop(previous_transaction, {})
        for box, mark in marks.items():
            del session.info.get(box, [])[mark:]
        return
    session.info.pop("outbox_marks", None)
    session.info.pop("outbox", None)
    session.info.pop("mail_queued", None)


def register(app: Flask) -> None:
    from app.events import lead_events

    lead_events.register_handlers()  # on this app's Socket.IO server (call after init_app)
