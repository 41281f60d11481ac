"""Consent on each lead from the form's disclaimer answers, and the dashboard filter."""

from app.extensions import db
from tests import factories

RESPONSES = [
    {"checkbox_key": "health_data_ok", "is_checked": "1"},
    {"checkbox_key": "<b>marketing</b>", "is_checked": "0"},
]


def test_consent_is_shown_per_checkbox_and_filterable(app, client, auth, users):
    with app.app_context():
        asked = factories.make_lead(first_name="Asked", consent=False, consent_responses=RESPONSES)
        given = factories.make_lead(
            first_name="Given", consent=True, consent_responses=RESPONSES[:1]
        )
        silent = factories.make_lead(first_name="Silent")
        db.session.commit()
        ids = {"asked": asked.id, "given": given.id, "silent": silent.id}
    auth.login("admin")
    page = client.get(f"/facebook-leads/{ids['asked']}").get_data(as_text=True)
    assert "health_data_ok</span>: ticked" in page
    assert "&lt;b&gt;marketing&lt;/b&gt;</span>: not ticked" in page
    assert "No consent question on the form" in client.get(
        f"/facebook-leads/{ids['silent']}"
    ).get_data(as_text=True)
    everyone = client.get("/facebook-leads/").get_data(as_text=True)
    assert all(f">{name} " in everyone for name in ("Silent", "Asked", "Given"))
    for value, name in (("unknown", "Silent"), ("no", "Asked"), ("yes", "Given")):
        listing = client.get(f"/facebook-leads/?consent={value}").get_data(as_text=True)
        others = {"Silent", "Asked", "Given"} - {name}
        assert name in listing and not any(f">{o} " in listing for o in others), value
    assert 'name="consent"' in client.get("/facebook-leads/").get_data(as_text=True)
