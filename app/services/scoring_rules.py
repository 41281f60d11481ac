"""The scoring rules in force: the newest saved version (`scoring_rules`), else the defaults in
code (version 0). Superadmins save a new version from the scoring page; nothing is edited in
place, so every version stays to compare.

`current_rules()` reads the newest version once per app context (one request, one job), so a
save in one process is seen by every other at its next request or job."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from flask_babel import gettext as _

from app.errors import DomainError
from app.extensions import db
from app.models import ScoringRuleSet, User
from app.services.lead_scoring import DEFAULT_RULES, ScoringRules
from app.services.scoring_fields import changes, flat_values


class UnchangedRulesError(DomainError):
    code = "scoring_rules_unchanged"


def to_json(rules: ScoringRules) -> dict[str, Any]:
    """The rules as plain JSON (time steps in hours)."""
    return {
        "phone_points": rules.phone_points,
        "email_points": rules.email_points,
        "name_points": rules.name_points,
        "freshness_steps": [
            [limit // timedelta(hours=1), points] for limit, points in rules.freshness_steps
        ],
        "service_tiers": dict(rules.service_tiers),
        "answer_points": rules.answer_points,
        "answer_cap": rules.answer_cap,
        "contact_result_points": dict(rules.contact_result_points),
        "engagement_cap": rules.engagement_cap,
        "age_bands": [list(band) for band in rules.age_bands],
        "age_known_points": rules.age_known_points,
        "hot_from": rules.hot_from,
        "warm_from": rules.warm_from,
    }


def from_json(data: dict[str, Any]) -> ScoringRules:
    """Rules from their JSON; a key a version lacks keeps its default."""
    known = {**to_json(DEFAULT_RULES), **data}
    return ScoringRules(
        **{
            **known,
            "freshness_steps": tuple(
                (timedelta(hours=hours), points) for hours, points in known["freshness_steps"]
            ),
            "age_bands": tuple(tuple(band) for band in known["age_bands"]),
        }
    )


def current_version() -> int:
    """The id of the newest saved version (0: none saved, the defaults)."""
    return db.session.scalar(sa.select(sa.func.max(ScoringRuleSet.id))) or 0


def current_rules() -> ScoringRules:
    """The rules in force (read once per app context; see the module's docstring)."""
    if not has_app_context():
        return DEFAULT_RULES
    if "scoring_rules" not in g:
        newest = db.session.scalar(
            sa.select(ScoringRuleSet.rules).order_by(ScoringRuleSet.id.desc()).limit(1)
        )
        g.scoring_rules = from_json(newest) if newest else DEFAULT_RULES
    return g.scoring_rules


def save_rules(rules: ScoringRules, *, user: User, note: str = "") -> ScoringRuleSet:
    """Store *rules* (already validated) as the next version. Raises UnchangedRulesError when
    they equal the rules in force. Caller commits."""
    if to_json(rules) == to_json(current_rules()):
        raise UnchangedRulesError(_("Nothing changed: these are the rules in force."))
    row = ScoringRuleSet(rules=to_json(rules), note=note.strip()[:500], created_by_id=user.id)
    db.session.add(row)
    db.session.flush()
    g.pop("scoring_rules", None)
    return row


@dataclass(frozen=True)
class Version:
    """A saved version for the history: who, when, why, and what it changed."""

    version: int
    created_at: datetime | None
    created_by: str | None
    note: str
    changes: list[tuple[str, int, int]]


def list_versions(limit: int = 20) -> list[Version]:
    """The newest *limit* versions, each with its changes from the one before (version 0,
    the defaults, last)."""
    rows = db.session.execute(
        sa.select(ScoringRuleSet, User.username)
        .outerjoin(User, User.id == ScoringRuleSet.created_by_id)
        .order_by(ScoringRuleSet.id.desc())
        .limit(limit + 1)
    ).all()
    versions = []
    for index, (row, username) in enumerate(rows[:limit]):
        before = rows[index + 1][0].rules if index + 1 < len(rows) else None
        old = flat_values(from_json(before) if before else rules_before(row.id))
        versions.append(
            Version(
                row.id,
                row.created_at,
                username,
                row.note,
                changes(old, flat_values(from_json(row.rules))),
            )
        )
    return versions + [Version(0, None, None, "", [])] if len(rows) <= limit else versions


def rules_before(version: int) -> ScoringRules:
    """The rules saved before *version* (the defaults before the first)."""
    previous = db.session.scalar(
        sa.select(ScoringRuleSet.rules)
        .where(ScoringRuleSet.id < version)
        .order_by(ScoringRuleSet.id.desc())
        .limit(1)
    )
    return from_json(previous) if previous else DEFAULT_RULES
