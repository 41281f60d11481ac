"""Automatic assignments mail their owners as manual and bulk ones do (DESIGN, Mail: "a bulk or
auto assignment job sends each assignee one digest"): routing as leads are stored, `flask leads
auto-assign` and re-routing a deactivated user's leads, to a real SMTP server (aiosmtpd)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.extensions import db
from app.models import FacebookLead, OutboxMail, Role, User
from app.services import accounts
from app.services.meta_lead_service import ingest_raw_leads
from app.services.routing import backlog, reroute
from app.tasks import mail_jobs
from tests.mail_server import smtp_config
from tests.services.routing.test_assign import NOW, add_rule, raws, source  # noqa: F401 (fixture)


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp) | {"TEAM_WORK_HOURS": "1234567", "APP_TIMEZONE": "Europe/Istanbul"}


@pytest.fixture
def staff(app_ctx):
    made = [
        accounts.create_user(name, "correct-horse", role=Role.STAFF, email=f"{name}@example.com",
                             language=language)
        for name, language in [("ayse", "tr"), ("mehmet", "en")]
    ]  # fmt: skip
    db.session.commit()
    return [u.id for u in made]


def delivered(smtp) -> dict[str, list[str]]:
    mail_jobs.send_pending(datetime.now(UTC) + timedelta(minutes=2))
    by_to: dict[str, list[str]] = {}
    for message in smtp.parsed():
        by_to.setdefault(message["To"], []).append(" ".join(message["Subject"].split()))
    return by_to


def assigned_events() -> dict[str, list[int]]:
    return {to: data["ids"] for name, data, to in events.pending() if name == "leads_assigned"}


def test_leads_routed_as_they_are_stored_mail_their_owner_once(source, staff, smtp):  # noqa: F811
    add_rule(staff[:1])
    ingest_raw_leads(raws(100, 3, minutes_ago=5), source, now=NOW)
    assert sorted(assigned_events()[f"user:{staff[0]}"]) == sorted(
        db.session.scalars(sa.select(FacebookLead.id))
    )
    db.session.commit()
    ingest_raw_leads(raws(200, 1, minutes_ago=5), source, now=NOW)  # a webhook's one lead
    db.session.commit()
    assert delivered(smtp) == {
        "ayse@example.com": ["[Meta Lead Desk] Size 3 aday atandı", *single_subject()]
    }


def single_subject() -> list[str]:
    lead = db.session.scalar(sa.select(FacebookLead).where(FacebookLead.meta_lead_id == "200"))
    return [f"[Meta Lead Desk] Size atandı: {lead.full_name}"]


def test_auto_assign_sends_each_owner_one_digest_and_a_rerun_nothing(
    source,  # noqa: F811
    staff,
    smtp,
    runner,
):
    ingest_raw_leads(raws(100, 5, minutes_ago=60 * 48), source)  # old: stored quietly
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0
    add_rule(staff, name="Backlog", include_backlog=True)
    out = runner.invoke(args=["leads", "auto-assign"])
    assert out.exit_code == 0 and "Assigned 5 of 5" in out.output, out.output
    db.session.remove()
    assert delivered(smtp) == {
        "ayse@example.com": ["[Meta Lead Desk] Size 3 aday atandı"],
        "mehmet@example.com": ["[Meta Lead Desk] 2 leads assigned to you"],
    }
    assert "Assigned 0 of 0" in runner.invoke(args=["leads", "auto-assign"]).output
    assert len(delivered(smtp)["ayse@example.com"]) == 1


def test_a_backlog_page_tells_each_owners_browser(source, staff):  # noqa: F811
    ingest_raw_leads(raws(100, 4, minutes_ago=60 * 48), source)
    db.session.commit()
    add_rule(staff, name="Backlog", include_backlog=True)
    backlog.assign_backlog_page(0, datetime.now(UTC))
    sent = assigned_events()
    assert {to: len(ids) for to, ids in sent.items()} == {
        f"user:{staff[0]}": 2,
        f"user:{staff[1]}": 2,
    }
    db.session.rollback()
    assert assigned_events() == {}  # a rollback announces nothing


def test_rerouting_a_deactivated_users_leads_mails_the_new_owner(source, staff, smtp):  # noqa: F811
    add_rule(staff[:1])
    ingest_raw_leads(raws(100, 2, minutes_ago=5), source, now=NOW)
    db.session.commit()
    db.session.execute(sa.delete(OutboxMail))
    db.session.commit()
    ayse = db.session.get(User, staff[0])
    ayse.is_active = False
    add_rule(staff[1:], name="Mehmet")
    moved = reroute.reroute_user_leads(ayse, NOW)
    db.session.commit()
    assert moved.moved == 2
    assert delivered(smtp) == {"mehmet@example.com": ["[Meta Lead Desk] 2 leads assigned to you"]}
