"""One dictConfig to stdout; never log tokens or lead PII."""

import logging.config

from flask import Flask


def configure_logging(app: Flask) -> None:
    level = "DEBUG" if app.debug else app.config.get("LOG_LEVEL", "INFO")
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "default": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
            },
            "handlers": {
                "stdout": {
                    "class": "logging.StreamHandler",
                    "stream": "ext://sys.stdout",
                    "formatter": "default",
                }
            },
            "loggers": {"app": {"level": level, "handlers": ["stdout"], "propagate": True}},
        }
    )
