"""Command line for mail: `flask mail send-pending|test`, `flask notifications …`."""

import secrets

import click
from flask import Flask
from flask.cli import AppGroup

from app.extensions import db
from app.services import alerts, daily_summary
from app.tasks import mail_jobs

mail_cli = AppGroup("mail", help="The mail outbox.")
notifications_cli = AppGroup("notifications", help="Notification mails.")


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


@notifications_cli.command("daily-summary")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Day summarised.")
@click.option("--dry-run", is_flag=True, help="Print the mails instead of queueing them.")
def daily_summary_command(day, dry_run: bool) -> None:
    """Queue the daily summary of DATE (default: yesterday in APP_TIMEZONE), once a day."""
    day = day.date() if day else daily_summary.yesterday()
    if dry_run:
        for address, content in daily_summary.preview(day):
            click.echo(f"To: {address}\nSubject: {content.subject}\n\n{content.text}\n")
        return
    count = daily_summary.queue_daily_summaries(day)
    db.session.commit()
    click.echo(f"daily summary of {day.isoformat()} queued for {count} recipient(s)")


def register(app: Flask) -> None:
    app.cli.add_command(mail_cli)
    app.cli.add_command(notifications_cli)
