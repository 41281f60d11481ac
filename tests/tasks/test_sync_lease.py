"""The sync lease recovers: renewed while a sync runs, taken over from a crashed holder (at
once when it was a process of this machine), its runs closed as interrupted; `flask meta sync`
killed with SIGKILL at several points and run again stores every lead exactly once."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, MetaApiConfig, SyncRun, SyncStatus, SyncTrigger
from app.services import meta_configs
from app.tasks import sync_jobs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_config(sandbox):
    return {
        "META_GRAPH_URL": sandbox.graph_url,
        "META_PAGE_SIZE": 10,
        "META_SYNC_BATCH": 10,
        "META_SYNC_LEASE_SECONDS": 2,
        "META_SYNC_HEARTBEAT_SECONDS": 0.2,
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
    db.session.rollback()
    return list(db.session.scalars(sa.select(FacebookLead.meta_lead_id)))


def assert_every_lead_once(sandbox) -> None:
    ids = stored_ids()
    expected = {lead["id"] for f in sandbox.state.form_ids() for lead in sandbox.state.leads_of(f)}
    assert len(ids) == len(set(ids)) and set(ids) == expected


def hold_lease(config_id: int, owner: str, expires: datetime) -> None:
    config = db.session.get(MetaApiConfig, config_id)
    config.lease_owner, config.lease_expires_at = owner, expires
    config.lease_acquired_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()


def test_a_running_sync_renews_its_lease_so_nobody_takes_it(app, config_id, sandbox):
    sandbox.state.inject_fault(0, delay_s=1.2, times=3, path_contains="/leads")  # ~3.6 s
    done = threading.Event()

    def long_sync():
        with app.app_context():
            try:
                sync_jobs.sync_config(config_id)
            finally:
                db.session.remove()
                done.set()

    threading.Thread(target=long_sync).start()
    time.sleep(2.8)  # past the 2 s lease: only the heartbeat keeps it
    outcome = sync_jobs.sync_config(config_id)
    assert outcome.skipped.startswith("another process is syncing this config")
    assert outcome.held_by.startswith(socket.gethostname()) and "since" in outcome.skipped
    assert done.wait(15)
    db.session.rollback()
    assert db.session.get(MetaApiConfig, config_id).lease_owner is None  # released at the end
    assert_every_lead_once(sandbox)


def test_a_stale_lease_is_taken_over_and_the_holders_runs_interrupted(config_id, sandbox):
    hold_lease(config_id, "gone-host:4242:1", datetime.now(UTC) - timedelta(seconds=1))
    db.session.add(SyncRun(config_id=config_id, form_id="1", trigger=SyncTrigger.SCHEDULE))
    db.session.commit()
    outcome = sync_jobs.sync_config(config_id)
    assert outcome.skipped is None and len(outcome.forms) == 3
    first = db.session.scalar(sa.select(SyncRun).order_by(SyncRun.id).limit(1))
    assert first.status == SyncStatus.INTERRUPTED and first.error_code == "interrupted"
    assert first.finished_at is not None


def test_a_lease_of_a_local_process_that_died_is_taken_at_once(config_id, sandbox):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    owner = f"{socket.gethostname()}:{dead.pid}:1"
    hold_lease(config_id, owner, datetime.now(UTC) + timedelta(minutes=3))
    assert sync_jobs.sync_config(config_id).skipped is None
    assert_every_lead_once(sandbox)


def test_a_lease_of_a_live_holder_is_respected_and_the_cli_exits_non_zero(
    app, config_id, sandbox, runner
):
    hold_lease(config_id, "other-host:1:1", datetime.now(UTC) + timedelta(minutes=3))
    result = runner.invoke(args=["meta", "sync"])
    assert result.exit_code == 1
    assert "another process is syncing this config (other-host:1:1 since" in result.output
    assert stored_ids() == []


def cli_env(app, sandbox) -> dict[str, str]:
    config = app.config
    return os.environ | {
        "FLASK_APP": "wsgi.py",
        "APP_ENV": "development",
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "META_GRAPH_URL": sandbox.graph_url,
        "SECRET_KEY": config["SECRET_KEY"],
        "TOKEN_ENCRYPTION_KEYS": config["TOKEN_ENCRYPTION_KEYS"],
        "META_SANDBOX": "0",
        "SCHEDULER_ENABLED": "0",
        "WEBHOOK_WORKER": "0",
        "META_PAGE_SIZE": "10",
        "META_SYNC_BATCH": "10",
    }


def flask_cli(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "flask"), *args]


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("pages_before_kill", [0, 2, 5])
def test_flask_meta_sync_killed_then_run_again_stores_every_lead_once(
    app, config_id, sandbox, pages_before_kill
):
    """SIGKILL while Meta is answering page N+1 (pages 1..N committed), then an immediate
    re-run: not blocked by the dead holder's lease, the killed run marked interrupted."""
    sandbox.state.add_bulk(sandbox.state.form_ids()[0], 60)  # 100 leads on the first form
    sandbox.state.inject_fault(0, delay_s=60, after=pages_before_kill, path_contains="/leads")
    env = cli_env(app, sandbox)
    killed = subprocess.Popen(
        flask_cli("meta", "sync"), cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    leads_calls = lambda: sum(1 for r in sandbox.state.requests_log if r[1].endswith("/leads"))  # noqa: E731
    wait_for(lambda: leads_calls() > pages_before_kill)
    wait_for(lambda: len(stored_ids()) == pages_before_kill * 10)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    sandbox.state.clear_faults()
    again = subprocess.run(
        flask_cli("meta", "sync"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0, again.stderr + again.stdout
    assert "skipped" not in again.stdout + again.stderr
    assert_every_lead_once(sandbox)
    statuses = list(db.session.scalars(sa.select(SyncRun.status).order_by(SyncRun.id)))
    assert statuses[0] == SyncStatus.INTERRUPTED and statuses[1:] == [SyncStatus.OK] * 3
