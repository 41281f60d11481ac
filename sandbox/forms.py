"""The sandbox's Instant Forms: questions (Meta §3 shape) and the ads that use them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORM_KINDS = ("hair", "dental", "ivf")


@dataclass(frozen=True)
class FormSpec:
    kind: str
    name: str
    locale: str
    created_time: str
    campaign: str
    questions: tuple[
        tuple[str, str, str, tuple[tuple[str, str], ...]], ...
    ]  # key, label, type, opts


def _opts(*pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple((pair.split("=", 1)[0], pair.split("=", 1)[1]) for pair in pairs)


SPECS: dict[str, FormSpec] = {
    "hair": FormSpec(
        kind="hair",
        name="Hair Transplant Istanbul – Free Consultation (EN)",
        locale="en_US",
        created_time="2025-09-02T10:14:33+0000",
        campaign="HT | EN | Leads",
        questions=(
            ("full_name", "Full name", "FULL_NAME", ()),
            ("email", "Email", "EMAIL", ()),
            ("phone_number", "Phone number", "PHONE", ()),
            ("country", "Country", "COUNTRY", ()),
            (
                "which_treatment_are_you_interested_in?",
                "Which treatment are you interested in?",
                "CUSTOM",
                _opts(
                    "hair_transplant=Hair transplant",
                    "beard_transplant=Beard transplant",
                    "eyebrow_transplant=Eyebrow transplant",
                ),
            ),
            (
                "when_would_you_like_to_travel?",
                "When would you like to travel?",
                "CUSTOM",
                _opts(
                    "within_1_month=Within 1 month",
                    "1_3_months=In 1-3 months",
                    "3_6_months=In 3-6 months",
                    "just_researching=Just researching",
                ),
            ),
            ("how_old_are_you?", "How old are you?", "CUSTOM", ()),
        ),
    ),
    "dental": FormSpec(
        kind="dental",
        name="Zahnbehandlung Türkei / Diş Tedavisi – Angebot (DE/TR)",
        locale="de_DE",
        created_time="2025-10-20T07:45:02+0000",
        campaign="DENT | DE+TR | Leads",
        questions=(
            ("first_name", "Vorname", "FIRST_NAME", ()),
            ("last_name", "Nachname", "LAST_NAME", ()),
            ("email", "E-Mail", "EMAIL", ()),
            ("phone_number", "Telefonnummer", "PHONE", ()),
            ("city", "Stadt", "CITY", ()),
            (
                "which_treatment?",
                "Welche Behandlung?",
                "CUSTOM",
                _opts(
                    "dental_implants=Zahnimplantate",
                    "veneers=Veneers",
                    "all_on_4=All-on-4",
                    "teeth_whitening=Bleaching",
                ),
            ),
            ("date_of_birth", "Geburtsdatum", "DOB", ()),
        ),
    ),
    "ivf": FormSpec(
        kind="ivf",
        name="IVF & Aesthetic Surgery Packages 2026",
        locale="en_GB",
        created_time="2026-01-11T16:03:51+0000",
        campaign="IVF+AES | Global | Leads",
        questions=(
            ("full_name", "Full name", "FULL_NAME", ()),
            ("phone_number", "Phone number", "PHONE", ()),
            ("email", "Email", "EMAIL", ()),
            ("country", "Country", "COUNTRY", ()),
            (
                "which_procedure_are_you_interested_in?",
                "Which procedure are you interested in?",
                "CUSTOM",
                _opts(
                    "ivf=IVF",
                    "rhinoplasty=Rhinoplasty",
                    "breast_augmentation=Breast augmentation",
                    "liposuction=Liposuction",
                    "tummy_tuck=Tummy tuck",
                    "gastric_sleeve=Gastric sleeve",
                ),
            ),
            ("date_of_birth", "Date of birth", "DOB", ()),
        ),
    ),
}


@dataclass(frozen=True)
class AdRef:
    ad_id: str
    ad_name: str
    adset_id: str
    adset_name: str
    campaign_id: str
    campaign_name: str

    def fields(self) -> dict[str, str]:
        return {
            "ad_id": self.ad_id,
            "ad_name": self.ad_name,
            "adset_id": self.adset_id,
            "adset_name": self.adset_name,
            "campaign_id": self.campaign_id,
            "campaign_name": self.campaign_name,
        }


@dataclass
class SandboxForm:
    """One Instant Form and its ads; the lead index lives in the state."""

    id: str
    page_id: str
    kind: str
    name: str
    locale: str
    status: str
    created_time: str
    questions: list[dict[str, Any]]
    ads: list[AdRef] = field(default_factory=list)
    test_lead_id: str | None = None
    options: dict[str, list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.options = {
            q["key"]: [option["key"] for option in q["options"]]
            for q in self.questions
            if q.get("options")
        }

    def option_keys(self, question_key: str) -> list[str]:
        return self.options.get(question_key, [])


def build_questions(spec: FormSpec, form_number: int) -> list[dict[str, Any]]:
    """Meta-shaped `questions[]` with stable numeric ids."""
    questions: list[dict[str, Any]] = []
    for index, (key, label, qtype, options) in enumerate(spec.questions, start=1):
        question: dict[str, Any] = {
            "id": str(3_000_000_000_000 + form_number * 100 + index),
            "key": key,
            "label": label,
            "type": qtype,
        }
        if options:
            question["options"] = [{"key": okey, "value": value} for okey, value in options]
        questions.append(question)
    return questions


def build_ads(spec: FormSpec, form_number: int, names: tuple[list[str], list[str]]) -> list[AdRef]:
    """Two campaigns x two ad sets x two ads per form, with 17-digit ids."""
    ad_names, adset_names = names
    ads: list[AdRef] = []
    base = 23_850_000_000_000_000 + form_number * 1_000_000
    for c in range(2):
        campaign_id = str(base + c * 1000)
        campaign_name = f"{spec.campaign} | {'Q4 2026' if c else 'Always-on'}"
        for s in range(2):
            adset_id = str(base + c * 1000 + (s + 1) * 100)
            adset_name = adset_names[(form_number + c * 2 + s) % len(adset_names)]
            for a in range(2):
                ads.append(
                    AdRef(
                        ad_id=str(base + c * 1000 + (s + 1) * 100 + a + 1),
                        ad_name=ad_names[(form_number + c + s * 2 + a) % len(ad_names)],
                        adset_id=adset_id,
                        adset_name=adset_name,
                        campaign_id=campaign_id,
                        campaign_name=campaign_name,
                    )
                )
    return ads
