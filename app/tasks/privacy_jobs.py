"""Background work of the privacy features: writing the buffered access log."""

from app.extensions import db
from app.services.privacy import access_log, erasure, retention


def write_access_log() -> None:
    """Write the access rows buffered by requests (run_job commits)."""
    access_log.write_buffered()


def purge_retention() -> None:
    """The daily retention purge (commits; the WAL is checkpointed after it on SQLite)."""
    retention.purge(trigger="schedule")
    db.session.commit()
    erasure.after_commit()
