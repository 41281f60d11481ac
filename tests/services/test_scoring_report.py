"""The scoring dashboard's numbers, and score decay over time."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadStatus, Role
from app.services import lead_scoring, scoring_report
from app.tasks import scoring_jobs
from tests import factories


def test_bands_count_leads_and_conversions_and_skip_duplicates(app_ctx):
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    factories.make_lead(score=95, status=LeadStatus.CONVERTED, score_breakdown={"contact": 30})
    factories.make_lead(score=100, status=LeadStatus.NEW, score_breakdown={"contact": 20})
    factories.make_lead(score=42, status=LeadStatus.LOST)
    original = factories.make_lead(score=5)
    factories.make_lead(score=7, duplicate_of_id=original.id)
    db.session.commit()
    report = scoring_report.scoring_report(admin)
    top = report.bands[9]
    assert (top.label, top.leads, top.converted, top.conversion) == ("90–100", 2, 1, 0.5)
    assert (report.bands[4].leads, report.bands[4].closed_lost) == (1, 1)
    assert report.bands[0].leads == 1 and report.total == 4
    assert report.factor_averages["contact"] == 25.0
    assert [lead.score for lead in report.top_open] == [100, 5]


def test_scoring_dashboard_page_is_for_superadmins(client, auth, users, app):
    with app.app_context():
        factories.make_lead(score=88)
        db.session.commit()
    auth.login("ayse")
    assert client.get("/facebook-leads/scoring-dashboard").status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/facebook-leads/scoring-dashboard")
    assert (
        page.status_code == 200 and b"Calibration" in page.data and b'id="score-data"' in page.data
    )


def test_freshness_decay_lowers_only_the_freshness_part(app_ctx):
    now = datetime.now(UTC)
    lead = factories.make_lead(meta_created_at=now - timedelta(minutes=10))
    lead.score, lead.score_breakdown = lead_scoring.score_values(
        {c: getattr(lead, c) for c in lead_scoring.SCORED_COLUMNS}, now=now
    )
    db.session.commit()
    version = lead.version_id
    assert lead.score_breakdown["freshness"] == 20
    changed = scoring_jobs.rescore(freshness_only=True, now=now + timedelta(days=2))
    db.session.expire_all()
    lead = db.session.get(FacebookLead, lead.id)
    assert changed == 1
    assert lead.score_breakdown["freshness"] == 12
    assert lead.score == sum(lead.score_breakdown.values())
    assert lead.version_id == version  # decay is not an edit: open forms stay valid
    assert scoring_jobs.rescore(freshness_only=True, now=now + timedelta(days=2)) == 0


def test_rescore_all_counts_contact_results(app_ctx):
    lead = factories.make_lead(score=0, score_breakdown={})
    db.session.commit()
    assert scoring_jobs.rescore() == 1
    stored = db.session.scalar(
        sa.select(FacebookLead.score_breakdown).where(FacebookLead.id == lead.id)
    )
    assert set(stored) == {"contact", "freshness", "service", "engagement", "age"}
