"""Routing rules: listing, saving (with the checks that refuse an impossible rule), ordering
and deleting. Callers commit."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.errors import ValidationError
from app.extensions import db
from app.meta.treatments import TREATMENTS
from app.models import (
    Distributor,
    ResponseTarget,
    RoutingRule,
    RoutingRuleStaff,
    RoutingStrategy,
    User,
)

# The patient's language, from the country their phone (else their answer) points at.
LANGUAGE_OF_COUNTRY: dict[str, str] = {
    "TR": "tr", "CY": "tr", "AZ": "tr",
    "DE": "de", "AT": "de", "CH": "de", "LI": "de",
    "GB": "en", "IE": "en", "US": "en", "CA": "en", "AU": "en", "NZ": "en", "ZA": "en",
    "SA": "ar", "AE": "ar", "KW": "ar", "QA": "ar", "BH": "ar", "OM": "ar", "IQ": "ar",
    "JO": "ar", "LB": "ar", "EG": "ar", "LY": "ar", "DZ": "ar", "MA": "ar", "TN": "ar",
    "RU": "ru", "KZ": "ru", "BY": "ru", "UA": "uk",
    "FR": "fr", "BE": "fr", "LU": "fr",
    "NL": "nl", "IT": "it", "ES": "es", "PT": "pt", "PL": "pl", "RO": "ro", "BG": "bg",
    "GR": "el", "SE": "sv", "NO": "no", "DK": "da", "FI": "fi", "IR": "fa", "IL": "he",
}  # fmt: skip
LANGUAGES = tuple(sorted(set(LANGUAGE_OF_COUNTRY.values())))
MAX_NAME = 80
MAX_CAPACITY = 100_000


@dataclass
class RuleInput:
    """What a rule says, as typed into the admin form or the CLI."""

    name: str
    staff_ids: Sequence[int]
    strategy: str = RoutingStrategy.ROUND_ROBIN.value
    distributor_id: int | None = None
    form_id: str | None = None
    treatment: str | None = None
    country_code: str | None = None
    language: str | None = None
    score_min: int | None = None
    score_max: int | None = None
    capacity: int | None = None
    include_backlog: bool = False
    reroute_on_breach: bool = False
    is_active: bool = True


def list_rules(*, active_only: bool = False) -> list[RoutingRule]:
    """Rules in their order, with their staff loaded."""
    query = (
        sa.select(RoutingRule)
        .options(selectinload(RoutingRule.staff).selectinload(RoutingRuleStaff.user))
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    if active_only:
        query = query.where(RoutingRule.is_active)
    return list(db.session.scalars(query))


def get_rule(rule_id: int) -> RoutingRule | None:
    return db.session.get(RoutingRule, rule_id)


def create_rule(data: RuleInput) -> RoutingRule:
    """Add a rule at the end of the order; raises ValidationError for an impossible rule."""
    clean = validate(data)
    last = db.session.scalar(sa.select(sa.func.max(RoutingRule.position)))
    rule = RoutingRule(position=(last or 0) + 1, cursor=-1)
    db.session.add(rule)
    return save(rule, data, clean)


def update_rule(rule: RoutingRule, data: RuleInput) -> RoutingRule:
    """Change a rule; its round-robin place restarts when its staff change."""
    return save(rule, data)


def save(rule: RoutingRule, data: RuleInput, clean: dict[str, Any] | None = None) -> RoutingRule:
    with db.session.no_autoflush:
        clean = clean or validate(data, rule_id=rule.id)
    staff_ids = clean.pop("staff_ids")
    for name, value in clean.items():
        setattr(rule, name, value)
    if [s.user_id for s in rule.staff] != staff_ids:
        rule.staff.clear()
        db.session.flush()  # the old rows go before the new ones (unique rule + user)
        rule.staff.extend(
            RoutingRuleStaff(user_id=uid, position=i) for i, uid in enumerate(staff_ids)
        )
        rule.cursor = -1
    db.session.flush()
    return rule


def delete_rule(rule: RoutingRule) -> None:
    """Delete *rule*; the response targets it set forget it (they keep no foreign key)."""
    targets = ResponseTarget.__table__
    db.session.execute(sa.update(targets).where(targets.c.rule_id == rule.id).values(rule_id=None))
    db.session.delete(rule)
    db.session.flush()


def move_rule(rule: RoutingRule, step: int) -> None:
    """Move *rule* one place up (-1) or down (+1) in the order (renumbering all)."""
    ordered = list_rules()
    index = ordered.index(rule)
    target = min(max(index + step, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, each in enumerate(ordered, start=1):
        each.position = position
    db.session.flush()


def validate(data: RuleInput, *, rule_id: int | None = None) -> dict[str, Any]:
    """The rule's columns, checked; ValidationError says what makes it impossible."""
    name = (data.name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationError(_("Give the rule a name (at most 80 characters)."))
    taken = db.session.scalar(
        sa.select(RoutingRule.id).where(RoutingRule.name == name, RoutingRule.id != (rule_id or 0))
    )
    if taken:
        raise ValidationError(_("Another rule is already called %(name)s.", name=name))
    try:
        strategy = RoutingStrategy(data.strategy)
    except ValueError:
        raise ValidationError(_("Choose round-robin or least open load.")) from None
    return {
        "name": name,
        "strategy": strategy,
        "staff_ids": check_staff(data.staff_ids),
        **check_conditions(data),
        "capacity": check_capacity(data.capacity),
        "include_backlog": bool(data.include_backlog),
        "reroute_on_breach": bool(data.reroute_on_breach),
        "is_active": bool(data.is_active),
    }


def check_staff(staff_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in staff_ids))
    if not ids:
        raise ValidationError(_("Choose at least one person to give the leads to."))
    found = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    for user_id in ids:
        user = found.get(user_id)
        if user is None:
            raise ValidationError(_("There is no user with id %(id)s.", id=user_id))
        if not user.is_active:
            raise ValidationError(
                _("%(name)s is deactivated and cannot be given leads.", name=user.username)
            )
        if user.capacity == 0:
            raise ValidationError(_("%(name)s has a capacity of 0 open leads.", name=user.username))
    return ids


