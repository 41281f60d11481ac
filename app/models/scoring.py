"""Scoring rules edited in the app (`scoring_rules`: one row per saved version, never changed
afterwards) and each "Rescore now" run over the stored leads (`scoring_rescores`)."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow
from app.models.lead import JSONType


class ScoringRuleSet(db.Model):
    """One version of the scoring weights and tiers; the highest id is the one in force (none
    stored: the defaults in code, version 0)."""

    __tablename__ = "scoring_rules"

    id: Mapped[int] = mapped_column(primary_key=True)  # the version number
    rules: Mapped[Any] = mapped_column(JSONType)  # lead_scoring.ScoringRules as plain JSON
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ScoringRuleSet v{self.id}>"


class RescoreState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class ScoringRescore(db.Model):
    """One rescore of every stored lead with one version of the rules: who asked, how far it
    got, how many scores changed, and the leads per tier before and after."""

    __tablename__ = "scoring_rescores"

    id: Mapped[int] = mapped_column(primary_key=True)
    rules_version: Mapped[int] = mapped_column(default=0)
    state: Mapped[RescoreState] = mapped_column(str_enum(RescoreState), default=RescoreState.QUEUED)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    tiers_before: Mapped[Any | None] = mapped_column(JSONType)  # {"hot": n, "warm": n, "cold": n}
    tiers_after: Mapped[Any | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<ScoringRescore {self.id} v{self.rules_version} {self.state}>"
