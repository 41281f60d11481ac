"""Command line for mail: `flask mail send-pending|test`, `flask notifications …`."""

import secrets

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db
from app.services import alerts
from app.tasks import mail_jobs

mail_cli = AppGroup("mail", help="The mail outbox.")


@mail_cli.command("send-pending")
def send_pending() -> None:
    """Send the outbox's due mails once, then exit."""
    outcome = mail_jobs.send_pending()
    click.echo(", ".join(f"{k}={v}" for k, v in sorted(outcome.items())) or "nothing due")


@mail_cli.command("test")
@click.option("--to", "address", required=True, help="Where to send the test mail.")
def send_test(address: str) -> None:
    """Queue a test mail to ADDR and send the due mails now."""
    alerts.queue_test_mail(address, secrets.token_hex(8))
    db.session.commit()
    outcome = mail_jobs.send_pending()
    click.echo(", ".join(f"{k}={v}" for k, v in sorted(outcome.items())) or "nothing due")
    if not outcome.get("sent"):
        raise click.ClickException("the test mail was not sent (see `flask mail send-pending`)")


def register(app: Flask) -> None:
    app.cli.add_command(mail_cli)
