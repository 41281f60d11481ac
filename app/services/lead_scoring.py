"""Lead scoring: five factors, 100 points, with a stored per-factor breakdown.

Every weight, tier and step lives in `ScoringRules`; `DEFAULT_RULES` holds the defaults (version
0). Superadmins save other versions in the app (app/services/scoring_rules.py, `current_rules()`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.meta.email_typos import suggested_email
from app.models import FacebookLead, LeadInteraction

# The lead columns the score reads (rescoring loads just these).
SCORED_COLUMNS = (
    "phone",
    "email",
    "first_name",
    "last_name",
    "meta_created_at",
    "service",
    "form_data",
    "age",
)
CORE_FIELDS = frozenset(
    {"full_name", "first_name", "last_name", "email", "phone_number", "phone", "inbox_url"}
)


@dataclass(frozen=True)
class ScoringRules:
    phone_points: int = 12
    email_points: int = 10
    name_points: int = 8
    # (max age of the lead, points): the first step the lead is younger than wins.
    freshness_steps: tuple[tuple[timedelta, int], ...] = (
        (timedelta(hours=1), 20),
        (timedelta(hours=24), 16),
        (timedelta(days=3), 12),
        (timedelta(days=7), 8),
        (timedelta(days=30), 4),
    )
    service_tiers: Mapping[str, int] = field(
        default_factory=lambda: {
            "ivf": 25,
            "all_on_4": 25,
            "gastric_sleeve": 25,
            "breast_augmentation": 25,
            "rhinoplasty": 25,
            "tummy_tuck": 25,
            "hair_transplant": 20,
            "dental_implants": 20,
            "liposuction": 20,
            "veneers": 20,
            "beard_transplant": 12,
            "eyebrow_transplant": 12,
            "teeth_whitening": 12,
            "dental": 12,
            "eye_surgery": 12,
            "other": 5,
        }
    )
    answer_points: int = 3
    answer_cap: int = 9
    # contact results logged on the lead: result → points (engagement, capped at 15 overall)
    contact_result_points: Mapping[str, int] = field(
        default_factory=lambda: {"reached": 6, "callback": 4, "no_answer": 1}
    )
    engagement_cap: int = 15
    age_bands: tuple[tuple[int, int, int], ...] = ((25, 55, 10), (18, 24, 6), (56, 65, 6))
    age_known_points: int = 3
    # score tiers: hot from this score, warm from the next (the score pill's colour)
    hot_from: int = 70
    warm_from: int = 40


DEFAULT_RULES = ScoringRules()
FACTOR_LABELS = {
    "contact": _l("Contact details (valid phone, email, full name)"),
    "freshness": _l("Freshness (how recent the enquiry is)"),
    "service": _l("Treatment value"),
    "engagement": _l("Engagement (answers given, contact results)"),
    "age": _l("Age of the prospect"),
}


def factor_maxima(rules: ScoringRules = DEFAULT_RULES) -> dict[str, int]:
    """The most points each factor can give (they add up to 100 with the defaults)."""
    return {
        "contact": rules.phone_points + rules.email_points + rules.name_points,
        "freshness": max(points for _, points in rules.freshness_steps),
        "service": max(rules.service_tiers.values()),
        "engagement": rules.engagement_cap,
        "age": max(points for _, _, points in rules.age_bands),
    }


def tier_of(score: int | None, rules: ScoringRules = DEFAULT_RULES) -> str:
    """ "hot", "warm" or "cold" by the rules' tier thresholds."""
    score = score or 0
    return "hot" if score >= rules.hot_from else "warm" if score >= rules.warm_from else "cold"


def score_values(
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
    contact_results: tuple[str, ...] = (),
    rules: ScoringRules = DEFAULT_RULES,
) -> tuple[int, dict[str, int]]:
    """Score a lead's column values; returns (score, breakdown) whose parts sum to the score."""
    breakdown = {
        "contact": contact_points(values, rules),
        "freshness": freshness_points(
            values.get("meta_created_at"), now or datetime.now(UTC), rules
        ),
        "service": rules.service_tiers.get(values.get("service") or "", 0),
        "engagement": engagement_points(values.get("form_data"), contact_results, rules),
        "age": age_points(values.get("age"), rules),
    }
    return sum(breakdown.values()), breakdown


