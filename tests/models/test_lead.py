"""The lead model: its name, its optimistic lock, one row per Meta lead id."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import FacebookLead
from tests import factories


def test_full_name_joins_the_parts_that_exist():
    assert FacebookLead(first_name="Ayşe", last_name="Yılmaz").full_name == "Ayşe Yılmaz"
    assert FacebookLead(first_name=None, last_name="Yılmaz").full_name == "Yılmaz"
    assert FacebookLead().full_name == ""


def test_each_update_bumps_the_version_and_a_stale_writer_is_refused(app, app_ctx):
    lead = factories.make_lead()
    db.session.commit()
    assert lead.version_id == 1
    leads = FacebookLead.__table__  # someone else saved meanwhile (our copy does not know)
    db.session.execute(sa.update(leads).where(leads.c.id == lead.id).values(version_id=2))
    lead.city = "Berlin"
    with pytest.raises(StaleDataError):
        db.session.flush()
    db.session.rollback()


def test_a_meta_lead_id_is_stored_once(app_ctx):
    factories.make_lead(meta_lead_id="123")
    db.session.commit()
    with pytest.raises(IntegrityError):
        factories.make_lead(meta_lead_id="123")
    db.session.rollback()
