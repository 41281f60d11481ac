"""CSV lines written by the database: each exported lead comes back as one finished CSV line
(labels, local times, formula neutralisation and quoting done in SQL), so Python only joins
lines. Building each cell in Python ran at a fifth of a bare cursor read (bench/exports.py).

The rules are those of `exports` (SECURITY.md #9): a text cell starting with = + - @ tab CR
(or NUL, on SQLite) gets a leading `'`; a stored phone is E.164 by construction and stays as
it is, the raw phone typed in the form does not. Every non-empty cell is quoted."""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import Distributor, FacebookLead, MetaForm, User
from app.services.exports import PAGE, PLATFORMS, Context
from app.services.lead_selection import Selection

LEADS = FacebookLead.__table__
c = LEADS.c
TEXT = sa.String()
TIMES = {"received": c.meta_created_at, "stored": c.created_at}
TIMES["first_contact"] = c.first_contacted_at
TIMES["do_not_contact_at"] = c.do_not_contact_at


def csv_pages(
    user: User, selection: Selection, columns: Sequence[str], ctx: Context, counted: list[int]
) -> Iterator[str]:
    """The CSV lines of the selected leads, a keyset page (newest id first) per chunk;
    *counted* receives the number of rows as they go."""
    dialect = db.session.get_bind().dialect.name
    since = db.session.scalar(sa.select(sa.func.min(c.created_at)))
    cells = [cell(key, ctx, dialect, since) for key in columns]
    line = cells[0]
    for more in cells[1:]:
        line = line + sa.literal(",") + more
    base = sa.select(c.id, line.label("line")).where(selection.query(user, ctx.tz.key).whereclause)
    connection, last_id = db.session.connection(), None
    while True:
        query = base if last_id is None else base.where(c.id < last_id)
        rows = connection.execute(query.order_by(c.id.desc()).limit(PAGE)).all()
        if rows:
            counted[0] += len(rows)
            yield "\r\n".join(row[1] for row in rows) + "\r\n"
        if len(rows) < PAGE:
            return
        last_id = rows[-1][0]


def cell(key: str, ctx: Context, dialect: str, since: datetime | None) -> sa.ColumnElement:
    """The CSV cell of column *key*: quoted, neutralised unless it cannot start a formula."""
    value, safe = value_of(key, ctx, dialect, since)
    return quoted(value if safe else neutralised(value, dialect))


def value_of(key: str, ctx: Context, dialect: str, since: datetime | None) -> tuple[Any, bool]:
    """(the column as SQL text, True when it cannot start a formula)."""
    if key in TIMES:
        return local_time(TIMES[key], ctx.tz, dialect, since), True
    if key == "phone":  # E.164 when stored; the raw answer otherwise
        raw = neutralised(c.phone_raw, dialect)
        return sa.case((c.phone.is_not(None), c.phone), else_=raw), True
    if key == "consent":
        yes, no = _("yes"), _("no")
        return sa.case((c.consent.is_(None), None), (c.consent == sa.true(), yes), else_=no), True
    if key in ("id", "score"):
        return sa.cast(c[key], TEXT), True
    return derived(key, ctx).get(key, c.get(key)), False


def derived(key: str, ctx: Context) -> dict[str, Any]:
    """Columns that are not one stored field (built only for *key*)."""
    builders = {
        "name": lambda: sa.func.nullif(
            sa.func.trim(
                sa.func.coalesce(c.first_name, "") + " " + sa.func.coalesce(c.last_name, "")
            ),
            "",
        ),
        "country": lambda: sa.func.coalesce(c.country_code, c.country),
        "treatment": lambda: labelled(c.service, ctx.treatments),
        "status": lambda: labelled(c.status, ctx.statuses),
        "do_not_contact": lambda: labelled(c.do_not_contact_reason, ctx.dnc_reasons),
        "platform": lambda: labelled(c.platform, PLATFORMS),
        "source": lambda: labelled(c.source, ctx.sources),
        "campaign": lambda: sa.func.coalesce(c.campaign_name, c.campaign_id),
        "ad": lambda: c.ad_name,
        "assignee": lambda: name_of(User.username, User.id == c.assigned_to_id),
        "distributor": lambda: name_of(Distributor.name, Distributor.id == c.distributor_id),
        "form": lambda: sa.func.coalesce(
            name_of(MetaForm.name, MetaForm.form_id == c.meta_form_id), c.meta_form_id
        ),
    }
    return {key: builders[key]()} if key in builders else {}


def name_of(column: Any, condition: Any) -> sa.ScalarSelect:
    return sa.select(column).where(condition).scalar_subquery()


def labelled(column: Any, labels: dict[str, str]) -> sa.ColumnElement[str]:
    """The label of a stored code, the code itself when it has none."""
    column = sa.type_coerce(column, TEXT)
    return sa.case(*((column == code, label) for code, label in labels.items()), else_=column)


def neutralised(expr: Any, dialect: str) -> sa.ColumnElement[str]:
    starts = ["=", "+", "-", "@", "\t", "\r"] + (["\x00"] if dialect == "sqlite" else [])
    expr = sa.type_coerce(expr, TEXT)
    return sa.case((sa.func.substr(expr, 1, 1).in_(starts), sa.literal("'") + expr), else_=expr)


def quoted(expr: Any) -> sa.ColumnElement[str]:
    expr = sa.type_coerce(expr, TEXT)
    escaped = sa.literal('"') + sa.func.replace(expr, '"', '""') + sa.literal('"')
    return sa.func.coalesce(escaped, sa.literal(""))


def local_time(column: Any, tz: ZoneInfo, dialect: str, since: datetime | None) -> Any:
    """'YYYY-MM-DD HH:MM' in *tz*. PostgreSQL converts itself; SQLite stores UTC text and
    knows no time zones, so the zone's offsets since the oldest lead are spelled out."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone(tz.key, column), "YYYY-MM-DD HH24:MI")
    stored = sa.type_coerce(column, TEXT)
    spans = offsets(tz, since)
    shifted = [
        (stored < bound, sa.func.datetime(stored, f"{minutes:+d} minutes"))
        for bound, minutes in spans[:-1]
    ]
    last = sa.func.datetime(stored, f"{spans[-1][1]:+d} minutes")
    return sa.func.substr(sa.case(*shifted, else_=last) if shifted else last, 1, 16)


def offsets(tz: ZoneInfo, since: datetime | None) -> list[tuple[str, int]]:
    """[(UTC text before which the offset holds, offset in minutes)] from *since* to a year
    from now; the last entry's bound is unused."""
    moment = (since or datetime(2000, 1, 1)).replace(tzinfo=UTC) - timedelta(days=1)
    end = datetime.now(UTC) + timedelta(days=366)
    spans: list[tuple[str, int]] = []
    offset = minutes_of(tz, moment)
    while moment < end:
        step = moment + timedelta(days=1)
        if minutes_of(tz, step) != offset:
            change = exact_change(tz, moment, step, offset)
            spans.append((change.strftime("%Y-%m-%d %H:%M:%S"), offset))
            offset = minutes_of(tz, change)
        moment = step
    return [*spans, ("", offset)]


def minutes_of(tz: ZoneInfo, moment: datetime) -> int:
    return int(moment.astimezone(tz).utcoffset().total_seconds() // 60)


def exact_change(tz: ZoneInfo, low: datetime, high: datetime, offset: int) -> datetime:
    """The first minute in (low, high] whose offset is no longer *offset*."""
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        low, high = (middle, high) if minutes_of(tz, middle) == offset else (low, middle)
    return high.replace(second=0, microsecond=0)
