"""Weekly and monthly report mails: chosen recipients (validated), due on Mondays and the
1st, queued once per recipient and period, sent through the outbox over real SMTP with the
analytics page's figures; the 07:00 job; the page that sets them, superadmins only."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.models import LeadStatus, OutboxMail, Role
from app.services import accounts, analytics_mail
from app.tasks import jobs, mail_jobs
from tests import factories
from tests.mail_server import smtp_config

ZONE = ZoneInfo("Europe/Istanbul")
MONDAY = date(2026, 11, 30)  # reports on last week: 23–29 November
PAGE = "/facebook-leads/analytics/report-mails"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp)


@pytest.fixture
def desk(app):
    """A superadmin; last week three leads (one contacted in 3 min and converted), one the
    week before, one on the Monday itself (this week: not in the report)."""
    with app.app_context():
        accounts.create_user("boss", "correct-horse", role=Role.SUPERADMIN)
        staff = accounts.create_user("ayse", "correct-horse")
        received = at(date(2026, 11, 24), 10)
        factories.make_lead(
            meta_created_at=received,
            created_at=received,
            assigned_to_id=staff.id,
            status=LeadStatus.CONVERTED,
            first_contacted_at=received + timedelta(minutes=3),
            converted_at=received + timedelta(days=1),
            campaign_id="42",
            campaign_name="Hair <Spring>",
        )
        for when in (at(date(2026, 11, 29), 23, 30), at(date(2026, 11, 23), 0, 10)):
            factories.make_lead(meta_created_at=when, created_at=when)
        factories.make_lead(meta_created_at=at(date(2026, 11, 20), 9))  # the week before
        factories.make_lead(meta_created_at=at(MONDAY, 1))  # this week
        analytics_mail.save_settings("chief@clinic.example, Owner@Clinic.example", weekly=True,
                                     monthly=True)  # fmt: skip
        db.session.commit()


def test_reports_are_due_on_mondays_and_on_the_first():
    weekly = analytics_mail.due_periods(MONDAY)["weekly"]
    assert (weekly.start, weekly.end) == (date(2026, 11, 23), date(2026, 11, 29))
    both = analytics_mail.due_periods(date(2026, 6, 1))  # a Monday and the 1st
    assert (both["monthly"].start, both["monthly"].end) == (date(2026, 5, 1), date(2026, 5, 31))
    assert set(both) == {"weekly", "monthly"}
    assert analytics_mail.due_periods(date(2026, 12, 2)) == {}
    march = analytics_mail.report_period("monthly", date(2024, 3, 15))
    assert (march.start, march.end) == (date(2024, 2, 1), date(2024, 2, 29))


def test_recipients_are_checked_and_kept_tidy(app_ctx):
    saved = analytics_mail.save_settings(" a@x.example;\nB@x.example, a@x.example ", weekly=True,
                                         monthly=False)  # fmt: skip
    assert saved.recipients == ("a@x.example", "b@x.example")
    with pytest.raises(ValidationError, match="not-an-address is not an email address"):
        analytics_mail.save_settings("a@x.example, not-an-address", weekly=True, monthly=False)
    with pytest.raises(ValidationError, match="at least one recipient"):
        analytics_mail.save_settings("", weekly=False, monthly=True)
    with pytest.raises(ValidationError, match="At most 20"):
        many = ",".join(f"p{n}@x.example" for n in range(21))
        analytics_mail.save_settings(many, weekly=True, monthly=False)
    assert analytics_mail.current_settings().recipients == ("a@x.example", "b@x.example")


def test_the_monday_report_reaches_each_recipient_once_with_last_weeks_figures(
    app, runner, desk, smtp
):
    result = runner.invoke(args=["analytics", "send-reports", "--date", MONDAY.isoformat()])
    assert result.exit_code == 0 and "2 report mail(s) queued" in result.output
    runner.invoke(args=["analytics", "send-reports", "--date", MONDAY.isoformat()])  # again
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 2
        mail_jobs.send_pending()
    mails = {m["To"]: m for m in smtp.parsed()}
    assert set(mails) == {"chief@clinic.example", "owner@clinic.example"}
    message = mails["chief@clinic.example"]
    assert " ".join(message["Subject"].split()) == (
        "[Meta Lead Desk] Weekly report, 23 Nov 2026 – 29 Nov 2026"
    )
    text = message.get_body(("plain",)).get_content()
    assert "Leads received: 3" in text  # the 23rd 00:10 and the 29th 23:30 Istanbul count
    assert "before: 1" in text
    assert "Converted: 1" in text
    assert "3 received → 1 contacted → 1 qualified → 1 converted" in text
    assert "Hair <Spring>: 1 leads, 1 converted" in text  # plain text: as written
    assert "date_from=2026-11-23" in text and "date_to=2026-11-29" in text
    assert "/facebook-leads/analytics/report.csv?" in text
    html = message.get_body(("html",)).get_content()
    assert "Hair &lt;Spring&gt;" in html and "<Spring>" not in html


def test_nothing_is_due_midweek_and_the_job_queues_on_the_day(app, desk, monkeypatch):
    with app.app_context():
        assert analytics_mail.queue_reports(date(2026, 12, 2)) == 0
        monkeypatch.setattr(jobs, "datetime", frozen_at(at(MONDAY, 7)))
        jobs.analytics_reports()
        db.session.commit()
        keys = sorted(db.session.scalars(sa.select(OutboxMail.dedupe_key)))
    assert keys == [
        "analytics_report:weekly:2026-11-23:chief@clinic.example",
        "analytics_report:weekly:2026-11-23:owner@clinic.example",
    ]


def test_reports_turned_off_are_not_queued_but_can_be_sent_on_demand(app, runner, desk):
    with app.app_context():
        analytics_mail.save_settings("chief@clinic.example", weekly=False, monthly=False)
        db.session.commit()
        assert analytics_mail.queue_reports(MONDAY) == 0
    result = runner.invoke(args=["analytics", "send-reports", "--only", "monthly", "--dry-run",
                                 "--date", MONDAY.isoformat()])  # fmt: skip
    assert result.exit_code == 0
    assert "To: chief@clinic.example" in result.output
    assert "Monthly report, 1 Oct 2026 – 31 Oct 2026" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0


def test_the_page_sets_the_recipients_for_superadmins_only(app, client, auth, users):
    auth.login("ayse")
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"recipients": "x@y.example", "weekly": "y"}).status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Every Monday: last week" in page
    bad = client.post(PAGE, data={"recipients": "<script>x</script>", "weekly": "y"})
    assert bad.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt; is not an email address." in bad.get_data(as_text=True)
    good = client.post(PAGE, data={"recipients": "chief@clinic.example", "weekly": "y"})
    assert good.status_code == 303
    assert "chief@clinic.example" in client.get(PAGE).get_data(as_text=True)
    with app.app_context():
        settings = analytics_mail.current_settings()
    assert settings == analytics_mail.ReportSettings(("chief@clinic.example",), True, False)


def frozen_at(moment: datetime):
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    return Frozen
