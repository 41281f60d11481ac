"""Scheduler wiring: one job per active config, coalesced, one instance at a time."""

import pytest

from app.extensions import db
from app.models import FacebookLead
from app.services import meta_configs
from app.tasks import jobs
from app.tasks.scheduler import init_scheduler, refresh_jobs, run_job
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN
from tests import factories


@pytest.fixture
def app_config(sandbox):
    return {"META_GRAPH_URL": sandbox.graph_url}


@pytest.fixture
def config_ids(app, sandbox):
    with app.app_context():
        distributor = factories.make_distributor()
        forms = sandbox.state.form_ids()
        active = meta_configs.add_config(
            distributor,
            page_id=DEFAULT_PAGE_ID,
            form_ids=forms[:2],
            token=DEFAULT_PAGE_TOKEN,
            interval_minutes=3,
        )
        paused = meta_configs.add_config(
            distributor, page_id=DEFAULT_PAGE_ID, form_ids=forms[2:], token=DEFAULT_PAGE_TOKEN
        )
        paused.is_active = False
        db.session.commit()
        return active.id, paused.id


def test_one_job_per_active_config_with_its_interval(app, config_ids):
    scheduler = init_scheduler(app, start=False)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    refresh_jobs(app, scheduler)
    jobs_by_id = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs_by_id) == {
        "refresh_jobs",
        "announce_due_follow_ups",
        "check_tokens",
        "daily_summary",
        "analytics_reports",
        "check_response_targets",
        "backup_database",
        "decay_scores",
        "process_webhook_events",
        "purge_retention",
        "reconcile_behind",
        "deep_sweep",
        "send_mail",
        "store_analytics_rollup",
        f"sync_meta_config:{config_ids[0]}",
    }
    job = jobs_by_id[f"sync_meta_config:{config_ids[0]}"]
    assert job.trigger.interval.total_seconds() == 180
    assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 300
    scheduler.shutdown(wait=False)


def test_refresh_removes_jobs_of_deactivated_configs(app, config_ids):
    scheduler = init_scheduler(app, start=False)
    refresh_jobs(app, scheduler)
    with app.app_context():
        config = db.session.get(meta_configs.MetaApiConfig, config_ids[0])
        config.is_active = False
        db.session.commit()
    refresh_jobs(app, scheduler)
    assert sorted(job.id for job in scheduler.get_jobs()) == [
        "analytics_reports",
        "announce_due_follow_ups",
        "backup_database",
        "check_response_targets",
        "check_tokens",
        "daily_summary",
        "decay_scores",
        "deep_sweep",
        "process_webhook_events",
        "purge_retention",
        "reconcile_behind",
        "refresh_jobs",
        "send_mail",
        "store_analytics_rollup",
    ]


def test_the_sync_job_pulls_leads_through_the_service(app, config_ids):
    run_job(app, jobs.sync_meta_config, config_ids[0])
    with app.app_context():
        assert db.session.query(FacebookLead).count() == 80


def test_a_failing_job_is_logged_and_does_not_raise(app, caplog):
    def broken() -> None:
        raise RuntimeError("boom")

    run_job(app, broken)
    assert "job broken failed" in caplog.text
