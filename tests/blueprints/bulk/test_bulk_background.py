"""Over BULK_SYNC_LIMIT leads (here 3) a bulk action runs in the background: 202 with the job,
progress as it goes, the result when done; its undo runs there too."""

import time

import pytest

from app.extensions import db
from app.models import LeadStatus
from tests import factories


@pytest.fixture
def app_config():
    return {"BULK_SYNC_LIMIT": 3}


def wait_for(client, job_id: int, state: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = client.get(f"/facebook-leads/bulk/{job_id}").get_json()
        if body["state"] == state:
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {state}: {body}")


def test_a_large_job_answers_202_then_finishes_in_the_background(app, client, auth, users):
    with app.app_context():
        for _ in range(5):
            factories.make_lead()
        db.session.commit()
    auth.login("admin")
    answer = client.post(
        "/facebook-leads/bulk",
        json={"action": "assign", "user_id": users["ayse"], "filter": {"status": "new"}},
    )
    assert answer.status_code == 202
    assert answer.get_json()["matched"] == 5
    job_id = answer.get_json()["job_id"]
    body = wait_for(client, job_id, "done")
    assert (body["changed"], body["processed"]) == (5, 5)
    undo = client.post(f"/facebook-leads/bulk/{job_id}/undo", json={})
    assert undo.status_code == 202
    wait_for(client, job_id, "undone")
    listing = client.get("/facebook-leads/api/leads?status=new").get_json()
    assert listing["total"] == 5
    assert {item["status"] for item in listing["items"]} == {LeadStatus.NEW.value}
