"""The one background runner: APScheduler for periodic jobs (scheduler.py) and this executor for
work a request asks for (webhook batches, "Sync now", and later bulk jobs and the mail outbox).

Every job goes through `run_job` (app context, logging, commit or rollback). Concurrency is
limited per kind of work, so a hung SMTP server or a big bulk job never starves webhooks.
Durable work lives in its table (webhook events, sync runs, …) and is claimed there, so work
lost with a process is picked up by the scheduler's sweeps; this executor only makes it prompt.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from app.extensions import db
from app.tasks import mail_jobs
from app.tasks.scheduler import run_job

log = logging.getLogger(__name__)
# Threads per kind of work: each kind waits only for its own kind.
KINDS = {"webhook": 2, "sync": 2, "bulk": 1, "mail": 1, "misc": 1, "analytics": 1}
BATCH = 200  # ids handed to one job of a coalescing submit


class Runner:
    """Executors per kind of work for one app (threads start on first use)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pools = {
            kind: ThreadPoolExecutor(threads, thread_name_prefix=f"task-{kind}")
            for kind, threads in KINDS.items()
        }
        self.pending: dict[tuple[str, Callable], list[int]] = {}
        self.waiting: set[tuple[str, Callable]] = set()  # submit_once jobs not yet started
        self.lock = threading.Lock()

    def submit(self, kind: str, job: Callable[..., Any], *args: Any) -> Future:
        """Run *job(*args)* on the *kind* executor through `run_job`."""
        return self.pools[kind].submit(run_job, self.app, job, *args)

    def submit_ids(self, kind: str, job: Callable[[list[int]], Any], ids: list[int]) -> None:
        """Hand *ids* to *job*, coalesced: ids arriving while a job is queued join its batch
        (a burst of webhooks becomes a few batches, not one transaction per POST)."""
        if not ids:
            return
        with self.lock:
            queued = self.pending.setdefault((kind, job), [])
            already = bool(queued)
            queued.extend(ids)
        if not already:
            self.submit(kind, self.drain, kind, job)

    def submit_once(self, kind: str, job: Callable[[], Any]) -> None:
        """Run *job()* soon, unless a run of it is already waiting to start (a burst of
        commits that queued mail wakes the sender once, not once per commit)."""
        with self.lock:
            if (kind, job) in self.waiting:
                return
            self.waiting.add((kind, job))
        self.pools[kind].submit(self.run_once, kind, job)

    def run_once(self, kind: str, job: Callable[[], Any]) -> None:
        with self.lock:
            self.waiting.discard((kind, job))
        run_job(self.app, job)

    def drain(self, kind: str, job: Callable[[list[int]], Any]) -> None:
        """Run *job* on the queued ids, a batch at a time, until none are left (a failing
        batch is logged and the rest still run: its work stays due in its table)."""
        while True:
            with self.lock:
                queued = self.pending.get((kind, job), [])
                batch, queued[:] = queued[:BATCH], queued[BATCH:]
            if not batch:
                return
            try:
                job(batch)
            except Exception:  # the job wrapper's broad catch, per batch
                db.session.rollback()
                log.exception("background %s batch of %d failed", kind, len(batch))

    def shutdown(self, wait: bool = True) -> None:
        for pool in self.pools.values():
            pool.shutdown(wait=wait, cancel_futures=not wait)


def init_runner(app: Flask) -> Runner:
    runner = app.extensions["task_runner"] = Runner(app)
    if app.config.get("MAIL_WORKER"):
        app.extensions["mail_sender"] = lambda: runner.submit_once("mail", mail_jobs.send_pending)
    return runner


def runner() -> Runner:
    return current_app.extensions["task_runner"]


def submit(kind: str, job: Callable[..., Any], *args: Any) -> Future:
    """Run a job in the background of the current app (see `Runner.submit`)."""
    return runner().submit(kind, job, *args)


def submit_ids(kind: str, job: Callable[[list[int]], Any], ids: list[int]) -> None:
    """Hand ids to a coalescing job in the background (see `Runner.submit_ids`)."""
    runner().submit_ids(kind, job, ids)


def submit_once(kind: str, job: Callable[[], Any]) -> None:
    """Run a job soon unless a run of it is already waiting (see `Runner.submit_once`)."""
    runner().submit_once(kind, job)
