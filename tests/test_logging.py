import logging

from app.logging_setup import RedactSecretsFilter, redact


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
