"""Lead mails through the outbox to a real SMTP server (aiosmtpd): new-lead alerts (choices,
test leads, re-inquiries, old leads, the distributor's contact, the 10-a-minute digest),
assignments, changes by someone else, the bulk digest seam, languages, escaping."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import DigestPart, FacebookLead, OutboxMail, Role
from app.services import accounts, lead_workflow, notifications
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from app.tasks import mail_jobs
from tests.mail_server import smtp_config


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp) | {"ALERT_MIN_SCORE": 0}


def raw_lead(n: int, *, name="Ayşe Yılmaz", minutes_ago=5, email=None, treatment="hair"):
    created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    fields = [
        {"name": "full_name", "values": [name]},
        {"name": "phone_number", "values": [f"0532 100 {n // 100:02d} {n % 100:02d}"]},
        {"name": "which_treatment", "values": [treatment]},
    ]
    if email:
        fields.append({"name": "email", "values": [email]})
    return {
        "id": str(7_000_000 + n),
        "created_time": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "field_data": fields,
    }


@pytest.fixture
def people(app_ctx):
    """Superadmins boss (en) and patron (tr), staff ayse (tr) and mehmet; distributor MSH
    with a contact address in English."""
    made = {}
    for name, role, language in [
        ("boss", Role.SUPERADMIN, "en"),
        ("patron", Role.SUPERADMIN, "tr"),
        ("ayse", Role.STAFF, "tr"),
        ("mehmet", Role.STAFF, "en"),
    ]:
        made[name] = accounts.create_user(
            name, "correct-horse", role=role, email=f"{name}@example.com", language=language
        )
    made["msh"] = accounts.create_distributor("MSH", "partner@example.com", "en")
    db.session.commit()
    return made


def ingest(people, raws):
    source = LeadSource(people["msh"].id, "1", "2", None)
    result = ingest_raw_leads(raws, source)
    db.session.commit()
    return result


def sent(smtp):
    mail_jobs.send_pending(datetime.now(UTC) + timedelta(minutes=2))  # digests too
    return smtp.parsed()


def subjects(messages, address):
    return [" ".join(m["Subject"].split()) for m in messages if m["To"] == address]


def text(message):
    return message.get_body(("plain",)).get_content()


def test_a_new_lead_alerts_superadmins_in_their_language_and_the_distributor(people, smtp):
    ingest(people, [raw_lead(1)])
    messages = sent(smtp)
    assert sorted(m["To"] for m in messages) == [
        "boss@example.com",
        "partner@example.com",
        "patron@example.com",
    ]
    [english] = [m for m in messages if m["To"] == "boss@example.com"]
    assert subjects(messages, "boss@example.com")[0].startswith(
        "[Meta Lead Desk] New lead: Hair transplant, score"
    )
    assert subjects(messages, "patron@example.com")[0].startswith(
        "[Meta Lead Desk] Yeni aday: Saç ekimi, puan"
    )
    body = text(english)
    assert "Ayşe Yılmaz" in body and "http://127.0.0.1:5000/facebook-leads/" in body
    assert "+90" not in body and "532" not in body  # no phone in a new-lead alert
    assert "Ayşe Yılmaz" in english.get_body(("html",)).get_content()


def test_no_alert_for_test_leads_reinquiries_old_leads_low_scores_or_opt_outs(people, smtp):
    people["patron"].notify_new_leads = False
    people["msh"].contact_email = None
    db.session.commit()
    ingest(people, [raw_lead(1)])
    ingest(
        people,
        [
            raw_lead(1 + 50, name="Ayşe Yılmaz <test lead: dummy data for full_name>"),
            {**raw_lead(1), "id": "7999999"},  # the same phone again: a re-inquiry
            raw_lead(2, minutes_ago=60 * 30),  # listed a day late: stored quietly
        ],
    )
    assert [m["To"] for m in sent(smtp)] == ["boss@example.com"]
    db.session.execute(sa.delete(OutboxMail))
    db.session.commit()
    current_app.config["ALERT_MIN_SCORE"] = 101
    ingest(people, [raw_lead(3)])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0


def test_a_burst_sends_ten_single_mails_then_one_digest(people, smtp):
    people["patron"].notify_new_leads = False
    people["msh"].contact_email = None
    db.session.commit()
    ingest(people, [raw_lead(n) for n in range(1, 8)])
    ingest(people, [raw_lead(n) for n in range(8, 30)])
    ingest(people, [raw_lead(n) for n in range(30, 41)])  # joins the same open digest
    messages = sent(smtp)
    titles = subjects(messages, "boss@example.com")
    singles = [t for t in titles if "New lead:" in t]
    assert len(singles) == 10 and len(messages) == 11
    [digest] = [m for m in messages if "new leads" in m["Subject"]]
    assert " ".join(digest["Subject"].split()) == "[Meta Lead Desk] 30 new leads"
    assert text(digest).count("http://127.0.0.1:5000/facebook-leads/") == 31  # leads + all


def test_a_digest_gathers_a_part_a_page_and_an_erased_lead_leaves_it(people, smtp):
    people["patron"].notify_new_leads = False
    people["msh"].contact_email = None
    db.session.commit()
    for start in (1, 200, 400):  # three pages of a backfill: one digest gathers them
        ingest(people, [raw_lead(n) for n in range(start, start + 150)])
    [digest] = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.kind.like("%digest")))
    assert "lead_ids" not in (digest.params or {})
    gathered = notifications.digest_lead_ids(digest)
    assert len(gathered) == len(set(gathered)) == 440
    db.session.execute(sa.delete(FacebookLead).where(FacebookLead.id == gathered[0]))
    db.session.commit()  # an erasure deletes the lead: the mail is written from live leads
    [mail] = [m for m in sent(smtp) if "new leads" in m["Subject"]]
    assert " ".join(mail["Subject"].split()) == "[Meta Lead Desk] 439 new leads"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DigestPart)) == 3


def test_an_assignment_mails_the_assignee_with_contact_details(people, smtp):
    ingest(people, [raw_lead(1, email="ayse.lead@example.com")])
    db.session.execute(sa.delete(OutboxMail))
    lead = db.session.scalar(sa.select(FacebookLead))
    lead_workflow.assign(lead, people["ayse"], actor=people["boss"])
    db.session.commit()
    [message] = sent(smtp)
    assert message["To"] == "ayse@example.com"
    assert " ".join(message["Subject"].split()) == "[Meta Lead Desk] Size atandı: Ayşe Yılmaz"
    body = text(message)
    assert "boss size bir aday atadı." in body
    assert "+90 532 100 00 01" in body and "ayse.lead@example.com" in body


def test_a_rolled_back_assignment_mails_nobody(people, smtp):
    ingest(people, [raw_lead(1)])
    db.session.execute(sa.delete(OutboxMail))
    db.session.commit()
    lead = db.session.scalar(sa.select(FacebookLead))
    lead_workflow.assign(lead, people["ayse"], actor=people["boss"])
    db.session.rollback()
    assert sent(smtp) == []


def test_changes_by_someone_else_reach_the_owner_and_own_changes_do_not(people, smtp):
    ingest(people, [raw_lead(1)])
    lead = db.session.scalar(sa.select(FacebookLead))
    lead_workflow.assign(lead, people["mehmet"], actor=people["boss"])
    db.session.execute(sa.delete(OutboxMail))
    db.session.commit()
    lead_workflow.add_interaction(
        lead, actor=people["mehmet"], interaction_type="call", result="reached"
    )  # his own change: no mail
    lead_workflow.change_status(lead, "qualified", actor=people["boss"])
    db.session.commit()
    [message] = sent(smtp)
    assert message["To"] == "mehmet@example.com"
    assert "boss moved your lead Ayşe Yılmaz from Contacted to Qualified." in text(message)
    people["mehmet"].notify_changes = False
    db.session.commit()
    lead_workflow.assign(lead, people["ayse"], actor=people["boss"])
    db.session.commit()
    assert [m["To"] for m in sent(smtp)][1:] == ["ayse@example.com"]  # mehmet opted out


def test_a_reassignment_tells_the_previous_owner_without_a_link(people, smtp):
    ingest(people, [raw_lead(1)])
    lead = db.session.scalar(sa.select(FacebookLead))
    lead_workflow.assign(lead, people["mehmet"], actor=people["boss"])
    db.session.execute(sa.delete(OutboxMail))
    db.session.commit()
    lead_workflow.assign(lead, people["ayse"], actor=people["boss"])
    db.session.commit()
    by_to = {m["To"]: m for m in sent(smtp)}
    assert set(by_to) == {"mehmet@example.com", "ayse@example.com"}
    body = text(by_to["mehmet@example.com"])
    assert "boss gave your lead Ayşe Yılmaz to ayse." in body and "/facebook-leads/" not in body


def test_the_bulk_seam_sends_each_assignee_one_digest(people, smtp):
    ingest(people, [raw_lead(n) for n in range(1, 6)])
    db.session.execute(sa.delete(OutboxMail))
    leads = db.session.scalars(sa.select(FacebookLead)).all()
    for lead in leads[:3]:
        lead.assigned_to_id = people["ayse"].id
    leads[3].assigned_to_id = people["mehmet"].id
    people["mehmet"].notify_assignments = False
    by_assignee = {
        people["ayse"].id: [lead.id for lead in leads[:3]],
        people["mehmet"].id: [leads[3].id],
    }
    assert notifications.assignments_made(by_assignee, job_key="bulk:1") == 1
    assert notifications.assignments_made(by_assignee, job_key="bulk:1") == 1  # deduped
    db.session.commit()
    [message] = sent(smtp)
    assert message["To"] == "ayse@example.com"
    assert " ".join(message["Subject"].split()) == "[Meta Lead Desk] Size 3 aday atandı"


def test_hostile_lead_names_are_escaped_and_cannot_add_headers(people, smtp):
    hostile = "Eve\r\nBcc: spy@evil.example <script>alert(1)</script>"
    ingest(people, [raw_lead(1, name=hostile)])
    lead = db.session.scalar(sa.select(FacebookLead))
    db.session.execute(sa.delete(OutboxMail))
    lead_workflow.assign(lead, people["mehmet"], actor=people["boss"])
    db.session.commit()
    [message] = sent(smtp)
    assert message["Bcc"] is None and "\n" not in message["Subject"]
    assert [to for to, _ in smtp.messages] == [["mehmet@example.com"]]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_an_erased_lead_leaves_nothing_to_send(people, smtp):
    ingest(people, [raw_lead(1)])
    lead = db.session.scalar(sa.select(FacebookLead))
    lead.deleted_at = datetime.now(UTC)
    db.session.commit()
    assert mail_jobs.send_pending() == {"dropped": 3}
    assert smtp.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0
