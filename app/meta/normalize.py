"""Turn one raw Graph lead (`field_data` and friends) into lead column values.

Lead data is typed by strangers: nothing here may raise on any input. What cannot be
understood becomes None (the raw answers are always kept in `form_data`).
"""

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from app.meta.text import clean, scrub_json
from app.meta.treatments import treatment_key

E164 = phonenumbers.PhoneNumberFormat.E164
ID_RE = re.compile(r"^[0-9A-Za-z_.:-]{1,64}$")
DIGITS_RE = re.compile(r"\d{1,3}")
# A strict plain-ASCII subset of valid addresses, checked first because email-validator is
# slow on the hot ingest path; anything else goes to email-validator (tests check agreement).
LOCAL_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
DOMAIN_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
SIMPLE_EMAIL_RE = re.compile(
    rf"^{LOCAL_ATOM}(?:\.{LOCAL_ATOM})*@(?:{DOMAIN_LABEL}\.)+[a-z]{{2,63}}$"
)
PLAIN_ENTRY_KEYS = frozenset({"name", "values", "id"})
TEST_LEAD_MARK = "<test lead"
TEST_EMAILS = frozenset({"test@meta.com", "test@fb.com"})
SERVICE_KEYS = ("treatment", "procedure", "service", "tedavi", "behandlung", "interested_in")
AGE_KEYS = ("how_old", "your_age", "yaş", "alter")
# year first (1985-04-12, 1985/4/12, 19850412) or day/month first with a 4-digit year
YMD_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})|(\d{4})(\d{2})(\d{2})")
DMY_RE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
COUNTRY_REGIONS = {
    "turkey": "TR",
    "türkiye": "TR",
    "turkiye": "TR",
    "germany": "DE",
    "deutschland": "DE",
    "united kingdom": "GB",
    "uk": "GB",
    "england": "GB",
    "netherlands": "NL",
    "france": "FR",
    "russia": "RU",
    "united arab emirates": "AE",
    "uae": "AE",
    "saudi arabia": "SA",
    "iraq": "IQ",
    "iran": "IR",
    "egypt": "EG",
    "united states": "US",
    "usa": "US",
    "austria": "AT",
    "switzerland": "CH",
    "belgium": "BE",
    "kuwait": "KW",
    "qatar": "QA",
}
LIMITS = {"name": 255, "place": 120, "attr": 255, "id": 64}


@dataclass
class NormalizedLead:
    """Column values for `facebook_leads`; `error` (a message code of app/messages.py, with
    `error_params`) set when the lead cannot be stored as a lead and must be quarantined."""

    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_params: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def normalize_lead(
    raw: Any, *, default_region: str = "TR", today: date | None = None
) -> NormalizedLead:
    """Normalise one raw Graph lead; never raises."""
    if not isinstance(raw, dict):
        return NormalizedLead(error="lead_not_object")
    lead_id = raw.get("id")
    lead_id = (
        str(lead_id) if isinstance(lead_id, str | int) and not isinstance(lead_id, bool) else ""
    )
    if not ID_RE.match(lead_id):
        return NormalizedLead(error="lead_no_id")
    field_data = raw.get("field_data")
    if not isinstance(field_data, list):  # the answers would vanish: keep the lead raw
        shape = {"shape": shape_of(field_data) if "field_data" in raw else "missing"}
        return NormalizedLead(
            {"meta_lead_id": lead_id}, error="field_data_shape", error_params=shape
        )
    result = NormalizedLead()
    answers, plain = read_field_data(field_data)
    if not plain:  # only odd field_data is walked for NUL and lone surrogates
        field_data = scrub_json(field_data)
    result.values = {
        "meta_lead_id": lead_id,
        "form_data": field_data,
        **attribution(raw),
        **names(answers),
        **contact(answers, default_region),
        **profile(answers, today or datetime.now(UTC).date()),
        **consent(raw.get("custom_disclaimer_responses")),
    }
    created = parse_meta_time(raw.get("created_time"))
    if created is None:
        result.warnings.append("unparseable created_time")
    result.values["meta_created_at"] = created
    result.values["is_test"] = is_test_lead(result.values, answers)
    result.values["parse_error"] = "; ".join(result.warnings) or None
    return result


