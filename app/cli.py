"""Command line: `flask users|distributors|meta|scheduler …` (names from DESIGN.md; `flask seed`
belongs to the sandbox and is added by the development entry point)."""

import functools
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from app import cli_analytics, cli_mail, cli_privacy
from app.errors import ValidationError
from app.extensions import db
from app.i18n import LANGUAGES
from app.models import BackupStatus, BackupTrigger, Role, SyncTrigger
from app.routing_cli import auto_assign, routing_cli
from app.services import (
    accounts,
    backups,
    lead_counters,
    meta_configs,
    meta_reconcile,
    two_factor,
    user_sessions,
)
from app.tasks import scoring_jobs, sync_jobs

users_cli = AppGroup("users", help="Manage user accounts.")
distributors_cli = AppGroup("distributors", help="Manage distributors.")
meta_cli = AppGroup("meta", help="Meta Lead Ads connections and syncing.")
scheduler_cli = AppGroup("scheduler", help="The background scheduler.")
scoring_cli = AppGroup("scoring", help="Lead scores.")
leads_cli = AppGroup("leads", help="Lead maintenance.")
backup_cli = AppGroup("backup", help="Back up and restore the database.")


def fail_on_validation(func):
    """Turn a ValidationError into a clean CLI error (exit code 1)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ValidationError as error:
            db.session.rollback()
            raise click.ClickException(str(error)) from None

    return wrapper


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.STAFF.value)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default=None)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Of their pages and emails (default: their browser's).",
)
@fail_on_validation
def create_user(
    username: str, role: str, password: str, email: str | None, language: str | None
) -> None:
    """Create a user (superadmin or staff)."""
    user = accounts.create_user(username, password, role=Role(role), email=email, language=language)
    db.session.commit()
    click.echo(f"Created {user.role} {user.username!r} (id {user.id}).")


@users_cli.command("sign-out")
@click.argument("username")
def sign_out_user(username: str) -> None:
    """End every sign-in of a user now (a lost laptop, a shared password); their open pages
    are disconnected and go to the login page."""
    user = accounts.get_user_by_username(username)
    if user is None:
        raise click.ClickException(_("No user named %(name)r.", name=username))
    user_sessions.end_sessions(user, reason="signed_out")
    db.session.commit()
    click.echo(_("Signed %(name)r out everywhere.", name=user.username))


@users_cli.command("reset-2fa")
@click.argument("username")
def reset_two_factor(username: str) -> None:
    """Turn off a user's two-factor sign-in (a lost phone and no recovery code left): they
    sign in with their password and set it up again."""
    user = accounts.get_user_by_username(username)
    if user is None:
        raise click.ClickException(_("No user named %(name)r.", name=username))
    two_factor.disable(user)
    user_sessions.end_sessions(user, reason="signed_out")
    db.session.commit()
    click.echo(
        _("Two-factor sign-in of %(name)r is off; they were signed out.", name=user.username)
    )


@distributors_cli.command("create")
@click.argument("name")
@click.option("--email", "contact_email", default=None)
@click.option(
    "--language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Of the emails to its contact address (default: DEFAULT_LOCALE).",
)
@fail_on_validation
def create_distributor(name: str, contact_email: str | None, language: str | None) -> None:
    """Create a distributor, the owner of Meta configs and leads."""
    distributor = accounts.create_distributor(name, contact_email, language)
    db.session.commit()
    click.echo(f"Created distributor {distributor.name!r} (id {distributor.id}).")


@meta_cli.command("add-config")
@click.option("--distributor", "distributor_name", required=True)
@click.option("--page-id", required=True)
@click.option("--form-id", "form_ids", multiple=True, required=True)
@click.option("--token", prompt=True, hide_input=True)
@click.option("--interval", default=5, show_default=True, help="Minutes between polls.")
@click.option("--graph-version", default=None, help="Override META_GRAPH_VERSION, e.g. v25.0.")
@fail_on_validation
def add_config(distributor_name, page_id, form_ids, token, interval, graph_version) -> None:
    """Connect a Facebook Page's lead forms; the token is stored encrypted."""
    distributor = accounts.get_distributor_by_name(distributor_name)
    if distributor is None:
        raise click.ClickException(f"No distributor named {distributor_name!r}.")
    config = meta_configs.add_config(
        distributor,
        page_id=page_id,
        form_ids=form_ids,
        token=token,
        interval_minutes=interval,
        graph_version=graph_version,
    )
    db.session.commit()
    click.echo(f"Added config {config.id} for page {page_id} with {len(form_ids)} form(s).")


