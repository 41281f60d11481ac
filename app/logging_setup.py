"""One dictConfig to stdout; never log tokens or lead PII."""

import logging
import logging.config
import re

from flask import Flask

SECRET_PARAM_RE = re.compile(
    r"\b(access_token|input_token|fb_exchange_token|client_secret|appsecret_proof|hub\.verify_token)"
    r"=[^&\s\"]*"
)


def redact(text: str) -> str:
    """Replace the values of token-carrying query parameters with `***`."""
    return SECRET_PARAM_RE.sub(r"\1=***", text)


class RedactSecretsFilter(logging.Filter):
    """Scrub token parameters from records (werkzeug logs full request lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = redact(record.getMessage())
            record.args = None
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def configure_logging(app: Flask) -> None:
    level = "DEBUG" if app.debug else app.config.get("LOG_LEVEL", "INFO")
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"redact": {"()": RedactSecretsFilter}},
            "formatters": {
                "default": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
            },
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "default",
                    "filters": ["redact"],
                }
            },
            "loggers": {
                "app": {"level": level, "handlers": ["stdout"], "propagate": True},
                "werkzeug": {"level": "INFO", "filters": ["redact"]},
                "urllib3": {"filters": ["redact"]},  # logs request URLs at DEBUG
            },
        }
    )
