"""Bulk actions over a selection of leads, their undo, and exports (CSV, JSON, XLSX)."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import tasks
from app.blueprints.access import log_access
from app.blueprints.bulk import downloads, labels, payload
from app.errors import DomainError
from app.extensions import db, limiter
from app.models import AccessAction, BulkJob, ExportAudit
from app.security import superadmin_required
from app.services import bulk, bulk_undo, export_audit, exports, lead_selection
from app.tasks import bulk_jobs, export_jobs

bp = Blueprint("bulk", __name__, url_prefix="/facebook-leads")
bp.add_app_template_global(labels.ui_strings, "bulk_ui_strings")
bp.add_app_template_global(lambda: exports.COLUMNS, "export_columns")
bp.add_app_template_global(lambda: exports.DEFAULT_COLUMNS, "export_default_columns")


def rate_key() -> str:
    """Per user when signed in, per address otherwise (DESIGN: Wave 2 decisions, Limits)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return request.remote_addr or "unknown"


# 100 bulk operations an hour: actions, undos and exports share one budget.
limited = limiter.shared_limit(
    lambda: current_app.config["BULK_RATE_LIMIT"], scope="bulk", key_func=rate_key
)


@bp.get("/export.csv")
@login_required
@limited
def export_csv():
    return export("csv")


@bp.get("/export.json")
@login_required
@limited
def export_json():
    return export("json")


@bp.get("/export.xlsx")
@login_required
@limited
def export_xlsx():
    return export("xlsx")


def export(fmt: str):
    selection = lead_selection.from_request(request.args, ids=request.args.get("ids"))
    columns = exports.parse_columns(request.args.get("columns"))
    log_access(AccessAction.EXPORT, detail={"format": fmt, "columns": len(columns)})
    if fmt != "xlsx":
        return downloads.streamed(fmt, selection, columns, bom=request.args.get("bom") == "1")
    built = downloads.xlsx(selection, columns)
    if isinstance(built, ExportAudit):
        return render_template("bulk/export_building.html", audit=built), 202
    return built


@bp.get("/exports/<int:export_id>/download")
@login_required
def download(export_id: int):
    audit = db.session.get(ExportAudit, export_id)
    if audit is None or audit.user_id != current_user.id or audit.format != "xlsx":
        abort(404)
    path = export_jobs.export_path(audit.id)
    if audit.state == "failed":
        return render_template("bulk/export_building.html", audit=audit), 500
    if audit.state != "ready" or not path.exists():
        return render_template("bulk/export_building.html", audit=audit), 202
    return send_file(
        path,
        mimetype=downloads.MIMETYPES["xlsx"],
        as_attachment=True,
        download_name=audit.file_name,
    )


@bp.get("/exports")
@superadmin_required
def exports_log():
    return render_template(
        "bulk/exports.html", audits=export_audit.list_exports(), states=export_audit.STATE_LABELS
    )


def job_or_404(job_id: int) -> BulkJob:
    try:
        return bulk_undo.get_job(current_user, job_id)
    except DomainError:
        abort(404)


@bp.post("/bulk")
@login_required
@limited
def apply():
    body = payload.read_body()
    selection = payload.selection_of(body)
    tz, sync_limit = current_app.config["APP_TIMEZONE"], current_app.config["BULK_SYNC_LIMIT"]
    job = bulk.prepare_job(current_user, body.get("action"), selection, params=body, tz=tz)
    job.selection = selection.stored(current_app.config["SECRET_KEY"], every_id=True)
    db.session.commit()
    if job.matched > sync_limit:
        tasks.submit("bulk", bulk_jobs.run_job, job.id, selection)
        return jsonify({"job_id": job.id, "matched": job.matched}), 202
    bulk_jobs.run_job(job.id, selection)
    return jsonify(bulk.result(db.session.get(BulkJob, job.id)))


@bp.get("/bulk/<int:job_id>")
@login_required
def job(job_id: int):
    found = job_or_404(job_id)
    return jsonify(bulk.result(found) | {"processed": found.processed})


@bp.post("/bulk/<int:job_id>/undo")
@login_required
@limited
def undo(job_id: int):
    found = job_or_404(job_id)
    bulk_undo.check_undoable(found)
    db.session.commit()
    if found.changed > current_app.config["BULK_SYNC_LIMIT"]:
        tasks.submit("bulk", bulk_jobs.run_undo, job_id, current_user.id)
        return jsonify({"job_id": job_id, "state": "undoing"}), 202
    bulk_jobs.run_undo(job_id, current_user.id)
    summary = bulk_undo.undo_summary(db.session.get(BulkJob, job_id))
    if request.is_json:
        return jsonify(summary)
    flash(_("Bulk action #%(id)s undone.", id=job_id), "success")
    return redirect(url_for(".jobs"), 303)


@bp.get("/bulk/jobs")
@login_required
def jobs():
    bulk_undo.mark_interrupted()
    db.session.commit()
    return render_template("bulk/jobs.html", jobs=bulk_undo.list_jobs(current_user), labels=labels)
