import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.logging_setup import RedactSecretsFilter, redact
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
