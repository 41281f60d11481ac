"""Strings and JSON from strangers made single-line, control-free and storable everywhere
(PostgreSQL refuses NUL and lone surrogates). Nothing here raises on any input."""

import re
from typing import Any

CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SPACE_RE = re.compile(r"\s+")


def clean(value: Any, limit: int | None = None) -> str:
    """A single-line, control-free string, cut to *limit*."""
    if not isinstance(value, str):
        value = "" if value is None or isinstance(value, bool) else str(value)
    if value.isprintable() and "  " not in value:  # the common case, at C speed
        value = value.strip()
    else:
        value = SPACE_RE.sub(" ", scrub_text(CONTROL_RE.sub("", value))).strip()
    return value[:limit] if limit else value


def scrub_text(value: str) -> str:
    """Make a string storable everywhere: no NUL, no lone surrogates."""
    value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def scrub_json(value: Any) -> Any:
    """*value* made storable as JSON everywhere (PostgreSQL refuses NUL and lone surrogates)."""
    return _scrub(value) if needs_scrub(value) else value


def needs_scrub(value: Any) -> bool:
    if isinstance(value, str):
        return not value.isprintable() and not _storable(value)
    if isinstance(value, list | tuple):
        return any(needs_scrub(v) for v in value)
    if isinstance(value, dict):
        return any(needs_scrub(k) or needs_scrub(v) for k, v in value.items())
    return not (value is None or isinstance(value, bool | int | float))


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {scrub_text(str(k)): _scrub(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub_text(str(value))
