"""Messages stored as a code and parameters, and written in the reader's language when shown.

What is kept in the database (a sync error, a timeline row, a failed lead's reason) outlives the
request that wrote it and is read in other languages, so it is stored as data: a stable code
plus JSON parameters. Each module that writes such messages names its texts once:

    SYNC_MESSAGES = messages.define({
        "meta_unreachable": _l("Meta could not be reached (%(detail)s); the next run retries."),
    })

and templates show them with `{{ run.error_code|message(run.error_params, run.error) }}`.
"""

from collections.abc import Mapping
from typing import Any

from flask_babel.speaklater import LazyString

TEXTS: dict[str, LazyString | str] = {}


def define(texts: Mapping[str, LazyString | str]) -> Mapping[str, LazyString | str]:
    """Register message texts by code (lazy, so they translate when shown); returns them."""
    clashes = {code for code in texts if code in TEXTS and TEXTS[code] is not texts[code]}
    if clashes:
        raise ValueError(f"message codes defined twice: {', '.join(sorted(clashes))}")
    TEXTS.update(texts)
    return texts


def render(
    code: str | None, params: Mapping[str, Any] | None = None, fallback: str | None = None
) -> str:
    """The message *code* in the current language with *params* filled in; *fallback* (an old
    stored text, say) or the code itself when the code is unknown or the parameters do not fit."""
    if not code:
        return fallback or ""
    text = TEXTS.get(code)
    if text is None:
        return fallback or code
    try:
        return str(text) % dict(params or {})
    except (KeyError, TypeError, ValueError):
        return fallback or str(text)
