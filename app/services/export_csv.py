"""CSV lines written by the database: labels, local times, formula neutralisation and quoting
done in SQL, so Python only passes lines on. Building each cell in Python ran at a fifth of a
bare cursor read (bench/exports.py). PostgreSQL streams the rows by COPY, quoted by its own CSV
writer; SQLite builds each line in the SELECT, a keyset page at a time.

The rules are those of `exports` (SECURITY.md #9): a text cell starting with = + - @ tab CR
(or NUL, on SQLite) gets a leading `'`; a stored phone is E.164 by construction and stays as
it is, the raw phone typed in the form does not. Every non-empty cell is quoted."""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from app.database import without_memory_map
from app.extensions import db
from app.models import Distributor, FacebookLead, MetaForm, User
from app.services import exports
from app.services.exports import PLATFORMS, Context
from app.services.lead_selection import Selection

LEADS = FacebookLead.__table__
c = LEADS.c
TEXT = sa.String()
# The tables a name comes from, joined once a row (a correlated lookup in the line ran once
# for the check of its first character and again for the value: two per row and column).
ASSIGNEE = sa.alias(User.__table__, "export_assignee")
DISTRIBUTOR = sa.alias(Distributor.__table__, "export_distributor")
FORM = sa.alias(MetaForm.__table__, "export_form")
JOINS = {
    "assignee": (ASSIGNEE, ASSIGNEE.c.id == c.assigned_to_id),
    "distributor": (DISTRIBUTOR, DISTRIBUTOR.c.id == c.distributor_id),
    "form": (FORM, FORM.c.form_id == c.meta_form_id),
}
# Lines read per keyset page. A page's statement is long (every cell's quoting, labels and
# checks) and costs ~10 ms to prepare and send whatever its size (SQLAlchemy's cache key of
# the expression, psycopg's parse of a statement too long for its cache): at 2,000 rows a page
# that was a third of the export's time. 10,000 lines are ~1.5 MB, read and sent as one chunk.
PAGE = 10_000
# The code points a formula starts with (SECURITY.md #9, `exports.DANGEROUS_START`) but NUL,
# which PostgreSQL's text cannot hold and SQLite's unicode() cannot see (checked apart).
FORMULA_CODES = sorted(ord(ch) for ch in exports.DANGEROUS_START - {"\x00"})
TIMES = {"received": c.meta_created_at, "stored": c.created_at}
TIMES["first_contact"] = c.first_contacted_at
TIMES["do_not_contact_at"] = c.do_not_contact_at