def shape_of(value: Any) -> str:
    """What a JSON value is, in words ("an object", "a string", "null", …)."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, int | float) else type(value).__name__


def collect_answers(field_data: Any) -> dict[str, str]:
    """`name` → the answer text (values joined), for well-formed entries only."""
    return read_field_data(field_data)[0]


def read_field_data(field_data: Any) -> tuple[dict[str, str], bool]:
    """The answers, and whether field_data is plain: only `{name, values[, id]}` entries
    whose strings are all printable, so it can be stored without scrubbing."""
    answers: dict[str, str] = {}
    if not isinstance(field_data, list):
        return answers, False
    plain = True
    for entry in field_data:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            plain = False
            continue
        plain = plain and name.isprintable() and entry.keys() <= PLAIN_ENTRY_KEYS
        values = entry.get("values")
        if type(values) is list and len(values) == 1 and type(values[0]) is str:
            value = values[0]  # the usual shape: one printable answer
            printable = value.isprintable()
            plain = plain and printable
            text = value.strip() if printable and "  " not in value else clean(value)
        else:
            text, plain = joined_answer(values, plain)
        if text:
            answers[answer_key(name)] = text
    return answers, plain


def joined_answer(values: Any, plain: bool) -> tuple[str, bool]:
    """Any other `values`: a string, several answers, numbers, or nothing usable."""
    if isinstance(values, str):
        values, plain = [values], False
    if not isinstance(values, list):
        return "", plain and values is None
    plain = plain and all(isinstance(v, str) and v.isprintable() for v in values)
    text = ", ".join(clean(v) for v in values if isinstance(v, str | int | float))
    return text.strip(), plain


@functools.lru_cache(maxsize=4096)
def answer_key(name: str) -> str:
    return name.strip().lower()


def optional(value: Any, limit: int) -> str | None:
    text = clean(value, limit)
    return text or None


def attribution(raw: dict) -> dict[str, Any]:
    values = {
        key: optional(raw.get(key), LIMITS["id"] if key.endswith("_id") else LIMITS["attr"])
        for key in ("ad_id", "ad_name", "adset_id", "adset_name", "campaign_id", "campaign_name")
    }
    values["meta_form_id"] = optional(raw.get("form_id"), LIMITS["id"])
    platform = clean(raw.get("platform"), 16).lower()
    values["platform"] = platform or None
    organic = raw.get("is_organic")
    values["is_organic"] = organic is True or (
        isinstance(organic, str) and organic.lower() in {"true", "1"}
    )
    return values


def names(answers: dict[str, str]) -> dict[str, str | None]:
    first, last = answers.get("first_name", ""), answers.get("last_name", "")
    full = answers.get("full_name") or answers.get("name", "")
    if not (first or last) and full:
        first, _, last = full.rpartition(" ") if " " in full else (full, "", "")
    return {
        "first_name": optional(first, LIMITS["name"]),
        "last_name": optional(last, LIMITS["name"]),
    }


def contact(answers: dict[str, str], default_region: str) -> dict[str, str | None]:
    raw_phone = (
        answers.get("phone_number") or answers.get("phone") or answers.get("work_phone_number")
    )
    country = optional(answers.get("country"), LIMITS["place"])
    email = normalize_email(answers.get("email") or answers.get("work_email"))
    number = parse_phone(raw_phone, region_for(country, default_region), email_region(email))
    phone = phonenumbers.format_number(number, E164) if number else None
    region = phonenumbers.region_code_for_number(number) if number else None
    return {
        "email": email,
        "phone": phone,
        "phone_raw": optional(raw_phone, LIMITS["name"]),
        "country": country,
        "country_code": country_code(phone, country, region=region),
        "city": optional(answers.get("city"), LIMITS["place"]),
    }


@functools.lru_cache(maxsize=4096)
def phone_region(phone: str) -> str | None:
    """The country of an E.164 number (`+905321234567` → TR)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return None


def country_code(
    phone: str | None, country: str | None, *, region: str | None = None
) -> str | None:
    """Where the patient is, as an ISO code: from the phone (its *region* when the caller
    has parsed it already), else from the form's country answer when it names one we know
    (never guessed from the default region)."""
    if region is None and phone:
        region = phone_region(phone)
    if region and region != "001":
        return region
    named = region_for(country, "") if country else ""
    return named if named in phonenumbers.SUPPORTED_REGIONS else None


def normalize_email(value: str | None) -> str | None:
    if not value or len(value) > 254:
        return None
    lowered = value.strip().lower()
    if (
        SIMPLE_EMAIL_RE.match(lowered)
        and len(lowered.partition("@")[0]) <= 64
        and lowered.rpartition(".")[2] not in SPECIAL_USE_DOMAIN_NAMES
    ):
        return lowered
    try:
        info = validate_email(value.strip(), check_deliverability=False)
    except (EmailNotValidError, ValueError, UnicodeError):
        return None
    return info.normalized.lower()


