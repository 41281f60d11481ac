"""The analytics report as tables (sections) and their CSV and XLSX files: the page's numbers
for the chosen period and filters (`/facebook-leads/analytics/report.csv|.xlsx`, the charts'
CSV links, `flask analytics report`).

Formula-safe (SECURITY.md #9): a text cell starting with `= + - @`, tab, CR or NUL gets a
leading `'` in CSV, and XLSX text cells are written as strings, never formulas. Campaign, ad
and form names come from Meta and may be typed by anyone with an ad account."""

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from app.services.analytics import Analytics, headline
from app.services.analytics_sources import SourceRow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
SECTIONS = ("summary", "funnel", "speed", "staff", "sources", "trend")
Cell = str | int | float | None


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def safe_text(value: Cell) -> Cell:
    """A cell as a spreadsheet reads it without running it: text that would start a
    formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def report_sections(result: Analytics, only: str | None = None) -> list[Section]:
    """The report's tables (*only*: one of SECTIONS; anything else: all of them)."""
    builders = {
        "summary": summary,
        "funnel": funnel,
        "speed": speed,
        "staff": staff,
        "sources": sources,
        "trend": trend,
    }
    chosen = [only] if only in builders else list(builders)
    return [section for key in chosen for section in builders[key](result)]


def summary(result: Analytics) -> list[Section]:
    period, before = result.period, result.period.previous
    rows: list[tuple[Cell, ...]] = [
        (_("Period"), f"{period.start} – {period.end}", f"{before.start} – {before.end}")
    ]
    rows += [(kpi.key, kpi.value, kpi.previous) for kpi in headline(result)]
    rows += [(f"filter:{key}", value, None) for key, value in result.filters.to_args().items()]
    header = (_("Figure"), _("This period"), _("Previous period"))
    return [Section("summary", _("Summary"), header, rows)]


def funnel(result: Analytics) -> list[Section]:
    stages, rates = result.funnel.stages(), result.funnel.rates()
    before = dict(result.previous_funnel.stages())
    rows: list[tuple[Cell, ...]] = [
        (name, n, rate, before[name]) for (name, n), rate in zip(stages, rates, strict=True)
    ]
    rows += [
        ("lost", result.funnel.lost, None, result.previous_funnel.lost),
        ("invalid", result.funnel.invalid, None, result.previous_funnel.invalid),
    ]
    header = (_("Stage"), _("Leads"), _("Of the stage before"), _("Previous period"))
    return [Section("funnel", _("Funnel"), header, rows)]


def speed(result: Analytics) -> list[Section]:
    times = result.speed.overall
    rows: list[tuple[Cell, ...]] = [
        ("received", times.received),
        ("contacted", times.contacted),
        ("median_s", times.median_s),
        ("p90_s", times.p90_s),
        *((f"within_{limit}s", times.share_within(limit)) for limit in times.within),
        *((f"open_not_contacted_{b.key}", b.leads) for b in result.open_by_age),
    ]
    heat = [
        (c.weekday, c.hour, c.received, c.contacted, c.within_hour) for c in result.speed.heatmap
    ]
    return [
        Section("speed", _("Speed to lead"), (_("Figure"), _("Value")), rows),
        Section(
            "heatmap",
            _("Response by weekday and hour"),
            (_("Weekday (0 = Monday)"), _("Hour"), _("Leads"), _("Contacted"), _("Within an hour")),
            heat,
        ),
    ]


def staff(result: Analytics) -> list[Section]:
    rows: list[tuple[Cell, ...]] = [
        (
            row.name or "",
            row.assigned,
            row.contacted,
            row.converted,
            row.conversion,
            row.response.median_s,
            row.open_now,
            row.overdue,
        )
        for row in result.by_staff
    ]
    header = (
        _("Staff member"),
        _("Assigned"),
        _("Contacted"),
        _("Converted"),
        _("Conversion rate"),
        _("Median first response (s)"),
        _("Open now"),
        _("Overdue follow-ups"),
    )
    return [Section("staff", _("Staff"), header, rows)]


def source_rows(table: str, rows: Iterable[SourceRow], level: int = 0) -> list[tuple[Cell, ...]]:
    levels = ("campaign", "adset", "ad") if table == "campaign" else (table,)
    out: list[tuple[Cell, ...]] = []
    for row in rows:
        out.append(
            (
                levels[level],
                row.key,
                row.label,
                row.leads,
                row.contacted,
                row.converted,
                row.contact_rate,
                row.conversion_rate,
                row.average_score,
            )
        )
        out += source_rows(table, row.children, level + 1)
    return out


def sources(result: Analytics) -> list[Section]:
    rows = [r for table, found in result.sources.items() for r in source_rows(table, found)]
    header = (
        _("Source"),
        _("Key"),
        _("Name"),
        _("Leads"),
        _("Contacted"),
        _("Converted"),
        _("Contact rate"),
        _("Conversion rate"),
        _("Average score"),
    )
    return [Section("sources", _("Sources"), header, rows)]


def trend(result: Analytics) -> list[Section]:
    daily = [(p.day.isoformat(), p.leads, round(p.average_7d, 2), p.previous) for p in result.trend]
    weekly = [(w.week.isoformat(), w.conversions) for w in result.conversions_by_week]
    return [
        Section(
            "trend",
            _("Leads per day"),
            (_("Day"), _("Leads"), _("7-day average"), _("Previous period")),
            daily,
        ),
        Section("weekly", _("Conversions per week"), (_("Week of"), _("Conversions")), weekly),
    ]


def write_csv(sections: list[Section]) -> str:
    """One CSV: each section's title, header and rows, a blank line between sections."""
    out = io.StringIO()
    writer = csv.writer(out)
    for index, section in enumerate(sections):
        if index:
            writer.writerow([])
        writer.writerow([safe_text(section.title)])
        writer.writerow([safe_text(cell) for cell in section.header])
        writer.writerows([safe_text(cell) for cell in row] for row in section.rows)
    return out.getvalue()


def write_xlsx(sections: list[Section]) -> bytes:
    """One worksheet per section; text cells are strings (data_type "s"), never formulas."""
    book = Workbook(write_only=True)
    for section in sections:
        sheet = book.create_sheet(title=section.key)
        sheet.append([text_cell(sheet, section.title)])
        sheet.append([text_cell(sheet, cell) for cell in section.header])
        for row in section.rows:
            sheet.append([xlsx_cell(sheet, cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def text_cell(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx_cell(sheet: Any, value: Cell) -> Any:
    return text_cell(sheet, value) if isinstance(value, str) else value


MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def report_file(result: Analytics, ext: str, only: str | None = None) -> tuple[bytes, str]:
    """(file body, file name) of the report as CSV (UTF-8 with a BOM, for Excel) or XLSX."""
    sections = report_sections(result, only)
    body = ("\ufeff" + write_csv(sections)).encode() if ext == "csv" else write_xlsx(sections)
    part = f"_{only}" if only in SECTIONS else ""
    return body, f"analytics{part}_{result.period.start}_{result.period.end}.{ext}"
