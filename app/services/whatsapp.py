"""WhatsApp message templates: the first message to a patient, in the patient's language,
per treatment, with `{first_name}`, `{treatment}` and `{coordinator}` filled in.

The patient's language comes from their country (the phone's region, else the form's
country answer: `leads.country_code`). A template for the language and treatment wins, then
the language's general one, then the built-in text for the language, then English. Filling in
is plain replacement of the three names (never `str.format` on stored text). Callers commit."""

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import sqlalchemy as sa
from flask import has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _

from app.errors import ValidationError
from app.extensions import db
from app.i18n import LANGUAGE_NAMES
from app.i18n.formats import display_name
from app.meta.treatments import TREATMENTS
from app.models import FacebookLead, User, WhatsAppTemplate
from app.models.base import MAX_ID

W = WhatsAppTemplate
PLACEHOLDERS = ("{first_name}", "{treatment}", "{coordinator}")
PLACEHOLDER_RE = re.compile(r"\{[^{}]*\}")
MAX_BODY = 1000
# The patient languages a template can be written in, each named in its own words.
PATIENT_LANGUAGES: dict[str, str] = {
    "tr": "Türkçe",
    "en": "English",
    "de": "Deutsch",
    "ar": "العربية",
    "fr": "Français",
    "nl": "Nederlands",
    "ru": "Русский",
    "es": "Español",
    "it": "Italiano",
}
COUNTRY_LANGUAGE: dict[str, str] = {
    **dict.fromkeys(("TR", "CY", "AZ"), "tr"),
    **dict.fromkeys(("DE", "AT", "CH", "LI"), "de"),
    **dict.fromkeys(("FR", "BE", "LU", "MC"), "fr"),
    **dict.fromkeys(("NL", "SR"), "nl"),
    **dict.fromkeys(("RU", "BY", "KZ", "KG"), "ru"),
    **dict.fromkeys(("ES", "MX", "AR", "CO", "CL", "PE"), "es"),
    **dict.fromkeys(("IT", "SM"), "it"),
    **dict.fromkeys(
        ("SA", "AE", "QA", "KW", "BH", "OM", "EG", "IQ", "JO", "LB", "LY", "MA", "DZ", "TN"),
        "ar",
    ),
}
DEFAULTS: dict[str, str] = {
    "tr": "Merhaba {first_name}, ben MSH Med Tour'dan {coordinator}. {treatment} ile ilgili "
    "talebinizi aldım. Size ne zaman ulaşabilirim?",
    "en": "Hello {first_name}, this is {coordinator} from MSH Med Tour. I received your "
    "request about {treatment}. When is a good time to talk?",
    "de": "Hallo {first_name}, hier ist {coordinator} von MSH Med Tour. Ich habe Ihre Anfrage "
    "zu {treatment} erhalten. Wann passt es Ihnen für ein kurzes Gespräch?",
    "ar": "مرحبًا {first_name}، معك {coordinator} من MSH Med Tour. وصلني طلبك بخصوص "
    "{treatment}. متى يناسبك أن نتحدث؟",
    "fr": "Bonjour {first_name}, ici {coordinator} de MSH Med Tour. J'ai bien reçu votre "
    "demande concernant {treatment}. Quand puis-je vous appeler ?",
    "ru": "Здравствуйте, {first_name}! Это {coordinator} из MSH Med Tour. Я получил(а) ваш "
    "запрос о {treatment}. Когда вам удобно поговорить?",
}


@dataclass(frozen=True)
class Message:
    language: str
    text: str
    template_id: int | None  # None: the built-in text


def patient_language(lead: FacebookLead) -> str:
    """The language to write to the patient in (English when their country says nothing)."""
    return COUNTRY_LANGUAGE.get((lead.country_code or "").upper(), "en")


def treatment_name(key: str | None, language: str) -> str:
    """The treatment's name in *language* when the desk speaks it, else in English."""
    if not key or key not in TREATMENTS:
        return ""
    if not has_app_context():
        return str(TREATMENTS[key])  # no catalogue outside an app (English), not kept
    return translated_treatment(key, language if language in LANGUAGE_NAMES else "en")


