"""100 bulk operations an hour (here 2): an export counts as one; the 429 says when to retry,
as a page and as JSON."""

import re

import pytest


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True, "BULK_RATE_LIMIT": "2 per hour"}


def test_the_third_export_in_an_hour_is_refused_with_when_to_retry(client, auth, users):
    auth.login("admin")
    assert client.get("/facebook-leads/export.csv").status_code == 200
    assert client.get("/facebook-leads/export.json").status_code == 200
    refused = client.get("/facebook-leads/export.csv")
    assert refused.status_code == 429
    assert re.search(rb"Try again in 6[01] minutes.", refused.data)
    assert int(refused.headers["Retry-After"]) > 3500


def test_the_limit_answers_json_to_a_json_request(client, auth, users):
    auth.login("admin")
    for _ in range(2):
        client.get("/facebook-leads/export.csv")
    refused = client.get("/facebook-leads/export.csv", headers={"Content-Type": "application/json"})
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["retry_after"] > 3500
    assert re.search(r"Try again in 6[01] minutes.", error["message"])


def test_each_user_has_their_own_budget(client, auth, users):
    auth.login("admin")
    for _ in range(3):
        client.get("/facebook-leads/export.csv")
    auth.logout()
    auth.login("ayse")
    assert client.get("/facebook-leads/export.csv").status_code == 200
