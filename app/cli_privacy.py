"""`flask privacy erase|purge|export`: health-data protection from the command line (the
same services as the superadmin pages; they see every lead, deleted ones too)."""

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.errors import ValidationError
from app.extensions import db
from app.services.privacy import erasure

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
        if not person.leads and not yes:
            click.echo(_("No lead matches; a tombstone is still recorded."))
        for line in erasure.summary(person):
            click.echo(_("lead %(id)s, received %(received)s", **line))
        if not yes:
            click.confirm(_("Erase %(count)s lead(s)?", count=len(person.leads)), abort=True)
        record = erasure.erase(person, reason=reason, channel="cli")
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    erasure.after_commit()
    click.echo(_("Erasure %(id)s: %(count)s lead(s) erased.", id=record.id, count=record.leads))


def register(app) -> None:
    app.cli.add_command(privacy_cli)
