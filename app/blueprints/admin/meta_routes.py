"""Admin: Meta connections, form discovery, connection tests, sync health."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app import messages, tasks
from app.blueprints.admin import bp
from app.blueprints.admin.meta_forms import ConfigForm, FormSelectionForm
from app.blueprints.auth.forms import ConfirmForm
from app.blueprints.leads.forms import choices
from app.errors import DomainError
from app.extensions import db
from app.meta.client import GraphError
from app.services import (
    accounts,
    backups,
    lead_quarantine,
    mail_outbox,
    meta_checks,
    meta_configs,
    meta_health,
    meta_webhooks,
)
from app.services.meta_errors import describe
from app.services.privacy import retention
from app.tasks import sync_jobs, webhook_jobs


def config_or_404(config_id: int):
    return meta_configs.get_config(config_id) or abort(404)


def config_form(config=None) -> ConfigForm:
    form = ConfigForm(obj=config)
    form.distributor_id.choices = distributor_choices()
    if config is not None and request.method == "GET":
        form.interval.data, form.graph_version.data = (
            config.fetch_interval_minutes,
            config.graph_api_version,
        )
    return form


def distributor_choices():
    return choices((d.id, d.name) for d in accounts.list_distributors() if d.is_active)


@bp.get("/configs")
def configs():
    items = meta_configs.list_configs()
    masks = {c.id: meta_configs.masked_token(c) for c in items}
    return render_template("admin/configs.html", configs=items, masks=masks, confirm=ConfirmForm())


@bp.route("/configs/new", methods=["GET", "POST"])
def create_config():
    form = config_form()
    if form.validate_on_submit():
        try:
            config = meta_configs.add_config(
                accounts.get_distributor(form.distributor_id.data),
                page_id=form.page_id.data,
                form_ids=[],
                token=form.token.data or "",
                interval_minutes=form.interval.data,
                graph_version=form.graph_version.data or None,
            )
            meta_configs.remember_page_name(config, meta_configs.build_client(config))
            db.session.commit()
            flash(_("Connection saved. Now pick the lead forms to sync."), "success")
            return redirect(url_for(".config_forms", config_id=config.id), 303)
        except DomainError as error:
            db.session.rollback()
            form.token.errors.append(str(error))
    return render_template("admin/config_form.html", form=form, config=None)


@bp.route("/configs/<int:config_id>/edit", methods=["GET", "POST"])
def edit_config(config_id: int):
    config = config_or_404(config_id)
    form = config_form(config)
    if form.validate_on_submit():
        try:
            meta_configs.update_config(
                config,
                token=form.token.data,
                interval_minutes=form.interval.data,
                graph_version=form.graph_version.data or None,
                is_active=form.is_active.data,
            )
            db.session.commit()
            flash(_("Connection updated."), "success")
            return redirect(url_for(".configs"), 303)
        except DomainError as error:
            db.session.rollback()
            form.interval.errors.append(str(error))
    return render_template(
        "admin/config_form.html", form=form, config=config, mask=meta_configs.masked_token(config)
    )


@bp.get("/configs/<int:config_id>/forms")
def config_forms(config_id: int):
    """The forms we know of; asking Meta for its list is a POST (it calls out)."""
    config = config_or_404(config_id)
    return render_template(
        "admin/config_forms.html",
        config=config,
        form=FormSelectionForm(),
        discovered=None,
        error=None,
    )


@bp.post("/configs/<int:config_id>/forms")
def discover_forms(config_id: int):
    config, form = config_or_404(config_id), FormSelectionForm()
    if not form.validate_on_submit():
        return redirect(url_for(".config_forms", config_id=config.id), 303)
    try:
        client = meta_configs.build_client(config)
        discovered = meta_configs.discover_forms(config, client)
        meta_configs.remember_page_name(config, client)
    except GraphError as error:
        return render_template(
            "admin/config_forms.html",
            config=config,
            form=form,
            discovered=None,
            error=messages.translated(*describe(error), None),
        )
    if form.discover.data:  # "Load the forms from Meta": show them to be ticked
        return render_template(
            "admin/config_forms.html", config=config, form=form, discovered=discovered, error=None
        )
    return save_form_selection(config, discovered)


def save_form_selection(config, discovered):
    started, stopped = meta_configs.set_synced_forms(
        config, discovered, set(request.form.getlist("form_id"))
    )
    db.session.commit()
    flash(
        ngettext(
            "Now syncing %(num)s form; %(started)s started, %(stopped)s stopped.",
            "Now syncing %(num)s forms; %(started)s started, %(stopped)s stopped.",
            sum(f.is_active for f in config.forms),
            started=started,
            stopped=stopped,
        ),
        "success",
    )
    return redirect(url_for(".health"), 303)


@bp.post("/configs/<int:config_id>/test")
def test_config(config_id: int):
    config = config_or_404(config_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".configs"), 303)
    client = meta_configs.build_client(config)
    checks = meta_checks.test_connection(config, client)
    if meta_configs.remember_page_name(config, client):
        db.session.commit()
    return render_template(
        "admin/config_test.html", config=config, checks=checks, confirm=ConfirmForm()
    )


@bp.post("/configs/<int:config_id>/sync")
def sync_config(config_id: int):
    config = config_or_404(config_id)
    if ConfirmForm().validate_on_submit():
        tasks.submit("sync", sync_jobs.sync_now, config.id)
        flash(_("Sync of connection #%(id)s started; progress shows below.", id=config.id), "info")
    return redirect(url_for(".health"), 303)


@bp.get("/health")
def health():
    scheduler = current_app.extensions.get("scheduler")
    next_runs = meta_health.next_runs(scheduler)
    return render_template(
        "admin/health.html",
        overview=meta_health.health_overview(next_runs),
        failed=lead_quarantine.list_failed_leads(),
        webhook_problems=meta_health.list_webhook_problems(),
        backup=backups.backup_health(),
        mail=mail_outbox.count_by_status(),
        retention=retention.last_run(),
        confirm=ConfirmForm(),
    )


@bp.post("/failed-leads/<int:failed_id>/retry")
def retry_failed_lead(failed_id: int):
    failed = lead_quarantine.get_failed_lead(failed_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        stored, reason = meta_health.retry_failed_lead(failed)
        db.session.commit()
        flash(
            _("The lead is stored now.")
            if stored
            else _("Still cannot store it: %(reason)s", reason=reason),
            "success" if stored else "warning",
        )
    return redirect(url_for(".health"), 303)


@bp.post("/webhook-events/<int:event_id>/retry")
def retry_webhook_event(event_id: int):
    event = meta_webhooks.get_event(event_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        meta_webhooks.retry_event(event, meta_health.now())
        db.session.commit()
        tasks.submit_ids("webhook", webhook_jobs.process_events, [event.id])
        flash(_("The webhook lead is being fetched again."), "info")
    return redirect(url_for(".health", _anchor="failed-leads"), 303)
