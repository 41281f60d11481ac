"""Command line for analytics: `flask analytics report` (the page's report as a file),
`send-reports`, and `rebuild` (the daily rollup, from the leads)."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db
from app.models import Role, User
from app.services import analytics, analytics_mail, analytics_report, analytics_rollup
from app.services.analytics_period import PRESETS

analytics_cli = AppGroup("analytics", help="Funnel, speed to lead, staff and sources.")


@analytics_cli.command("report")
@click.option("--period", type=click.Choice(PRESETS), default="last-month", show_default=True)
@click.option("--date-from", default=None, help="YYYY-MM-DD (a custom range, with --date-to).")
@click.option("--date-to", default=None, help="YYYY-MM-DD (local days, APP_TIMEZONE).")
@click.option("--format", "ext", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def report(period: str, date_from: str | None, date_to: str | None, ext: str, out: Path) -> None:
    """Write the analytics report for a period (all leads, as a superadmin sees them)."""
    reader = db.session.scalar(
        sa.select(User).where(User.role == Role.SUPERADMIN, User.is_active).order_by(User.id)
    )
    if reader is None:
        raise click.ClickException("No active superadmin: create one first (flask users create).")
    args = {"date_from": date_from, "date_to": date_to} if date_from or date_to else {}
    tz = current_app.config["APP_TIMEZONE"]
    filters, chosen = analytics.selection(args or {"period": period}, tz)
    body, _name = analytics_report.report_file(
        analytics.build_analytics(reader, filters, chosen, tz), ext
    )
    out.write_bytes(body)
    click.echo(f"{out}: {chosen.start} – {chosen.end}, {len(body):,} bytes")


@analytics_cli.command("send-reports")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Local day (default today).")
@click.option(
    "--only", type=click.Choice(analytics_mail.CADENCES), help="Send this report now, due or not."
)
@click.option("--dry-run", is_flag=True, help="Print the mails instead of queueing them.")
def send_reports(day, only: str | None, dry_run: bool) -> None:
    """Queue the weekly (Mondays) and monthly (the 1st) report mails due on DATE."""
    zone = ZoneInfo(current_app.config["APP_TIMEZONE"])
    today = day.date() if day else datetime.now(zone).date()
    if dry_run:
        for address, content in analytics_mail.preview(today, only):
            click.echo(f"To: {address}\nSubject: {content.subject}\n\n{content.text}\n")
        return
    count = analytics_mail.queue_reports(today, only)
    db.session.commit()
    click.echo(f"{count} report mail(s) queued for {today.isoformat()}")


@analytics_cli.command("rebuild")
def rebuild() -> None:
    """Count the daily rollup again from every lead (after a restore, or to check it); the
    scheduler otherwise keeps it in step by itself."""
    tz = current_app.config["APP_TIMEZONE"]
    analytics_rollup.restart(tz)
    db.session.commit()
    days = 0
    while stored := analytics_rollup.flush_batch(tz):
        db.session.commit()
        days += stored
        click.echo(f"  {days} day(s)", nl=False)
        click.echo("\r", nl=False)
    click.echo(f"Analytics rollup rebuilt: {days} local day(s) in {tz}.")


def register(app: Flask) -> None:
    app.cli.add_command(analytics_cli)
