"""Poll sync against the sandbox over real HTTP: backfill, checkpoints, every error class."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    ConfigStatus,
    FacebookLead,
    MetaApiConfig,
    MetaForm,
    SyncRun,
    SyncStatus,
    SyncTrigger,
)
from app.services import meta_configs
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from app.tasks import sync_jobs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN
from tests import factories


@pytest.fixture
def app_config(sandbox):
    # Pages of 25, each committed on its own, so a test can stop a sync between pages.
    return {
        "META_GRAPH_URL": sandbox.graph_url,
        "META_HTTP_TIMEOUT": 0.5,
        "META_MAX_RETRIES": 2,
        "META_PAGE_SIZE": 25,
        "META_SYNC_BATCH": 25,
    }


@pytest.fixture
def config_id(app_ctx, sandbox):
    distributor = factories.make_distributor()
    config = meta_configs.add_config(
        distributor,
        page_id=DEFAULT_PAGE_ID,
        form_ids=sandbox.state.form_ids(),
        token=DEFAULT_PAGE_TOKEN,
    )
    db.session.commit()
    return config.id


def stored_ids() -> list[str]:
    return list(db.session.scalars(sa.select(FacebookLead.meta_lead_id)))


def sandbox_ids(state) -> set[str]:
    return {lead["id"] for form in state.form_ids() for lead in state.leads_of(form)}


def runs() -> list[SyncRun]:
    return list(db.session.scalars(sa.select(SyncRun).order_by(SyncRun.id)))


def leads_requests(state) -> list:
    return [r for r in state.requests_log if r[1].endswith("/leads")]


def test_first_sync_backfills_every_lead_once_and_sets_checkpoints(config_id, sandbox):
    outcome = sync_jobs.sync_config(config_id)
    ids = stored_ids()
    assert sorted(ids) == sorted(sandbox_ids(sandbox.state)) and len(ids) == 120
    assert [f.status for f in outcome.forms] == [SyncStatus.OK] * 3
    assert all(
        r.trigger == SyncTrigger.BACKFILL and r.fetched == 40 and r.created == 40 for r in runs()
    )
    for form in db.session.scalars(sa.select(MetaForm)):
        newest = max(
            datetime.strptime(lead["created_time"], "%Y-%m-%dT%H:%M:%S%z")
            for lead in sandbox.state.leads_of(form.form_id)
        )
        assert form.checkpoint == newest
    config = db.session.get(MetaApiConfig, config_id)
    assert config.status == ConfigStatus.OK and config.last_success_at is not None


def test_second_sync_creates_nothing_and_reads_only_from_the_checkpoint(config_id, sandbox):
    sync_jobs.sync_config(config_id)
    sandbox.state.requests_log.clear()
    outcome = sync_jobs.sync_config(config_id)
    assert sum(f.result.created for f in outcome.forms) == 0
    assert all(
        "filtering" in params and "time_created" in params["filtering"]
        for _, _, params in leads_requests(sandbox.state)
    )
    assert len(stored_ids()) == 120


def test_new_leads_on_meta_arrive_on_the_next_sync(config_id, sandbox):
    sync_jobs.sync_config(config_id)
    fresh = sandbox.state.add_leads(count=5)
    outcome = sync_jobs.sync_config(config_id)
    assert sum(f.result.created for f in outcome.forms) == 5
    assert {lead["id"] for lead in fresh} <= set(stored_ids())


def test_sync_killed_between_pages_then_rerun_stores_every_lead_exactly_once(config_id, sandbox):
    client = meta_configs.build_client(db.session.get(MetaApiConfig, config_id))
    real_pages = client.iter_lead_pages

    def dies_after_first_page(*args, **kwargs):
        pages = real_pages(*args, **kwargs)
        yield next(pages)
        raise KeyboardInterrupt  # the process is killed here

    client.iter_lead_pages = dies_after_first_page
    with pytest.raises(KeyboardInterrupt):
        sync_jobs.sync_config(config_id, client=client)
    assert len(stored_ids()) == 25
    assert db.session.scalar(sa.select(MetaForm.checkpoint).limit(1)) is None
    sync_jobs.sync_config(config_id)
    ids = stored_ids()
    assert len(ids) == len(set(ids)) == 120


def test_revoked_token_marks_config_needs_reauth_without_retrying(config_id, sandbox):
    sandbox.state.inject_fault(190, subcode=460, times=10)
    outcome = sync_jobs.sync_config(config_id)
    config = db.session.get(MetaApiConfig, config_id)
    assert config.status == ConfigStatus.NEEDS_REAUTH
    assert "paste a new Page access token" in config.last_error
    assert len(outcome.forms) == 1 and outcome.forms[0].status == SyncStatus.FAILED
    assert len(leads_requests(sandbox.state)) == 1
    assert sync_jobs.sync_config(config_id).skipped.startswith("the token needs to be replaced")


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80005])
def test_throttling_stops_the_run_records_retry_time_and_loses_nothing(config_id, sandbox, code):
    sandbox.state.inject_fault(code, after=1, times=1, path_contains="/leads", regain_minutes=7)
    started = datetime.now(UTC)
    outcome = sync_jobs.sync_config(config_id)
    config = db.session.get(MetaApiConfig, config_id)
    assert outcome.forms[-1].status == SyncStatus.PARTIAL and len(outcome.forms) == 1
    assert started + timedelta(minutes=6) < config.retry_after < started + timedelta(minutes=8)
    assert len(leads_requests(sandbox.state)) == 2  # first page, then the throttle: no hammering
    assert len(stored_ids()) == 25
    assert "throttled" in sync_jobs.sync_config(config_id).skipped
    config.retry_after = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    sync_jobs.sync_config(config_id)
    ids = stored_ids()
    assert len(ids) == len(set(ids)) == 120


@pytest.mark.parametrize("code", [1, 2])
def test_transient_errors_are_retried_and_the_sync_succeeds(config_id, sandbox, code):
    sandbox.state.inject_fault(code, times=2, path_contains="/leads")
    outcome = sync_jobs.sync_config(config_id)
    assert [f.status for f in outcome.forms] == [SyncStatus.OK] * 3
    assert len(stored_ids()) == 120


def test_timeouts_are_retried_then_recorded_and_other_forms_still_sync(config_id, sandbox):
    first_form = sandbox.state.form_ids()[0]
    sandbox.state.inject_fault(0, delay_s=0.8, times=3, path_contains=first_form)
    outcome = sync_jobs.sync_config(config_id)
    assert [f.status for f in outcome.forms] == [SyncStatus.FAILED, SyncStatus.OK, SyncStatus.OK]
    assert "could not be reached" in outcome.forms[0].error
    config = db.session.get(MetaApiConfig, config_id)
    assert config.status == ConfigStatus.FAILING and config.consecutive_failures == 1
    assert len(stored_ids()) == 80
    sync_jobs.sync_config(config_id)
    assert len(stored_ids()) == 120
    assert db.session.get(MetaApiConfig, config_id).consecutive_failures == 0


def test_permanent_error_on_one_form_is_recorded_and_the_others_continue(config_id, sandbox):
    sandbox.state.inject_fault(100, subcode=33, times=1, path_contains=sandbox.state.form_ids()[1])
    outcome = sync_jobs.sync_config(config_id)
    assert [f.status for f in outcome.forms] == [SyncStatus.OK, SyncStatus.FAILED, SyncStatus.OK]
    assert "error 100" in outcome.forms[1].error


def test_a_config_leased_by_another_process_is_skipped(config_id, sandbox):
    config = db.session.get(MetaApiConfig, config_id)
    config.lease_owner, config.lease_expires_at = (
        "other-host:1:1",
        datetime.now(UTC) + timedelta(minutes=5),
    )
    db.session.commit()
    skipped = sync_jobs.sync_config(config_id)
    assert skipped.skipped.startswith("another process is syncing this config (other-host:1:1")
    assert skipped.held_by == "other-host:1:1"
    assert stored_ids() == []
    config.lease_expires_at = datetime.now(UTC) - timedelta(seconds=1)  # a crashed holder's lease
    db.session.commit()
    assert sync_jobs.sync_config(config_id).skipped is None


def test_concurrent_ingestion_of_the_same_leads_creates_no_duplicates(app, config_id, sandbox):
    form_id = sandbox.state.form_ids()[0]
    sandbox.state.add_bulk(form_id, 400)
    raws = sandbox.state.leads_of(form_id)
    barrier, errors = threading.Barrier(2), []

    def ingest():
        with app.app_context():
            try:
                barrier.wait()
                for start in range(0, len(raws), 50):
                    ingest_raw_leads(
                        raws[start : start + 50], LeadSource(1, DEFAULT_PAGE_ID, form_id, config_id)
                    )
                    db.session.commit()
            except Exception as error:  # surfaced by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ingest) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.rollback()  # end this session's snapshot (SQLite WAL reads are repeatable)
    ids = stored_ids()
    assert len(ids) == len(set(ids)) == len(raws)


def test_token_is_never_logged_nor_stored_in_clear(config_id, sandbox, caplog, app):
    caplog.set_level("DEBUG")
    sandbox.state.inject_fault(190, subcode=467, times=1)
    sync_jobs.sync_config(config_id)
    assert "graph error code=190" in caplog.text  # the failure was logged…
    assert DEFAULT_PAGE_TOKEN not in caplog.text  # …without the token
    dump = "\n".join(
        str(tuple(row)) for row in db.session.execute(sa.text("SELECT * FROM meta_api_configs"))
    )
    assert DEFAULT_PAGE_TOKEN not in dump and "needs_reauth" in dump
    assert meta_configs.read_token(db.session.get(MetaApiConfig, config_id)) == DEFAULT_PAGE_TOKEN


def test_leads_fetched_before_a_failure_are_stored_even_inside_a_large_batch(
    app, config_id, sandbox
):
    app.config["META_SYNC_BATCH"] = 500
    first_form = sandbox.state.form_ids()[0]
    sandbox.state.inject_fault(80005, after=1, path_contains=first_form, regain_minutes=1)
    outcome = sync_jobs.sync_config(config_id)
    assert outcome.forms[0].status == SyncStatus.PARTIAL
    assert len(stored_ids()) == 25  # page 1 was fetched, page 2 throttled: page 1 is kept


def test_configs_of_a_deactivated_distributor_are_not_synced(config_id, sandbox):
    config = db.session.get(MetaApiConfig, config_id)
    config.distributor.is_active = False
    db.session.commit()
    assert sync_jobs.sync_config(config_id).skipped == "its distributor is deactivated"
    assert config_id not in [c.id for c in meta_configs.list_active_configs()]
    assert stored_ids() == []


def test_a_scheduled_poll_right_after_another_is_not_due_but_sync_now_still_runs(config_id):
    """Two servers' schedulers fire the same config's poll: it is read once per interval."""
    first = sync_jobs.sync_config(config_id, trigger=SyncTrigger.SCHEDULE)
    assert first.skipped is None and first.forms
    runs_after_first = len(runs())
    second = sync_jobs.sync_config(config_id, trigger=SyncTrigger.SCHEDULE)
    assert second.skipped and second.skipped.startswith("not due")
    assert len(runs()) == runs_after_first
    manual = sync_jobs.sync_config(config_id, trigger=SyncTrigger.MANUAL)
    assert manual.skipped is None and len(runs()) > runs_after_first
    config = db.session.get(MetaApiConfig, config_id)
    config.last_fetch_time = datetime.now(UTC) - timedelta(minutes=config.fetch_interval_minutes)
    db.session.commit()
    assert sync_jobs.sync_config(config_id, trigger=SyncTrigger.SCHEDULE).skipped is None
