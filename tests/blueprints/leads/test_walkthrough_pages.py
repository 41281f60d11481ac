"""What the first walk-through found, on the server-rendered pages (issue 14, item 3)."""

import re

from app.extensions import db
from tests import factories

DETAILS = re.compile(r"<details\b.*?</details>", re.S)


def test_raw_question_keys_and_meta_ids_sit_behind_a_details_toggle(app, client, auth, users):
    with app.app_context():
        lead = factories.make_lead(
            first_name="Ayşe",
            campaign_id="120200000000001",
            campaign_name="Hair TR Spring",
            adset_id="120200000000002",
            ad_id="120200000000003",
            meta_form_id="310000000000004",
            meta_page_id="100000000000005",
            meta_lead_id="1234567890123456",
            form_data=[{"name": "which_treatment_are_you_interested_in?", "values": ["FUE"]}],
            assigned_to_id=users["ayse"],
        )
        db.session.commit()
        lead_id = lead.id
    auth.login("ayse")
    text = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    outside = DETAILS.sub("", text)
    hidden = "".join(DETAILS.findall(text))
    raw = (
        "120200000000001",
        "120200000000002",
        "120200000000003",
        "310000000000004",
        "100000000000005",
        "1234567890123456",
        "which_treatment_are_you_interested_in?",
    )
    for value in raw:
        assert value not in outside, value
        assert value in hidden, value
    assert "Hair TR Spring" in outside  # the names people read stay in view
    assert "Which treatment are you interested in" in outside


def test_a_likely_mistyped_email_is_flagged_with_the_intended_address(app, client, auth, users):
    with app.app_context():
        typo = factories.make_lead(email="ayse@gmail.con", assigned_to_id=users["ayse"]).id
        right = factories.make_lead(email="elif@gmail.com", assigned_to_id=users["ayse"]).id
        db.session.commit()
    auth.login("ayse")
    text = client.get(f"/facebook-leads/{typo}").get_data(as_text=True)
    assert 'id="email-typo"' in text
    assert "Did they mean ayse@gmail.com?" in text
    assert 'id="email-typo"' not in client.get(f"/facebook-leads/{right}").get_data(as_text=True)


def card(text: str, status: str) -> int:
    found = re.search(rf'data-stat="{status}"[^>]*>([\d,]+)<', text)
    assert found, status
    return int(found.group(1).replace(",", ""))


def matching(text: str) -> int:
    found = re.search(r'id="lead-total"[^>]*>\s*([\d,]+)\+? matching', text)
    assert found
    return int(found.group(1).replace(",", ""))


def test_the_status_cards_follow_the_filters_like_the_matching_count(app, client, auth, users):
    with app.app_context():
        for status, service, score in (
            ("new", "hair_transplant", 80),
            ("new", "hair_transplant", 20),
            ("contacted", "hair_transplant", 75),
            ("new", "dental_implants", 90),
            ("lost", "hair_transplant", 90),
        ):
            factories.make_lead(status=status, service=service, score=score)
        db.session.commit()
    auth.login("admin")
    everything = client.get("/facebook-leads/").get_data(as_text=True)
    assert (card(everything, "new"), card(everything, "lost")) == (3, 1)

    # Filters the counters cannot answer (treatment, score): counted, and they agree.
    text = client.get("/facebook-leads/?service=hair_transplant&score_min=50").get_data(
        as_text=True
    )
    assert matching(text) == 3
    assert (card(text, "new"), card(text, "contacted"), card(text, "lost")) == (1, 1, 1)
    assert sum(card(text, s) for s in ("new", "assigned", "contacted", "lost")) == matching(text)

    # A status filter keeps every card (each says what picking it would match).
    text = client.get("/facebook-leads/?service=hair_transplant&status=new").get_data(as_text=True)
    assert matching(text) == card(text, "new") == 2
    assert card(text, "lost") == 1

    # The live refresh asks with the same filters.
    stats = client.get("/facebook-leads/api/stats?service=hair_transplant&score_min=50").json
    assert stats["by_status"]["new"] == 1 and stats["total"] == 3
