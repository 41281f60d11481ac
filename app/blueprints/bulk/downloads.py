"""Export responses: CSV and JSON streamed as they are read, XLSX built into a temporary file
(in the background above XLSX_SYNC_LIMIT rows, then offered for download)."""

import io
import tempfile
from collections.abc import Iterator, Sequence

from flask import Response, current_app, send_file, stream_with_context
from flask_babel import get_locale
from flask_login import current_user

from app import tasks
from app.database import writing
from app.extensions import db
from app.models import ExportAudit
from app.services import export_audit, export_csv, exports
from app.services.lead_selection import Selection
from app.tasks import export_jobs

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def start(
    fmt: str, selection: Selection, columns: Sequence[str], state: str = "streaming"
) -> ExportAudit:
    """The audit row, committed before a byte is sent (a write-ready transaction)."""
    db.session.commit()  # end the request's read: SQLite takes the write lock up front
    with writing():
        audit = export_audit.record_export(
            current_user,
            fmt,
            selection,
            columns,
            secret=current_app.config["SECRET_KEY"],
            state=state,
        )
        audit.file_name = export_audit.file_name(fmt, audit.created_at, tz())
        db.session.commit()
    return audit


def finish(audit_id: int, rows: int, state: str) -> None:
    # End the export's read. Rolled back, not committed: it wrote nothing, and a PostgreSQL
    # COPY stopped early (the client went away) is cancelled, which aborts the transaction.
    db.session.rollback()
    with writing():
        export_audit.finish_export(audit_id, rows, state)
        db.session.commit()


def tz() -> str:
    return current_app.config["APP_TIMEZONE"]


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def streamed(fmt: str, selection: Selection, columns: Sequence[str], bom: bool) -> Response:
    """CSV or JSON, streamed a page of rows at a time: memory stays flat at any number of rows."""
    audit = start(fmt, selection, columns)
    audit_id, name = audit.id, audit.file_name
    header = exports.headers(columns)

    def body() -> Iterator[bytes]:
        counted = [0]
        if fmt == "json":
            rows = exports.Counted(
                exports.iter_rows(current_user, selection, columns, tz(), raw=True)
            )
            chunks = (text.encode() for text in exports.json_chunks(iter(rows), columns))
        else:
            yield exports.csv_header(header, bom=bom).encode()
            context = exports.context(tz())
            chunks = export_csv.csv_pages(current_user, selection, columns, context, counted)
        state = "cut"  # the download stopped early (the client went away)
        try:
            yield from chunks
            state = "done"
        finally:
            finish(audit_id, rows.count if fmt == "json" else counted[0], state)

    return Response(stream_with_context(body()), mimetype=MIMETYPES[fmt], headers=attachment(name))


def xlsx(selection: Selection, columns: Sequence[str]) -> Response | ExportAudit:
    """The workbook now (up to XLSX_SYNC_LIMIT rows), else the audit row of the one being
    built in the background."""
    total = exports.count_rows(current_user, selection, tz())
    background = total > current_app.config["XLSX_SYNC_LIMIT"]
    audit = start("xlsx", selection, columns, "building" if background else "streaming")
    header = exports.headers(columns)
    if background:
        audit_id, language = audit.id, str(get_locale() or "")
        tasks.submit("misc", export_jobs.build_xlsx, audit_id, selection, header, language)
        return audit
    rows = exports.Counted(
        exports.iter_rows(current_user, selection, columns, tz()), exports.XLSX_MAX_ROWS
    )
    with tempfile.TemporaryFile(suffix=".xlsx") as target:
        exports.write_xlsx(iter(rows), header, target)
        target.seek(0)
        workbook = io.BytesIO(target.read())  # at most XLSX_SYNC_LIMIT rows: a few MiB
    finish(audit.id, rows.count, "done")
    return send_file(
        workbook, mimetype=MIMETYPES["xlsx"], as_attachment=True, download_name=audit.file_name
    )
