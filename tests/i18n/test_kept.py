"""The catalogue kept for a request follows the request's language and `force_locale`."""

from flask import render_template_string
from flask_babel import force_locale, gettext

from app.i18n import labels
from app.models import LeadStatus


def test_strings_follow_force_locale_and_come_back_after_it(app):
    with app.test_request_context(headers={"Accept-Language": "tr"}):
        assert gettext("Call now") == "Hemen ara"
        with force_locale("en"):
            assert gettext("Call now") == "Call now"
            assert render_template_string("{{ _('Call now') }}") == "Call now"
            assert str(labels.label(LeadStatus.LOST)) == "Lost"
        assert gettext("Call now") == "Hemen ara"
        assert render_template_string("{{ _('Call now') }}") == "Hemen ara"
        assert str(labels.label(LeadStatus.LOST)) != "Lost"


def test_each_request_finds_its_own_language(app):
    for language, expected in (("tr", "Hemen ara"), ("en", "Call now"), ("tr", "Hemen ara")):
        with app.test_request_context(headers={"Accept-Language": language}):
            assert render_template_string("{{ _('Call now') }}") == expected
