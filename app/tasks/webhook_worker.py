"""A background thread that fetches webhook leads right after Meta's POST is acknowledged.

The web process starts it on the first webhook (or at startup with the scheduler); it also
sweeps due events every few seconds, so retries and events left by a restart are processed.
Claims in the database keep it from racing the scheduler's sweep or another process."""

import logging
import queue
import threading
from collections.abc import Iterable

from flask import Flask

from app.extensions import db
from app.tasks import webhook_jobs

log = logging.getLogger(__name__)
SWEEP_SECONDS = 10.0
BATCH = 200


class WebhookWorker:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: queue.Queue[list[int] | None] = queue.Queue()
        self.thread = threading.Thread(target=self.run, name="webhook-worker", daemon=True)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                ids = self.queue.get(timeout=SWEEP_SECONDS)
            except queue.Empty:
                ids = None
            if not self.stopping.is_set():
                self.process(self.drain(ids))

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the current batch and end the thread (tests, orderly shutdown)."""
        self.stopping.set()
        self.queue.put([])
        self.thread.join(timeout)

    def drain(self, first: list[int] | None) -> list[int] | None:
        """*first* plus whatever else is already queued (None = sweep), up to one batch."""
        ids = list(first) if first is not None else None
        while ids is not None and len(ids) < BATCH:
            try:
                more = self.queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return None
            ids.extend(more)
        return ids

    def process(self, ids: list[int] | None) -> None:
        with self.app.app_context():
            try:
                if ids is None:
                    webhook_jobs.process_due_events()
                elif ids:
                    webhook_jobs.process_events(ids)
            except Exception:  # keep the worker alive; the event stays due and is retried
                db.session.rollback()
                log.exception("webhook worker failed")
            finally:
                db.session.remove()


def notify(app: Flask, event_ids: Iterable[int]) -> None:
    """Hand new event ids to the worker, starting it if needed (no-op when disabled)."""
    if not app.config["WEBHOOK_WORKER"]:
        return
    worker = start(app)
    ids = list(event_ids)
    if ids:
        worker.queue.put(ids)


def start(app: Flask) -> WebhookWorker:
    worker = app.extensions.get("webhook_worker")
    if worker is None:
        with _lock:
            worker = app.extensions.get("webhook_worker")
            if worker is None:
                worker = app.extensions["webhook_worker"] = WebhookWorker(app)
                worker.thread.start()
                worker.queue.put(None)  # sweep at once: events left by a restart
    return worker


_lock = threading.Lock()
