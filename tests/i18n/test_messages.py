"""Stored messages (a code and parameters) are written in the reader's language when shown."""

import pytest
from flask import render_template_string
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.i18n import messages


@pytest.fixture
def defined():
    texts = messages.define(
        {
            "test_refused": _l("Status changed to %(status)s."),  # a string Turkish has
            "test_plain": "Nothing to fill in",
        }
    )
    yield texts
    for code in texts:
        messages.TEXTS.pop(code)


def test_a_stored_code_is_shown_in_the_readers_language(app_ctx, defined):
    with force_locale("tr"):
        assert messages.render("test_refused", {"status": "Yeni"}) == (
            "Durum “Yeni” olarak değiştirildi."
        )
    with force_locale("en"):
        assert messages.render("test_refused", {"status": "New"}) == "Status changed to New."


def test_unknown_codes_and_parameters_that_do_not_fit_fall_back(app_ctx, defined):
    assert messages.render("no_such_code", {}, "the old stored text") == "the old stored text"
    assert messages.render("no_such_code") == "no_such_code"
    assert messages.render(None, None, "kept") == "kept" and messages.render(None) == ""
    assert messages.render("test_refused", {}, "old") == "old"  # a parameter is missing
    assert messages.render("test_plain") == "Nothing to fill in"


def test_a_code_cannot_mean_two_things(defined):
    with pytest.raises(ValueError, match="test_plain"):
        messages.define({"test_plain": "Something else"})


def test_templates_show_stored_messages_with_the_message_filter(app, defined):
    with app.test_request_context(headers={"Accept-Language": "tr"}):
        html = render_template_string(
            "{{ code|message(params, 'old') }}", code="test_refused", params={"status": "<b>"}
        )
    assert html == "Durum “&lt;b&gt;” olarak değiştirildi."
