from datetime import UTC, date, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from app.meta.normalize import normalize_email, normalize_lead, normalize_phone, parse_meta_time

TODAY = date(2026, 11, 26)


def lead(*answers, **extra):
    return {
        "id": "1700000000000001",
        "created_time": "2026-10-01T12:00:00+0000",
        "field_data": [{"name": name, "values": [value]} for name, value in answers],
        **extra,
    }


def values(raw, **kw):
    result = normalize_lead(raw, today=TODAY, **kw)
    assert result.error is None
    return result.values


def test_full_name_is_split_into_first_and_last():
    v = values(lead(("full_name", "  Maria   da Silva ")))
    assert (v["first_name"], v["last_name"]) == ("Maria da", "Silva")


def test_first_and_last_name_questions_win_over_full_name():
    v = values(lead(("first_name", "Ayşe"), ("last_name", "Yılmaz"), ("full_name", "X Y")))
    assert (v["first_name"], v["last_name"]) == ("Ayşe", "Yılmaz")


def test_single_word_name_is_a_first_name():
    v = values(lead(("full_name", "محمد")))
    assert (v["first_name"], v["last_name"]) == ("محمد", None)


def test_email_is_lower_cased_and_invalid_email_is_none():
    assert values(lead(("email", " Ahmet.Kaya@GMAIL.com ")))["email"] == "ahmet.kaya@gmail.com"
    assert values(lead(("email", "ahmet@")))["email"] is None
    assert values(lead(("email", "none")))["email"] is None


def test_turkish_national_phone_becomes_e164_and_raw_is_kept():
    v = values(lead(("phone_number", "0532 123 45 67")))
    assert v["phone"] == "+905321234567"
    assert v["phone_raw"] == "0532 123 45 67"


def test_phone_uses_the_leads_country_before_the_default_region():
    v = values(lead(("phone_number", "030 12345678"), ("country", "Germany")))
    assert v["phone"] == "+493012345678"


def test_international_prefix_00_and_missing_plus_are_understood():
    assert normalize_phone("0049 30 12345678", "TR") == "+493012345678"
    assert normalize_phone("447911123456", "TR") == "+447911123456"


def test_invalid_phone_is_none_not_an_error():
    v = values(lead(("phone_number", "call me")))
    assert v["phone"] is None and v["phone_raw"] == "call me"


def test_default_region_setting_is_used():
    assert normalize_phone("020 7946 0018", "GB") == "+442079460018"


def test_treatment_comes_from_the_custom_question():
    v = values(lead(("which_treatment_are_you_interested_in?", "hair_transplant")))
    assert v["service"] == "hair_transplant"
    v = values(lead(("which_procedure_are_you_interested_in?", "Breast implants please")))
    assert v["service"] == "breast_augmentation"
    v = values(lead(("which_treatment?", "something unusual")))
    assert v["service"] == "other"


def test_date_of_birth_formats_and_age():
    assert values(lead(("date_of_birth", "12.04.1985")))["date_of_birth"] == date(1985, 4, 12)
    v = values(lead(("date_of_birth", "1985-04-12")))
    assert v["date_of_birth"] == date(1985, 4, 12) and v["age"] == 41
    assert values(lead(("date_of_birth", "31/02/1985")))["date_of_birth"] is None
    assert values(lead(("date_of_birth", "2099-01-01")))["date_of_birth"] is None


def test_age_answer_is_read_when_there_is_no_birth_date():
    assert values(lead(("how_old_are_you?", "I am 34")))["age"] == 34
    assert values(lead(("how_old_are_you?", "old enough")))["age"] is None


def test_consent_from_custom_disclaimer_responses():
    given_ = [{"checkbox_key": "medical_data_consent", "is_checked": "1"}]
    refused = [{"checkbox_key": "medical_data_consent", "is_checked": ""}]
    assert values(lead(custom_disclaimer_responses=given_))["consent"] is True
    assert values(lead(custom_disclaimer_responses=refused))["consent"] is False
    assert values(lead())["consent"] is None


def test_meta_test_leads_are_flagged():
    assert values(lead(("full_name", "<test lead: dummy data for full_name>")))["is_test"]
    assert values(lead(("email", "test@meta.com")))["is_test"]
    assert not values(lead(("full_name", "Ayşe Yılmaz")))["is_test"]


def test_attribution_and_organic_leads():
    v = values(lead(ad_id="238", ad_name="Spring", campaign_name="Q4", platform="IG"))
    assert (v["ad_id"], v["ad_name"], v["campaign_name"], v["platform"]) == (
        "238",
        "Spring",
        "Q4",
        "ig",
    )
    assert v["is_organic"] is False
    assert values(lead(is_organic=True))["is_organic"] is True


