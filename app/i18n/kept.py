"""Flask-Babel's catalogue and locale, looked up once a request instead of once a string.

For every string Flask-Babel finds the request's babel context, its locale, the locale's
name and a cache entry keyed by it: ~7 µs a string in Python, ~12 µs from a template, where a
dashboard of 50 leads asks ~900 times (and ~1,200 times for the locale, each three lookups
through `g`'s proxy). `KeptDomain` keeps the catalogue on `g` with the locale it was found
for, so `force_locale` (a mail, a WhatsApp text in the patient's language) still switches it;
`current_locale` reads the locale Flask-Babel already chose with one lookup."""

from babel import Locale
from flask import Flask, g
from flask_babel import Domain, get_locale

from app.extensions import babel


def current_locale() -> Locale | None:
    """`flask_babel.get_locale()`, reading what it chose (and what `force_locale` set) from
    its context in one step; asks it when nothing is chosen yet (or its context changes)."""
    namespace = app_globals()
    return None if namespace is None else locale_in(namespace)  # None: as get_locale()


def app_globals() -> object | None:
    """The app context's `g` itself (one pass through its proxy), or None outside one."""
    try:
        return g._get_current_object()
    except RuntimeError:
        return None


def locale_in(namespace: object) -> Locale | None:
    chosen = getattr(getattr(namespace, "_flask_babel", None), "babel_locale", None)
    return chosen if isinstance(chosen, Locale) else get_locale()


class KeptDomain(Domain):
    def get_translations(self):
        namespace = app_globals()
        if namespace is None:
            return super().get_translations()  # outside an app context: no catalogue
        locale = locale_in(namespace)
        kept = getattr(namespace, "_kept_translations", None)
        if kept is not None and kept[0] is locale:
            return kept[1]
        translations = super().get_translations()
        namespace._kept_translations = (locale, translations)
        return translations


def install(app: Flask) -> None:
    """Our domain for Python's `gettext` and lazy strings, and for the templates' `_()`."""
    domain = babel.__dict__.get("domain_instance")
    if not isinstance(domain, KeptDomain):
        domain = babel.domain_instance = KeptDomain(domain=app.extensions["babel"].default_domain)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
    )
