"""Attribution: which campaigns, ad sets, ads, forms, platforms, treatments and countries bring
the leads, and how many of them are contacted and converted, with their average score.

Spend is not known here. Cost per lead needs Meta's Insights API (`/{campaign}/insights`,
`ads_read`), which this app does not call yet: `campaign_spend` is that seam, and it answers
nothing rather than a made-up number."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, MetaForm
from app.services.analytics_period import Period
from app.services.analytics_sql import count_if, rows

L = FacebookLead
CONTACTED = sa.or_(
    L.first_contacted_at.is_not(None), L.qualified_at.is_not(None), L.converted_at.is_not(None)
)
DIMENSIONS = {  # table key → the column it groups by
    "form": L.meta_form_id,
    "platform": L.platform,
    "source": L.source,
    "organic": L.is_organic,
    "service": L.service,
    "country": L.country_code,
}


@dataclass(frozen=True)
class SourceRow:
    key: str | None  # the id or value grouped by (None: not known)
    label: str | None
    leads: int
    contacted: int
    converted: int
    score_total: int
    children: tuple["SourceRow", ...] = field(default=())

    @property
    def contact_rate(self) -> float | None:
        return self.contacted / self.leads if self.leads else None

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.leads if self.leads else None

    @property
    def average_score(self) -> float | None:
        return self.score_total / self.leads if self.leads else None


def measures() -> tuple[sa.ColumnElement, ...]:
    return (
        sa.func.count(),
        count_if(CONTACTED),
        count_if(L.converted_at.is_not(None)),
        sa.func.coalesce(sa.func.sum(L.score), 0),
    )


def source_tables(leads: sa.Select) -> dict[str, list[SourceRow]]:
    """Each attribution table of the cohort *leads*, biggest source first."""
    tables = {"campaign": campaign_tree(leads)}
    for name, column in DIMENSIONS.items():
        found = rows(leads.with_only_columns(column, *measures()).group_by(column))
        tables[name] = ordered(SourceRow(key_text(k), None, *map(int, m)) for k, *m in found)
    return labelled(tables)


def labelled(tables: dict[str, list[SourceRow]]) -> dict[str, list[SourceRow]]:
    """The forms' names on the form table's rows."""
    labels = form_names([row.key for row in tables["form"] if row.key])
    tables["form"] = [replace_label(row, labels.get(row.key)) for row in tables["form"]]
    return tables


def key_text(value) -> str | None:
    if isinstance(value, bool):
        return "organic" if value else "paid"
    return None if value is None else str(value)


def campaign_tree(leads: sa.Select) -> list[SourceRow]:
    """Campaign → ad set → ad, from one query at the ad level (names: the latest seen)."""
    keys = (L.campaign_id, L.adset_id, L.ad_id)
    names = (sa.func.max(L.campaign_name), sa.func.max(L.adset_name), sa.func.max(L.ad_name))
    found = rows(leads.with_only_columns(*keys, *names, *measures()).group_by(*keys))
    return nest([(tuple(r[:3]), tuple(r[3:6]), tuple(int(n) for n in r[6:])) for r in found], 0)


def nest(rows: list[tuple[tuple, tuple, tuple]], level: int) -> list[SourceRow]:
    """Sum ad-level rows into the rows of *level* (0 campaign, 1 ad set, 2 ad), with children."""
    groups: dict[str | None, list] = {}
    for keys, names, counts in rows:
        groups.setdefault(keys[level], []).append((keys, names, counts))
    result = []
    for key, members in groups.items():
        totals = [sum(m[2][i] for m in members) for i in range(4)]
        label = next((m[1][level] for m in members if m[1][level]), None)
        children = tuple(nest(members, level + 1)) if level < 2 else ()
        result.append(SourceRow(key, label, *totals, children=children))
    return ordered(result)


def ordered(rows: Iterable[SourceRow]) -> list[SourceRow]:
    return sorted(rows, key=lambda r: (-r.leads, r.key is None, r.key or ""))


def form_names(form_ids: list[str]) -> dict[str, str]:
    if not form_ids:
        return {}
    query = sa.select(MetaForm.form_id, MetaForm.name).where(MetaForm.form_id.in_(form_ids))
    return {form_id: name for form_id, name in db.session.execute(query) if name}


def replace_label(row: SourceRow, label: str | None) -> SourceRow:
    return SourceRow(row.key, label, row.leads, row.contacted, row.converted, row.score_total)


def campaign_spend(campaign_ids: list[str], period: Period) -> dict[str, Decimal]:
    """Spend per campaign in the period. Seam for Meta Insights; not connected: empty."""
    return {}
