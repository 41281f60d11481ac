"""Bulk actions through `POST /facebook-leads/bulk`: every action × role, ids or a filter,
skipped leads with their reasons, one timeline row per lead, counters in step, events, undo
(also after a concurrent single edit), and bad input that changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db, socketio
from app.models import (
    BulkJob,
    BulkState,
    FacebookLead,
    LeadCounter,
    LeadInteraction,
    LeadStatus,
)
from app.services import bulk, lead_counters, lead_workflow
from tests import factories

S = LeadStatus


def add_leads(app, count: int, **values) -> list[int]:
    with app.app_context():
        ids = [factories.make_lead(**values).id for _ in range(count)]
        db.session.commit()
    return ids


def post(client, **body):
    return client.post("/facebook-leads/bulk", json=body)


def leads(app, ids) -> dict[int, tuple]:
    with app.app_context():
        rows = db.session.scalars(sa.select(FacebookLead).where(FacebookLead.id.in_(ids)))
        return {
            lead.id: (lead.status, lead.assigned_to_id, lead.deleted_at is not None)
            for lead in rows
        }


def counters(app) -> dict:
    """The counters as kept, and as a recount builds them: they must agree."""
    with app.app_context():
        kept = {
            (c.distributor_id, c.assigned_to_id, c.status, c.hidden): c.n
            for c in db.session.scalars(sa.select(LeadCounter))
            if c.n
        }
        lead_counters.recount()
        rebuilt = {
            (c.distributor_id, c.assigned_to_id, c.status, c.hidden): c.n
            for c in db.session.scalars(sa.select(LeadCounter))
            if c.n
        }
        db.session.rollback()
    assert kept == rebuilt
    return kept


@pytest.fixture
def admin(auth, users):
    auth.login("admin")
    return users["admin"]


def test_status_change_by_ids_writes_one_timeline_row_per_lead(app, client, admin, users):
    ids = add_leads(app, 3, assigned_to_id=users["ayse"], status=S.ASSIGNED)
    answer = post(client, action="status", status="contacted", ids=ids)
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["matched"], body["changed"], body["skipped"]) == (3, 3, [])
    assert {v[0] for v in leads(app, ids).values()} == {S.CONTACTED}
    with app.app_context():
        rows = db.session.scalars(
            sa.select(LeadInteraction).where(LeadInteraction.lead_id.in_(ids))
        ).all()
        assert len(rows) == 3
        assert {(r.from_status, r.to_status, r.user_id) for r in rows} == {
            ("assigned", "contacted", admin)
        }
        assert {r.message_code for r in rows} == {"bulk_status"}
        lead = db.session.get(FacebookLead, ids[0])
        assert lead.first_contacted_at is not None and lead.version_id == 2
    counters(app)


def test_invalid_transitions_are_skipped_with_their_reason(app, client, admin, users):
    converted = add_leads(app, 1, status=S.CONVERTED)
    fresh = add_leads(app, 1)
    already = add_leads(app, 1, status=S.LOST)
    body = post(client, action="status", status="lost", ids=converted + fresh + already).get_json()
    assert body["changed"] == 1
    assert sorted((s["id"], s["reason"]) for s in body["skipped"]) == sorted(
        [(converted[0], "invalid_transition"), (already[0], "already")]
    )
    assert body["skipped_counts"] == {"invalid_transition": 1, "already": 1}
    assert leads(app, fresh)[fresh[0]][0] == S.LOST
    counters(app)


def test_staff_change_status_of_their_own_leads_only(app, client, auth, users):
    own = add_leads(app, 2, assigned_to_id=users["ayse"], status=S.ASSIGNED)
    other = add_leads(app, 1, assigned_to_id=users["mehmet"], status=S.ASSIGNED)
    auth.login("ayse")
    body = post(client, action="status", status="contacted", ids=own + other).get_json()
    assert (body["matched"], body["changed"]) == (2, 2)
    assert body["skipped_counts"] == {"not_found": 1}
    assert other[0] not in [s["id"] for s in body["skipped"]]  # never revealed
    assert leads(app, other)[other[0]][0] == S.ASSIGNED


@pytest.mark.parametrize("action", ["assign", "delete", "restore"])
def test_staff_cannot_assign_delete_or_restore(app, client, auth, users, action):
    own = add_leads(app, 1, assigned_to_id=users["ayse"], status=S.ASSIGNED)
    auth.login("ayse")
    answer = post(client, action=action, user_id=users["ayse"], ids=own)
    assert answer.status_code == 403
    assert leads(app, own)[own[0]] == (S.ASSIGNED, users["ayse"], False)


def test_a_filter_selects_all_matching_leads_over_many_batches(app, client, admin, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH", 3)
    ids = add_leads(app, 8, service="dental_implants")
    others = add_leads(app, 2, service="hair_transplant")
    body = post(
        client, action="assign", user_id=admin, filter={"service": "dental_implants"}
    ).get_json()
    assert (body["matched"], body["changed"]) == (8, 8)
    assert set(leads(app, ids).values()) == {(S.ASSIGNED, admin, False)}
    assert set(leads(app, others).values()) == {(S.NEW, None, False)}
    counters(app)


def test_the_batches_start_at_the_first_matching_lead(app, client, admin, monkeypatch):
    """Walked from id 0, the first batch of a selection of recent leads read the id index
    through every older lead to find them."""
    monkeypatch.setattr(bulk, "BATCH", 2)
    add_leads(app, 4, service="hair_transplant")
    ids = add_leads(app, 3, service="ivf")
    add_leads(app, 2, service="hair_transplant")
    read: list[int] = []
    walked = bulk.apply_batch

    def apply_batch(job, actor, query):
        read.append(job.last_id)  # where each batch starts
        return walked(job, actor, query)

    monkeypatch.setattr(bulk, "apply_batch", apply_batch)
    body = post(client, action="assign", user_id=admin, filter={"service": "ivf"}).get_json()
    assert (body["matched"], body["changed"]) == (3, 3)
    assert read[0] == ids[0] - 1
    assert set(leads(app, ids).values()) == {(S.ASSIGNED, admin, False)}


def test_round_robin_spreads_within_one(app, client, admin, users, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH", 4)
    ids = add_leads(app, 11)
    staff = [users["ayse"], users["mehmet"], admin]
    body = post(client, action="assign", user_ids=staff, filter={}).get_json()
    assert body["changed"] == 11
    per_user = {}
    for _, assignee, _ in leads(app, ids).values():
        per_user[assignee] = per_user.get(assignee, 0) + 1
    assert set(per_user) == set(staff)
    assert max(per_user.values()) - min(per_user.values()) <= 1
    counters(app)


def test_unassign_puts_assigned_leads_back_to_new(app, client, admin, users):
    ids = add_leads(app, 2, assigned_to_id=users["ayse"], status=S.ASSIGNED)
    contacted = add_leads(app, 1, assigned_to_id=users["ayse"], status=S.CONTACTED)
    body = post(client, action="assign", user_id=None, ids=ids + contacted).get_json()
    assert body["changed"] == 3
    assert leads(app, ids)[ids[0]] == (S.NEW, None, False)
    assert leads(app, contacted)[contacted[0]] == (S.CONTACTED, None, False)
    counters(app)


def test_delete_over_the_limit_needs_the_count_typed_then_restore(app, client, admin, monkeypatch):
    monkeypatch.setattr(bulk, "CONFIRM_OVER", 2)
    ids = add_leads(app, 3)
    refused = post(client, action="delete", ids=ids)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "confirmation_required"
    assert "Type 3" in refused.get_json()["error"]["message"]
    assert not any(v[2] for v in leads(app, ids).values())
    assert post(client, action="delete", ids=ids, confirm="3").get_json()["changed"] == 3
    assert all(v[2] for v in leads(app, ids).values())
    assert client.get(f"/facebook-leads/{ids[0]}").status_code == 404
    counters(app)
    assert post(client, action="restore", filter={}).get_json()["changed"] == 3
    assert not any(v[2] for v in leads(app, ids).values())
    counters(app)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"action": "paint", "ids": [1]}, "Unknown action"),
        ({"action": "status", "status": "won", "ids": [1]}, "Unknown status"),
        ({"action": "assign", "user_id": 999, "ids": [1]}, "No such user"),
        ({"action": "status", "status": "lost", "ids": []}, "No leads are selected"),
        ({"action": "status", "status": "lost"}, "send ids or a filter"),
        ({"action": "status", "status": "lost", "ids": "x"}, "ids must be"),
        ({"action": "status", "status": "lost", "filter": {"service": "x"}}, "No leads match"),
        ({"action": "status", "status": "lost", "filter": []}, "filter must be"),
    ],
)
def test_bad_requests_say_why_and_change_nothing(app, client, admin, body, message):
    ids = add_leads(app, 1)
    body = {**body, "ids": ids} if body.get("ids") == [1] else body
    answer = post(client, **body)
    assert answer.status_code == 400
    assert message in answer.get_json()["error"]["message"]
    assert leads(app, ids)[ids[0]] == (S.NEW, None, False)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(BulkJob.id))) == 0


def test_a_deactivated_assignee_is_refused(app, client, admin, users):
    ids = add_leads(app, 1)
    with app.app_context():
        factories.make_user("gone").is_active = False
        db.session.commit()
        gone = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'gone'"))
    answer = post(client, action="assign", user_id=gone, ids=ids)
    assert answer.status_code == 400
    assert "deactivated" in answer.get_json()["error"]["message"]


def test_undo_puts_back_all_but_leads_changed_since(app, client, admin, users):
    ids = add_leads(app, 3)
    job_id = post(client, action="assign", user_id=users["ayse"], ids=ids).get_json()["job_id"]
    with app.app_context():  # someone works one lead in the meantime
        lead = db.session.get(FacebookLead, ids[0])
        lead_workflow.change_status(lead, S.CONTACTED, actor=None)
        db.session.commit()
    answer = client.post(f"/facebook-leads/bulk/{job_id}/undo", json={})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["undone"], body["counts"]) == (2, {"changed_since": 1})
    states = leads(app, ids)
    assert states[ids[0]] == (S.CONTACTED, users["ayse"], False)
    assert states[ids[1]] == states[ids[2]] == (S.NEW, None, False)
    counters(app)
    again = client.post(f"/facebook-leads/bulk/{job_id}/undo", json={})
    assert again.status_code == 400 and "already undone" in again.get_json()["error"]["message"]


def test_undo_of_a_delete_restores_and_a_status_change_clears_its_milestone(app, client, admin):
    ids = add_leads(app, 2)
    job_id = post(client, action="status", status="lost", ids=ids).get_json()["job_id"]
    client.post(f"/facebook-leads/bulk/{job_id}/undo", json={})
    with app.app_context():
        lead = db.session.get(FacebookLead, ids[0])
        assert (lead.status, lead.lost_at) == (S.NEW, None)
        rows = db.session.scalars(
            sa.select(LeadInteraction.message_code).where(LeadInteraction.lead_id == ids[0])
        ).all()
        assert sorted(rows) == ["bulk_status", "bulk_undone"]
    counters(app)


def test_undo_is_refused_after_fifteen_minutes(app, client, admin):
    ids = add_leads(app, 1)
    job_id = post(client, action="delete", ids=ids).get_json()["job_id"]
    with app.app_context():
        job = db.session.get(BulkJob, job_id)
        job.finished_at = datetime.now(UTC) - timedelta(minutes=16)
        db.session.commit()
    answer = client.post(f"/facebook-leads/bulk/{job_id}/undo", json={})
    assert answer.status_code == 400 and "15 minutes" in answer.get_json()["error"]["message"]
    assert leads(app, ids)[ids[0]][2] is True


def test_staff_undo_only_their_own_jobs(app, client, auth, admin, users):
    ids = add_leads(app, 1)
    job_id = post(client, action="delete", ids=ids).get_json()["job_id"]
    auth.logout()
    auth.login("ayse")
    assert client.post(f"/facebook-leads/bulk/{job_id}/undo", json={}).status_code == 404
    assert client.get(f"/facebook-leads/bulk/{job_id}").status_code == 404
    assert f"bulk-job-{job_id}" not in client.get("/facebook-leads/bulk/jobs").get_data(True)


def test_recent_bulk_actions_offer_undo_as_a_form(app, client, admin):
    ids = add_leads(app, 2)
    job_id = post(client, action="status", status="invalid", ids=ids).get_json()["job_id"]
    page = client.get("/facebook-leads/bulk/jobs").get_data(as_text=True)
    assert f'action="/facebook-leads/bulk/{job_id}/undo"' in page
    assert "Status → Invalid" in page
    answer = client.post(f"/facebook-leads/bulk/{job_id}/undo")
    assert answer.headers["Location"].endswith("/facebook-leads/bulk/jobs")
    assert {v[0] for v in leads(app, ids).values()} == {S.NEW}


def test_an_interrupted_job_keeps_its_finished_batches_and_can_be_undone(app, admin, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH", 2)
    ids = add_leads(app, 5)
    with app.app_context():
        from app.models import User
        from app.services import bulk_undo
        from app.services.lead_selection import from_request

        actor = db.session.get(User, admin)
        selection = from_request({})
        job = bulk.prepare_job(actor, "status", selection, params={"status": "invalid"}, tz="UTC")
        bulk.start_job(job)
        bulk.apply_batch(job, actor, bulk.batch_query(actor, selection, "UTC"))
        db.session.commit()  # one batch done, then the process "dies"
        job.updated_at = datetime.now(UTC) - timedelta(minutes=10)
        db.session.commit()
        assert bulk_undo.mark_interrupted() == 1
        db.session.commit()
        assert db.session.get(BulkJob, job.id).state is BulkState.INTERRUPTED
        assert job.changed == 2
        bulk_undo.check_undoable(job)
        cursor = 0
        while (cursor := bulk_undo.undo_batch(job, actor, cursor)) is not None:
            db.session.commit()
    assert {v[0] for v in leads(app, ids).values()} == {S.NEW}
    counters(app)


def test_the_dashboard_hears_one_batched_event(app, client, admin, users):
    ids = add_leads(app, 3)
    sio = socketio.test_client(app, flask_test_client=client)
    sio.get_received()
    post(client, action="assign", user_id=users["ayse"], ids=ids)
    events = {e["name"]: e["args"][0] for e in sio.get_received()}
    assert sorted(events["leads_updated"]["ids"]) == sorted(ids)
    assert "stats_updated" in events
    assert events["bulk_progress"]["state"] == "done"
    sio.disconnect()


def test_the_dashboard_hears_an_undo(app, client, admin, users):
    ids = add_leads(app, 2)
    job_id = post(client, action="assign", user_id=users["ayse"], ids=ids).get_json()["job_id"]
    sio = socketio.test_client(app, flask_test_client=client)
    sio.get_received()
    client.post(f"/facebook-leads/bulk/{job_id}/undo", json={})
    events = {e["name"]: e["args"][0] for e in sio.get_received()}
    assert sorted(events["leads_updated"]["ids"]) == sorted(ids)
    sio.disconnect()


def test_a_bulk_assignment_queues_one_digest_per_assignee(app, client, admin, users):
    from app.models import OutboxMail, User

    ids = add_leads(app, 4)
    with app.app_context():
        for name in ("ayse", "mehmet"):
            db.session.get(User, users[name]).email = f"{name}@example.com"
        db.session.commit()
    spread = [users["ayse"], users["mehmet"]]
    post(client, action="assign", user_ids=spread, ids=ids)
    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.recipient)).all()
        assert [(m.kind, m.recipient) for m in mails] == [
            ("assignment_digest", "ayse@example.com"),
            ("assignment_digest", "mehmet@example.com"),
        ]
        assert sorted(i for m in mails for i in m.params["lead_ids"]) == sorted(ids)


def test_open_follow_ups_move_with_a_bulk_assignment_and_back_on_undo(app, client, admin, users):
    from app.models import LeadTask
    from app.services import lead_tasks

    ids = add_leads(app, 1, assigned_to_id=users["ayse"], status=S.ASSIGNED)
    with app.app_context():
        lead = db.session.get(FacebookLead, ids[0])
        due = datetime.now(UTC) + timedelta(hours=2)
        task_id = lead_tasks.schedule(lead, due_at=due, actor=None).id
        db.session.commit()
    job_id = post(client, action="assign", user_id=users["mehmet"], ids=ids).get_json()["job_id"]
    with app.app_context():
        assert db.session.get(LeadTask, task_id).user_id == users["mehmet"]
    client.post(f"/facebook-leads/bulk/{job_id}/undo", json={})
    with app.app_context():
        assert db.session.get(LeadTask, task_id).user_id == users["ayse"]


def test_closing_leads_in_bulk_completes_their_open_follow_ups(app, client, admin, users):
    from app.models import LeadTask
    from app.services import lead_tasks

    ids = add_leads(app, 2, assigned_to_id=users["ayse"], status=S.ASSIGNED)
    with app.app_context():
        due = datetime.now(UTC) + timedelta(hours=2)
        tasks = [
            lead_tasks.schedule(db.session.get(FacebookLead, i), due_at=due, actor=None).id
            for i in ids
        ]
        db.session.commit()
    post(client, action="status", status="lost", ids=ids[:1])
    with app.app_context():
        done = [db.session.get(LeadTask, t).done_at is not None for t in tasks]
    assert done == [True, False]


def test_undo_of_closing_leads_reopens_the_follow_ups_it_closed_only(app, client, admin, users):
    """The undo reopens what the bulk change closed; a follow-up done by hand before stays
    done, and so do those of a lead someone changed since (not undone)."""
    from app.models import LeadTask
    from app.services import lead_tasks

    ids = add_leads(app, 3, assigned_to_id=users["ayse"], status=S.ASSIGNED)
    with app.app_context():
        due = datetime.now(UTC) + timedelta(hours=2)
        open_tasks = [
            lead_tasks.schedule(db.session.get(FacebookLead, i), due_at=due, actor=None).id
            for i in ids
        ]
        by_hand = lead_tasks.schedule(db.session.get(FacebookLead, ids[0]), due_at=due, actor=None)
        lead_tasks.complete(by_hand, now=datetime.now(UTC) - timedelta(minutes=5))
        by_hand_id = by_hand.id
        db.session.commit()
    job_id = post(client, action="status", status="lost", ids=ids).get_json()["job_id"]
    with app.app_context():
        assert all(db.session.get(LeadTask, t).done_at for t in open_tasks)
        lead = db.session.get(FacebookLead, ids[2])
        lead.city = "İzmir"  # someone changed it meanwhile: its version moved on
        db.session.commit()
    client.post(f"/facebook-leads/bulk/{job_id}/undo", json={})
    with app.app_context():
        done = [db.session.get(LeadTask, t).done_at is not None for t in open_tasks]
        assert done == [False, False, True]
        assert db.session.get(LeadTask, by_hand_id).done_at is not None
        assert leads(app, ids[:2]) == {i: (S.ASSIGNED, users["ayse"], False) for i in ids[:2]}
