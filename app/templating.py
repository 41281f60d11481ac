"""Jinja filters and globals: local times and numbers, labels, safe contact links."""

import functools
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import phonenumbers
from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

from app import messages
from app.i18n import formats, labels
from app.meta.email_typos import suggested_email
from app.meta.treatments import treatment_label
from app.models import FacebookLead, LeadStatus
from app.services import (
    lead_scoring,
    lead_tasks,
    meta_health,
    patient_time,
    response_targets,
    scoring_rules,
    whatsapp,
)

E164_RE = re.compile(r"\+[1-9][0-9]{1,14}")
STATUS_STYLES = {
    LeadStatus.NEW: "primary",
    LeadStatus.ASSIGNED: "info",
    LeadStatus.CONTACTED: "warning",
    LeadStatus.QUALIFIED: "success",
    LeadStatus.CONVERTED: "success",
    LeadStatus.LOST: "secondary",
    LeadStatus.INVALID: "dark",
}


TIER_STYLES = {"hot": "success", "warm": "warning", "cold": "secondary"}


def score_style(score: int | None) -> str:
    """The score pill's colour by the tiers of the rules in force."""
    if score is None:
        return "secondary"
    return TIER_STYLES[lead_scoring.tier_of(score, scoring_rules.current_rules())]


def score_title(breakdown: dict[str, int]) -> str:
    """A score pill's hover text, each factor's short name and points: "Contact 30 · Fresh 20"
    (a loop in the template cost a fortieth of a dashboard row)."""
    return " · ".join(f"{labels.SCORE_FACTOR.get(k, k)} {v}" for k, v in breakdown.items())


def score_factors() -> dict[str, int]:
    """Each factor's most points under the rules in force."""
    return lead_scoring.factor_maxima(scoring_rules.current_rules())


def score_tiers() -> dict[str, int]:
    """The tier thresholds in force, for scripts that colour a score pill."""
    rules = scoring_rules.current_rules()
    return {"hot": rules.hot_from, "warm": rules.warm_from}


def tel_href(phone: str | None) -> str | None:
    """`tel:` link for an E.164 number we produced ourselves; never from raw input."""
    return f"tel:{phone}" if phone and E164_RE.fullmatch(phone) else None


def whatsapp_href(phone: str | None) -> str | None:
    return f"https://wa.me/{phone[1:]}" if tel_href(phone) else None


def mailto_href(email: str | None) -> str | None:
    return f"mailto:{quote(email, safe='@.+-_')}" if email else None


@functools.lru_cache(maxsize=4096)
def phone_display(phone: str | None) -> str:
    """+905321234567 → +90 532 123 45 67 (readable), for numbers we normalised ourselves.
    Kept once formatted: parsing a number costs ~50 µs, a dashboard shows fifty."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def same_digits(raw: str | None, phone: str | None) -> bool:
    """Whether the typed number is just the stored one, formatted differently."""
    digits = "".join(ch for ch in raw or "" if ch.isdigit()).lstrip("0")
    return bool(phone) and phone.lstrip("+").endswith(digits) and len(digits) >= 7


def person_name(lead: FacebookLead) -> str:
    """The lead's name for display (ALL-CAPITAL names in title case; see formats.display_name)."""
    return formats.display_name(lead.full_name, lead.phone)


def whatsapp_message_href(lead: FacebookLead) -> str | None:
    """wa.me link to the lead's phone with the signed-in user's first message, from the
    templates (read once per request)."""
    if "wa_bodies" not in g:
        g.wa_bodies = whatsapp.template_bodies()
    message = whatsapp.message_for(lead, current_user, g.wa_bodies)
    return whatsapp.whatsapp_link(lead.phone, message.text)


def local_input(value: datetime) -> str:
    """*value* in APP_TIMEZONE as an `<input type=datetime-local>` value."""
    return formats.in_app_zone(value).strftime("%Y-%m-%dT%H:%M")


def response_timer(lead: FacebookLead) -> response_targets.Timer | None:
    return response_targets.timer(lead, datetime.now(UTC))


def patient_clock(lead: FacebookLead) -> patient_time.PatientClock | None:
    return patient_time.clock(lead, datetime.now(UTC), current_app.config["APP_TIMEZONE"])


def brand_parts(name: str) -> tuple[str, str]:
    """The logo mark (the brand name's first word) and the rest: "MSH", "Med Tour"."""
    mark, _, rest = name.strip().partition(" ")
    return mark, rest.strip()


def now_utc() -> datetime:
    return datetime.now(UTC)


def url_with(**changes) -> str:
    """The current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app: Flask) -> None:
    app.add_template_filter(formats.format_when, "localtime")
    app.add_template_filter(formats.when_html, "when")
    app.add_template_filter(formats.format_day, "day")
    app.add_template_filter(formats.format_clock, "clock")
    app.add_template_filter(formats.format_count, "number")
    app.add_template_filter(formats.format_ratio, "ratio")
    app.add_template_filter(formats.format_duration, "duration")
    app.add_template_global(formats.weekday_names)
    app.add_template_filter(formats.format_until, "until")
    app.add_template_global(response_timer)
    app.add_template_global(patient_clock)
    app.add_template_filter(formats.format_zone_clock, "zone_clock")
    app.add_template_filter(person_name)
    app.add_template_filter(suggested_email)
    app.add_template_global(formats.local_today)
    app.add_template_filter(labels.label)
    app.add_template_filter(labels.status_label)
    app.add_template_filter(labels.result_label)
    app.add_template_filter(labels.dnc_reason)
    app.add_template_filter(score_style)
    app.add_template_filter(score_title)
    app.add_template_filter(treatment_label)
    app.add_template_filter(phone_display)
    app.add_template_global(same_digits)
    app.add_template_global(tel_href)
    app.add_template_global(whatsapp_href)
    app.add_template_global(mailto_href)
    app.add_template_global(url_with)
    app.add_template_global(messages.translated, "message")
    app.add_template_global(now_utc)
    app.add_template_global(brand_parts(app.config["BRAND_NAME"]), "BRAND")
    app.add_template_global(local_input)
    app.add_template_global(whatsapp_message_href)
    app.add_template_global(whatsapp.PATIENT_LANGUAGES, "PATIENT_LANGUAGES")
    app.add_template_global(sorted(lead_tasks.ASKS_WHEN), "ASKS_WHEN")
    app.add_template_global(meta_health.attention_needed, "meta_attention")
    app.add_template_global(timedelta)
    app.add_template_global(app.config["META_GRAPH_VERSION"], "default_graph_version")
    app.add_template_global(STATUS_STYLES, "STATUS_STYLES")
    app.add_template_global(
        {s.value: style for s, style in STATUS_STYLES.items()}, "STATUS_STYLE_MAP"
    )
    app.add_template_global(LeadStatus, "LeadStatus")
    app.add_template_global(labels.PLATFORM, "PLATFORM_NAMES")
    app.add_template_global(labels.LEAD_SOURCE, "SOURCE_NAMES")
    app.add_template_global(labels.LEAD_FIELD, "LEAD_FIELDS")
    app.add_template_global(labels.META_FORM_STATUS, "META_FORM_STATUS")
    app.add_template_global(score_factors)
    app.add_template_global(score_tiers)
    app.add_template_global(lead_scoring.FACTOR_LABELS, "SCORE_FACTOR_LABELS")
