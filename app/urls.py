"""Where the app may send a browser back to: its own pages only."""

from urllib.parse import urlsplit

from flask import request


def safe_next(target: str | None) -> str | None:
    """Only a local path: no scheme, no host, no `//` or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def referrer_path() -> str | None:
    """The path (and query) of the page this request came from, when that page is ours: the
    same host, over http or https. None for another site's page, or none at all."""
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
