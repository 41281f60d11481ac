"""Background work: APScheduler for periodic jobs, one runner for work requests ask for."""

from flask import Flask

from app.tasks.runner import init_runner, submit, submit_ids, submit_once
from app.tasks.scheduler import init_scheduler

__all__ = ["init_app", "init_scheduler", "submit", "submit_ids", "submit_once"]


def init_app(app: Flask) -> None:
    """The runner always (its threads start on first use); the scheduler when enabled."""
    init_runner(app)
    if app.config["SCHEDULER_ENABLED"]:
        init_scheduler(app)
