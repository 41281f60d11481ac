"""Model helpers: times are UTC-aware on every database, enums are stored by value."""

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadStatus
from tests import factories


def test_times_come_back_aware_in_utc_whatever_zone_they_were_written_in(app_ctx):
    istanbul = timezone(timedelta(hours=3))
    lead = factories.make_lead(meta_created_at=datetime(2026, 12, 1, 23, 30, tzinfo=istanbul))
    naive = factories.make_lead(meta_created_at=datetime(2026, 12, 1, 20, 30))  # taken as UTC
    db.session.commit()
    db.session.expire_all()
    for stored in (db.session.get(FacebookLead, lead.id), db.session.get(FacebookLead, naive.id)):
        assert stored.meta_created_at == datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
        assert stored.meta_created_at.tzinfo is not None


def test_statuses_are_stored_by_value_as_plain_text(app_ctx):
    lead = factories.make_lead(status=LeadStatus.QUALIFIED)
    db.session.commit()
    raw = db.session.scalar(
        sa.text("SELECT status FROM facebook_leads WHERE id = :id"), {"id": lead.id}
    )
    assert raw == "qualified"