def contact_points(values: Mapping[str, Any], rules: ScoringRules) -> int:
    points = rules.phone_points if values.get("phone") else 0
    if values.get("email"):  # a likely-mistyped domain (gmail.con) may never reach them
        typo = suggested_email(values["email"]) is not None
        points += rules.email_points // 2 if typo else rules.email_points
    has_full_name = values.get("first_name") and values.get("last_name")
    return points + (rules.name_points if has_full_name else 0)


def freshness_points(created: datetime | None, now: datetime, rules: ScoringRules) -> int:
    if created is None:
        return 0
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    age = now - created
    return next((points for limit, points in rules.freshness_steps if age < limit), 0)


def engagement_points(form_data: Any, contact_results: tuple[str, ...], rules: ScoringRules) -> int:
    answered = 0
    if isinstance(form_data, list):
        answered = sum(
            1
            for entry in form_data
            if isinstance(entry, dict)
            and entry.get("name") not in CORE_FIELDS
            and isinstance(entry.get("values"), list)
            and any(str(v).strip() for v in entry["values"])
        )
    points = min(answered * rules.answer_points, rules.answer_cap)
    points += sum(rules.contact_result_points.get(r, 0) for r in contact_results)
    return min(points, rules.engagement_cap)


def age_points(age: Any, rules: ScoringRules) -> int:
    if not isinstance(age, int):
        return 0
    band = next((p for low, high, p in rules.age_bands if low <= age <= high), None)
    return band if band is not None else rules.age_known_points


def rescore_batch(
    after_id: int,
    *,
    now: datetime,
    rules: ScoringRules = DEFAULT_RULES,
    freshness_only: bool = False,
    size: int = 1000,
) -> tuple[int, int, int | None]:
    """Rescore up to *size* leads with ids above *after_id*: only the time decay (the hourly
    job: just the freshness part depends on time, and only recent leads still decay) or
    everything (after a change of rules). The lead's version is left alone: rescoring is not an
    edit anyone could conflict with. Returns (changed, read, last id read; None when done).
    Caller commits (the job loop in app/tasks/scoring_jobs.py, per batch)."""
    leads = FacebookLead.__table__
    query = sa.select(leads.c.id, leads.c.score, leads.c.score_breakdown, *scored(leads)).where(
        leads.c.id > after_id, leads.c.deleted_at.is_(None)
    )
    if freshness_only:
        oldest = now - max(limit for limit, _ in rules.freshness_steps) - timedelta(days=1)
        query = query.where(leads.c.meta_created_at >= oldest)
    rows = db.session.execute(query.order_by(leads.c.id).limit(size)).all()
    if not rows:
        return 0, 0, None
    results = {} if freshness_only else contact_results([row.id for row in rows])
    updates = [
        update
        for row in rows
        if (update := rescored(row, now, rules, freshness_only, results.get(row.id, ())))
    ]
    if updates:
        db.session.execute(
            sa.update(leads)
            .where(leads.c.id == sa.bindparam("lead_id"))
            .values(score=sa.bindparam("new_score"), score_breakdown=sa.bindparam("new_breakdown")),
            updates,
        )
    return len(updates), len(rows), rows[-1].id


def scored(leads: sa.Table) -> list[sa.Column]:
    return [leads.c[name] for name in SCORED_COLUMNS]


def contact_results(lead_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The logged contact results of these leads (they count toward engagement)."""
    found: dict[int, list[str]] = {}
    interactions = LeadInteraction.__table__
    for lead_id, result in db.session.execute(
        sa.select(interactions.c.lead_id, interactions.c.result).where(
            interactions.c.lead_id.in_(lead_ids), interactions.c.result.is_not(None)
        )
    ):
        found.setdefault(lead_id, []).append(result)
    return {lead_id: tuple(results) for lead_id, results in found.items()}


def rescored(
    row: sa.Row, now: datetime, rules: ScoringRules, freshness_only: bool, results: tuple[str, ...]
) -> dict[str, Any] | None:
    """The new score of one lead row, or None when it did not change."""
    if freshness_only:
        breakdown = dict(row.score_breakdown or {})
        breakdown["freshness"] = freshness_points(row.meta_created_at, now, rules)
        score = sum(breakdown.values())
    else:
        values = {name: getattr(row, name) for name in SCORED_COLUMNS}
        score, breakdown = score_values(values, now=now, contact_results=results, rules=rules)
    if score == row.score and breakdown == (row.score_breakdown or {}):
        return None
    return {"lead_id": row.id, "new_score": score, "new_breakdown": breakdown}
