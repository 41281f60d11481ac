"""The scoring rules as a flat set of named whole numbers: what the editor shows, what it
checks (ranges, ordered steps and tiers, at most 100 points in all) and how two versions differ."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import DomainError
from app.meta.treatments import treatment_label
from app.services.lead_scoring import DEFAULT_RULES, ScoringRules, factor_maxima

POINTS, HOURS, AGES, TIERS = (0, 100), (1, 8760), (0, 120), (1, 100)
RESULTS = {
    "reached": _l("Call result: reached"),
    "callback": _l("Call result: call back"),
    "no_answer": _l("Call result: no answer"),
}
SECTION_LABELS = {
    "contact": _l("Contact details"),
    "freshness": _l("Freshness"),
    "service": _l("Treatment value"),
    "engagement": _l("Engagement"),
    "age": _l("Age of the prospect"),
    "tiers": _l("Score tiers"),
}
FORM_ERROR = "__all__"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    low: int
    high: int


class InvalidRulesError(DomainError):
    """The submitted rules break a check; *errors* maps field names (or FORM_ERROR) to why."""

    code = "scoring_rules_invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Nothing was saved: correct the marked values."))
        self.errors = errors


def sections() -> list[tuple[str, str, list[Field]]]:
    """The editor's sections in order: (key, label, fields), labels in the current language."""
    fresh = [
        field
        for i in range(len(DEFAULT_RULES.freshness_steps))
        for field in (
            Field(f"fresh_{i}_hours", _("Step %(step)s: younger than (hours)", step=i + 1), *HOURS),
            Field(f"fresh_{i}_points", _("Step %(step)s: points", step=i + 1), *POINTS),
        )
    ]
    ages = [
        field
        for i in range(len(DEFAULT_RULES.age_bands))
        for field in (
            Field(f"age_{i}_low", _("Band %(band)s: from age", band=i + 1), *AGES),
            Field(f"age_{i}_high", _("Band %(band)s: to age", band=i + 1), *AGES),
            Field(f"age_{i}_points", _("Band %(band)s: points", band=i + 1), *POINTS),
        )
    ]
    fields = {
        "contact": [
            Field("phone_points", _("Valid phone"), *POINTS),
            Field("email_points", _("Email (half for a likely typo)"), *POINTS),
            Field("name_points", _("First and last name"), *POINTS),
        ],
        "freshness": fresh,
        "service": [
            Field(f"service_{key}", treatment_label(key), *POINTS)
            for key in DEFAULT_RULES.service_tiers
        ],
        "engagement": [
            Field("answer_points", _("Points per answered question"), *POINTS),
            Field("answer_cap", _("Most points from answers"), *POINTS),
            *(Field(f"result_{key}", str(label), *POINTS) for key, label in RESULTS.items()),
            Field("engagement_cap", _("Most engagement points in all"), *POINTS),
        ],
        "age": [*ages, Field("age_known_points", _("Age known, in no band"), *POINTS)],
        "tiers": [
            Field("hot_from", _("Hot from score"), *TIERS),
            Field("warm_from", _("Warm from score"), *TIERS),
        ],
    }
    return [(key, str(SECTION_LABELS[key]), fields[key]) for key in SECTION_LABELS]


def flat_values(rules: ScoringRules) -> dict[str, int]:
    """Every number of *rules* under its field name."""
    values = {
        "phone_points": rules.phone_points,
        "email_points": rules.email_points,
        "name_points": rules.name_points,
        "answer_points": rules.answer_points,
        "answer_cap": rules.answer_cap,
        "engagement_cap": rules.engagement_cap,
        "age_known_points": rules.age_known_points,
        "hot_from": rules.hot_from,
        "warm_from": rules.warm_from,
    }
    for i, (limit, points) in enumerate(rules.freshness_steps):
        values[f"fresh_{i}_hours"] = limit // timedelta(hours=1)
        values[f"fresh_{i}_points"] = points
    for i, (low, high, points) in enumerate(rules.age_bands):
        values.update({f"age_{i}_low": low, f"age_{i}_high": high, f"age_{i}_points": points})
    values.update({f"service_{k}": v for k, v in rules.service_tiers.items()})
    values.update({f"result_{k}": v for k, v in rules.contact_result_points.items()})
    return values


def rules_from(values: Mapping[str, int]) -> ScoringRules:
    """Rules built from flat values (every field present)."""
    steps, bands = len(DEFAULT_RULES.freshness_steps), len(DEFAULT_RULES.age_bands)
    return ScoringRules(
        phone_points=values["phone_points"],
        email_points=values["email_points"],
        name_points=values["name_points"],
        freshness_steps=tuple(
            (timedelta(hours=values[f"fresh_{i}_hours"]), values[f"fresh_{i}_points"])
            for i in range(steps)
        ),
        service_tiers={k: values[f"service_{k}"] for k in DEFAULT_RULES.service_tiers},
        answer_points=values["answer_points"],
        answer_cap=values["answer_cap"],
        contact_result_points={k: values[f"result_{k}"] for k in RESULTS},
        engagement_cap=values["engagement_cap"],
        age_bands=tuple(
            (values[f"age_{i}_low"], values[f"age_{i}_high"], values[f"age_{i}_points"])
            for i in range(bands)
        ),
        age_known_points=values["age_known_points"],
        hot_from=values["hot_from"],
        warm_from=values["warm_from"],
    )


def parse_rules(form: Mapping[str, str]) -> ScoringRules:
    """Rules from the editor's submitted values, checked. Raises InvalidRulesError."""
    values, errors = {}, {}
    for _key, _label, fields in sections():
        for field in fields:
            raw = (form.get(field.name) or "").strip()
            if not raw.lstrip("-").isdigit():
                errors[field.name] = _("Enter a whole number.")
            elif not field.low <= int(raw) <= field.high:
                errors[field.name] = _(
                    "Between %(low)s and %(high)s.", low=field.low, high=field.high
                )
            else:
                values[field.name] = int(raw)
    if errors:
        raise InvalidRulesError(errors)
    errors = order_errors(values)
    total = sum(factor_maxima(rules_from(values)).values())
    if total > 100:
        errors[FORM_ERROR] = _(
            "These values can give up to %(total)s points; the most is 100.", total=total
        )
    if errors:
        raise InvalidRulesError(errors)
    return rules_from(values)


def order_errors(values: Mapping[str, int]) -> dict[str, str]:
    """Steps that must rise, bands that must not run backwards, tiers that must be ordered."""
    errors = {}
    hours = [values[f"fresh_{i}_hours"] for i in range(len(DEFAULT_RULES.freshness_steps))]
    for i in range(1, len(hours)):
        if hours[i] <= hours[i - 1]:
            errors[f"fresh_{i}_hours"] = _("Must be longer than the step before.")
    for i in range(len(DEFAULT_RULES.age_bands)):
        if values[f"age_{i}_high"] < values[f"age_{i}_low"]:
            errors[f"age_{i}_high"] = _("Must not be below the band's first age.")
    if values["warm_from"] >= values["hot_from"]:
        errors["warm_from"] = _("Must be below the hot tier.")
    return errors


def changes(old: Mapping[str, int], new: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """(section · field, before, after) for every number that differs, in the editor's order."""
    return [
        (f"{section} · {field.label}", old.get(field.name), new.get(field.name))
        for _key, section, fields in sections()
        for field in fields
        if old.get(field.name) != new.get(field.name)
    ]
