"""What the scoring dashboard shows: the score distribution, each factor's average, the best
open leads, and calibration (per score band, how many converted) to judge the weights."""

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadStatus, User
from app.services import lead_scoring, scoring_rules
from app.services.lead_filters import LeadFilters
from app.services.lead_service import filtered_leads

L = FacebookLead
OPEN = [
    LeadStatus.NEW.value,
    LeadStatus.ASSIGNED.value,
    LeadStatus.CONTACTED.value,
    LeadStatus.QUALIFIED.value,
]


@dataclass(frozen=True)
class ScoreBand:
    low: int
    high: int
    leads: int
    converted: int
    closed_lost: int

    @property
    def conversion(self) -> float | None:
        return self.converted / self.leads if self.leads else None

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"


@dataclass(frozen=True)
class ScoringReport:
    bands: list[ScoreBand]
    factor_averages: dict[str, float]
    factor_maxima: dict[str, int]
    top_open: list[FacebookLead]
    total: int


def scoring_report(user: User, top: int = 10) -> ScoringReport:
    """The report over the leads *user* may see (no re-inquiries, no Meta test leads)."""
    base = filtered_leads(user, LeadFilters()).order_by(None).subquery()
    band = sa.case((base.c.score >= 100, 9), else_=base.c.score // 10)
    rows = db.session.execute(
        sa.select(
            band.label("band"),
            sa.func.count(),
            sa.func.sum(sa.case((base.c.status == LeadStatus.CONVERTED.value, 1), else_=0)),
            sa.func.sum(sa.case((base.c.status.in_(["lost", "invalid"]), 1), else_=0)),
        ).group_by(band)
    ).all()
    by_band = {int(b): (n, int(conv or 0), int(lost or 0)) for b, n, conv, lost in rows}
    bands = [
        ScoreBand(b * 10, 100 if b == 9 else b * 10 + 9, *by_band.get(b, (0, 0, 0)))
        for b in range(10)
    ]
    return ScoringReport(
        bands=bands,
        factor_averages=factor_averages(base),
        factor_maxima=lead_scoring.factor_maxima(scoring_rules.current_rules()),
        top_open=top_open_leads(user, top),
        total=sum(b.leads for b in bands),
    )


def factor_averages(base: sa.Subquery) -> dict[str, float]:
    factors = list(lead_scoring.factor_maxima())
    row = db.session.execute(
        sa.select(*(sa.func.avg(base.c.score_breakdown[f].as_integer()) for f in factors))
    ).one()
    return {factor: round(float(value or 0), 1) for factor, value in zip(factors, row, strict=True)}


def top_open_leads(user: User, limit: int) -> list[FacebookLead]:
    query = filtered_leads(user, LeadFilters(sort="score")).where(L.status.in_(OPEN)).limit(limit)
    return list(db.session.scalars(query))
