"""Routing rules (who gets a new lead) and response targets (how soon someone must call)."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from app.models.user import User


class RoutingStrategy(enum.StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


class RoutingRule(db.Model):
    """An ordered rule: leads matching every set condition go to one of its staff."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    strategy: Mapped[RoutingStrategy] = mapped_column(
        str_enum(RoutingStrategy), default=RoutingStrategy.ROUND_ROBIN
    )
    # Conditions: None = any.
    distributor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("distributors.id", ondelete="SET NULL")
    )
    form_id: Mapped[str | None] = mapped_column(sa.String(64))
    treatment: Mapped[str | None] = mapped_column(sa.String(64))
    country_code: Mapped[str | None] = mapped_column(sa.String(2))
    language: Mapped[str | None] = mapped_column(sa.String(8))
    score_min: Mapped[int | None]
    score_max: Mapped[int | None]
    # Caps each of the rule's staff at this many open leads (on top of their own capacity).
    capacity: Mapped[int | None]
    # Route leads received long ago too (only by `flask leads auto-assign`).
    include_backlog: Mapped[bool] = mapped_column(default=False)
    reroute_on_breach: Mapped[bool] = mapped_column(default=False)
    # Round-robin: the position in `staff` of the last person given a lead (-1: none yet).
    cursor: Mapped[int] = mapped_column(default=-1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    staff: Mapped[list["RoutingRuleStaff"]] = relationship(
        back_populates="rule",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="RoutingRuleStaff.position",
    )

    def __repr__(self) -> str:
        return f"<RoutingRule {self.id} {self.name!r} {self.strategy}>"


class RoutingRuleStaff(db.Model):
    """One person a rule may give leads to, in the rule's round-robin order."""

    __tablename__ = "routing_rule_staff"
    __table_args__ = (sa.UniqueConstraint("rule_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("routing_rules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    rule: Mapped[RoutingRule] = relationship(back_populates="staff")
    user: Mapped["User"] = relationship()

    def __repr__(self) -> str:
        return f"<RoutingRuleStaff rule={self.rule_id} user={self.user_id}>"


class ResponseTarget(db.Model):
    """The first-contact target of a fresh lead: due in working time by its score band.
    A breach is stored (analytics counts them); `rerouted_at` marks the one re-route."""

    __tablename__ = "response_targets"
    __table_args__ = (
        sa.Index(
            "ix_response_targets_open_due",
            "due_at",
            postgresql_where=sa.text("breached_at IS NULL"),
            sqlite_where=sa.text("breached_at IS NULL"),
        ),
    )

    lead_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facebook_leads.id", ondelete="CASCADE"), primary_key=True
    )
    # The rule that routed the lead (read at a breach: does it re-route?). No foreign key: its
    # check cost a tenth of what routing adds to storing leads; delete_rule clears it.
    rule_id: Mapped[int | None]
    target_minutes: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    rerouted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<ResponseTarget lead={self.lead_id} due={self.due_at}>"
