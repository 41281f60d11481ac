"""A redirect after an error goes back to the page the request came from only when that page
is ours: never to a foreign `Referer`."""

from urllib.parse import urlsplit

import pytest

from app import create_app
from app.extensions import db
from tests import factories
from tests.conftest import config_for, reset_schema

STALE = {"status": "contacted", "version_id": "999"}  # a form post that raises ConflictError


@pytest.fixture
def lead_id(app, users) -> int:
    with app.app_context():
        lead_id = factories.make_lead().id
        db.session.commit()
    return lead_id


def target(response) -> str:
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize(
    "referrer",
    [
        "https://evil.example/phish",
        "http://evil.example/facebook-leads/",
        "http://localhost.evil.example/x",
        "http://localhost//evil.example/x",
        "http://localhost/\\evil.example",
        "javascript:alert(1)",
        "//evil.example/x",
    ],
)
def test_an_error_never_redirects_to_a_foreign_referrer(client, auth, lead_id, referrer):
    auth.login()
    response = client.post(
        f"/facebook-leads/{lead_id}/status", data=STALE, headers={"Referer": referrer}
    )
    assert target(response) == "/facebook-leads/"


def test_an_error_goes_back_to_our_own_page(client, auth, lead_id):
    auth.login()
    back = f"/facebook-leads/{lead_id}?from=dashboard"
    response = client.post(
        f"/facebook-leads/{lead_id}/status",
        data=STALE,
        headers={"Referer": f"http://localhost{back}"},
    )
    assert target(response) == back


def test_a_csrf_failure_never_redirects_to_a_foreign_referrer(database):
    app = create_app(config_for(database, WTF_CSRF_ENABLED=True))
    with app.app_context():
        reset_schema()
    client = app.test_client()
    response = client.post(
        "/auth/login",
        data={"username": "x", "password": "y"},
        headers={"Referer": "https://evil.example/"},
    )
    assert target(response) == "/auth/login"
    with app.app_context():
        db.engine.dispose()
