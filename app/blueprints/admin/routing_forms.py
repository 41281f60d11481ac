"""Filling the routing forms' choices and reading them back into service arguments."""

from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import get_day_names
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from app.blueprints.admin.forms import RoutingRuleForm, UserHoursForm
from app.meta.treatments import TREATMENTS
from app.models import RoutingRule, User
from app.services import accounts
from app.services.routing import availability, rules

ANY = _l("Any")


def fill_rule_choices(form: RoutingRuleForm, rule: RoutingRule | None = None) -> RoutingRuleForm:
    """The form's choices; editing, the rule's staff unless the post names them."""
    if rule is not None and not request.form:
        form.staff.data = [member.user_id for member in rule.staff]
    form.staff.choices = [SelectChoice(u.id, u.username) for u in accounts.list_staff()]
    form.distributor_id.choices = [SelectChoice("", ANY)] + [
        SelectChoice(str(d.id), d.name) for d in accounts.list_distributors()
    ]
    form.treatment.choices = [SelectChoice("", ANY)] + [
        SelectChoice(key, label) for key, label in TREATMENTS.items()
    ]
    locale = get_locale() or Locale("en")
    form.language.choices = [SelectChoice("", ANY)] + [
        SelectChoice(code, Locale.parse(code).get_display_name(locale) or code)
        for code in rules.LANGUAGES
    ]
    if form.distributor_id.data not in (None, ""):
        form.distributor_id.data = str(form.distributor_id.data)
    return form


def rule_input(form: RoutingRuleForm) -> rules.RuleInput:
    distributor = form.distributor_id.data
    return rules.RuleInput(
        name=form.name.data or "",
        staff_ids=form.staff.data or [],
        strategy=form.strategy.data,
        distributor_id=int(distributor) if distributor else None,
        form_id=form.form_id.data,
        treatment=form.treatment.data,
        country_code=form.country_code.data,
        language=form.language.data,
        score_min=form.score_min.data,
        score_max=form.score_max.data,
        capacity=form.capacity.data,
        include_backlog=form.include_backlog.data,
        reroute_on_breach=form.reroute_on_breach.data,
        is_active=form.is_active.data,
    )


def fill_hours_form(form: UserHoursForm, user: User, show_stored: bool) -> UserHoursForm:
    names = get_day_names("wide", locale=get_locale() or "en")
    form.work_days.choices = [SelectChoice(d, names[d - 1]) for d in range(1, 8)]
    if show_stored:
        tz = ZoneInfo(current_app.config["APP_TIMEZONE"])
        form.work_days.data = [int(c) for c in user.work_days or ""]
        form.work_start.data, form.work_end.data = user.work_start, user.work_end
        away = user.away_until
        form.away_until.data = away.astimezone(tz).replace(tzinfo=None) if away else None
        form.capacity.data = user.capacity
    return form


def availability_from(form: UserHoursForm) -> dict[str, Any]:
    tz = current_app.config["APP_TIMEZONE"]
    away = availability.local_to_utc(form.away_until.data, tz)
    return {
        "days": form.work_days.data or [],
        "hours": (form.work_start.data, form.work_end.data),
        "away_until": away.astimezone(UTC) if away and away.tzinfo else away,
        "capacity": form.capacity.data,
    }
