"""The catalogues keep up with the code: strings are extracted exactly as `make i18n` does,
and every one must be translated in Turkish (not fuzzy), present in English, and translated in
Arabic on the pages that prove right-to-left (navigation, dashboard, lead page, login)."""

import os
import shlex
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from app.i18n import LANGUAGES, catalogs

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
# Where Arabic must be complete: the navigation, the dashboard, the lead page and the login,
# with the labels, treatments, form fields and script strings they show.
ARABIC_REQUIRED = (
    "app/templates/base.html",
    "app/templates/_language_menu.html",
    "app/templates/auth/",
    "app/templates/leads/",
    "app/templates/macros/ui.html",
    "app/blueprints/auth/",
    "app/blueprints/leads/",
    "app/i18n/",
    "app/meta/treatments.py",
    "app/services/lead_scoring.py",
)


def makefile_extract_args() -> list[str]:
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("BABEL_EXTRACT :="):
            return shlex.split(line.split(":=", 1)[1])
    raise AssertionError("Makefile has no BABEL_EXTRACT line")


@pytest.fixture(scope="module")
def source_strings(tmp_path_factory) -> Catalog:
    """What the code asks to translate right now (the POT `make i18n` would write)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    args = makefile_extract_args()
    args[args.index("-F") + 1] = str(ROOT / "babel.cfg")
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", *args, "-o", str(pot), str(ROOT / "app")]
    )
    with pot.open("rb") as file:
        return read_po(file)


def catalogue(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=language)


def problems(source: Catalog, target: Catalog, *, translated: bool) -> list[str]:
    found = []
    for message in source:
        if not message.id:
            continue
        entry = target.get(message.id, context=message.context)
        strings = entry.string if entry is not None else None
        if entry is None:
            found.append(f"missing: {message.id!r}")
        elif entry.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        elif translated and not all(strings if isinstance(strings, tuple) else (strings,)):
            found.append(f"untranslated: {message.id!r}")
    return found


def test_the_catalogues_found_something_to_translate(source_strings):
    ids = {message.id for message in source_strings}
    assert "Sign in" in ids and ("%(count)s lead", "%(count)s leads") in ids
    assert "Hair transplant" in ids  # a lazy label in Python
    assert "Status changed to %(status)s." in ids


def test_every_string_is_translated_in_turkish(source_strings):
    assert problems(source_strings, catalogue("tr"), translated=True) == [], (
        "run `make i18n` and translate the new entries in app/translations/tr"
    )


def test_the_english_catalogue_holds_every_string(source_strings):
    # English is the source language: an empty msgstr shows the msgid itself.
    assert problems(source_strings, catalogue("en"), translated=False) == []


def test_arabic_covers_navigation_dashboard_lead_page_and_login(source_strings):
    required = Catalog()
    for message in source_strings:
        files = [str(Path(path)) for path, _line in message.locations]
        if message.id and any(part in file for file in files for part in ARABIC_REQUIRED):
            required[message.id] = message
    assert len(required) > 150
    assert problems(required, catalogue("ar"), translated=True) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_the_source(language):
    errors = [
        f"{message.id!r}: {error}"
        for message, message_errors in catalogue(language).check()
        for error in message_errors
    ]
    assert errors == []


def test_turkish_and_arabic_plural_forms(source_strings):
    assert catalogue("tr").num_plurals == 2
    assert catalogue("ar").num_plurals == 6
    lead = catalogue("ar").get(("%(count)s lead", "%(count)s leads"))
    assert len(lead.string) == 6 and all(lead.string)


def test_stale_catalogues_are_compiled_and_fresh_ones_left_alone(tmp_path):
    po = tmp_path / "tr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    shutil.copy(TRANSLATIONS / "tr" / "LC_MESSAGES" / "messages.po", po)
    assert catalogs.stale_catalogs(tmp_path) == [po]
    assert catalogs.ensure_compiled(tmp_path) == 1
    mo = po.with_suffix(".mo")
    assert mo.stat().st_size > 1000 and catalogs.ensure_compiled(tmp_path) == 0
    later = mo.stat().st_mtime + 10
    os.utime(po, (later, later))
    assert catalogs.stale_catalogs(tmp_path) == [po]
