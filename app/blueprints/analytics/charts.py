"""What the analytics page needs besides the figures: the charts' data (labels translated,
read by static/js/analytics.js) and the choices of its filter bar."""

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.i18n import labels
from app.i18n.formats import format_day, locale
from app.meta.treatments import TREATMENTS
from app.models import MetaForm
from app.services import accounts
from app.services.analytics import Analytics
from app.services.analytics_period import PRESETS
from app.services.analytics_sources import SourceRow


def chart_data(result: Analytics) -> dict[str, Any]:
    stages = result.funnel.stages()
    return {
        "funnel": {
            "labels": [stage_label(name) for name, _n in stages],
            "values": [n for _name, n in stages],
            "label": _("Leads"),
        },
        "trend": {
            "labels": [format_day(p.day) for p in result.trend],
            "leads": [p.leads for p in result.trend],
            "average": [round(p.average_7d, 2) for p in result.trend],
            "previous": [p.previous for p in result.trend],
            "names": [_("Leads per day"), _("7-day average"), _("Previous period")],
        },
        "weekly": {
            "labels": [format_day(w.week) for w in result.conversions_by_week],
            "values": [w.conversions for w in result.conversions_by_week],
            "label": _("Conversions"),
        },
    }


def stage_label(name: str) -> str:
    return {
        "new": _("Leads received"),
        "contacted": _("Contacted"),
        "qualified": _("Qualified"),
        "converted": _("Converted"),
    }[name]


def period_labels() -> dict[str, str]:
    return {
        "today": _("Today"),
        "7d": _("Last 7 days"),
        "30d": _("Last 30 days"),
        "this-month": _("This month"),
        "last-month": _("Last month"),
        "this-quarter": _("This quarter"),
        "custom": _("Custom range"),
    }


def filter_choices(result: Analytics) -> dict[str, Any]:
    forms = db.session.execute(sa.select(MetaForm.form_id, MetaForm.name).order_by(MetaForm.name))
    campaigns = [(row.key, row.label or row.key) for row in result.sources["campaign"] if row.key]
    return {
        "periods": [(key, period_labels()[key]) for key in (*PRESETS, "custom")],
        "distributors": accounts.list_distributors(),
        "staff": accounts.list_staff(),
        "treatments": TREATMENTS,
        "forms": [(form_id, name or form_id) for form_id, name in forms],
        "campaigns": campaigns,
    }


def source_label(table: str, row: SourceRow) -> str | None:
    """How a source row is named on screen (None: not known)."""
    if table == "organic":
        return _("Organic") if row.key == "organic" else _("Paid")
    if table == "platform":
        return labels.PLATFORM.get(row.key or "", row.key)
    if table == "source":
        return str(labels.LEAD_SOURCE.get(row.key or "", row.key))
    if table == "service":
        return str(TREATMENTS[row.key]) if row.key in TREATMENTS else row.key
    if table == "country" and row.key:
        return locale().territories.get(row.key.upper(), row.key)
    return row.label or row.key