@meta_cli.command("sync")
@click.option("--config", "config_id", type=int, default=None, help="Only this config id.")
def sync(config_id: int | None) -> None:
    """Pull new leads now; prints one summary line per form. Exits 1 if a config is being
    synced by another process."""
    busy = False
    for cid in config_ids(config_id):
        started = time.perf_counter()
        outcome = sync_jobs.sync_config(cid)
        busy = busy or report(outcome)
        for form in outcome.forms:
            r = form.result
            click.echo(
                f"config {cid} form {form.form_id}: {form.status} fetched={r.fetched} "
                f"created={r.created} already_stored={r.already_stored} "
                f"reinquiries={r.reinquiries} failed={r.failed} erased={r.erased}"
                + (f" error: {form.error}" if form.error else "")
            )
        click.echo(f"config {cid}: done in {time.perf_counter() - started:.2f}s")
    if busy:
        raise SystemExit(1)


@meta_cli.command("reconcile")
@click.option("--config", "config_id", type=int, default=None, help="Only this config id.")
def reconcile(config_id: int | None) -> None:
    """Compare Meta's lead count of each form with ours and re-read the last 90 days, storing
    what is missing; prints per form Meta's count, ours, fetched and added."""
    busy = False
    for cid in config_ids(config_id):
        outcome = sync_jobs.sync_config(cid, trigger=SyncTrigger.RECONCILE, deep=True)
        busy = busy or report(outcome)
        for line in meta_reconcile.report_lines(outcome):
            click.echo(f"config {cid} {line}")
    if busy:
        raise SystemExit(1)


def config_ids(config_id: int | None) -> list[int]:
    ids = [config_id] if config_id else [c.id for c in meta_configs.list_active_configs()]
    if not ids:
        click.echo("No active Meta configs. Add one with `flask meta add-config`.")
    return ids


def report(outcome) -> bool:
    """Echo why a config was skipped; True when another process holds its lease."""
    if outcome.skipped:
        click.echo(f"config {outcome.config_id}: skipped ({outcome.skipped})", err=True)
    return outcome.held_by is not None


@meta_cli.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every stored token with the first key of TOKEN_ENCRYPTION_KEYS."""
    count = meta_configs.rotate_keys()
    db.session.commit()
    click.echo(f"Re-encrypted {count} token(s).")


@scoring_cli.command("rescore")
@click.option("--freshness-only", is_flag=True, help="Only apply time decay (the hourly job).")
def rescore(freshness_only: bool) -> None:
    """Recompute lead scores (after changing the scoring rules)."""
    started = time.perf_counter()
    count = scoring_jobs.rescore(freshness_only=freshness_only)
    click.echo(f"Rescored {count} lead(s) in {time.perf_counter() - started:.1f}s.")


@leads_cli.command("recount")
def recount() -> None:
    """Rebuild the status counters behind the dashboard cards from the leads table."""
    total = lead_counters.recount()
    db.session.commit()
    click.echo(f"Counted {total} lead(s).")


@backup_cli.command("create")
@click.option("--out", type=click.Path(path_type=Path), help="A file, or a directory for it.")
def backup_create(out: Path | None) -> None:
    """Back up the database now (to BACKUP_DIR unless --out), with a manifest beside it."""
    run = backups.run_backup(BackupTrigger.MANUAL, out=out)
    db.session.commit()
    if run.status is BackupStatus.FAILED:
        raise click.ClickException(run.error or "?")
    seconds = (run.finished_at - run.started_at).total_seconds()
    click.echo(
        _(
            "Backup written: %(path)s (%(size)s bytes, %(s)ss).",
            path=run.path,
            size=f"{run.size_bytes:,}",
            s=f"{seconds:.1f}",
        )
    )


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data (backed up first).")
def backup_restore(path: Path, force: bool) -> None:
    """Restore a backup into this app's (empty) database, then run the remaining migrations."""
    try:
        outcome = backups.restore_backup(path, force=force)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    if outcome.safety_backup:
        click.echo(
            _("The replaced database was backed up first to %(path)s.", path=outcome.safety_backup)
        )
    click.echo(
        _(
            "Restored %(name)s: %(leads)s leads, schema %(before)s -> %(after)s, in %(s)ss.",
            name=path.name,
            leads=f"{outcome.manifest.leads:,}",
            before=outcome.schema_before,
            after=outcome.schema_after,
            s=f"{outcome.seconds:.1f}",
        )
    )


@scheduler_cli.command("run")
def run_scheduler() -> None:
    """Run the sync scheduler in this process until interrupted."""
    from app.tasks import init_scheduler

    scheduler = init_scheduler(current_app._get_current_object())
    click.echo("Scheduler running; Ctrl+C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        scheduler.shutdown()


def register(app: Flask) -> None:
    leads_cli.add_command(auto_assign)
    for group in (
        routing_cli,
        users_cli,
        distributors_cli,
        meta_cli,
        scheduler_cli,
        scoring_cli,
        leads_cli,
        backup_cli,
    ):
        app.cli.add_command(group)
    cli_privacy.register(app)
    cli_mail.register(app)
    cli_analytics.register(app)
