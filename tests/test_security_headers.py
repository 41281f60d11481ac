"""Security headers on every kind of response (SECURITY 15).

`test_app.py` checks that the headers exist on the login page; this pins down what the CSP
allows, and that JSON, redirects and error pages carry the same headers.
"""

import re

import pytest

from app.extensions import db
from tests import factories

UNSAFE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:"}


def csp_directives(response) -> dict[str, set[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def script_sources(directives: dict[str, set[str]]) -> set[str]:
    # script-src falls back to default-src when absent; script-src-elem/-attr may widen it.
    sources = set(directives.get("script-src", directives["default-src"]))
    for extra in ("script-src-elem", "script-src-attr"):
        sources |= directives.get(extra, set())
    return sources


@pytest.fixture
def responses(app, client, auth, users):
    """One of each kind: HTML page, JSON, redirect, HTML error page, JSON error, signed-in page."""
    with app.app_context():
        lead_id = factories.make_lead().id
        db.session.commit()
    anonymous = {
        "html": client.get("/auth/login"),
        "json": client.get("/healthz"),
        "redirect": client.get("/facebook-leads/"),
        "html 404": client.get("/no-such-page"),
        "json 404": client.get("/facebook-leads/api/nope"),
        "405": client.get("/auth/logout"),
    }
    auth.login()
    signed_in = {
        "dashboard": client.get("/facebook-leads/"),
        "detail": client.get(f"/facebook-leads/{lead_id}"),
    }
    return anonymous | signed_in


def test_responses_are_of_the_kinds_the_header_tests_claim(responses):
    assert responses["html"].mimetype == "text/html"
    assert responses["json"].mimetype == "application/json"
    assert responses["json 404"].mimetype == "application/json"
    assert responses["redirect"].status_code in (302, 303)
    assert responses["html 404"].status_code == 404
    assert responses["405"].status_code == 405
    assert responses["dashboard"].status_code == responses["detail"].status_code == 200


def test_csp_allows_only_self_hosted_scripts_everywhere(responses):
    for kind, response in responses.items():
        directives = csp_directives(response)
        sources = script_sources(directives)
        assert sources == {"'self'"}, kind
        assert not sources & UNSAFE_SOURCES, kind
        assert directives["object-src"] == {"'none'"}, kind
        assert directives["base-uri"] == {"'self'"}, kind


def test_csp_forbids_framing_everywhere(responses):
    for kind, response in responses.items():
        assert csp_directives(response)["frame-ancestors"] == {"'none'"}, kind
        assert response.headers["X-Frame-Options"] == "DENY", kind


def test_nosniff_and_referrer_policy_everywhere(responses):
    for kind, response in responses.items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", kind
        assert response.headers["Referrer-Policy"] == "same-origin", kind


def test_pages_have_no_inline_script_the_csp_would_block(responses):
    """With script-src 'self', inline code would silently not run: keep templates free of it."""
    for kind in ("html", "html 404", "dashboard", "detail"):
        html = responses[kind].get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
            # A JSON data block (the page's translated strings) is data, never run.
            assert "src=" in tag or 'type="application/json"' in tag, (kind, tag)
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.IGNORECASE), kind
        assert "javascript:" not in html.lower(), kind


def test_headers_are_set_on_500_pages(app, client):
    def boom():
        raise RuntimeError("secret detail")

    app.add_url_rule("/boom", "boom", boom)
    response = client.get("/boom")
    assert response.status_code == 500
    assert script_sources(csp_directives(response)) == {"'self'"}
    assert csp_directives(response)["frame-ancestors"] == {"'none'"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"secret detail" not in response.data


def test_sockets_may_connect_to_this_origin_only(responses):
    for kind, response in responses.items():
        sources = csp_directives(response)["connect-src"]
        assert sources == {"'self'", "ws://localhost"}, kind  # never any ws: or wss: host


def test_a_strange_host_header_does_not_widen_the_policy(client):
    response = client.get("/auth/login", headers={"Host": "evil.example; script-src *"})
    directives = csp_directives(response)
    assert directives["connect-src"] == {"'self'"}
    assert script_sources(directives) == {"'self'"}


def test_pages_and_the_api_are_never_stored_in_a_cache(app, client, auth, users, responses):
    with app.app_context():
        lead_id = factories.make_lead().id
        db.session.commit()
    auth.login()
    fetched = {
        "api stats": client.get("/facebook-leads/api/stats"),
        "api leads": client.get("/facebook-leads/api/leads"),
        "api lead": client.get(f"/facebook-leads/api/leads/{lead_id}"),
        "api recent": client.get("/facebook-leads/api/recent"),
        "row": client.get(f"/facebook-leads/{lead_id}/row"),
    }
    for kind, response in (responses | fetched).items():
        assert response.headers["Cache-Control"] == "no-store", kind
    static = client.get("/static/favicon.svg")
    static.close()
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