def csv_pages(
    user: User, selection: Selection, columns: Sequence[str], ctx: Context, counted: list[int]
) -> Iterator[bytes]:
    """The CSV lines of the selected leads (newest id first), UTF-8, CRLF-ended, a few
    thousand a chunk; *counted* receives the number of rows as they go. PostgreSQL writes
    them through COPY; otherwise (or when COPY cannot be written) keyset pages."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        statement = copy_statement(connection.dialect, user, selection, columns, ctx=ctx)
        if statement is not None:
            return copied_lines(connection, statement, counted)
    return keyset_pages(connection, user, selection, columns, ctx=ctx, counted=counted)


def keyset_pages(
    connection: sa.Connection,
    user: User,
    selection: Selection,
    columns: Sequence[str],
    *,
    ctx: Context,
    counted: list[int],
) -> Iterator[bytes]:
    """The lines a keyset page at a time, each line built whole by the database."""
    dialect = connection.dialect.name
    since = connection.scalar(sa.select(sa.func.min(c.created_at)))
    cells = [cell(key, ctx, dialect, since, quote=True) for key in columns]
    line = cells[0]
    for more in cells[1:]:
        line = line + sa.literal(",") + more
    base = (
        sa.select(c.id, line.label("line"))
        .select_from(joined(columns))
        .where(selection.query(user, ctx.tz.key).whereclause)
    )
    with without_memory_map(connection):
        yield from walked(connection, base, counted)


def walked(connection: sa.Connection, base: sa.Select, counted: list[int]) -> Iterator[bytes]:
    """The (id, line) rows of *base*, newest id first, PAGE lines a chunk."""
    last_id = None
    while True:
        query = base if last_id is None else base.where(c.id < last_id)
        result = connection.execute(query.order_by(c.id.desc()).limit(PAGE))
        # The driver's own tuples: a Row for each would cost ~1.2 µs of a line's ~7 (SQLite)
        rows = result.cursor.fetchall()
        result.close()
        if rows:
            counted[0] += len(rows)
            yield ("\r\n".join(row[1] for row in rows) + "\r\n").encode()
        if len(rows) < PAGE:
            return
        last_id = rows[-1][0]


def copy_statement(
    dialect: sa.Dialect, user: User, selection: Selection, columns: Sequence[str], *, ctx: Context
) -> str | None:
    """`COPY (SELECT …) TO STDOUT` in CSV with every non-empty cell quoted: PostgreSQL quotes
    and escapes in C, a row costs a fraction of building its line in SQL. COPY takes no
    parameters, so the values (the filter's, the labels) are written into the statement by
    SQLAlchemy's literal rendering with the connected dialect's quoting; None when a value
    cannot be rendered (the keyset pages then)."""
    cells = [cell(key, ctx, "postgresql", None, quote=False) for key in columns]
    query = (
        sa.select(*cells)
        .select_from(joined(columns))
        .where(selection.query(user, ctx.tz.key).whereclause)
        .order_by(c.id.desc())
    )
    try:
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    except (sa.exc.CompileError, NotImplementedError):
        return None
    # The compiler doubled every % for the driver's placeholders; COPY is sent as written.
    sql = sql.replace("%%", "%")
    return f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"


def copied_lines(connection: sa.Connection, statement: str, counted: list[int]) -> Iterator[bytes]:
    """The rows of a COPY, PAGE lines a chunk. Each COPY message is one row ending in a
    newline (a cell's own newlines are inside its quotes): it ends in CRLF instead."""
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(statement) as copy:
        for lines in in_pages(bytes(row)[:-1] for row in copy):
            counted[0] += len(lines)
            yield b"\r\n".join(lines) + b"\r\n"


def in_pages(items: Iterator[bytes]) -> Iterator[list[bytes]]:
    """*items* in lists of PAGE (the last one shorter)."""
    page: list[bytes] = []
    for item in items:
        page.append(item)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def joined(columns: Sequence[str]) -> sa.FromClause:
    """The leads, with the tables their chosen columns' names come from."""
    source: sa.FromClause = LEADS
    for key in dict.fromkeys(columns):
        if key in JOINS:
            source = source.outerjoin(*JOINS[key])
    return source


def cell(
    key: str, ctx: Context, dialect: str, since: datetime | None, *, quote: bool
) -> sa.ColumnElement[str]:
    """The CSV cell of column *key*, quoted when *quote* (COPY quotes for itself). Stored text
    is neutralised and its quotes doubled; our own words for a stored code (labels) are made
    ready in Python, so a row checks only its code's fallback; times, numbers and E.164
    phones can hold neither a formula nor a quote."""
    if key in TIMES:
        return plain(local_time(TIMES[key], ctx.tz, dialect, since), quote)
    if key in ("id", "score"):
        return plain(sa.cast(c[key], TEXT), quote)
    if key == "phone":  # E.164 when stored; the raw answer otherwise
        raw = text(c.phone_raw, dialect, quote)
        return sa.case((c.phone.is_not(None), plain(c.phone, quote)), else_=raw)
    if key == "consent":
        yes, no = (ready(_(word), quote) for word in ("yes", "no"))
        unknown = plain(sa.null(), quote)
        return sa.case((c.consent.is_(None), unknown), (c.consent == sa.true(), yes), else_=no)
    if (labels := labelled_columns(ctx).get(key)) is not None:
        column, words = labels
        column = sa.type_coerce(column, TEXT)
        known = ((column == code, ready(word, quote)) for code, word in words.items())
        return sa.case(*known, else_=text(column, dialect, quote))
    return text(derived(key).get(key, c.get(key)), dialect, quote)


def labelled_columns(ctx: Context) -> dict[str, tuple[Any, dict[str, str]]]:
    """Stored codes shown as words: column key → (the code's column, code → word)."""
    return {
        "treatment": (c.service, ctx.treatments),
        "status": (c.status, ctx.statuses),
        "do_not_contact": (c.do_not_contact_reason, ctx.dnc_reasons),
        "platform": (c.platform, PLATFORMS),
        "source": (c.source, ctx.sources),
    }


def derived(key: str) -> dict[str, Any]:
    """Text columns that are not one stored field (built only for *key*)."""
    builders = {
        "name": lambda: sa.func.nullif(
            sa.func.trim(
                sa.func.coalesce(c.first_name, "") + " " + sa.func.coalesce(c.last_name, "")
            ),
            "",
        ),
        "country": lambda: sa.func.coalesce(c.country_code, c.country),
        "campaign": lambda: sa.func.coalesce(c.campaign_name, c.campaign_id),
        "ad": lambda: c.ad_name,
        "assignee": lambda: ASSIGNEE.c.username,
        "distributor": lambda: DISTRIBUTOR.c.name,
        "form": lambda: sa.func.coalesce(FORM.c.name, c.meta_form_id),
    }
    return {key: builders[key]()} if key in builders else {}


def text(expr: Any, dialect: str, quote: bool) -> sa.ColumnElement[str]:
    """Stored text: neutralised, then quoted (its quotes doubled) when *quote*."""
    value = neutralised(expr, dialect)
    if not quote:
        return value
    escaped = sa.literal('"') + sa.func.replace(value, '"', '""') + sa.literal('"')
    return sa.func.coalesce(escaped, sa.literal(""))


def plain(expr: Any, quote: bool) -> sa.ColumnElement[str]:
    """Text that holds no quote and cannot start a formula, quoted when *quote*."""
    expr = sa.type_coerce(expr, TEXT)
    if not quote:
        return expr
    return sa.func.coalesce(sa.literal('"') + expr + sa.literal('"'), sa.literal(""))


def ready(word: str, quote: bool) -> sa.ColumnElement[str]:
    """One of our words as a finished cell: neutralised and quoted here, not per row."""
    word = str(exports.neutralise(word))
    return sa.literal('"' + word.replace('"', '""') + '"' if quote else word, TEXT)


def neutralised(expr: Any, dialect: str) -> sa.ColumnElement[str]:
    """*expr* with a `'` before a formula's first character. The check reads *expr* once
    (a name's expression is evaluated for each mention of it: four made it a fifth of a
    SQLite line's cost): the first character's code point, compared as one integer."""
    expr = sa.type_coerce(expr, TEXT)
    if dialect == "postgresql":
        first, codes = sa.func.ascii(expr), FORMULA_CODES
    else:  # SQLite's unicode() is NULL for '' and for a text starting with NUL (-1 here)
        first = sa.func.coalesce(sa.func.unicode(expr), sa.case((expr != "", -1), else_=0))
        codes = [*FORMULA_CODES, -1]
    return sa.case((first.in_(codes), sa.literal("'") + expr), else_=expr)


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
