"""Exports of leads as CSV, JSON or XLSX: exactly what the user sees for a filter (or a list
of ids), in the columns they chose, streamed a keyset page at a time (constant memory at any
size); every export is written to `export_audit` (`export_audit.py`).

Spreadsheet cells never become formulas (SECURITY.md #9): in CSV a text starting with
`= + - @`, tab, CR or NUL gets a leading `'` (an E.164 phone is left as it is); XLSX cells are
written as strings (`xlsx_rows`). JSON carries the stored codes and ISO times as they are."""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import ValidationError
from app.extensions import db
from app.i18n.labels import DNC_REASON, LEAD_SOURCE, LEAD_STATUS
from app.meta.treatments import TREATMENTS
from app.models import Distributor, FacebookLead, MetaForm, User
from app.models.base import UTCDateTime
from app.services.lead_selection import Selection

L = FacebookLead
LEADS = FacebookLead.__table__
FORMATS = ("csv", "json", "xlsx")
PAGE = 2000  # rows read per keyset page
XLSX_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header
DANGEROUS_START = frozenset("=+-@\t\r\x00")
E164_RE = re.compile(r"^\+[1-9]\d{1,14}$")
PLATFORMS = {"fb": "Facebook", "ig": "Instagram"}


@dataclass(frozen=True)
class Column:
    """One export column: its header, the lead fields it reads, and its value for people
    (CSV/XLSX: labels, local times) and for programs (JSON: codes, ISO times)."""

    label: Any
    fields: tuple[str, ...]
    shown: Callable[[Any, "Context"], Any]
    raw: Callable[[Any, "Context"], Any] | None = None


@dataclass
class Context:
    """What the values need beyond the row, loaded once per export."""

    tz: ZoneInfo
    users: dict[int, str]
    distributors: dict[int, str]
    forms: dict[str, str]
    statuses: dict[str, str]
    treatments: dict[str, str]
    sources: dict[str, str]
    dnc_reasons: dict[str, str]


def as_utc(value: datetime | str) -> datetime:
    """A time as the driver hands it over (read raw, see `iter_rows`): SQLite's text, or
    PostgreSQL's aware datetime."""
    if value.__class__ is str:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def local_time(value: datetime | str | None, ctx: Context) -> str | None:
    if value is None:
        return None
    t = as_utc(value).astimezone(ctx.tz)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"


def iso_time(value: datetime | str | None, ctx: Context) -> str | None:
    return as_utc(value).astimezone(ctx.tz).isoformat() if value is not None else None


def full_name(row: Any, ctx: Context) -> str:
    first, last = row.first_name, row.last_name
    return f"{first} {last}" if first and last else first or last or ""


def consent(row: Any, ctx: Context) -> str | None:
    return None if row.consent is None else (_("yes") if row.consent else _("no"))


