"""`flask routing add-rule|list` and `flask leads auto-assign` (DESIGN.md, Wave 2 Routing)."""

import time
from datetime import UTC, datetime

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from app.errors import ValidationError
from app.extensions import db
from app.models import RoutingStrategy
from app.services import accounts
from app.services.routing import backlog, rules

routing_cli = AppGroup("routing", help="Rules that give new leads to staff.")


@routing_cli.command("add-rule")
@click.argument("name")
@click.option("--strategy", type=click.Choice([s.value for s in RoutingStrategy]), required=True)
@click.option("--staff", required=True, help="Usernames, comma-separated, in turn order.")
@click.option("--treatment", default=None, help="Treatment key, e.g. hair_transplant.")
@click.option("--country", default=None, help="ISO country code of the patient, e.g. DE.")
@click.option("--language", default=None, help="The patient's language, e.g. de.")
@click.option("--distributor", default=None, help="Distributor name.")
@click.option("--form", "form_id", default=None, help="Meta form id.")
@click.option("--capacity", type=int, default=None, help="At most this many open leads each.")
@click.option("--backlog", is_flag=True, help="Also route old leads on auto-assign.")
@click.option("--reroute-on-breach", is_flag=True, help="Re-route once on a missed target.")
def add_rule(name: str, strategy: str, staff: str, distributor: str | None, **conditions) -> None:
    """Add a routing rule at the end of the order."""
    try:
        data = rules.RuleInput(
            name=name,
            strategy=strategy,
            staff_ids=user_ids(staff),
            distributor_id=distributor_id(distributor),
            include_backlog=conditions.pop("backlog"),
            country_code=conditions.pop("country"),
            **conditions,
        )
        rule = rules.create_rule(data)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(_("Added rule %(name)s (id %(id)s).", name=rule.name, id=rule.id))


def user_ids(names: str) -> list[int]:
    ids = []
    for name in filter(None, (n.strip() for n in names.split(","))):
        user = accounts.get_user_by_username(name)
        if user is None:
            raise ValidationError(_("No user named %(name)r.", name=name))
        ids.append(user.id)
    return ids


def distributor_id(name: str | None) -> int | None:
    if name is None:
        return None
    distributor = accounts.get_distributor_by_name(name)
    if distributor is None:
        raise ValidationError(_("No distributor named %(name)r.", name=name))
    return distributor.id


@routing_cli.command("list")
def list_rules() -> None:
    """Print the rules in their order."""
    for rule in rules.list_rules():
        staff = ",".join(m.user.username for m in rule.staff)
        conditions = rules.describe_conditions(rule) or "-"
        state = "" if rule.is_active else " (off)"
        click.echo(
            f"{rule.position}. {rule.name}{state}: {rule.strategy.value} [{staff}] {conditions}"
        )


@click.command("auto-assign")
@with_appcontext
@click.option("--page", type=int, default=backlog.PAGE, help="Leads per transaction.")
def auto_assign(page: int) -> None:
    """Route the unassigned backlog by the rules (committed a page at a time)."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    last, seen, assigned = 0, 0, 0
    while True:
        result = backlog.assign_backlog_page(last, now, page)
        db.session.commit()
        seen, assigned, last = seen + result.seen, assigned + result.assigned, result.last_id
        if result.seen < page:
            break
    seconds = time.perf_counter() - started
    click.echo(
        ngettext(
            "Assigned %(assigned)s of %(seen)s unassigned lead in %(s)ss.",
            "Assigned %(assigned)s of %(seen)s unassigned leads in %(s)ss.",
            seen,
            assigned=assigned,
            seen=seen,
            s=f"{seconds:.1f}",
        )
    )
