"""The daily summary: superadmins get yesterday's figures, a line per staff member and the
best open leads; staff get their open leads and today's follow-ups, in their language; once
a day each, from `flask notifications daily-summary` or the 08:00 job."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import LeadStatus, LeadTask, OutboxMail, Role
from app.services import accounts
from app.tasks import jobs, mail_jobs
from tests import factories
from tests.mail_server import smtp_config

ZONE = ZoneInfo("Europe/Istanbul")
DAY = date(2026, 11, 30)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE).astimezone(UTC)


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp)


@pytest.fixture
def desk(app):
    with app.app_context():
        boss = accounts.create_user(
            "boss", "correct-horse", role=Role.SUPERADMIN, email="boss@example.com"
        )
        ayse = accounts.create_user(
            "ayse", "correct-horse", email="ayse@example.com", language="tr"
        )
        accounts.create_user("idle", "correct-horse", email="idle@example.com")  # no leads
        quiet = accounts.create_user("quiet", "correct-horse", email="quiet@example.com")
        quiet.notify_daily_summary = False
        received = at(DAY, 12)
        factories.make_lead(first_name="Zeynep", meta_created_at=received, score=90)
        factories.make_lead(
            first_name="Can",
            meta_created_at=received,
            assigned_to_id=ayse.id,
            status=LeadStatus.CONTACTED,
            first_contacted_at=at(DAY, 15),
            score=70,
        )
        factories.make_lead(
            meta_created_at=at(DAY, 1) - timedelta(days=3),
            status=LeadStatus.CONVERTED,
            assigned_to_id=ayse.id,
            first_contacted_at=at(DAY, 1) - timedelta(days=2),
            converted_at=at(DAY, 23),
        )
        factories.make_lead(meta_created_at=at(DAY, 23) + timedelta(hours=2))  # the next day
        lost = factories.make_lead(meta_created_at=received, status=LeadStatus.LOST)
        lost.lost_at = at(DAY, 18)
        can = db.session.scalar(
            sa.select(factories.FacebookLead).where(factories.FacebookLead.first_name == "Can")
        )
        db.session.add(
            LeadTask(
                lead_id=can.id,
                user_id=ayse.id,
                due_at=at(DAY, 1) + timedelta(days=1, hours=9),
                note="call back",
            )
        )
        db.session.commit()
        return {"boss": boss.id, "ayse": ayse.id}


def sent(smtp) -> dict:
    mail_jobs.send_pending()
    return {m["To"]: m for m in smtp.parsed()}


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_summary_reaches_admins_and_staff_with_their_figures(app, runner, desk, smtp):
    result = runner.invoke(args=["notifications", "daily-summary", "--date", DAY.isoformat()])
    assert result.exit_code == 0 and "queued for 3 recipient(s)" in result.output
    with app.app_context():
        mails = sent(smtp)
    assert set(mails) == {"boss@example.com", "ayse@example.com"}  # idle has nothing to do
    admin = plain(mails["boss@example.com"])
    assert " ".join(mails["boss@example.com"]["Subject"].split()) == (
        "[Meta Lead Desk] Daily summary for 30 Nov 2026"
    )
    for line in [
        "New leads: 3",
        "First contacted: 1",
        "Converted: 1",
        "Lost: 1",
        "Open leads not contacted yet: 2",
        "- ayse: 1 open, 1 first contacted, 1 converted",
    ]:
        assert line in admin
    best = admin.split("The best open leads")[1]
    assert best.index("Zeynep") < best.index("Can")
    staff = plain(mails["ayse@example.com"])
    assert "1 açık adayınız var." in staff and "Can" in staff and "Zeynep" not in staff
    assert "Bugün yapılacak takipler" in staff and "call back" in staff


def test_the_summary_goes_once_a_day_and_a_dry_run_queues_nothing(app, runner, desk, smtp):
    result = runner.invoke(
        args=["notifications", "daily-summary", "--date", DAY.isoformat(), "--dry-run"]
    )
    assert result.exit_code == 0
    assert "To: boss@example.com" in result.output and "New leads: 3" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0
        app.config["APP_TIMEZONE"] = "Europe/Istanbul"
        jobs.daily_summary()
        jobs.daily_summary()  # a second server, or a restart: nothing twice
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 3