def region_for(country: str | None, default_region: str) -> str:
    if not country:
        return default_region
    key = country.lower()
    if key in COUNTRY_REGIONS:
        return COUNTRY_REGIONS[key]
    return key.upper() if len(key) == 2 and key.isalpha() else default_region


def email_region(email: str | None) -> str | None:
    """The country an email's domain suggests (`…@mail.ru` → RU), as a phone-region hint."""
    tld = (email or "").rpartition(".")[2].upper()
    return tld if len(tld) == 2 and tld in phonenumbers.SUPPORTED_REGIONS else None


def normalize_phone(value: str | None, region: str, hint: str | None = None) -> str | None:
    """E.164 for a valid number, else None (the raw text is kept in phone_raw)."""
    number = parse_phone(value, region, hint)
    return phonenumbers.format_number(number, E164) if number else None


def parse_phone(
    value: str | None, region: str, hint: str | None = None
) -> phonenumbers.PhoneNumber | None:
    """The valid number *value* means, else None.

    Tries the lead's country (or the default region), then the digits as an international
    number when the `+` was left off (`447700900123`), then the *hint* region (from the
    email's domain) for a national number of another country (`06 12 45 90 80`, `…@orange.fr`)."""
    if not value or len(value) > 64:
        return None
    attempts = [(value, region)]
    digits = "".join(ch for ch in value if ch.isdigit())
    if not value.lstrip().startswith(("+", "0")) and len(digits) >= 10:
        attempts.append(("+" + digits, region))
    if hint and hint != region:
        attempts.append((value, hint))
    for text, candidate_region in attempts:
        try:
            number = phonenumbers.parse(text, candidate_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    return None


@functools.lru_cache(maxsize=4096)
def key_role(key: str) -> str | None:
    """What a question key asks for: "age", "service" or None (keys repeat: cached)."""
    if key == "age" or any(s in key for s in AGE_KEYS):
        return "age"
    return "service" if any(s in key for s in SERVICE_KEYS) else None


def profile(answers: dict[str, str], today: date) -> dict[str, Any]:
    found: dict[str, str] = {}
    for key, value in answers.items():
        role = key_role(key)
        if role and role not in found:
            found[role] = value
    service = found.get("service")
    dob = parse_dob(answers.get("date_of_birth") or answers.get("dob"), today)
    age = parse_age(found["age"]) if "age" in found else None
    if age is None and dob is not None:
        age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    return {
        "service": treatment_key(service) if service else None,
        "date_of_birth": dob,
        "age": age,
    }


def parse_dob(value: str | None, today: date) -> date | None:
    """A birth date typed as 1985-04-12, 12/04/1985, 12.04.1985, 04/12/1985 (when the day
    cannot be a month), 1985/04/12 or 19850412; None for anything else or impossible dates."""
    text = value.strip() if value and len(value) <= 40 else ""
    if match := YMD_RE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups() if part is not None)
    elif match := DMY_RE.fullmatch(text):  # day first, unless the middle can't be a month
        first, second, year = (int(part) for part in match.groups())
        day, month = (first, second) if second <= 12 else (second, first)
    else:
        return None
    try:
        parsed = date(year, month, day)
    except ValueError:
        return None
    return parsed if date(1900, 1, 1) <= parsed <= today else None


def parse_age(value: str) -> int | None:
    match = DIGITS_RE.search(value)
    if not match:
        return None
    age = int(match.group())
    return age if 0 < age < 120 else None


def consent(responses: Any) -> dict[str, Any]:
    if not isinstance(responses, list) or not responses:
        return {"consent": None, "consent_responses": None}
    checks = [is_checked(r.get("is_checked")) for r in responses if isinstance(r, dict)]
    return {"consent": all(checks) if checks else None, "consent_responses": scrub_json(responses)}


def is_checked(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str | int) and str(value).strip().lower() in {"1", "true", "yes"}


def is_test_lead(values: dict[str, Any], answers: dict[str, str]) -> bool:
    if values.get("email") in TEST_EMAILS or answers.get("email", "").lower() in TEST_EMAILS:
        return True
    return any(TEST_LEAD_MARK in v.lower() for v in answers.values())


def parse_meta_time(value: Any) -> datetime | None:
    """Meta's `2026-10-01T12:00:00+0000` (or a Unix int) → aware UTC datetime."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str) and len(value) <= 40:
            parsed = datetime.fromisoformat(value.strip())  # takes Meta's "+0000" on 3.11+
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None
