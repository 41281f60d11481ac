"""The language of a request: `?lang=` once (a cookie, and the signed-in user's own setting),
then the user's setting, the cookie, the browser's `Accept-Language`, else `DEFAULT_LOCALE`.
Also what every page needs to speak it: `<html lang dir>`, the switch's links, and the
translated strings the page's JavaScript shows (it has no gettext of its own)."""

import functools
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, current_app, g, has_request_context, redirect, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import wants_json
from app.extensions import babel, db
from app.i18n import (
    FORMAT_LOCALES,
    LANGUAGE_NAMES,
    LANGUAGES,
    catalogs,
    is_language,
    kept,
    labels,
    text_direction,
)
from app.services import accounts

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def chosen_language() -> str:
    """tr, en or ar for this request (the default language outside a request)."""
    default = current_app.config["DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    own = current_user.language if current_user.is_authenticated else None
    for candidate in (g.get("language_choice"), own, request.cookies.get(COOKIE)):
        if is_language(candidate):
            return candidate
    return request.accept_languages.best_match(LANGUAGES) or default


def select_locale() -> str:
    language = chosen_language()
    return FORMAT_LOCALES.get(language, language)


def current_language() -> str:
    """The language being written now (follows `force_locale`, e.g. in an email)."""
    locale = get_locale()
    return locale.language if locale is not None else current_app.config["DEFAULT_LOCALE"]


def remember_choice():
    """`?lang=xx`: keep the choice (cookie; the user's setting when signed in), then show the
    same page without the parameter, so links and bookmarks do not carry it around."""
    choice = request.args.get("lang")
    if not is_language(choice):
        return None
    g.language_choice = choice
    if current_user.is_authenticated and current_user.language != choice:
        accounts.set_language(current_user._get_current_object(), choice)
        db.session.commit()
    if request.method in ("GET", "HEAD") and not wants_json():
        return redirect(url_with_language(None), 303)
    return None


def set_language_cookie(response):
    """The cookie follows a `?lang=` choice, and the signed-in user's own setting: so the
    sign-out message and the login page after it are still in their language."""
    choice = g.get("language_choice")
    if not choice and request.endpoint not in (None, "static") and current_user.is_authenticated:
        choice = current_user.language
    if choice and request.cookies.get(COOKIE) != choice:
        response.set_cookie(
            COOKIE,
            choice,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def url_with_language(language: str | None) -> str:
    """This page's local URL with `lang=` set (or removed, for None). Always a path on this
    site: `//evil.example` or `/\\evil.example` would make a link (or the redirect) leave it."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    if language:
        args.append(("lang", language))
    path = "/" + request.path.lstrip("/\\")
    return path + ("?" + urlencode(args) if args else "")


def language_context() -> dict:
    language = current_language()
    return {
        "html_lang": language,
        # What formats dates and numbers (en → en-GB): Intl in static/js uses it too.
        "format_locale": str(get_locale() or language).replace("_", "-"),
        "text_dir": text_direction(language),
        "LANGUAGE_NAMES": LANGUAGE_NAMES,
        "lang_url": url_with_language,
    }


@functools.cache
def plural_samples(locale_id: str) -> dict[str, int]:
    """A number of each plural category of the language: {"one": 1, "other": 0, …}."""
    rule, samples = Locale.parse(locale_id).plural_form, {}
    for n in range(200):
        samples.setdefault(rule(n), n)
    return samples


def plural_forms(forms: Callable[[int], str]) -> dict[str, str]:
    """A message's text for each plural category of the language (the names JavaScript's
    `Intl.PluralRules` gives), `{count}` marking where the number goes."""
    return {category: forms(n) for category, n in plural_samples(str(get_locale())).items()}


def ui_strings() -> dict:
    """Everything static/js/*.js shows, translated (the page embeds it with `|tojson`)."""
    return {
        "status": {status.value: str(text) for status, text in labels.LEAD_STATUS.items()},
        "nobody": _("nobody"),
        "justNow": _("just now"),
        "newLeads": plural_forms(
            lambda n: ngettext(
                "%(count)s new lead arrived.", "%(count)s new leads arrived.", n, count="{count}"
            )
        ),
        "leadTotal": plural_forms(
            lambda n: ngettext("%(count)s lead", "%(count)s leads", n, count="{count}")
        ),
        "unassignedNew": plural_forms(
            lambda n: ngettext(
                "%(count)s new and unassigned", "%(count)s new and unassigned", n, count="{count}"
            )
        ),
        "syncRunning": _(
            "Form %(form)s: running, %(fetched)s fetched, %(created)s new.",
            form="{form}",
            fetched="{fetched}",
            created="{created}",
        ),
        "syncFinished": _(
            "Form %(form)s: finished, %(fetched)s fetched, %(created)s new.",
            form="{form}",
            fetched="{fetched}",
            created="{created}",
        ),
        "syncPartial": _(
            "Form %(form)s: finished with problems (see the runs), %(fetched)s fetched, "
            "%(created)s new.",
            form="{form}",
            fetched="{fetched}",
            created="{created}",
        ),
        "taskKinds": {kind.value: str(text) for kind, text in labels.TASK_KIND.items()},
        "taskDue": _(
            "%(kind)s: %(name)s, due %(time)s.", kind="{kind}", name="{name}", time="{time}"
        ),
        "openLead": _("Open the lead"),
        "goodToCall": _("good time to call"),
        "notGoodToCall": _("not a good time to call (09:00–20:00 there)"),
        **alert_strings(),
        "close": _("Close"),
        "syncFailed": _(
            "Form %(form)s: failed, %(fetched)s fetched, %(created)s new.",
            form="{form}",
            fetched="{fetched}",
            created="{created}",
        ),
    }


def alert_strings() -> dict:
    """The words of static/js/alerts.js: the tab title's count and desktop notifications."""
    return {
        # The count of unseen new leads before the page's title: "(3) Leads · MSH Med Tour".
        "titleCount": _("(%(count)s) %(title)s", count="{count}", title="{title}"),
        "alertAssignedOne": _("A new lead was assigned to you"),
        "alertAssigned": plural_forms(
            lambda n: ngettext(
                "%(count)s new lead was assigned to you",
                "%(count)s new leads were assigned to you",
                n,
                count="{count}",
            )
        ),
        "alertUnassignedOne": _("A new unassigned lead"),
        "alertUnassigned": plural_forms(
            lambda n: ngettext(
                "%(count)s new unassigned lead",
                "%(count)s new unassigned leads",
                n,
                count="{count}",
            )
        ),
        "alertLead": _("Lead #%(id)s", id="{id}"),
        "notificationState": {
            "default": _("Not allowed yet in this browser."),
            "granted": _("Allowed in this browser."),
            "denied": _("Blocked in this browser: allow them in its site settings."),
            "unsupported": _("This browser cannot show notifications."),
        },
    }


def register(app: Flask) -> None:
    if app.config["DEFAULT_LOCALE"] not in LANGUAGES:
        raise RuntimeError(f"DEFAULT_LOCALE must be one of {', '.join(LANGUAGES)}")
    babel.init_app(app, locale_selector=select_locale)
    kept.install(app)
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # {% trans %} blocks: one line each
    catalogs.ensure_compiled(Path(app.root_path) / "translations")
    app.before_request(remember_choice)
    app.after_request(set_language_cookie)
    app.context_processor(language_context)
    app.add_template_global(ui_strings)
