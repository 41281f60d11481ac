"""Dates, numbers and names as each language writes them, in APP_TIMEZONE (Istanbul)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale

from app.i18n import formats, labels
from app.models import InteractionType, LeadStatus

DEC_1 = datetime(2026, 12, 1, 11, 5, tzinfo=UTC)  # 14:05 in Istanbul


@pytest.fixture
def in_language(app_ctx):
    return force_locale


def test_absolute_times_are_local_and_in_the_readers_language(in_language):
    with in_language("tr"):
        assert formats.format_when(DEC_1) == "1 Ara 2026 14:05"
        assert formats.format_day(date(1990, 4, 2)) == "2 Nis 1990"
        assert formats.format_clock(DEC_1) == "14:05"
    with in_language("en_GB"):
        assert formats.format_when(DEC_1) == "1 Dec 2026, 14:05"
    with in_language("ar"):
        assert formats.format_day(DEC_1) == "1 ديسمبر 2026"
    assert formats.format_when(None) == "—"


def test_a_naive_time_is_taken_as_utc(in_language):
    with in_language("tr"):
        assert formats.format_when(DEC_1.replace(tzinfo=None)) == "1 Ara 2026 14:05"


def test_relative_times(in_language):
    with in_language("tr"):
        assert formats.format_ago(DEC_1, now=DEC_1 + timedelta(minutes=12)) == "12 dk. önce"
        assert formats.format_ago(DEC_1, now=DEC_1 + timedelta(seconds=20)) == "az önce"
        assert formats.format_ago(DEC_1, now=DEC_1 - timedelta(seconds=5)) == "az önce"
        assert formats.format_ago(DEC_1, now=DEC_1 + timedelta(hours=3)) == "3 sa. önce"
    with in_language("en_GB"):
        assert formats.format_ago(DEC_1, now=DEC_1 + timedelta(minutes=12)) == "12 min ago"


def test_when_is_relative_for_a_week_with_the_absolute_time_on_hover(in_language):
    with in_language("tr"):
        recent = formats.when_html(DEC_1, now=DEC_1 + timedelta(minutes=12))
        old = formats.when_html(DEC_1, now=DEC_1 + timedelta(days=8))
    assert recent == (
        '<time datetime="2026-12-01T11:05:00+00:00" title="1 Ara 2026 14:05" data-relative>'
        "12 dk. önce</time>"
    )
    assert old == (
        '<time datetime="2026-12-01T11:05:00+00:00" title="1 Ara 2026 14:05">'
        "1 Ara 2026 14:05</time>"
    )


def test_numbers_are_grouped_the_languages_way(in_language):
    with in_language("tr"):
        assert formats.format_count(1234567) == "1.234.567"
        assert formats.format_ratio(0.123) == "%12,3"
    with in_language("en_GB"):
        assert formats.format_count(1234567) == "1,234,567"
        assert formats.format_ratio(0.123) == "12.3%"
    assert formats.format_count(None) == formats.format_ratio(None) == "—"


@pytest.mark.parametrize(
    ("name", "phone", "shown"),
    [
        ("AYŞE YILMAZ", None, "Ayşe Yılmaz"),  # Turkish letters: Turkish rules
        ("İLKER IŞIK", None, "İlker Işık"),
        ("KIRAZ DEMIR", "+905321112233", "Kıraz Demır"),  # a Turkish phone: Turkish rules
        ("KIRAZ DEMIR", "+447700900123", "Kiraz Demir"),  # otherwise the usual ones
        ("ANNE-MARIE O'NEIL", None, "Anne-Marie O'neil"),
        ("Ayşe yılmaz", "+905321112233", "Ayşe yılmaz"),  # not all capitals: as typed
        ("ayşe", None, "ayşe"),
        ("محمد علي", "+905321112233", "محمد علي"),  # no case at all
        ("J", None, "J"),
        ("", None, ""),
        (None, None, ""),
    ],
)
def test_only_all_capital_names_are_shown_in_title_case(name, phone, shown):
    assert formats.display_name(name, phone) == shown


def test_labels_name_codes_in_the_readers_language(in_language):
    with in_language("tr"):
        assert labels.label(LeadStatus.CONVERTED) == "Kazanıldı"
        assert labels.label(InteractionType.WHATSAPP) == "WhatsApp"
        assert labels.status_label("lost") == "Kaybedildi"
        assert labels.result_label("no_answer") == "Cevap vermedi"
    with in_language("en"):
        assert labels.status_label(LeadStatus.CONTACTED) == "Contacted"
    assert labels.status_label("won") == "won" and labels.result_label("odd") == "odd"
    assert labels.label(None) == labels.result_label(None) == ""


def test_every_status_interaction_and_result_has_a_label():
    from app.services.lead_workflow import RESULTS

    assert set(labels.LEAD_STATUS) == set(LeadStatus)
    assert set(labels.INTERACTION) == set(InteractionType)
    assert set(labels.RESULT) == set(RESULTS)


def test_a_stored_message_names_its_status_in_the_readers_words(in_language):
    """A bulk change's timeline row keeps the status as its code; each reader sees their word."""
    from app import messages

    params = {"status": "lost", "job_id": 7}
    with in_language("tr"):
        shown = messages.translated("bulk_status", params, None)
        assert "Kaybedildi" in shown and "lost" not in shown and "#7" in shown
    with in_language("en"):
        assert messages.translated("bulk_status", params, None) == (
            "Status changed to Lost by bulk action #7."
        )
    assert messages.english("bulk_status", params) == "Status changed to lost by bulk action #7."