COLUMNS: dict[str, Column] = {
    "id": Column(_l("ID"), ("id",), lambda r, c: r.id),
    "name": Column(_l("Name"), ("first_name", "last_name"), full_name),
    "first_name": Column(_l("First name"), ("first_name",), lambda r, c: r.first_name),
    "last_name": Column(_l("Last name"), ("last_name",), lambda r, c: r.last_name),
    "phone": Column(_l("Phone"), ("phone", "phone_raw"), lambda r, c: r.phone or r.phone_raw),
    "email": Column(_l("Email"), ("email",), lambda r, c: r.email),
    "country": Column(
        _l("Country"), ("country_code", "country"), lambda r, c: r.country_code or r.country
    ),
    "city": Column(_l("City"), ("city",), lambda r, c: r.city),
    "treatment": Column(
        _l("Treatment"),
        ("service",),
        lambda r, c: c.treatments.get(r.service, r.service),
        lambda r, c: r.service,
    ),
    "status": Column(
        _l("Status"),
        ("status",),
        lambda r, c: c.statuses.get(str(r.status), str(r.status)),
        lambda r, c: str(r.status),
    ),
    "score": Column(_l("Score"), ("score",), lambda r, c: r.score),
    "assignee": Column(
        _l("Assignee"), ("assigned_to_id",), lambda r, c: c.users.get(r.assigned_to_id)
    ),
    "received": Column(
        _l("Received"),
        ("meta_created_at",),
        lambda r, c: local_time(r.meta_created_at, c),
        lambda r, c: iso_time(r.meta_created_at, c),
    ),
    "stored": Column(
        _l("Stored"),
        ("created_at",),
        lambda r, c: local_time(r.created_at, c),
        lambda r, c: iso_time(r.created_at, c),
    ),
    "first_contact": Column(
        _l("First contact"),
        ("first_contacted_at",),
        lambda r, c: local_time(r.first_contacted_at, c),
        lambda r, c: iso_time(r.first_contacted_at, c),
    ),
    "campaign": Column(
        _l("Campaign"),
        ("campaign_name", "campaign_id"),
        lambda r, c: r.campaign_name or r.campaign_id,
    ),
    "ad": Column(_l("Ad"), ("ad_name",), lambda r, c: r.ad_name),
    "form": Column(
        _l("Form"),
        ("meta_form_id",),
        lambda r, c: c.forms.get(r.meta_form_id, r.meta_form_id),
        lambda r, c: r.meta_form_id,
    ),
    "platform": Column(
        _l("Platform"),
        ("platform",),
        lambda r, c: PLATFORMS.get(r.platform, r.platform),
        lambda r, c: r.platform,
    ),
    "source": Column(
        _l("Came from"),
        ("source",),
        lambda r, c: c.sources.get(r.source, r.source),
        lambda r, c: r.source,
    ),
    "distributor": Column(
        _l("Distributor"), ("distributor_id",), lambda r, c: c.distributors.get(r.distributor_id)
    ),
    "consent": Column(_l("Consent"), ("consent",), consent, lambda r, c: r.consent),
    "do_not_contact": Column(
        _l("Do not contact"),
        ("do_not_contact_reason",),
        lambda r, c: c.dnc_reasons.get(r.do_not_contact_reason, r.do_not_contact_reason),
        lambda r, c: r.do_not_contact_reason,
    ),
    "do_not_contact_at": Column(
        _l("Do not contact since"),
        ("do_not_contact_at",),
        lambda r, c: local_time(r.do_not_contact_at, c),
        lambda r, c: iso_time(r.do_not_contact_at, c),
    ),
    "meta_lead_id": Column(_l("Meta lead ID"), ("meta_lead_id",), lambda r, c: r.meta_lead_id),
}
DEFAULT_COLUMNS = (
    "name",
    "phone",
    "email",
    "country",
    "treatment",
    "status",
    "score",
    "assignee",
    "received",
    "campaign",
    "form",
    "platform",
    "source",
)


def parse_columns(value: str | None) -> tuple[str, ...]:
    """Column keys from `columns=name,phone,…` (the default set when empty); raises
    ValidationError naming an unknown one."""
    keys = [key.strip() for key in (value or "").split(",") if key.strip()]
    unknown = [key for key in keys if key not in COLUMNS]
    if unknown:
        raise ValidationError(
            _(
                "Unknown column %(column)s; choose from: %(columns)s.",
                column=unknown[0][:40],
                columns=", ".join(COLUMNS),
            )
        )
    return tuple(dict.fromkeys(keys)) or DEFAULT_COLUMNS


def headers(columns: Sequence[str]) -> list[str]:
    """The column headers in the reader's language."""
    return [str(COLUMNS[key].label) for key in columns]


def neutralise(value: Any) -> Any:
    """A CSV cell that a spreadsheet cannot run: text starting with = + - @ tab CR NUL gets a
    leading apostrophe, except an E.164 phone number (`+905321234567` is data)."""
    if isinstance(value, str) and value and value[0] in DANGEROUS_START:
        if value[0] == "+" and E164_RE.match(value):
            return value
        return "'" + value
    return value


def context(tz: str) -> Context:
    """Names for the ids in a row, and labels in the reader's language."""
    return Context(
        tz=ZoneInfo(tz),
        users=dict(db.session.execute(sa.select(User.id, User.username)).tuples().all()),
        distributors=dict(
            db.session.execute(sa.select(Distributor.id, Distributor.name)).tuples().all()
        ),
        forms={
            form_id: name
            for form_id, name in db.session.execute(sa.select(MetaForm.form_id, MetaForm.name))
            if name
        },
        statuses={status.value: str(label) for status, label in LEAD_STATUS.items()},
        treatments={key: str(label) for key, label in TREATMENTS.items()},
        sources={key: str(label) for key, label in LEAD_SOURCE.items()},
        dnc_reasons={key: str(label) for key, label in DNC_REASON.items()},
    )


