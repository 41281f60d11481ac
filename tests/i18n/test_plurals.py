"""No "1 leads": a string that puts a varying count before a noun is a plural (ngettext, or a
`Nn_` message code), in every language (issue 14, item 3)."""

import re

from flask_babel import force_locale

from app.messages import english, translated
from tests.i18n.test_catalogs import source_strings  # noqa: F401 (a fixture)

COUNT = re.compile(r"%\((count|num|n|minutes|attempts)\)s")
# Counts that are constants or always above one (the password length, the id cap, the bulk
# delete confirmation that only large selections ask for, a mail's link lifetime).
NEVER_ONE = {
    "Password must be at least %(count)s characters.",
    "At least %(count)s characters.",
    "Select at most %(count)s leads by id; use a filter for more.",
    "At most %(count)s recipients.",
    "(%(count)s) %(title)s",  # the tab title's count of unseen leads: no noun to agree
    "Type %(count)s to delete %(count)s leads.",
    "Type %(count)s to confirm.",
    "The link works once, for %(minutes)s minutes. If you did not ask, ignore this mail: "
    "your password stays as it is.",
    "If an account with an email matches, a link to set a new password is on its way. "
    "It works once, for %(minutes)s minutes.",
    "Leads kept raw because they could not be stored: %(count)s.",
    "at most %(count)s open each",
    "%(count)s put back",
    "%(count)s changed since",
    "%(num)s dead",
    "%(num)s failing",
}


def test_no_singular_string_counts_a_plural_noun(source_strings):  # noqa: F811
    counted = [
        m.id
        for m in source_strings
        if m.id and isinstance(m.id, str) and COUNT.search(m.id) and m.id not in NEVER_ONE
    ]
    assert counted == []
    hedged = [m.id for m in source_strings if m.id and re.search(r"\w\(s\)", str(m.id))]
    assert hedged == []


def test_message_codes_with_a_count_agree_with_it(app):
    assert english("page_entries_unusable", {"count": 1}) == (
        "1 entry on a page from Meta was not a lead."
    )
    assert english("page_entries_unusable", {"count": 3}) == (
        "3 entries on a page from Meta were not leads."
    )
    assert english("gave_up", {"attempts": 1}) == "Gave up after 1 attempt."
    with app.test_request_context(), force_locale("en"):
        assert translated("response_breached", {"minutes": 1}, None) == (
            "The first-contact target of 1 minute was missed."
        )
    with app.test_request_context(), force_locale("tr"):
        assert "1 dakika" in translated("response_breached", {"minutes": 1}, None)
