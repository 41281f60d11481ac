""" "Rescore now": every stored lead scored again with the rules in force, in the background, a
batch per transaction (app/tasks/scoring_jobs.py), recorded in `scoring_rescores` with its
progress and the leads per tier before and after."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import ConflictError
from app.extensions import db
from app.models import FacebookLead, RescoreState, ScoringRescore, User
from app.services import scoring_rules
from app.services.lead_scoring import ScoringRules

# A run that has not moved for this long died with its process: another may start.
STALE = timedelta(minutes=10)
LIVE = (RescoreState.QUEUED, RescoreState.RUNNING)


class RescoreRunningError(ConflictError):
    code = "rescore_running"


def tier_counts(rules: ScoringRules) -> dict[str, int]:
    """Stored leads (not deleted) per tier of *rules*: hot, warm, cold."""
    score = sa.func.coalesce(FacebookLead.score, 0)
    tier = sa.case(
        (score >= rules.hot_from, "hot"), (score >= rules.warm_from, "warm"), else_="cold"
    )
    rows = db.session.execute(
        sa.select(tier, sa.func.count()).where(FacebookLead.deleted_at.is_(None)).group_by(tier)
    )
    return {"hot": 0, "warm": 0, "cold": 0} | {name: int(n) for name, n in rows}


def live_rescore(now: datetime | None = None) -> ScoringRescore | None:
    """The run queued or under way (one that stopped moving long ago does not count)."""
    now = now or datetime.now(UTC)
    return db.session.scalar(
        sa.select(ScoringRescore)
        .where(ScoringRescore.state.in_(LIVE), ScoringRescore.updated_at > now - STALE)
        .order_by(ScoringRescore.id.desc())
        .limit(1)
    )


def request_rescore(user: User) -> ScoringRescore:
    """Queue a rescore of every stored lead. Raises RescoreRunningError while one runs.
    Caller commits, then hands the run to the background runner."""
    if live_rescore() is not None:
        raise RescoreRunningError(_("A rescore is already running."))
    rescore = ScoringRescore(rules_version=scoring_rules.current_version(), requested_by_id=user.id)
    db.session.add(rescore)
    db.session.flush()
    return rescore


def start(rescore: ScoringRescore, rules: ScoringRules, version: int) -> None:
    """Mark the run started with the rules in force now. Caller commits."""
    rescore.state, rescore.rules_version = RescoreState.RUNNING, version
    rescore.total = db.session.scalar(
        sa.select(sa.func.count()).where(FacebookLead.deleted_at.is_(None))
    )
    rescore.tiers_before = tier_counts(rules)
    rescore.updated_at = datetime.now(UTC)


def record_batch(rescore: ScoringRescore, read: int, changed: int) -> None:
    """Count one batch (its progress shows on the scoring rules page). Caller commits."""
    rescore.processed += read
    rescore.changed += changed
    rescore.updated_at = datetime.now(UTC)


def finish(rescore: ScoringRescore, rules: ScoringRules) -> None:
    """Mark the run done, with the leads per tier after it. Caller commits."""
    rescore.state = RescoreState.DONE
    rescore.tiers_after = tier_counts(rules)
    rescore.updated_at = rescore.finished_at = datetime.now(UTC)


def list_rescores(limit: int = 5) -> list[tuple[ScoringRescore, str | None, str]]:
    """The newest runs: each with who asked and its state ("stopped": died unfinished)."""
    live = live_rescore()
    rows = db.session.execute(
        sa.select(ScoringRescore, User.username)
        .outerjoin(User, User.id == ScoringRescore.requested_by_id)
        .order_by(ScoringRescore.id.desc())
        .limit(limit)
    )
    return [
        (run, username, run.state.value if run.finished_at or run is live else "stopped")
        for run, username in rows
    ]
