""" "Rescore now": in the background, a batch at a time, with progress, tiers before and after."""

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, RescoreState, Role, ScoringRescore
from app.services import lead_derived, scoring_fields, scoring_rescore, scoring_rules
from app.services.lead_scoring import DEFAULT_RULES
from app.tasks import scoring_jobs
from tests import factories

URL = "/facebook-leads/scoring-rules"


def scored_lead(**values) -> FacebookLead:
    lead = factories.make_lead(meta_created_at=datetime.now(UTC) - timedelta(days=60), **values)
    lead_derived.rescore(lead)
    return lead


def seed(app) -> list[int]:
    """Three leads scored with the defaults: hair transplant 20 + contact 30 = 50 (warm)."""
    with app.app_context():
        ids = [scored_lead(service="hair_transplant").id for _ in range(3)]
        db.session.commit()
        return ids


def wait_done(app, timeout: float = 60.0) -> ScoringRescore:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            run = db.session.scalar(sa.select(ScoringRescore).order_by(ScoringRescore.id.desc()))
            if run is not None and run.state is RescoreState.DONE:
                db.session.expunge(run)
                return run
        time.sleep(0.2)
    raise AssertionError("the rescore did not finish")


def scores(app, ids) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(FacebookLead.score).where(FacebookLead.id.in_(ids)).order_by("id")
            )
        )


def test_rescore_now_runs_in_the_background_and_changes_scores_and_tiers(client, auth, users, app):
    ids = seed(app)
    auth.login("admin")
    page = client.post(URL, data=rules_form(service_hair_transplant=25, hot_from=55))
    assert urlsplit(page.headers["Location"]).path == URL
    assert scores(app, ids) == [50, 50, 50]  # saving rescored nothing stored
    response = client.post(f"{URL}/rescore")
    assert urlsplit(response.headers["Location"]).path == URL
    run = wait_done(app)
    assert scores(app, ids) == [55, 55, 55]
    assert (run.rules_version, run.total, run.processed, run.changed) == (1, 3, 3, 3)
    assert run.tiers_before == {"hot": 0, "warm": 3, "cold": 0}
    assert run.tiers_after == {"hot": 3, "warm": 0, "cold": 0}
    assert run.requested_by_id == users["admin"]
    card = client.get(f"{URL}/rescore-status").get_data(as_text=True)
    assert 'data-running="0"' in card and f'id="rescore-{run.id}"' in card
    assert "0 → 3" in card and "Done" in card
    assert "Rescoring every stored lead in the background." in client.get(URL).text


def rules_form(**changes) -> dict[str, str]:
    values = scoring_fields.flat_values(DEFAULT_RULES) | changes
    return {k: str(v) for k, v in values.items()} | {"note": "hair is worth more"}


def test_the_job_rescores_in_batches_and_keeps_search_and_counters(app_ctx):
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    ids = [scored_lead(service="dental").id for _ in range(5)]
    db.session.commit()
    scoring_rules.save_rules(replace(DEFAULT_RULES, service_tiers={"dental": 2}), user=admin)
    run = scoring_rescore.request_rescore(admin)
    db.session.commit()
    scoring_jobs.rescore_now(run.id, batch=2)
    db.session.expire_all()
    run = db.session.get(ScoringRescore, run.id)
    assert (run.state, run.processed, run.changed) == (RescoreState.DONE, 5, 5)
    assert {db.session.get(FacebookLead, i).score_breakdown["service"] for i in ids} == {2}
    lead = db.session.get(FacebookLead, ids[0])
    assert lead.score == sum(lead.score_breakdown.values())


def test_a_second_rescore_is_refused_while_one_runs(client, auth, users, app):
    with app.app_context():
        db.session.add(ScoringRescore(state=RescoreState.RUNNING, requested_by_id=users["admin"]))
        db.session.commit()
    auth.login("admin")
    page = client.post(f"{URL}/rescore", follow_redirects=True).get_data(as_text=True)
    assert "A rescore is already running." in page
    assert 'data-running="1"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoringRescore)) == 1


def test_a_run_that_stopped_moving_long_ago_does_not_block_a_new_one(app_ctx):
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    old = datetime.now(UTC) - timedelta(hours=1)
    db.session.add(ScoringRescore(state=RescoreState.RUNNING, updated_at=old))
    db.session.flush()
    assert scoring_rescore.request_rescore(admin).state is RescoreState.QUEUED
    states = [state for _run, _user, state in scoring_rescore.list_rescores()]
    assert states == ["queued", "stopped"]


def test_staff_cannot_rescore(client, auth, users, app):
    auth.login("ayse")
    assert client.post(f"{URL}/rescore").status_code == 403
    assert client.get(f"{URL}/rescore-status").status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoringRescore)) == 0
