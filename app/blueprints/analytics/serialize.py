"""Analytics as JSON (the API answer, and the page's chart data)."""

from typing import Any

from app.services.analytics import Analytics, Funnel, StaffRow
from app.services.analytics_period import Period
from app.services.analytics_sources import SourceRow
from app.services.analytics_speed import ResponseTimes


def period_json(period: Period) -> dict[str, Any]:
    return {
        "key": period.key,
        "date_from": period.start.isoformat(),
        "date_to": period.end.isoformat(),
        "days": period.days,
    }


def funnel_json(funnel: Funnel) -> dict[str, int]:
    return dict(funnel.stages())


def rates_json(funnel: Funnel) -> dict[str, float | None]:
    rates = funnel.rates()
    return {
        "contacted": rates[1],
        "qualified": rates[2],
        "converted": rates[3],
        "overall": funnel.conversion,
    }


def response_json(times: ResponseTimes) -> dict[str, Any]:
    return {
        "received": times.received,
        "contacted": times.contacted,
        "median_s": times.median_s,
        "p90_s": times.p90_s,
        "within_5m": times.share_within(300),
        "within_1h": times.share_within(3600),
        "within_24h": times.share_within(86400),
    }


def staff_json(row: StaffRow) -> dict[str, Any]:
    return {
        "user_id": row.user_id,
        "username": row.name,
        "assigned": row.assigned,
        "contacted": row.contacted,
        "converted": row.converted,
        "conversion_rate": row.conversion,
        "median_response_s": row.response.median_s,
        "open_now": row.open_now,
        "overdue_follow_ups": row.overdue,
    }


def source_json(row: SourceRow, child_key: str | None = None) -> dict[str, Any]:
    data = {
        "key": row.key,
        "label": row.label,
        "leads": row.leads,
        "contacted": row.contacted,
        "converted": row.converted,
        "contact_rate": row.contact_rate,
        "conversion_rate": row.conversion_rate,
        "average_score": row.average_score,
    }
    if child_key:
        grandchild = {"adsets": "ads"}.get(child_key)
        data[child_key] = [source_json(child, grandchild) for child in row.children]
    return data


def analytics_json(result: Analytics) -> dict[str, Any]:
    """The contract of `GET /facebook-leads/api/analytics` (DESIGN.md "Wave 2 interfaces")."""
    return {
        "period": period_json(result.period),
        "filters": result.filters.to_args(),
        "funnel": funnel_json(result.funnel),
        "lost": result.funnel.lost,
        "invalid": result.funnel.invalid,
        "rates": rates_json(result.funnel),
        "previous": {
            "period": period_json(result.period.previous),
            "funnel": funnel_json(result.previous_funnel),
            "lost": result.previous_funnel.lost,
            "invalid": result.previous_funnel.invalid,
            "rates": rates_json(result.previous_funnel),
            "response_time": response_json(result.previous_response),
        },
        "response_time": response_json(result.speed.overall)
        | {"heatmap": [cell.__dict__ for cell in result.speed.heatmap]},
        "open_not_contacted": {bucket.key: bucket.leads for bucket in result.open_by_age},
        "by_staff": [staff_json(row) for row in result.by_staff],
        "by_campaign": [source_json(row, "adsets") for row in result.sources["campaign"]],
        **{
            f"by_{name}": [source_json(row) for row in rows]
            for name, rows in result.sources.items()
            if name != "campaign"
        },
        "spend": None,  # Meta Insights is not connected (analytics_sources.campaign_spend)
        "trend": [
            {
                "date": p.day.isoformat(),
                "leads": p.leads,
                "average_7d": round(p.average_7d, 2),
                "previous": p.previous,
            }
            for p in result.trend
        ],
        "conversions_by_week": [
            {"week": w.week.isoformat(), "conversions": w.conversions}
            for w in result.conversions_by_week
        ],
    }
