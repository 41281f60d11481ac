"""Follow-ups on a lead (`lead_tasks`) and the WhatsApp message templates staff open them with."""

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from app.models.lead import FacebookLead
    from app.models.user import User

OPEN = sa.text("done_at IS NULL")


class TaskKind(enum.StrEnum):
    CALLBACK = "callback"  # the patient asked to be called back
    RETRY = "retry"  # nobody answered: try again
    FOLLOW_UP = "follow_up"  # any other next step
    REINQUIRY = "reinquiry"  # the patient asked again (routing gives the original's owner one)


class LeadTask(db.Model):
    """One follow-up: who should do what on which lead, and when. Open while `done_at` is
    null; open follow-ups belong to the lead's assignee and move with the lead."""

    __tablename__ = "lead_tasks"
    __table_args__ = (
        sa.Index("ix_lead_tasks_lead_id", "lead_id"),
        # "My day" and the next-action column read open follow-ups by owner and due time.
        sa.Index(
            "ix_lead_tasks_open_user_due",
            "user_id",
            "due_at",
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        ),
        # The due-time job reads open follow-ups not yet announced.
        sa.Index(
            "ix_lead_tasks_unnotified_due",
            "due_at",
            postgresql_where=sa.text("done_at IS NULL AND notified_at IS NULL"),
            sqlite_where=sa.text("done_at IS NULL AND notified_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("facebook_leads.id", ondelete="CASCADE"))
    # None while the lead is unassigned (its follow-ups wait for the next owner).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[TaskKind] = mapped_column(str_enum(TaskKind), default=TaskKind.FOLLOW_UP)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(sa.Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lead: Mapped["FacebookLead"] = relationship()
    user: Mapped["User | None"] = relationship(foreign_keys=[user_id])

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    def __repr__(self) -> str:
        return f"<LeadTask {self.id} lead={self.lead_id} {self.kind} due={self.due_at}>"


class WhatsAppTemplate(db.Model):
    """The first WhatsApp message to a patient, per language and treatment ("" = any
    treatment). Placeholders: {first_name}, {treatment}, {coordinator}."""

    __tablename__ = "whatsapp_templates"
    __table_args__ = (sa.UniqueConstraint("language", "treatment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(8))
    treatment: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    body: Mapped[str] = mapped_column(sa.Text)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<WhatsAppTemplate {self.id} {self.language}/{self.treatment or '*'}>"
