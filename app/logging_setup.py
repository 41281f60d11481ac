"""One dictConfig to stdout; never log tokens or lead PII.

Every line through our handlers (and werkzeug's, gunicorn's and urllib3's loggers) passes
RedactSecretsFilter: token parameters and the search box (`q`) lose their values, and control
characters are escaped, so a string from outside cannot forge a log line. Code that logs a
string from outside (Meta's fbtrace_id, a header, an error message) passes it through
`foreign()` or `foreign_id()` first."""

import logging
import logging.config
import re

from flask import Flask

SECRET_PARAM_RE = re.compile(
    r"\b(access_token|input_token|fb_exchange_token|client_secret|appsecret_proof|hub\.verify_token)"
    r"=[^&\s\"]*"
)
# The search box: `?q=…`/`&q=…`, and URL-encoded inside another parameter (`next=…%3Fq%3D…`).
SEARCH_PARAM_RE = re.compile(r"([?&]q=)[^&\s\"]*")
ENCODED_SEARCH_PARAM_RE = re.compile(
    r"((?:[?&]|%3F|%26)q%3D|(?:%3F|%26)q=)(?:(?!%26)[^&\s\"])*", re.IGNORECASE
)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
ID_RE = re.compile(r"[A-Za-z0-9_\-.:/+=]{1,100}")
FOREIGN_LIMIT = 200


def redact(text: str) -> str:
    """Replace the values of token-carrying parameters and of the search box with `***`."""
    text = SECRET_PARAM_RE.sub(r"\1=***", text)
    return ENCODED_SEARCH_PARAM_RE.sub(r"\1***", SEARCH_PARAM_RE.sub(r"\1***", text))


def escape_controls(text: str) -> str:
    """Control characters (and line breaks) as visible escapes: one record, one line."""
    return CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\n", "\\n"))


def foreign(value: object, limit: int = FOREIGN_LIMIT) -> str:
    """A string from outside, safe to log: control characters escaped, tokens and searches
    redacted, at most *limit* characters."""
    text = escape_controls(redact(str(value)))
    return text if len(text) <= limit else text[:limit] + "…"


def foreign_id(value: object) -> str:
    """An identifier from outside (Meta's fbtrace_id, x-fb-trace-id, a request id) as it is
    when it looks like one, else `?`: never free text in the log."""
    text = str(value) if value is not None else ""
    return text if ID_RE.fullmatch(text) else "?"


class RedactSecretsFilter(logging.Filter):
    """Scrub token parameters and searches from records (werkzeug logs full request lines)
    and escape control characters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = escape_controls(redact(record.getMessage()))
            record.args = None
        elif isinstance(record.msg, str):
            record.msg = escape_controls(redact(record.msg))
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
                # Logger-level filters do not reach child loggers: name the one that logs URLs.
                "urllib3": {"filters": ["redact"]},
                "urllib3.connectionpool": {"filters": ["redact"]},  # request URLs at DEBUG
            },
        }
    )
    # gunicorn's loggers keep their own handlers (dictConfig would replace them): a filter only.
    for name in ("gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
            logger.addFilter(RedactSecretsFilter())
