import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import db
from app.logging_setup import RedactSecretsFilter, foreign, foreign_id, redact
from config import TestConfig
from tests import factories


def test_token_parameters_are_redacted():
    line = "GET /v25.0/1/leads?access_token=EAAB123&limit=25&appsecret_proof=abc&after=x HTTP/1.1"
    assert (
        redact(line)
        == "GET /v25.0/1/leads?access_token=***&limit=25&appsecret_proof=***&after=x HTTP/1.1"
    )


def test_werkzeug_request_lines_lose_the_token(app, caplog):
    logging.getLogger("werkzeug").info('"%s" %s', "GET /x?access_token=SECRET123 HTTP/1.1", 200)
    assert "SECRET123" not in caplog.text and "access_token=***" in caplog.text


def test_filter_keeps_other_records_intact():
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "synced %d leads", (5,), None)
    assert RedactSecretsFilter().filter(record) and record.getMessage() == "synced 5 leads"


def test_sql_parameters_never_appear_in_database_errors(app_ctx):
    factories.make_user("taken")
    db.session.commit()
    with pytest.raises(IntegrityError) as caught:
        db.session.execute(
            sa.text(
                "INSERT INTO users (username, email, password_hash, role, is_active, created_at)"
                " VALUES (:u, :e, 'x', 'staff', true, CURRENT_TIMESTAMP)"
            ),
            {"u": "taken", "e": "patient.private@example.com"},
        )
    db.session.rollback()
    assert "patient.private@example.com" not in str(caught.value)
    assert "hidden" in str(caught.value)


def test_search_terms_are_redacted_from_request_lines_also_inside_next():
    line = (
        '"GET /facebook-leads/?status=new&q=ayse+yilmaz&page=2 HTTP/1.1" 200 -'
        ' "GET /auth/login?next=%2Ffacebook-leads%2F%3Fq%3Dayse%40example.com%26page%3D2 HTTP/1.1"'
        ' "GET /facebook-leads/?q=5321234567 HTTP/1.1"'
        ' "GET /auth/login?next=/facebook-leads/?q%3Dzeynep@example.com HTTP/1.1"'
    )
    redacted = redact(line)
    assert "ayse" not in redacted and "5321234567" not in redacted and "zeynep" not in redacted
    assert "status=new&q=***&page=2" in redacted
    assert "%3Fq%3D***%26page%3D2" in redacted


def test_a_parameter_merely_ending_in_q_is_kept():
    assert redact("GET /x?faq=yes&seq=3") == "GET /x?faq=yes&seq=3"


def test_werkzeug_request_lines_lose_the_search(app, caplog):
    logging.getLogger("werkzeug").info('"%s" %s', "GET /facebook-leads/?q=Zeynep HTTP/1.1", 200)
    assert "Zeynep" not in caplog.text and "q=***" in caplog.text


def test_a_logged_foreign_string_cannot_forge_a_line(capsys):
    create_app(TestConfig)  # its handler writes to this test's captured stdout
    logging.getLogger("app.test").warning("meta said %s", "ok\n2026-01-01 INFO app: forged\x1b[31m")
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "ok\\n2026-01-01 INFO app: forged\\x1b[31m" in out


def test_foreign_strings_are_escaped_redacted_and_cut():
    assert foreign("a\r\nb") == "a\\x0d\\nb"
    assert foreign("x?access_token=EAAB&q=ali") == "x?access_token=***&q=***"
    assert foreign("z" * 500, limit=10) == "z" * 10 + "…"


def test_foreign_ids_pass_only_when_they_look_like_ids():
    assert foreign_id("AbC-12_xyz.9") == "AbC-12_xyz.9"
    assert foreign_id("Ayşe Yılmaz") == "?"
    assert foreign_id("id\ninjected") == "?"
    assert foreign_id(None) == "?"


def test_gunicorn_loggers_get_the_filter_once(app):
    create_app(TestConfig)  # a second app in the process adds no second filter
    for name in ("gunicorn.access", "gunicorn.error"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, RedactSecretsFilter) for f in filters) == 1
