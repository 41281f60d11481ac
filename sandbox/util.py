"""Small helpers shared by the sandbox modules: time format, cursors, field lists, HMAC."""

from __future__ import annotations

import base64
import binascii
import gc
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

GRAPH_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"
CURSOR_PREFIX = "sbx1"


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Treat naive datetimes as UTC; convert aware ones to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_unix(moment: datetime) -> int:
    return int(as_utc(moment).timestamp())


def graph_time(ts: int) -> str:
    """Unix seconds -> Graph's `2026-01-31T08:49:14+0000`."""
    return datetime.fromtimestamp(ts, UTC).strftime(GRAPH_TIME_FORMAT)


def parse_graph_time(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp())


def encode_cursor(key: tuple[int, int]) -> str:
    raw = f"{CURSOR_PREFIX}:{key[0]}:{key[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int] | None:
    """Return the (unix time, numeric id) sort key in a cursor, or None if it is not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, ts, ident = raw.split(":")
        if prefix != CURSOR_PREFIX:
            return None
        return int(ts), int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def split_fields(spec: str) -> list[str]:
    """Top-level names of a Graph `fields` value: `a,b.limit(5){c,d},e` -> [a, b, e]."""
    names: list[str] = []
    depth = 0
    current: list[str] = []
    for char in spec:
        if char in "{(":
            depth += 1
        elif char in "})":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            names.append("".join(current))
            current = []
            continue
        if depth == 0 and char not in "})":
            current.append(char)
    names.append("".join(current))
    return [name.split(".")[0].strip() for name in names if name.split(".")[0].strip()]


def appsecret_proof(app_secret: str, token: str, appsecret_time: str | None = None) -> str:
    """Meta's proof: hex HMAC-SHA256(key=app secret, msg=token[|time])."""
    message = token if appsecret_time is None else f"{token}|{appsecret_time}"
    return hmac.new(app_secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_body(app_secret: str, body: bytes) -> tuple[str, str]:
    """Return the (X-Hub-Signature-256, X-Hub-Signature) header values for a raw body."""
    key = app_secret.encode()
    sha256 = hmac.new(key, body, hashlib.sha256).hexdigest()
    sha1 = hmac.new(key, body, hashlib.sha1).hexdigest()
    return f"sha256={sha256}", f"sha1={sha1}"


def trace_id() -> str:
    """A random fbtrace_id look-alike (23 url-safe characters)."""
    return secrets.token_urlsafe(17)[:23]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Bulk generation allocates ~20 containers per lead; full GC passes would dominate."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
