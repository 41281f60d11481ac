import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from app.models.distributor import Distributor
    from app.models.interaction import LeadInteraction
    from app.models.routing import ResponseTarget
    from app.models.user import User

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


# Why a lead must not be contacted (stored codes; labels in app/i18n/labels.py).
DNC_REASONS = ("patient_request", "wrong_number", "complaint")


class LeadStatus(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    LOST = "lost"
    INVALID = "invalid"


def shown_index(name: str, *columns: str) -> sa.Index:
    """A partial index over the leads the dashboard shows by default: not deleted, not a
    re-inquiry, not a Meta test lead (queries repeat this predicate: see `shown_leads`)."""
    predicate = sa.text("deleted_at IS NULL AND duplicate_of_id IS NULL AND is_test IS false")
    sqlite_predicate = sa.text("deleted_at IS NULL AND duplicate_of_id IS NULL AND is_test IS 0")
    return sa.Index(name, *columns, postgresql_where=predicate, sqlite_where=sqlite_predicate)


class LeadOrigin(enum.StrEnum):
    """Where a lead came from: Meta's forms, or entered by hand (and how the person came)."""

    META = "meta"
    MANUAL = "manual"
    PHONE = "phone"
    WALK_IN = "walk_in"
    REFERRAL = "referral"


class FacebookLead(db.Model):
    """One Meta lead, stored once (unique meta_lead_id), normalised, with its raw answers."""

    __tablename__ = "facebook_leads"
    __table_args__ = (
        sa.Index("ix_facebook_leads_distributor_status", "distributor_id", "status"),
        sa.Index("ix_facebook_leads_meta_created_at", "meta_created_at"),
        sa.Index("ix_facebook_leads_created_at", "created_at"),
        # Reconciliation counts a form's leads received by the time Meta counted them.
        sa.Index("ix_facebook_leads_form_received", "meta_form_id", "meta_created_at"),
        # Only re-inquiries: a full index made SQLite answer `duplicate_of_id IS NULL` (every
        # dashboard query) through it and sort the whole table instead of using `shown_*`.
        sa.Index(
            "ix_facebook_leads_duplicate_of_id",
            "duplicate_of_id",
            postgresql_where=sa.text("duplicate_of_id IS NOT NULL"),
            sqlite_where=sa.text("duplicate_of_id IS NOT NULL"),
        ),
        # Only flagged leads (few): the superadmins' "asked again" notice counts through it.
        sa.Index(
            "ix_facebook_leads_do_not_contact_at",
            "do_not_contact_at",
            postgresql_where=sa.text("do_not_contact_at IS NOT NULL"),
            sqlite_where=sa.text("do_not_contact_at IS NOT NULL"),
        ),
        shown_index("ix_facebook_leads_shown_received", "meta_created_at", "id"),
        shown_index("ix_facebook_leads_shown_score", "score", "id"),
        shown_index("ix_facebook_leads_shown_status_received", "status", "meta_created_at", "id"),
        shown_index(
            "ix_facebook_leads_shown_assignee_received", "assigned_to_id", "meta_created_at", "id"
        ),
        shown_index("ix_facebook_leads_shown_country_received", "country_code", "meta_created_at"),
        shown_index(
            "ix_facebook_leads_shown_distributor_received",
            "distributor_id",
            "meta_created_at",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meta_lead_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    meta_form_id: Mapped[str | None] = mapped_column(sa.String(64))
    meta_page_id: Mapped[str | None] = mapped_column(sa.String(64))
    ad_id: Mapped[str | None] = mapped_column(sa.String(64))
    ad_name: Mapped[str | None] = mapped_column(sa.String(255))
    adset_id: Mapped[str | None] = mapped_column(sa.String(64))
    adset_name: Mapped[str | None] = mapped_column(sa.String(255))
    campaign_id: Mapped[str | None] = mapped_column(sa.String(64))
    campaign_name: Mapped[str | None] = mapped_column(sa.String(255))
    platform: Mapped[str | None] = mapped_column(sa.String(16))
    is_organic: Mapped[bool] = mapped_column(default=False)
    is_test: Mapped[bool] = mapped_column(default=False)

    first_name: Mapped[str | None] = mapped_column(sa.String(255))
    last_name: Mapped[str | None] = mapped_column(sa.String(255))
    email: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    phone_raw: Mapped[str | None] = mapped_column(sa.String(255))
    country: Mapped[str | None] = mapped_column(sa.String(120))
    # ISO 3166 code of where the patient is: the phone's country, else the form's answer.
    country_code: Mapped[str | None] = mapped_column(sa.String(2))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    service: Mapped[str | None] = mapped_column(sa.String(64))
    date_of_birth: Mapped[date | None]
    age: Mapped[int | None]
    consent: Mapped[bool | None]
    consent_responses: Mapped[Any | None] = mapped_column(JSONType)
    form_data: Mapped[Any] = mapped_column(JSONType)
    parse_error: Mapped[str | None] = mapped_column(sa.String(255))
    # 'meta' for Meta's leads; a lead entered by hand says how the person came.
    source: Mapped[str] = mapped_column(sa.String(16), default="meta", server_default="meta")
    # The coordinators' own free notes on the person (Meta's answers stay in form_data).
    notes: Mapped[str | None] = mapped_column(sa.Text)

    status: Mapped[LeadStatus] = mapped_column(str_enum(LeadStatus), default=LeadStatus.NEW)
    score: Mapped[int] = mapped_column(default=0, index=True)
    score_breakdown: Mapped[Any | None] = mapped_column(JSONType)
    distributor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("distributors.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("facebook_leads.id"))

    # When the person submitted the form (our receive time if Meta's was unreadable).
    meta_created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Milestones (the funnel counts leads that reached at least a stage): the first contact
    # attempt (call, WhatsApp or email, any result; it stops the response clock), qualified,
    # converted, and lost (cleared when the lead is reopened).
    first_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    qualified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Do not contact (the person objected, the number is wrong, or they complained): when,
    # who (None: the system, for a re-inquiry of a flagged person) and why (DNC_REASONS).
    do_not_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    do_not_contact_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    do_not_contact_reason: Mapped[str | None] = mapped_column(sa.String(20))
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    distributor: Mapped["Distributor | None"] = relationship()
    assigned_to: Mapped["User | None"] = relationship(foreign_keys=[assigned_to_id])
    do_not_contact_by: Mapped["User | None"] = relationship(foreign_keys=[do_not_contact_by_id])
    duplicate_of: Mapped["FacebookLead | None"] = relationship(remote_side=[id])
    response_target: Mapped["ResponseTarget | None"] = relationship(viewonly=True)
    interactions: WriteOnlyMapped["LeadInteraction"] = relationship(
        back_populates="lead", passive_deletes=True, order_by="LeadInteraction.created_at.desc()"
    )

    @property
    def do_not_contact(self) -> bool:
        return self.do_not_contact_at is not None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def __repr__(self) -> str:
        return f"<FacebookLead {self.id} meta={self.meta_lead_id} {self.status}>"


class FailedLead(db.Model):
    """A raw lead the pipeline could not store as a lead (quarantine): kept whole, with the
    reason, once per Meta lead id however often it comes back (`attempts`)."""

    __tablename__ = "meta_failed_leads"
    __table_args__ = (
        sa.Index(
            "uq_meta_failed_leads_meta_lead_id",
            "meta_lead_id",
            unique=True,
            postgresql_where=sa.text("meta_lead_id IS NOT NULL"),
            sqlite_where=sa.text("meta_lead_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meta_api_configs.id"))
    form_id: Mapped[str | None] = mapped_column(sa.String(64))
    meta_lead_id: Mapped[str | None] = mapped_column(sa.String(255))
    payload: Mapped[Any] = mapped_column(JSONType)
    reason: Mapped[str] = mapped_column(sa.String(255))
    reason_code: Mapped[str | None] = mapped_column(sa.String(40))
    reason_params: Mapped[Any | None] = mapped_column(JSONType)
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<FailedLead {self.id} {self.reason!r}>"
