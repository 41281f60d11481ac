"""Large XLSX exports, built in the background into EXPORT_DIR and then offered for download
(`/facebook-leads/exports/<id>/download`); files older than a day are removed."""

import logging
import time
from pathlib import Path

from flask import current_app
from flask_babel import force_locale

from app import events
from app.database import writing
from app.extensions import db
from app.models import ExportAudit, User
from app.services import export_audit, exports
from app.services.lead_selection import Selection

log = logging.getLogger(__name__)
KEEP_SECONDS = 24 * 3600


def export_path(audit_id: int) -> Path:
    return Path(current_app.config["EXPORT_DIR"]) / f"export-{audit_id}.xlsx"


def build_xlsx(audit_id: int, selection: Selection, header: list[str], language: str) -> None:
    """Write the workbook of export *audit_id*, then mark it ready and tell its owner."""
    started = time.perf_counter()
    audit = db.session.get(ExportAudit, audit_id)
    user = db.session.get(User, audit.user_id) if audit else None
    if audit is None or user is None:
        return
    path = export_path(audit_id)
    tz = current_app.config["APP_TIMEZONE"]
    rows = exports.Counted(
        exports.iter_rows(user, selection, audit.columns, tz), exports.XLSX_MAX_ROWS
    )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        prune(path.parent)
        with force_locale(language or None):
            exports.write_xlsx(iter(rows), header, path)
        path.chmod(0o600)
        state = "ready"
    except Exception:  # a full disk, a bad EXPORT_DIR: the owner is told, not left waiting
        log.exception("export %s failed after %d rows", audit_id, rows.count)
        if path.is_file():
            path.unlink()
        state = "failed"
    db.session.rollback()
    with writing():
        export_audit.finish_export(audit_id, rows.count, state)
        events.publish("export_ready", {"id": audit_id, "state": state}, to=f"user:{user.id}")
        db.session.commit()
    log.info("export %s: %s, %d rows in %.1fs", audit_id, state, rows.count,
             time.perf_counter() - started)  # fmt: skip


def prune(folder: Path) -> None:
    """Remove built exports older than a day."""
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("export-*.xlsx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
