"""`flask privacy erase|purge|export`: health-data protection from the command line (the
same services as the superadmin pages; they see every lead, deleted ones too)."""

import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from app.errors import ValidationError
from app.extensions import db
from app.services.privacy import erasure, retention, subject_export

privacy_cli = AppGroup("privacy", help="Erasure, retention and access requests (health data).")


def person_options(func):
    func = click.option("--phone", default=None, help="The person's phone (any format).")(func)
    return click.option("--email", default=None, help="The person's email.")(func)


def one_key(**keys) -> dict:
    given = {name: value for name, value in keys.items() if value is not None}
    if len(given) != 1:
        raise click.UsageError(_("Give exactly one of %(keys)s.", keys=", ".join(keys)))
    return given


@privacy_cli.command("erase")
@person_options
@click.option("--lead", "lead_id", type=int, default=None, help="A lead of the person (id).")
@click.option("--reason", required=True, help="Why (kept in the audit; no personal data).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(email: str | None, phone: str | None, lead_id: int | None, reason: str, yes: bool):
    """Erase every lead of a person (same phone or email, and their direct re-inquiries) with
    everything copied from them; a hashed tombstone keeps Meta from bringing them back."""
    key = one_key(email=email, phone=phone, lead_id=lead_id)
    try:
        person = erasure.find_person(**key)
        if not person.leads:
            click.echo(_("No lead matches; a tombstone is still recorded."))
        for line in erasure.summary(person):
            click.echo(_("lead %(id)s, received %(received)s", **line))
        if not yes:
            click.confirm(
                ngettext(
                    "Erase %(count)s lead?",
                    "Erase %(count)s leads?",
                    len(person.leads),
                    count=len(person.leads),
                ),
                abort=True,
            )
        record = erasure.erase(person, reason=reason, channel="cli")
        erased = {"id": record.id, "count": record.leads}
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    erasure.after_commit()
    click.echo(
        ngettext(
            "Erasure %(id)s: %(count)s lead erased.",
            "Erasure %(id)s: %(count)s leads erased.",
            erased["count"],
            **erased,
        )
    )
    click.echo(
        _("Exports and backups made before an erasure are out of reach: delete or let them expire.")
    )


@privacy_cli.command("export")
@person_options
def export(email: str | None, phone: str | None) -> None:
    """Print everything held about a person (leads, answers, timeline, mails) as JSON."""
    key = one_key(email=email, phone=phone)
    try:
        data = subject_export.export_person(erasure.find_person(**key))
    except ValidationError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
def purge(dry_run: bool) -> None:
    """Apply retention: remove unconverted leads untouched for RETENTION_MONTHS and deleted
    ones, raw Meta payloads after RAW_RETENTION_DAYS, old access log rows."""
    counts = retention.purge(dry_run=dry_run).counts
    db.session.commit()
    if not dry_run:
        erasure.after_commit()
    for name, count in sorted(counts.items()):
        click.echo(f"{name}: {count}")
    click.echo(_("Dry run: nothing was removed.") if dry_run else _("Purge done."))


def register(app) -> None:
    app.cli.add_command(privacy_cli)
