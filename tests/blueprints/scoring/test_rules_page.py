"""The scoring rules editor: superadmins only, checked input, CSRF, versions and their changes."""

from urllib.parse import urlsplit

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import ConfigStatus, Role, ScoringRuleSet
from app.services import meta_configs, scoring_fields, scoring_rules
from app.services.lead_scoring import DEFAULT_RULES
from tests import factories
from tests.conftest import config_for, reset_schema
from tests.test_routes_walk import client_as_with_token

URL = "/facebook-leads/scoring-rules"


def form(**changes) -> dict[str, str]:
    values = scoring_fields.flat_values(DEFAULT_RULES) | changes
    return {k: str(v) for k, v in values.items()}


def versions(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ScoringRuleSet))


def test_staff_get_403_and_save_nothing(client, auth, users, app):
    auth.login("ayse")
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=form(phone_points=2)).status_code == 403
    assert versions(app) == 0


def test_the_page_shows_every_weight_and_tier_with_the_defaults(client, auth, users):
    auth.login("admin")
    page = client.get(URL).get_data(as_text=True)
    assert "The defaults (version 0) are in force" in page
    for name, value in scoring_fields.flat_values(DEFAULT_RULES).items():
        assert f'name="{name}" value="{value}"' in page
    assert (
        "app/services/lead_scoring.py" not in client.get("/facebook-leads/scoring-dashboard").text
    )


def test_a_superadmin_saves_a_version_and_sees_what_changed(client, auth, users, app):
    auth.login("admin")
    response = client.post(URL, data=form(phone_points=2, hot_from=75, note="cheaper phones"))
    assert urlsplit(response.headers["Location"]).path == URL
    page = client.get(URL).get_data(as_text=True)
    assert "Version 1 saved" in page and "Version 1 in force" in page
    assert "cheaper phones" in page
    history = page.split('id="version-1"', 1)[1].split("</li>", 1)[0]
    assert "Contact details · Valid phone" in history and "<del>12</del>" in history
    assert "Score tiers · Hot from score" in history and "<ins>75</ins>" in history
    assert "Freshness" not in history
    with app.app_context():
        rules = scoring_rules.current_rules()
        assert (rules.phone_points, rules.hot_from, rules.email_points) == (2, 75, 10)


def test_invalid_input_is_refused_with_clear_errors_and_nothing_saved(client, auth, users, app):
    auth.login("admin")
    response = client.post(URL, data=form(phone_points="lots", warm_from=90, fresh_2_hours=5))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was saved: correct the marked values." in page
    assert 'id="phone_points-error">Enter a whole number.' in page
    assert 'name="phone_points" value="lots"' in page  # what was typed stays to correct
    assert versions(app) == 0
    page = client.post(URL, data=form(warm_from=90, fresh_2_hours=5)).get_data(as_text=True)
    assert 'id="warm_from-error">Must be below the hot tier.' in page
    assert 'id="fresh_2_hours-error">Must be longer than the step before.' in page
    page = client.post(URL, data=form(service_ivf=40)).get_data(as_text=True)
    assert "These values can give up to 115 points; the most is 100." in page
    assert versions(app) == 0


def test_saving_unchanged_rules_says_so_and_saves_nothing(client, auth, users, app):
    auth.login("admin")
    page = client.post(URL, data=form()).get_data(as_text=True)
    assert "Nothing changed: these are the rules in force." in page
    assert versions(app) == 0


def test_a_post_without_the_csrf_token_saves_nothing(database):
    app = create_app(config_for(database, WTF_CSRF_ENABLED=True))
    with app.app_context():
        reset_schema()
        factories.make_user("admin", role=Role.SUPERADMIN)
        db.session.commit()
    client = client_as_with_token(app, "superadmin")
    client.post(URL, data=form(phone_points=2))
    assert versions(app) == 0
    page = client.get(URL).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    client.post(URL, data=form(phone_points=2, csrf_token=token))
    assert versions(app) == 1
    app.extensions["task_runner"].shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_refused_save_still_shows_a_failing_connection_in_the_header(client, auth, users, app):
    with app.app_context():
        config = meta_configs.add_config(
            factories.make_distributor(), page_id="1", form_ids=["2"], token="t"
        )
        config.status = ConfigStatus.FAILING  # base.html explains it with message(…)
        db.session.commit()
    auth.login("admin")
    response = client.post(URL, data=form(phone_points="x"))
    assert response.status_code == 200 and "Enter a whole number." in response.text
    assert "the last sync failed." in response.text


def test_a_json_body_that_is_not_an_object_is_no_500_and_saves_nothing(client, auth, users, app):
    """The form reads form posts only (app.forms.FlaskForm): a JSON list was a 500."""
    auth.login("admin")
    for body in ([1, 2], "text", {"weights": {"a": 1}}):
        response = client.post("/facebook-leads/scoring-rules", json=body)
        assert response.status_code < 500
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoringRuleSet)) == 0
