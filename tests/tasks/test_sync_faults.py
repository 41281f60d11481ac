"""The poll sync against a proxy that breaks Meta's answers (tests/fault_proxy.py): every
lead ends up stored exactly once (or quarantined, never silently gone), and every faulted run
says so (partial or failed, never ok)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, FailedLead, MetaForm, SyncRun, SyncStatus, SyncTrigger
from app.services import meta_configs, meta_health
from app.services.meta_lead_service import FUTURE_NOTE
from app.tasks import sync_jobs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN
from tests import factories
from tests.fault_proxy import MISSING, created, deep_nest, field_data


@pytest.fixture
def proxy(sandbox, fault_proxy):
    return fault_proxy(sandbox)


@pytest.fixture
def app_config(proxy):
    return {
        "META_GRAPH_URL": proxy.graph_url,
        "META_HTTP_TIMEOUT": 2.0,
        "META_MAX_RETRIES": 1,
        "META_PAGE_SIZE": 10,
        "META_SYNC_BATCH": 10,
    }


@pytest.fixture
def config_id(app_ctx, sandbox):
    config = meta_configs.add_config(
        factories.make_distributor(),
        page_id=DEFAULT_PAGE_ID,
        form_ids=sandbox.state.form_ids(),
        token=DEFAULT_PAGE_TOKEN,
    )
    db.session.commit()
    return config.id


def stored_ids() -> list[str]:
    db.session.rollback()  # a fresh snapshot
    return list(db.session.scalars(sa.select(FacebookLead.meta_lead_id)))


def sandbox_ids(sandbox) -> list[str]:
    return sorted(
        lead["id"] for f in sandbox.state.form_ids() for lead in sandbox.state.leads_of(f)
    )


def assert_every_lead_once(sandbox) -> None:
    ids = stored_ids()
    assert len(ids) == len(set(ids)) and sorted(ids) == sandbox_ids(sandbox)


def form(form_id: str) -> MetaForm:
    return db.session.scalar(sa.select(MetaForm).where(MetaForm.form_id == form_id))


def first_form(sandbox) -> str:
    return sandbox.state.form_ids()[0]


def test_a_page_whose_data_is_not_a_list_is_partial_and_the_next_run_heals(
    config_id, sandbox, proxy
):
    proxy.break_pages("data_not_list", after=1)
    outcome = sync_jobs.sync_config(config_id)
    assert [f.status for f in outcome.forms] == [SyncStatus.PARTIAL, SyncStatus.OK, SyncStatus.OK]
    run = db.session.get(SyncRun, outcome.forms[0].run_id)
    assert run.error_code == "page_data_not_list" and "not a list" in run.error
    assert len(stored_ids()) == 110 and form(first_form(sandbox)).checkpoint is None
    outcome = sync_jobs.sync_config(config_id)
    assert [f.status for f in outcome.forms] == [SyncStatus.OK] * 3
    assert_every_lead_once(sandbox)


def test_a_list_cut_short_never_moves_the_checkpoint_past_unread_leads(config_id, sandbox, proxy):
    sync_jobs.sync_config(config_id)
    checkpoint = form(first_form(sandbox)).checkpoint
    sandbox.state.add_leads(first_form(sandbox), 25)
    proxy.break_pages("drop_paging")  # the first page of 10 new leads, and nothing after it
    outcome = sync_jobs.sync_config(config_id)
    assert outcome.forms[0].status == SyncStatus.PARTIAL
    assert db.session.get(SyncRun, outcome.forms[0].run_id).error_code == "paging_cut_short"
    assert form(first_form(sandbox)).checkpoint == checkpoint  # 15 leads still unread
    sync_jobs.sync_config(config_id)
    assert_every_lead_once(sandbox)


def test_a_lead_meta_lists_late_is_found_by_reconciliation(config_id, sandbox):
    sync_jobs.sync_config(config_id)
    form_id = first_form(sandbox)
    listed_late = form(form_id).checkpoint - timedelta(hours=1)  # before the poll's overlap
    late = sandbox.state.add_leads(form_id, created_time=listed_late)
    outcome = sync_jobs.sync_config(config_id)  # the poll looks only past the checkpoint
    assert outcome.forms[0].result.created == 0
    assert form(form_id).shortfall == 1 and form(form_id).behind
    assert sync_jobs.reconcile_behind() == 1
    assert late[0]["id"] in stored_ids() and form(form_id).shortfall == 0
    run = db.session.scalar(sa.select(SyncRun).order_by(SyncRun.id.desc()).limit(1))
    assert run.trigger == SyncTrigger.RECONCILE and run.status == SyncStatus.OK
    assert sync_jobs.reconcile_behind() == 0  # nothing behind any more
    assert_every_lead_once(sandbox)


def test_a_poison_lead_is_quarantined_once_and_the_rest_of_its_page_stored(
    app, config_id, sandbox, proxy
):
    form_id = first_form(sandbox)
    poison = sandbox.state.leads_of(form_id)[3]["id"]
    proxy.patch_lead(poison, deep_nest())
    outcome = sync_jobs.sync_config(config_id)
    assert [f.status for f in outcome.forms] == [SyncStatus.PARTIAL, SyncStatus.OK, SyncStatus.OK]
    assert len(stored_ids()) == 119 and poison not in stored_ids()
    failed = db.session.scalars(sa.select(FailedLead)).all()
    assert [(f.meta_lead_id, f.reason_code, f.attempts) for f in failed] == [
        (poison, "lead_unreadable", 1)
    ]
    assert failed[0].payload["unreadable"].startswith('{"id"')
    assert form(form_id).checkpoint is not None and form(form_id).shortfall == 0
    sync_jobs.sync_config(config_id, trigger=SyncTrigger.RECONCILE, deep=True)
    assert db.session.scalar(sa.select(FailedLead.attempts)) == 2  # still one row
    proxy.patches.clear()  # Meta answers properly again: Retry stores it
    stored, reason = meta_health.retry_failed_lead(db.session.scalar(sa.select(FailedLead)))
    db.session.commit()
    assert stored and reason is None
    assert_every_lead_once(sandbox)


def test_a_future_dated_lead_is_flagged_and_does_not_move_the_checkpoint(config_id, sandbox, proxy):
    form_id = first_form(sandbox)
    future = sandbox.state.leads_of(form_id)[0]["id"]
    proxy.patch_lead(future, created("2099-01-01T00:00:00+0000"))
    sync_jobs.sync_config(config_id)
    lead = db.session.scalar(sa.select(FacebookLead).where(FacebookLead.meta_lead_id == future))
    assert lead.parse_error == FUTURE_NOTE
    assert lead.meta_created_at < datetime.now(UTC) + timedelta(minutes=1)
    assert form(form_id).checkpoint < datetime.now(UTC) + timedelta(minutes=5)
    fresh = sandbox.state.add_leads(form_id, 2)
    sync_jobs.sync_config(config_id)
    assert {lead["id"] for lead in fresh} <= set(stored_ids())


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ({"email": "x@example.com"}, "an object"),
        ("a, b", "a string"),
        (None, "null"),
        (MISSING, "missing"),
    ],
)
def test_answers_of_the_wrong_shape_keep_the_raw_lead_in_quarantine(
    config_id, sandbox, proxy, value, shape
):
    form_id = first_form(sandbox)
    odd = sandbox.state.leads_of(form_id)[5]["id"]
    proxy.patch_lead(odd, field_data(value))
    outcome = sync_jobs.sync_config(config_id)
    assert outcome.forms[0].status == SyncStatus.PARTIAL
    assert odd not in stored_ids() and len(stored_ids()) == 119
    failed = db.session.scalar(sa.select(FailedLead))
    assert (failed.meta_lead_id, failed.reason_code, failed.reason_params) == (
        odd,
        "field_data_shape",
        {"shape": shape},
    )
    assert failed.payload["id"] == odd and failed.payload.get("field_data") == (
        None if value is MISSING else value
    )


def test_a_form_count_the_database_cannot_hold_does_not_stop_the_other_forms(
    config_id, sandbox, proxy
):
    proxy.patch_form(first_form(sandbox), lambda f: {**f, "leads_count": 10**20})
    outcome = sync_jobs.sync_config(config_id)
    assert [f.status for f in outcome.forms] == [SyncStatus.OK] * 3
    counts = db.session.scalars(sa.select(MetaForm.leads_count_on_meta).order_by(MetaForm.id))
    assert list(counts) == [None, 40, 40]
    assert_every_lead_once(sandbox)


def test_the_checkpoint_moves_only_from_where_the_run_found_it(config_id, sandbox):
    from app.services import meta_sync

    sync_jobs.sync_config(config_id)
    found = form(first_form(sandbox))
    moved_meanwhile = found.checkpoint + timedelta(seconds=30)
    found.checkpoint = moved_meanwhile
    db.session.commit()
    later = moved_meanwhile + timedelta(hours=1)
    assert not meta_sync.advance_checkpoint(found, moved_meanwhile - timedelta(hours=1), later)
    assert meta_sync.advance_checkpoint(found, moved_meanwhile, later)
    db.session.commit()
    assert form(first_form(sandbox)).checkpoint == later


def test_the_cli_reports_meta_count_ours_fetched_and_added(app, runner, config_id, sandbox):
    sync_jobs.sync_config(config_id)
    db.session.execute(sa.delete(FacebookLead).where(FacebookLead.id == 1))
    db.session.commit()
    result = runner.invoke(args=["meta", "reconcile"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "form" in line]
    assert len(lines) == 3
    assert sum("meta=40 expired=0 ours=40 fetched=40 added=1 ok" in line for line in lines) == 1
    assert sum("meta=40 expired=0 ours=40 fetched=40 added=0 ok" in line for line in lines) == 2
    assert_every_lead_once(sandbox)
