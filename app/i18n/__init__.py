"""Languages of the desk: which ones exist, and how each is written.

`web` chooses the language of a request, `formats` writes dates, numbers and names in it,
`labels` names the code's values (statuses, treatments…), `catalogs` compiles the catalogues.
This module holds only constants, so services may import the package without pulling in Flask.
"""

LANGUAGES = ("tr", "en", "ar")
# Each language in its own words, for the language switch (never translated).
LANGUAGE_NAMES = {"tr": "Türkçe", "en": "English", "ar": "العربية"}
RTL_LANGUAGES = frozenset({"ar"})
# The Babel locale that formats dates and numbers for a language: English with the 24-hour
# clock and day-month order of the coordinators' other tools (en_US would say "Dec 1, 2:05 PM").
FORMAT_LOCALES = {"en": "en_GB"}


def is_language(value: object) -> bool:
    return isinstance(value, str) and value in LANGUAGES


def text_direction(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"
