"""Background jobs (APScheduler 3)."""

from app.tasks.scheduler import init_scheduler

__all__ = ["init_scheduler"]