def test_raw_field_data_is_kept_whole():
    raw = lead(("full_name", "A B"), ("what_is_your_budget?", "under_$10k"))
    raw["field_data"].append({"name": "inbox_url"})
    assert values(raw)["form_data"] == raw["field_data"]


def test_nul_and_lone_surrogates_are_made_storable():
    v = values(lead(("full_name", "Ali\x00 Veli"), ("city", "Izmir\ud800")))
    assert v["first_name"] == "Ali" and "\x00" not in str(v["form_data"])
    assert v["city"] is not None
    v["city"].encode("utf-8")


def test_a_3000_character_name_is_cut_to_the_column():
    v = values(lead(("full_name", "A" * 3000)))
    assert len(v["first_name"]) == 255


def test_lead_without_an_id_is_an_error_not_an_exception():
    assert normalize_lead({"field_data": []}).error == "lead_no_id"
    assert normalize_lead("not a lead").error == "lead_not_object"
    assert normalize_lead({"id": "../../etc"}).error


def test_unparseable_created_time_is_a_warning():
    result = normalize_lead(lead(created_time="yesterday"), today=TODAY)
    assert result.error is None
    assert result.values["meta_created_at"] is None
    assert result.values["parse_error"] == "unparseable created_time"


def test_meta_time_parsing():
    assert parse_meta_time("2018-02-28T08:49:14+0000") == datetime(
        2018, 2, 28, 8, 49, 14, tzinfo=UTC
    )
    assert parse_meta_time(1440120384) == datetime(2015, 8, 21, 1, 26, 24, tzinfo=UTC)
    assert parse_meta_time("garbage") is None and parse_meta_time(None) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
field_entry = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(
                [
                    "full_name",
                    "email",
                    "phone_number",
                    "date_of_birth",
                    "country",
                    "which_treatment?",
                    "how_old_are_you?",
                    "city",
                ]
            )
            | st.text()
        },
        optional={"values": st.lists(st.text() | st.integers(), max_size=3) | json_values},
    ),
)
raw_leads = st.fixed_dictionaries(
    {"id": st.from_regex(r"\A[0-9]{15,17}\Z")},
    optional={
        "field_data": st.lists(field_entry, max_size=8) | json_values,
        "created_time": st.text() | st.integers(min_value=-(2**40), max_value=2**40),
        "custom_disclaimer_responses": json_values,
        "is_organic": json_values,
        "platform": json_values,
        "ad_name": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(raw_leads)
def test_normaliser_never_raises_and_output_is_storable(raw):
    result = normalize_lead(raw, today=TODAY)
    if not isinstance(raw.get("field_data"), list):  # answers of the wrong shape: quarantined
        assert result.error == "field_data_shape" and result.values["meta_lead_id"] == raw["id"]
        return
    assert result.error is None
    v = result.values
    if v["phone"] is not None:
        assert phonenumbers.is_valid_number(phonenumbers.parse(v["phone"]))
        assert v["phone"] == phonenumbers.format_number(
            phonenumbers.parse(v["phone"]), phonenumbers.PhoneNumberFormat.E164
        )
    for key in ("first_name", "last_name", "city", "country", "phone_raw", "email"):
        assert v[key] is None or (len(v[key]) <= 255 and "\x00" not in v[key])
        if v[key] is not None:
            v[key].encode("utf-8")
    assert "\\u0000" not in str(v["form_data"]).encode("unicode_escape").decode()


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.text(), json_values))
def test_normaliser_never_raises_on_any_json(raw):
    normalize_lead(raw, today=TODAY)


@settings(max_examples=500, deadline=None)
@given(
    st.emails()
    | st.from_regex(r"\A[A-Za-z0-9._+-]{1,20}@[A-Za-z0-9.-]{1,20}\Z")
    | st.text(max_size=40)
)
def test_email_fast_path_agrees_with_email_validator(address):
    ours = normalize_email(address)
    try:
        theirs = validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except (EmailNotValidError, ValueError, UnicodeError):
        theirs = None
    assert ours == theirs


@given(
    st.text(alphabet="0123456789 +-()./", max_size=25), st.sampled_from(["TR", "DE", "GB", "AE"])
)
def test_phone_output_is_always_valid_e164(text, region):
    phone = normalize_phone(text, region)
    assert phone is None or phonenumbers.is_valid_number(phonenumbers.parse(phone))
