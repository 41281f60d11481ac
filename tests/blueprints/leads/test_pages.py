"""The lead dashboard and detail page: access, paging, filters, and lead data rendered as text."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from markupsafe import escape

from app.extensions import db
from app.models import FacebookLead, LeadStatus
from tests import factories

DASHBOARD = "/facebook-leads/"
ROW = re.compile(rb'<tr data-lead-id="(\d+)"')

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
]
RAW_TAGS = [b"<script>alert", b"<img src=x", b"<svg onload"]


def row_ids(response) -> list[int]:
    return [int(m) for m in ROW.findall(response.data)]


def add_leads(app, *specs: dict) -> list[int]:
    with app.app_context():
        ids = [factories.make_lead(**spec).id for spec in specs]
        db.session.commit()
    return ids


@pytest.fixture
def admin(auth, users):
    auth.login("admin")
    return users["admin"]


# --- access ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_with_next(app, client):
    (lead_id,) = add_leads(app, {})
    for path in (DASHBOARD, f"/facebook-leads/{lead_id}"):
        response = client.get(path)
        assert response.status_code in (302, 303)
        assert response.headers["Location"].startswith("/auth/login?next=")
        assert "next=%2Ffacebook-leads%2F" in response.headers["Location"]


def test_staff_see_only_their_own_leads_and_others_are_a_404(app, client, auth, users):
    own, other = add_leads(
        app,
        {"first_name": "Zeynep", "assigned_to_id": users["ayse"]},
        {"first_name": "Kemal", "assigned_to_id": users["mehmet"]},
    )
    auth.login("ayse")
    dashboard = client.get(DASHBOARD)
    assert row_ids(dashboard) == [own]
    assert b"Kemal" not in dashboard.data and b"My leads" in dashboard.data
    assert client.get(f"/facebook-leads/{own}").status_code == 200
    response = client.get(f"/facebook-leads/{other}")
    assert response.status_code == 404 and b"Kemal" not in response.data


# --- the table ------------------------------------------------------------------------------


def test_superadmin_sees_fifty_rows_per_page_and_a_pager(app, client, admin):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    add_leads(app, *({"meta_created_at": base + timedelta(minutes=n)} for n in range(120)))

    first = client.get(DASHBOARD)
    assert first.status_code == 200
    assert len(row_ids(first)) == 50
    assert b'class="pagination' in first.data
    assert b"page=3" in first.data
    assert b"Page 1 of 3" in first.data
    assert b"120 leads" in first.data

    third = client.get(DASHBOARD, query_string={"page": 3})
    assert len(row_ids(third)) == 20
    assert b"Page 3 of 3" in third.data

    seen = (
        row_ids(first) + row_ids(client.get(DASHBOARD, query_string={"page": 2})) + row_ids(third)
    )
    assert len(set(seen)) == 120


def test_newest_lead_comes_first_by_default(app, client, admin):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    old, new = add_leads(
        app, {"meta_created_at": base}, {"meta_created_at": base + timedelta(days=1)}
    )
    assert row_ids(client.get(DASHBOARD)) == [new, old]
    assert row_ids(client.get(DASHBOARD, query_string={"sort": "received_asc"})) == [old, new]


def test_one_page_shows_no_pager(app, client, admin):
    add_leads(app, {}, {})
    response = client.get(DASHBOARD)
    assert len(row_ids(response)) == 2
    assert b'class="pagination' not in response.data


def test_soft_deleted_leads_are_not_listed(app, client, admin):
    kept, gone = add_leads(app, {}, {"deleted_at": datetime.now(UTC)})
    assert row_ids(client.get(DASHBOARD)) == [kept]
    assert client.get(f"/facebook-leads/{gone}").status_code == 404


def test_filter_by_status(app, client, admin):
    new, contacted = add_leads(app, {"status": LeadStatus.NEW}, {"status": LeadStatus.CONTACTED})
    assert row_ids(client.get(DASHBOARD, query_string={"status": "contacted"})) == [contacted]
    assert row_ids(client.get(DASHBOARD, query_string={"status": "new"})) == [new]
    # An unknown status is ignored rather than matching nothing.
    assert sorted(row_ids(client.get(DASHBOARD, query_string={"status": "bogus"}))) == [
        new,
        contacted,
    ]


def test_filter_by_distributor(app, client, admin):
    with app.app_context():
        istanbul = factories.make_distributor("Istanbul Clinics").id
        antalya = factories.make_distributor("Antalya Smile").id
        db.session.commit()
    ist_lead, ant_lead = add_leads(app, {"distributor_id": istanbul}, {"distributor_id": antalya})

    response = client.get(DASHBOARD, query_string={"distributor": antalya})
    assert row_ids(response) == [ant_lead]
    assert b"Antalya Smile" in response.data
    assert row_ids(client.get(DASHBOARD, query_string={"distributor": istanbul})) == [ist_lead]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ayşe", "ayse"),
        ("Demir", "mehmet"),
        ("mehmet.d@", "mehmet"),
        ("EXAMPLE.ORG", "mehmet"),
        ("0532 123", "ayse"),
        ("532-123-45", "ayse"),
        ("+90 544 999", "mehmet"),
    ],
)
def test_free_text_search_over_name_email_and_phone(app, client, admin, query, expected):
    ids = dict(
        zip(
            ("ayse", "mehmet"),
            add_leads(
                app,
                {
                    "first_name": "Ayşe",
                    "last_name": "Kaya",
                    "email": "ayse.k@example.com",
                    "phone": "+905321234567",
                },
                {
                    "first_name": "Mehmet",
                    "last_name": "Demir",
                    "email": "mehmet.d@example.org",
                    "phone": "+905449998877",
                },
            ),
            strict=True,
        )
    )
    assert row_ids(client.get(DASHBOARD, query_string={"q": query})) == [ids[expected]]


def test_search_with_two_digits_does_not_match_phones(app, client, admin):
    add_leads(app, {"first_name": "Ali", "email": "ali@example.com", "phone": "+905321234567"})
    response = client.get(DASHBOARD, query_string={"q": "53"})
    assert row_ids(response) == []


@pytest.mark.parametrize("wildcard", ["%", "_", "\\"])
def test_search_treats_like_wildcards_as_text(app, client, admin, wildcard):
    add_leads(app, {"first_name": "Ali"}, {"first_name": "Veli"})
    response = client.get(DASHBOARD, query_string={"q": wildcard})
    assert row_ids(response) == []
    assert b"No leads match these filters" in response.data


def test_search_matches_word_prefixes_and_ignores_punctuation(app, client, admin):
    hit, also, _ = add_leads(
        app, {"last_name": "100% sure"}, {"last_name": "1000 sure"}, {"last_name": "Kaya"}
    )
    assert sorted(row_ids(client.get(DASHBOARD, query_string={"q": "100%"}))) == sorted([hit, also])


def test_sort_by_score(app, client, admin):
    low, high, mid = add_leads(app, {"score": 10}, {"score": 90}, {"score": 55})
    assert row_ids(client.get(DASHBOARD, query_string={"sort": "score"})) == [high, mid, low]


def test_filters_combine_and_survive_paging_links(app, client, admin):
    add_leads(
        app,
        *({"status": LeadStatus.CONTACTED, "score": n} for n in range(60)),
        {"status": LeadStatus.NEW},
    )
    response = client.get(DASHBOARD, query_string={"status": "contacted", "sort": "score"})
    assert len(row_ids(response)) == 50
    assert b"60 matching" in response.data
    assert re.search(
        rb'href="[^"]*status=contacted[^"]*page=2|href="[^"]*page=2[^"]*status=contacted',
        response.data,
    )


def test_empty_state_when_there_are_no_leads(client, admin):
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert b"No leads yet" in response.data
    assert b"No leads match these filters" not in response.data


def test_empty_state_when_nothing_matches(app, client, admin):
    add_leads(app, {"first_name": "Ali"})
    response = client.get(DASHBOARD, query_string={"q": "nobody-by-this-name"})
    assert b"No leads match these filters" in response.data
    assert b"No leads yet" not in response.data
    assert b"Clear filters" in response.data


def test_page_past_the_end_goes_to_the_last_page_instead_of_claiming_no_leads(app, client, admin):
    add_leads(app, *({"status": LeadStatus.CONTACTED} for _ in range(55)))
    response = client.get(DASHBOARD, query_string={"page": 99, "status": "contacted"})
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    assert "page=2" in location and "status=contacted" in location
    last = client.get(location)
    assert len(row_ids(last)) == 5
    assert b"No leads yet" not in last.data


# --- the detail page ------------------------------------------------------------------------


def test_detail_shows_normalised_fields_attribution_consent_and_answers(app, client, admin):
    (lead_id,) = add_leads(
        app,
        {
            "first_name": "Ayşe",
            "last_name": "Kaya",
            "email": "ayse.k@example.com",
            "phone": "+905321234567",
            "phone_raw": "0532 123 45 67",
            "city": "Izmir",
            "country": "TR",
            "service": "hair_transplant",
            "date_of_birth": date(1990, 4, 2),
            "age": 35,
            "consent": True,
            "platform": "ig",
            "campaign_id": "120200000000001",
            "campaign_name": "Hair TR Spring",
            "adset_name": "Women 25-45",
            "ad_name": "Before-after video",
            "meta_lead_id": "1234567890123456",
            "form_data": [
                {"name": "which_treatment_are_you_interested_in?", "values": ["Saç ekimi"]},
                {"name": "when_would_you_like_to_travel?", "values": ["next_month", "summer"]},
            ],
        },
    )
    response = client.get(f"/facebook-leads/{lead_id}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for expected in (
        "Ayşe Kaya",
        "ayse.k@example.com",
        'href="mailto:ayse.k@example.com"',
        'href="tel:+905321234567"',
        'href="https://wa.me/905321234567"',
        "+90 532 123 45 67",  # readable; the typed "0532 123 45 67" is the same number
        "Izmir",
        "2 Apr 1990",
        "35 <span",
        "Hair transplant",
        "Given",
        "Instagram",
        "Hair TR Spring",
        "120200000000001",
        "Women 25-45",
        "Before-after video",
        "1234567890123456",
        "which_treatment_are_you_interested_in?",
        "Saç ekimi",
        "when_would_you_like_to_travel?",
        "next_month, summer",
    ):
        assert expected in text, expected


def test_detail_shows_refused_consent(app, client, admin):
    (lead_id,) = add_leads(app, {"consent": False})
    assert b"Not given" in client.get(f"/facebook-leads/{lead_id}").data


def test_detail_links_duplicates_both_ways(app, client, admin):
    with app.app_context():
        original = factories.make_lead(first_name="Ayşe", last_name="Original")
        again = factories.make_lead(
            first_name="Ayşe", last_name="Again", duplicate_of_id=original.id
        )
        factories.make_lead(first_name="Someone", last_name="Else")
        db.session.commit()
        original_id, again_id = original.id, again.id

    on_original = client.get(f"/facebook-leads/{original_id}").get_data(as_text=True)
    assert f'href="/facebook-leads/{again_id}"' in on_original
    assert "Ayşe Again" in on_original
    assert "Someone Else" not in on_original

    on_again = client.get(f"/facebook-leads/{again_id}").get_data(as_text=True)
    assert f'href="/facebook-leads/{original_id}"' in on_again
    assert "original" in on_again


def test_detail_without_duplicates_or_answers_says_so(app, client, admin):
    (lead_id,) = add_leads(app, {"form_data": []})
    text = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    assert "No other lead with this phone or email." in text
    assert "No answers in this lead." in text


def test_unknown_lead_is_a_404_page(client, admin):
    response = client.get("/facebook-leads/999999")
    assert response.status_code == 404
    assert b"Not found" in response.data


# --- hostile lead data ----------------------------------------------------------------------


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_lead_strings_render_as_text_on_list_and_detail(app, client, admin, payload):
    (lead_id,) = add_leads(
        app,
        {
            "first_name": payload,
            "last_name": payload,
            "city": payload,
            "phone": None,
            "phone_raw": payload,
            "campaign_name": payload,
            "form_data": [{"name": payload, "values": [payload]}],
        },
    )
    escaped = str(escape(payload)).encode()
    for path in (DASHBOARD, f"/facebook-leads/{lead_id}"):
        html = client.get(path).data
        assert escaped in html, path
        for raw in RAW_TAGS:
            assert raw not in html, (path, raw)


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_strings_are_escaped_in_search_box_and_filters(app, client, admin, payload):
    response = client.get(DASHBOARD, query_string={"q": payload})
    assert str(escape(payload)).encode() in response.data
    for raw in RAW_TAGS:
        assert raw not in response.data


@pytest.mark.parametrize(
    "phone",
    ["javascript:alert(1)", "+90532 123", "0532abc", "+", "tel:+905321234567", "+90532\n1234"],
)
def test_phone_that_is_not_e164_never_becomes_a_link(app, client, admin, phone):
    (lead_id,) = add_leads(app, {"phone": phone, "phone_raw": phone})
    html = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    assert 'href="tel:' not in html
    assert "wa.me" not in html
    assert 'href="javascript:' not in html
    assert "not a valid number" in html


def test_hostile_email_is_not_a_script_link(app, client, admin):
    (lead_id,) = add_leads(app, {"email": 'javascript:alert(1)//"><b>x</b>'})
    html = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    assert 'href="javascript:' not in html
    assert "<b>x</b>" not in html
    mailto = re.search(r'href="(mailto:[^"]*)"', html)
    assert mailto and '"' not in mailto.group(1) and "<" not in mailto.group(1)


def test_lead_row_is_the_model_it_claims(app, client, admin):
    """Guard for the helpers above: the row marker carries the real lead id."""
    (lead_id,) = add_leads(app, {"first_name": "Marker"})
    with app.app_context():
        assert db.session.get(FacebookLead, lead_id).first_name == "Marker"
    assert row_ids(client.get(DASHBOARD)) == [lead_id]
