"""Socket.IO events queued in the DB session and emitted only after its commit."""

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.extensions import db, socketio

log = logging.getLogger(__name__)

DASHBOARD_ROOM = "dashboard"


def publish(event: str, data: dict[str, Any], *, to: str | list[str] | None = None) -> None:
    """Queue a Socket.IO event; it goes out only if the current transaction commits."""
    db.session.info.setdefault("outbox", []).append((event, data, to))


def pending() -> list[tuple[str, dict[str, Any], Any]]:
    """Events queued in the current session (for tests and diagnostics)."""
    return list(db.session.info.get("outbox", []))


@sa.event.listens_for(db.session, "after_commit")
def _send(session) -> None:
    outbox = session.info.pop("outbox", [])
    for event, data, to in outbox:
        try:
            socketio.emit(event, data, to=to)
        except Exception:  # a dead message queue must not undo a committed sync
            log.exception("could not emit %s", event)


@sa.event.listens_for(db.session, "after_soft_rollback")
def _drop(session, previous_transaction) -> None:
    session.info.pop("outbox", None)


def register(app: Flask) -> None:
    from app.events import lead_events  # noqa: F401  (registers @socketio.on handlers)