@functools.lru_cache(maxsize=1024)
def translated_treatment(key: str, language: str) -> str:
    """Kept: a dashboard asks for it on every row (forcing a locale each time was ~20 µs)."""
    with force_locale(language):
        return str(TREATMENTS[key])


Bodies = dict[tuple[str, str], tuple[int, str]]


def template_bodies() -> Bodies:
    """Every stored template: (language, treatment) → (id, body). Few rows: read once a page."""
    return {(t.language, t.treatment): (t.id, t.body) for t in list_templates()}


def pick_body(bodies: Bodies, language: str, treatment: str | None) -> tuple[int, str] | None:
    return bodies.get((language, treatment or "")) or bodies.get((language, ""))


def message_for(lead: FacebookLead, coordinator: User, bodies: Bodies | None = None) -> Message:
    """The first WhatsApp message to *lead*'s patient from *coordinator*, filled in."""
    bodies = template_bodies() if bodies is None else bodies
    language = patient_language(lead)
    found = pick_body(bodies, language, lead.service)
    if found is None and language not in DEFAULTS:
        language = "en"
        found = pick_body(bodies, language, lead.service)
    template_id, body = found if found is not None else (None, DEFAULTS[language])
    values = {
        "{first_name}": display_name((lead.first_name or "").strip(), lead.phone),
        "{treatment}": treatment_name(lead.service, language),
        "{coordinator}": coordinator.shown_name,
    }
    text = PLACEHOLDER_RE.sub(lambda m: values.get(m.group(0), m.group(0)), body)
    return Message(language, text, template_id)


def whatsapp_link(phone: str | None, text: str) -> str | None:
    """`https://wa.me/<digits>?text=…` for an E.164 number we normalised, else None."""
    if not phone or not re.fullmatch(r"\+[1-9][0-9]{1,14}", phone):
        return None
    return f"https://wa.me/{phone[1:]}?text={quote(text, safe='')}"


def list_templates() -> list[WhatsAppTemplate]:
    return list(db.session.scalars(sa.select(W).order_by(W.language, W.treatment)))


def get_template(template_id: int) -> WhatsAppTemplate | None:
    return db.session.get(W, template_id) if 0 < template_id <= MAX_ID else None


def save_template(
    template: WhatsAppTemplate | None, *, language: str, treatment: str, body: str, actor: User
) -> WhatsAppTemplate:
    """Create (*template* None) or change a template; raises ValidationError."""
    body = checked_body(body)
    if language not in PATIENT_LANGUAGES:
        raise ValidationError(_("Choose one of the listed languages."))
    if treatment and treatment not in TREATMENTS:
        raise ValidationError(_("Choose one of the listed treatments."))
    clash = db.session.scalar(sa.select(W).where(W.language == language, W.treatment == treatment))
    if clash is not None and clash is not template:
        raise ValidationError(_("There is already a template for this language and treatment."))
    template = template or WhatsAppTemplate()
    template.language, template.treatment, template.body = language, treatment, body
    template.updated_by_id, template.updated_at = actor.id, datetime.now(UTC)
    db.session.add(template)
    db.session.flush()
    return template


def delete_template(template: WhatsAppTemplate) -> None:
    db.session.delete(template)
    db.session.flush()


def checked_body(body: str) -> str:
    body = (body or "").strip()
    if not body or len(body) > MAX_BODY:
        raise ValidationError(_("Write a message of 1 to %(max)d characters.", max=MAX_BODY))
    unknown = sorted(set(PLACEHOLDER_RE.findall(body)) - set(PLACEHOLDERS))
    if unknown:
        raise ValidationError(
            _(
                "Unknown placeholder %(found)s: use %(allowed)s.",
                found=", ".join(unknown),
                allowed=", ".join(PLACEHOLDERS),
            )
        )
    return body
