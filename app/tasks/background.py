"""One-off background work started from a request (the admin's "Sync now")."""

import threading

from flask import Flask

from app.models import SyncTrigger
from app.tasks import sync_jobs, webhook_worker
from app.tasks.scheduler import run_job


def start_sync(app: Flask, config_id: int) -> threading.Thread:
    """Sync one config in a thread; progress goes out as `sync_progress` events."""
    thread = threading.Thread(
        target=run_job, args=(app, sync_now, config_id), name=f"sync-now-{config_id}", daemon=True
    )
    thread.start()
    return thread


def sync_now(config_id: int) -> None:
    """A manual sync (the service takes the lease, so it never overlaps a scheduled one)."""
    sync_jobs.sync_config(config_id, trigger=SyncTrigger.MANUAL)


def process_webhook_events(app: Flask, event_ids: list[int]) -> None:
    """Hand events to the webhook worker (when it runs in this process)."""
    webhook_worker.notify(app, event_ids)