def check_capacity(capacity: int | None) -> int | None:
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise ValidationError(_("A capacity must be at least 1 open lead (or left empty)."))
    return capacity


def check_conditions(data: RuleInput) -> dict[str, Any]:
    form_id = (data.form_id or "").strip() or None
    treatment = (data.treatment or "").strip() or None
    country = (data.country_code or "").strip().upper() or None
    language = (data.language or "").strip().lower() or None
    if data.distributor_id is not None and db.session.get(Distributor, data.distributor_id) is None:
        raise ValidationError(_("There is no such distributor."))
    if form_id is not None and (len(form_id) > 64 or not (form_id.isascii() and form_id.isdigit())):
        raise ValidationError(_("A form id is Meta's number for the form."))
    if treatment is not None and treatment not in TREATMENTS:
        raise ValidationError(_("Unknown treatment %(key)s.", key=treatment[:40]))
    if country is not None and (len(country) != 2 or not country.isalpha()):
        raise ValidationError(_("A country is a two-letter ISO code, such as DE."))
    if language is not None and language not in LANGUAGES:
        raise ValidationError(_("Unknown language %(code)s.", code=language[:8]))
    low, high = data.score_min, data.score_max
    for score in (low, high):
        if score is not None and not 0 <= score <= 100:
            raise ValidationError(_("Scores run from 0 to 100."))
    if low is not None and high is not None and low > high:
        raise ValidationError(_("The lowest score is above the highest: no lead could match."))
    if country and language and LANGUAGE_OF_COUNTRY.get(country) != language:
        raise ValidationError(_("No lead can be from that country and speak that language."))
    return {
        "distributor_id": data.distributor_id,
        "form_id": form_id,
        "treatment": treatment,
        "country_code": country,
        "language": language,
        "score_min": low,
        "score_max": high,
    }


class Conditions(Protocol):
    """What a lead is matched on: a RoutingRule, or the plain copy routing reads per lead."""

    distributor_id: int | None
    form_id: str | None
    treatment: str | None
    country_code: str | None
    language: str | None
    score_min: int | None
    score_max: int | None


def matches(rule: Conditions, row: Mapping[str, Any]) -> bool:
    """Whether a lead (its column values) meets every condition *rule* sets."""
    country = row.get("country_code")
    return (
        (rule.distributor_id is None or row.get("distributor_id") == rule.distributor_id)
        and (rule.form_id is None or row.get("meta_form_id") == rule.form_id)
        and (rule.treatment is None or row.get("service") == rule.treatment)
        and (rule.country_code is None or country == rule.country_code)
        and (rule.language is None or LANGUAGE_OF_COUNTRY.get(country or "") == rule.language)
        and (rule.score_min is None or (row.get("score") or 0) >= rule.score_min)
        and (rule.score_max is None or (row.get("score") or 0) <= rule.score_max)
    )


def describe_conditions(rule: RoutingRule) -> str:
    """The rule's conditions as `key=value` words (the CLI's list)."""
    parts = {
        "distributor": rule.distributor_id,
        "form": rule.form_id,
        "treatment": rule.treatment,
        "country": rule.country_code,
        "language": rule.language,
        "score": None
        if rule.score_min is None and rule.score_max is None
        else f"{rule.score_min or 0}-{100 if rule.score_max is None else rule.score_max}",
        "capacity": rule.capacity,
    }
    return " ".join(f"{key}={value}" for key, value in parts.items() if value is not None)
