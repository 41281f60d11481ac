import pytest
from cryptography.fernet import Fernet

from app import create_app
from config import Config


def test_healthz_reports_database_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_production_config_refuses_to_start_without_secrets():
    config = type(
        "Prod",
        (Config,),
        {"ENV_NAME": "production", "SECRET_KEY": "", "TOKEN_ENCRYPTION_KEYS": ""},
    )
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)


def test_production_cookies_are_hardened():
    config = type(
        "Prod",
        (Config,),
        {
            "DEVELOPMENT": False,
            "SECRET_KEY": "x" * 32,
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SESSION_COOKIE_SECURE": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
        },
    )
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_page_renders_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Not found" in response.data


def test_unknown_api_route_answers_json_404(client):
    response = client.get("/facebook-leads/api/nope")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_security_headers_are_set(client):
    response = client.get("/auth/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
