"""`flask seed demo`: the demo data on the sandbox (added to the CLI by the dev entry point)."""

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db

from . import demo

seed_cli = AppGroup("seed", help="Demo data.")


@seed_cli.command("demo")
@click.option(
    "--leads", "lead_count", default=0, show_default=True, help="Also bulk-insert N leads."
)
@click.option(
    "--quiet", is_flag=True, help="Do not print the sign-in lines (`make run` prints them)."
)
def seed_demo(lead_count: int, quiet: bool) -> None:
    """Create the demo distributor, sandbox config, superadmin and staff (idempotent)."""
    summary = demo.seed_demo(Path(current_app.instance_path))
    db.session.commit()
    for line in [] if quiet else summary.lines:
        click.echo(line)
    if lead_count:
        started = time.perf_counter()
        created = demo.seed_leads(summary.config_id, lead_count)
        rate = created / max(time.perf_counter() - started, 1e-9)
        click.echo(f"Inserted {created} generated leads ({rate:,.0f} leads/s).")


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_cli)