def iter_rows(
    user: User, selection: Selection, columns: Sequence[str], tz: str, *, raw: bool = False
) -> Iterator[list[Any]]:
    """The rows of an export, keyset page by keyset page over the id index (newest id first),
    each a list of values in *columns* order: for people, or for programs when *raw*."""
    ctx = context(tz)
    chosen = [COLUMNS[key] for key in columns]
    getters = [(column.raw if raw and column.raw else column.shown) for column in chosen]
    fields = dict.fromkeys(["id", *(name for column in chosen for name in column.fields)])
    # A Core SELECT of the table with the selection's WHERE: rows come as the driver hands
    # them over, with no ORM loading per row.
    base = sa.select(*(raw_column(name) for name in fields)).where(
        selection.query(user, tz).whereclause
    )
    connection, last_id = db.session.connection(), None
    while True:
        query = base if last_id is None else base.where(LEADS.c.id < last_id)
        rows = connection.execute(query.order_by(LEADS.c.id.desc()).limit(PAGE)).all()
        for row in rows:
            yield [get(row, ctx) for get in getters]
        if len(rows) < PAGE:
            return
        last_id = rows[-1].id


def raw_column(name: str) -> Any:
    """A lead column to read; times untouched by the model's type (a third of the read's cost
    at a million rows), formatted by `local_time`/`iso_time` instead."""
    column = LEADS.c[name]
    if isinstance(column.type, UTCDateTime):
        return sa.type_coerce(column, sa.String()).label(name)
    return column


def csv_header(header: list[str], *, bom: bool) -> str:
    """The first line of a CSV export (a byte order mark first, for Excel, when asked)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([neutralise(text) for text in header])
    return ("\ufeff" if bom else "") + buffer.getvalue()


def csv_chunks(rows: Iterator[list[Any]], header: list[str], *, bom: bool) -> Iterator[str]:
    """CSV text, a page of rows per chunk, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(text) for text in header])
    start = "\ufeff" if bom else ""
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(value) for value in row])
        if count % PAGE == 0:
            yield start + buffer.getvalue()
            start = ""
            buffer.seek(0)
            buffer.truncate()
    yield start + buffer.getvalue()


def json_chunks(rows: Iterator[list[Any]], columns: Sequence[str]) -> Iterator[str]:
    """A JSON array of objects keyed by column, a page of rows per chunk."""
    keys = list(columns)
    parts: list[str] = ["["]
    separator = ""
    for count, row in enumerate(rows, start=1):
        parts.append(separator + json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False))
        separator = ",\n"
        if count % PAGE == 0:
            yield "".join(parts)
            parts = []
    parts.append("]\n")
    yield "".join(parts)


class Counted:
    """Rows passed through, counted (the audit records how many an export wrote)."""

    def __init__(self, rows: Iterator[list[Any]], limit: int | None = None) -> None:
        self.rows, self.limit, self.count = rows, limit, 0

    def __iter__(self) -> Iterator[list[Any]]:
        for row in self.rows:
            if self.limit is not None and self.count >= self.limit:
                return
            self.count += 1
            yield row


def count_rows(user: User, selection: Selection, tz: str) -> int:
    """How many leads the export would write."""
    query = selection.query(user, tz).order_by(None).with_only_columns(L.id)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def write_xlsx(rows: Iterator[list[Any]], header: list[str], target: Any) -> None:
    """An XLSX workbook (openpyxl write-only: rows go to a temporary file as they come) with
    every text cell a string: `=…` would otherwise be a live formula and `#N/A` an error."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Leads")

    def cell(value: Any) -> Any:
        if value.__class__ is not str or not value or value[0] not in "=#":
            return value
        text = WriteOnlyCell(sheet, value=value)
        text.data_type = "s"
        return text

    def clean(value: Any) -> Any:
        return ILLEGAL_CHARACTERS_RE.sub("", value) if value.__class__ is str else value

    sheet.append([cell(text) for text in header])
    for row in rows:
        if ILLEGAL_CHARACTERS_RE.search("".join(v for v in row if v.__class__ is str)):
            row = [clean(value) for value in row]
        sheet.append([cell(value) for value in row])
    workbook.save(target)
