"""WhatsApp templates: the patient's language from their country, which template wins, the
three placeholders filled in (and nothing else evaluated), the wa.me link."""

from urllib.parse import parse_qs, urlsplit

import pytest

from app.errors import ValidationError
from app.extensions import db
from app.models import User
from app.services import whatsapp
from tests import factories


@pytest.fixture
def admin(app_ctx, users):
    return db.session.get(User, users["admin"])


def lead_from(country: str | None, service: str | None = "hair_transplant", **values):
    return factories.make_lead(country_code=country, service=service, **values)


@pytest.mark.parametrize(
    ("country", "language"),
    [("TR", "tr"), ("DE", "de"), ("AT", "de"), ("SA", "ar"), ("GB", "en"), (None, "en")],
)
def test_the_patient_language_follows_their_country(app_ctx, country, language):
    assert whatsapp.patient_language(lead_from(country)) == language


def test_built_in_texts_fill_name_treatment_and_coordinator_in_the_patients_language(admin):
    message = whatsapp.message_for(lead_from("TR", first_name="Elif"), admin)
    assert message.language == "tr" and message.template_id is None
    assert message.text.startswith("Merhaba Elif, ben MSH Med Tour'dan admin.")
    assert "Saç ekimi" in message.text  # the treatment named in Turkish
    german = whatsapp.message_for(lead_from("DE", first_name="Jonas"), admin)
    assert (
        german.text.startswith("Hallo Jonas, hier ist admin") and "Hair transplant" in german.text
    )


def test_a_treatment_template_wins_over_the_language_one_and_both_over_the_built_in(admin):
    general = whatsapp.save_template(
        None, language="tr", treatment="", body="Selam {first_name}", actor=admin
    )
    special = whatsapp.save_template(
        None,
        language="tr",
        treatment="dental_implants",
        body="{treatment}: {first_name}",
        actor=admin,
    )
    hair = whatsapp.message_for(lead_from("TR", first_name="Can"), admin)
    teeth = whatsapp.message_for(lead_from("TR", "dental_implants", first_name="Can"), admin)
    assert (hair.template_id, hair.text) == (general.id, "Selam Can")
    assert (teeth.template_id, teeth.text) == (special.id, "Diş implantı: Can")


def test_a_language_without_template_or_built_in_text_writes_english(admin):
    whatsapp.save_template(None, language="en", treatment="", body="Hi {first_name}", actor=admin)
    message = whatsapp.message_for(lead_from("IT", first_name="Luca"), admin)
    assert (message.language, message.text) == ("en", "Hi Luca")


def test_lead_text_is_never_evaluated_as_a_template(admin):
    whatsapp.save_template(
        None, language="en", treatment="", body="Hi {first_name} ({treatment})", actor=admin
    )
    lead = lead_from("GB", None, first_name="{coordinator} {0.__class__} %s")
    assert whatsapp.message_for(lead, admin).text == "Hi {coordinator} {0.__class__} %s ()"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "1 to 1000 characters"),
        ("x" * 1001, "1 to 1000 characters"),
        ("Hi {name}", "Unknown placeholder {name}"),
        ("Hi {first_name.__class__}", "Unknown placeholder"),
    ],
)
def test_an_impossible_template_is_refused(admin, body, message):
    with pytest.raises(ValidationError, match=message):
        whatsapp.save_template(None, language="tr", treatment="", body=body, actor=admin)


def test_one_template_per_language_and_treatment(admin):
    first = whatsapp.save_template(None, language="de", treatment="", body="A", actor=admin)
    with pytest.raises(ValidationError, match="already a template"):
        whatsapp.save_template(None, language="de", treatment="", body="B", actor=admin)
    assert (
        whatsapp.save_template(first, language="de", treatment="", body="C", actor=admin).body
        == "C"
    )
    with pytest.raises(ValidationError, match="listed languages"):
        whatsapp.save_template(None, language="xx", treatment="", body="B", actor=admin)
    with pytest.raises(ValidationError, match="listed treatments"):
        whatsapp.save_template(None, language="de", treatment="magic", body="B", actor=admin)


def test_the_link_carries_the_text_for_a_normalised_phone_only(app_ctx):
    link = whatsapp.whatsapp_link("+905321234567", "Merhaba & hoş geldiniz?")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/905321234567")
    assert parse_qs(parts.query)["text"] == ["Merhaba & hoş geldiniz?"]
    assert whatsapp.whatsapp_link("0532 123", "x") is None
    assert whatsapp.whatsapp_link("javascript:alert(1)", "x") is None


def test_an_all_capital_first_name_is_greeted_in_name_case(admin):
    """Issue 14, item 3: "Merhaba İLKER" reads as shouting; Turkish rules for a +90 phone."""
    turkish = lead_from("TR", first_name="IŞIL", phone="+905321234567")
    assert whatsapp.message_for(turkish, admin).text.startswith("Merhaba Işıl, ")
    german = lead_from("DE", first_name="JONAS", phone="+4915112345678")
    assert whatsapp.message_for(german, admin).text.startswith("Hallo Jonas, ")
    stored = lead_from("GB", first_name="ANNE")
    whatsapp.message_for(stored, admin)
    assert stored.first_name == "ANNE"  # the stored value is unchanged
