"""Lead scoring: each factor at its boundaries, decay over time, and breakdowns that add up."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.lead_scoring import (
    DEFAULT_RULES,
    ScoringRules,
    factor_maxima,
    score_values,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def breakdown_of(values=None, **kw):
    return score_values(values or {}, now=NOW, **kw)[1]


def answers(n: int) -> list[dict]:
    """n answered custom questions plus the core fields, which never count as answers."""
    core = [
        {"name": "full_name", "values": ["Ayşe Yılmaz"]},
        {"name": "email", "values": ["ayse@example.com"]},
        {"name": "phone_number", "values": ["+905321234567"]},
    ]
    return core + [{"name": f"question_{i}", "values": [f"answer {i}"]} for i in range(n)]


# --- contact --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "points"),
    [
        ({}, 0),
        ({"phone": "+905321234567"}, 12),
        ({"email": "ayse@example.com"}, 10),
        ({"first_name": "Ayşe", "last_name": "Yılmaz"}, 8),
        ({"first_name": "Ayşe"}, 0),
        ({"last_name": "Yılmaz"}, 0),
        ({"phone": "", "email": None, "first_name": "", "last_name": "Yılmaz"}, 0),
        (
            {
                "phone": "+905321234567",
                "email": "ayse@example.com",
                "first_name": "Ayşe",
                "last_name": "Yılmaz",
            },
            30,
        ),
    ],
)
def test_contact_points_are_phone_12_email_10_full_name_8(values, points):
    assert breakdown_of(values)["contact"] == points


@pytest.mark.parametrize("email", ["ayse@gmail.con", "ayse@hotmial.com", "ayse@yahooo.com"])
def test_a_likely_mistyped_email_earns_half_the_email_points(email):
    """Issue 14, item 3: a mail to gmail.con never arrives; it is not full contact."""
    assert breakdown_of({"email": email})["contact"] == 5
    assert breakdown_of({"email": "ayse@gmail.com"})["contact"] == 10


# --- freshness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "points"),
    [
        (timedelta(0), 20),
        (timedelta(hours=1) - SECOND, 20),
        (timedelta(hours=1), 16),
        (timedelta(hours=1) + SECOND, 16),
        (timedelta(hours=24) - SECOND, 16),
        (timedelta(hours=24) + SECOND, 12),
        (timedelta(days=3) - SECOND, 12),
        (timedelta(days=3) + SECOND, 8),
        (timedelta(days=7) - SECOND, 8),
        (timedelta(days=7) + SECOND, 4),
        (timedelta(days=30) - SECOND, 4),
        (timedelta(days=30) + SECOND, 0),
        (timedelta(days=400), 0),
    ],
)
def test_freshness_steps_down_at_1h_24h_3d_7d_and_30d(age, points):
    assert breakdown_of({"meta_created_at": NOW - age})["freshness"] == points


def test_freshness_is_zero_without_a_created_time():
    assert breakdown_of({"meta_created_at": None})["freshness"] == 0


def test_a_naive_created_time_is_read_as_utc():
    naive = (NOW - timedelta(minutes=30)).replace(tzinfo=None)
    assert breakdown_of({"meta_created_at": naive})["freshness"] == 20


# --- service --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "points"),
    [
        ("ivf", 25),
        ("all_on_4", 25),
        ("rhinoplasty", 25),
        ("hair_transplant", 20),
        ("dental_implants", 20),
        ("veneers", 20),
        ("beard_transplant", 12),
        ("teeth_whitening", 12),
        ("dental", 12),
        ("other", 5),
        ("space_tourism", 0),
        ("", 0),
        (None, 0),
    ],
)
def test_service_tiers_with_other_worth_5_and_unknown_worth_nothing(service, points):
    assert breakdown_of({"service": service})["service"] == points


# --- engagement -----------------------------------------------------------------------------


@pytest.mark.parametrize(("answered", "points"), [(0, 0), (1, 3), (2, 6), (3, 9), (4, 9), (9, 9)])
def test_each_custom_answer_is_worth_3_up_to_9(answered, points):
    assert breakdown_of({"form_data": answers(answered)})["engagement"] == points


def test_blank_or_malformed_answers_do_not_count():
    form_data = [
        {"name": "question_1", "values": ["   "]},
        {"name": "question_2", "values": []},
        {"name": "question_3", "values": "not a list"},
        {"name": "question_4"},
        "not a dict",
        {"name": "question_5", "values": ["yes"]},
    ]
    assert breakdown_of({"form_data": form_data})["engagement"] == 3
    assert breakdown_of({"form_data": {"question": ["yes"]}})["engagement"] == 0


@pytest.mark.parametrize(
    ("answered", "results", "points"),
    [
        (0, ("reached",), 6),
        (0, ("callback",), 4),
        (0, ("no_answer",), 1),
        (0, ("voicemail", "wrong_number", "not_interested"), 0),
        (3, ("no_answer",), 10),
        (3, ("reached",), 15),
        (3, ("reached", "reached"), 15),
        (0, ("reached", "reached", "reached"), 15),
        (9, ("reached", "callback", "no_answer"), 15),
    ],
)
def test_contact_results_add_engagement_capped_at_15(answered, results, points):
    values = {"form_data": answers(answered)}
    assert breakdown_of(values, contact_results=results)["engagement"] == points


# --- age ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "points"),
    [
        (25, 10),
        (40, 10),
        (55, 10),
        (18, 6),
        (24, 6),
        (56, 6),
        (65, 6),
        (17, 3),
        (66, 3),
        (90, 3),
        (0, 3),
        (None, 0),
        ("40", 0),
        (40.0, 0),
    ],
)
def test_age_bands_25_to_55_best_then_18_to_24_and_56_to_65(age, points):
    assert breakdown_of({"age": age})["age"] == points


# --- decay, totals, rules -------------------------------------------------------------------


def test_the_same_lead_scores_lower_eight_days_later_only_through_freshness():
    lead = {
        "phone": "+905321234567",
        "email": "ayse@example.com",
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "meta_created_at": NOW - timedelta(minutes=10),
        "service": "hair_transplant",
        "form_data": answers(2),
        "age": 34,
    }
    score_then, then = score_values(lead, now=NOW, contact_results=("callback",))
    score_later, later = score_values(
        lead, now=NOW + timedelta(days=8), contact_results=("callback",)
    )
    assert (then["freshness"], later["freshness"]) == (20, 4)
    assert score_then - score_later == 16
    assert {k: v for k, v in then.items() if k != "freshness"} == {
        k: v for k, v in later.items() if k != "freshness"
    }


def test_a_perfect_lead_scores_100():
    lead = {
        "phone": "+905321234567",
        "email": "ayse@example.com",
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "meta_created_at": NOW,
        "service": "ivf",
        "form_data": answers(3),
        "age": 30,
    }
    assert score_values(lead, now=NOW, contact_results=("reached",)) == (
        100,
        {"contact": 30, "freshness": 20, "service": 25, "engagement": 15, "age": 10},
    )


def test_factor_maxima_add_up_to_100_with_the_default_rules():
    maxima = factor_maxima()
    assert maxima == {"contact": 30, "freshness": 20, "service": 25, "engagement": 15, "age": 10}
    assert sum(maxima.values()) == 100


maybe_text = st.one_of(st.none(), st.just(""), st.text(max_size=20))
form_entry = st.one_of(
    st.fixed_dictionaries(
        {
            "name": st.one_of(st.sampled_from(["full_name", "email", "q1", "q2"]), st.text()),
            "values": st.one_of(st.lists(st.text(max_size=10), max_size=3), st.text()),
        }
    ),
    st.text(max_size=5),
    st.integers(),
    st.none(),
)
lead_values = st.fixed_dictionaries(
    {
        "phone": maybe_text,
        "email": maybe_text,
        "first_name": maybe_text,
        "last_name": maybe_text,
        "meta_created_at": st.one_of(
            st.none(),
            st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            ),
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
        ),
        "service": st.one_of(maybe_text, st.sampled_from(sorted(DEFAULT_RULES.service_tiers))),
        "form_data": st.one_of(st.none(), st.lists(form_entry, max_size=15), st.text(max_size=5)),
        "age": st.one_of(st.none(), st.integers(-5, 130), st.text(max_size=3), st.floats()),
    }
)
results = st.lists(
    st.sampled_from(
        ["reached", "no_answer", "callback", "voicemail", "wrong_number", "not_interested", "?"]
    ),
    max_size=6,
).map(tuple)


@settings(max_examples=300, deadline=None, database=None)
@given(lead_values, results)
def test_the_breakdown_always_sums_to_the_score_within_each_factors_maximum(values, contact):
    score, breakdown = score_values(values, now=NOW, contact_results=contact)
    maxima = factor_maxima()
    assert set(breakdown) == set(maxima)
    assert score == sum(breakdown.values())
    assert all(0 <= breakdown[name] <= maxima[name] for name in maxima)
    assert 0 <= score <= 100


def test_custom_rules_change_weights_tiers_steps_and_caps():
    rules = ScoringRules(
        phone_points=30,
        email_points=0,
        name_points=0,
        freshness_steps=((timedelta(days=1), 40),),
        service_tiers={"dental": 30, "other": 1},
        answer_points=5,
        answer_cap=5,
        contact_result_points={"reached": 20},
        engagement_cap=20,
        age_bands=((30, 40, 10),),
        age_known_points=0,
    )
    lead = {
        "phone": "+905321234567",
        "email": "ayse@example.com",
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "meta_created_at": NOW - timedelta(hours=20),
        "service": "dental",
        "form_data": answers(3),
        "age": 50,
    }
    score, breakdown = score_values(lead, now=NOW, contact_results=("reached",), rules=rules)
    assert breakdown == {"contact": 30, "freshness": 40, "service": 30, "engagement": 20, "age": 0}
    assert score == 120
    assert score_values(lead, now=NOW, contact_results=("reached",))[0] != score
    assert factor_maxima(rules) == {
        "contact": 30,
        "freshness": 40,
        "service": 30,
        "engagement": 20,
        "age": 10,
    }
    assert breakdown_of({"service": "ivf"}, rules=rules)["service"] == 0
