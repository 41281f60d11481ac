from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import tasks
from app.blueprints.auth.forms import ConfirmForm
from app.blueprints.scoring.forms import ScoringRulesForm
from app.errors import DomainError
from app.extensions import db
from app.security import superadmin_required
from app.services import scoring_fields, scoring_report, scoring_rescore, scoring_rules
from app.tasks import scoring_jobs

bp = Blueprint("scoring", __name__, url_prefix="/facebook-leads")


@bp.get("/scoring-dashboard")
@superadmin_required
def dashboard():
    report = scoring_report.scoring_report(current_user)
    return render_template("scoring/dashboard.html", report=report)


@bp.route("/scoring-rules", methods=["GET", "POST"])
@superadmin_required
def rules():
    form = ScoringRulesForm()
    if not form.validate_on_submit():
        return rules_page(form)
    try:
        rules = scoring_fields.parse_rules(request.form)
        saved = scoring_rules.save_rules(rules, user=current_user, note=form.note.data or "")
    except scoring_fields.InvalidRulesError as error:
        return rules_page(form, errors=error.errors, message=str(error))
    except DomainError as error:
        return rules_page(form, message=str(error))
    db.session.commit()
    flash(
        _("Version %(version)s saved: new leads are scored with it.", version=saved.id), "success"
    )
    return redirect(url_for(".rules"), 303)


def rules_page(form: ScoringRulesForm, errors: dict | None = None, message: str | None = None):
    """The editor with the rules in force, or what was just submitted and why it was refused."""
    posted = request.method == "POST"
    current = scoring_fields.flat_values(scoring_rules.current_rules())
    return render_template(
        "scoring/rules.html",
        form=form,
        sections=scoring_fields.sections(),
        values=request.form if posted else current,
        errors=errors or {},
        refusal=message,  # not `message`: base.html calls the global message()
        versions=scoring_rules.list_versions(),
        **rescore_status(),
    )


@bp.post("/scoring-rules/rescore")
@superadmin_required
def rescore():
    if ConfirmForm().validate_on_submit():
        try:
            run = scoring_rescore.request_rescore(current_user)
        except DomainError as error:
            flash(str(error), "warning")
        else:
            db.session.commit()
            tasks.submit("bulk", scoring_jobs.rescore_now, run.id)
            flash(_("Rescoring every stored lead in the background."), "info")
    return redirect(url_for(".rules"), 303)


@bp.get("/scoring-rules/rescore-status")
@superadmin_required
def rescore_status_card():
    return render_template("scoring/_rescore.html", **rescore_status())


def rescore_status() -> dict:
    """What the "Rescore now" card shows: the run under way, the last runs, the tiers now."""
    return {
        "live_rescore": scoring_rescore.live_rescore(),
        "rescores": scoring_rescore.list_rescores(),
        "tiers_now": scoring_rescore.tier_counts(scoring_rules.current_rules()),
        "rescore_form": ConfirmForm(),
    }
