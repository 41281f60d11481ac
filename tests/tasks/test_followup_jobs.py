"""The due-time job: each owner hears `task_due` once per follow-up, on their own socket
only; done, deleted, far-too-late and not-yet-due follow-ups stay quiet; two runs racing
announce each one once."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db, socketio
from app.models import FacebookLead, LeadTask, User
from app.services import lead_tasks, lead_workflow
from app.tasks import followup_jobs
from tests import factories

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sockets(app, users):
    """A signed-in Socket.IO client for ayse and one for mehmet."""
    clients = {}
    for name in ("ayse", "mehmet"):
        http = app.test_client()
        http.post("/auth/login", data={"username": name, "password": "correct-horse"})
        clients[name] = socketio.test_client(app, flask_test_client=http)
        assert clients[name].is_connected()
        clients[name].get_received()
    yield clients
    for client in clients.values():
        client.disconnect()


def task_due(sio) -> list[dict]:
    return [item["args"][0] for item in sio.get_received() if item["name"] == "task_due"]


def follow_up(app, users, owner: str, due_at: datetime, **lead_values) -> tuple[int, int]:
    with app.app_context():
        admin = db.session.get(User, users["admin"])
        lead = factories.make_lead(**lead_values)
        lead_workflow.assign(lead, db.session.get(User, users[owner]), actor=admin)
        task = lead_tasks.schedule(lead, due_at=due_at, actor=admin)
        db.session.commit()
        return lead.id, task.id


def run(app, now=NOW, **kwargs) -> int:
    with app.app_context():
        return followup_jobs.announce_due(now, **kwargs)


def test_a_due_follow_up_is_announced_once_to_its_owner_only(app, users, sockets):
    lead_id, task_id = follow_up(
        app, users, "ayse", NOW - timedelta(minutes=1), first_name="Zeynep", last_name="Ak"
    )
    follow_up(app, users, "ayse", NOW + timedelta(minutes=5))  # not yet
    assert run(app) == 1
    [notice] = task_due(sockets["ayse"])
    assert notice == {
        "task_id": task_id,
        "lead_id": lead_id,
        "kind": "follow_up",
        "due_at": (NOW - timedelta(minutes=1)).isoformat(),
        "name": "Zeynep Ak",
    }
    assert task_due(sockets["mehmet"]) == []
    assert run(app) == 0  # once
    assert task_due(sockets["ayse"]) == []
    assert run(app, NOW + timedelta(minutes=6)) == 1  # the second one, when its time comes


def test_done_deleted_and_long_past_follow_ups_stay_quiet(app, users, sockets):
    _, done_id = follow_up(app, users, "ayse", NOW - timedelta(minutes=1))
    deleted_lead, _ = follow_up(app, users, "ayse", NOW - timedelta(minutes=1))
    follow_up(app, users, "ayse", NOW - timedelta(days=2))  # the scheduler was off for days
    with app.app_context():
        lead_tasks.complete(db.session.get(LeadTask, done_id))
        db.session.get(FacebookLead, deleted_lead).deleted_at = NOW
        db.session.commit()
    assert run(app) == 0
    assert task_due(sockets["ayse"]) == []
    with app.app_context():  # all claimed: none is announced later either
        unclaimed = db.session.scalar(
            sa.select(sa.func.count()).where(
                LeadTask.notified_at.is_(None), LeadTask.done_at.is_(None)
            )
        )
    assert unclaimed == 0


def test_a_moved_follow_up_is_announced_to_the_new_owner(app, users, sockets):
    lead_id, _ = follow_up(app, users, "ayse", NOW - timedelta(minutes=1))
    with app.app_context():
        admin = db.session.get(User, users["admin"])
        lead = db.session.get(FacebookLead, lead_id)
        lead_workflow.assign(lead, db.session.get(User, users["mehmet"]), actor=admin)
        db.session.commit()
    sockets["ayse"].get_received()
    sockets["mehmet"].get_received()
    assert run(app) == 1
    assert [n["lead_id"] for n in task_due(sockets["mehmet"])] == [lead_id]
    assert task_due(sockets["ayse"]) == []


def test_batches_cover_everything_due(app, users, sockets):
    for minutes in range(7):
        follow_up(app, users, "ayse", NOW - timedelta(minutes=minutes + 1))
    assert run(app, batch=3) == 7
    assert len(task_due(sockets["ayse"])) == 7


def test_two_runs_racing_announce_each_follow_up_once(app, users, sockets, database):
    if database == "sqlite":
        pytest.skip("SQLite serialises writers: the race is PostgreSQL's")
    for minutes in range(40):
        follow_up(app, users, "ayse", NOW - timedelta(seconds=minutes + 1))
    counts: list[int] = []
    barrier = threading.Barrier(2)

    def racer() -> None:
        with app.app_context():
            barrier.wait()
            counts.append(followup_jobs.announce_due(NOW, batch=5))
            db.session.remove()

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(counts) == 40
    ids = [n["task_id"] for n in task_due(sockets["ayse"])]
    assert len(ids) == len(set(ids)) == 40
