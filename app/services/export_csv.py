"""CSV lines written by the database: labels, local times, formula neutralisation and quoting
done in SQL, so Python only passes lines on. Building each cell in Python ran at a fifth of a
bare cursor read (bench/exports.py). PostgreSQL streams the rows by COPY, quoted by its own CSV
writer; SQLite builds each line in the SELECT, a keyset page at a time.

The rules are those of `exports` (SECURITY.md #9): a text cell starting with = + - @ tab CR
gets a leading `'`; a stored phone is E.164 by construction and stays as it is, the raw phone
typed in the form does not. Every cell is quoted, an empty one as "" (both databases write the
same bytes)."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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
# which lead text never holds (cleaned on the way in; PostgreSQL cannot store it) and which
# ends a text in SQLite's printf(): a cell cannot start with it.
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
    since = connection.scalar(sa.select(sa.func.min(c.created_at)))
    if connection.dialect.name == "sqlite":
        line = inline(printed_line(columns, ctx, since), connection.dialect)
    else:
        line = quoted_line(columns, ctx, since)
    base = (
        sa.select(c.id, line.label("line"))
        .select_from(joined(columns))
        .where(selection.query(user, ctx.tz.key).whereclause)
    )
    with without_memory_map(connection):
        yield from walked(connection, base, counted)


def printed_line(
    columns: Sequence[str], ctx: Context, since: datetime | None
) -> sa.ColumnElement[bytes]:
    """A row's CSV line by one printf() (SQLite): every cell quoted, `%w` doubling the quotes
    of stored text. One call per line costs a third of quoting each cell by replace() and
    concatenation; read as a BLOB, the line reaches Python as the bytes it is sent as (no
    decoding into a str and encoding back). printf() ends a text at a NUL: lead text holds
    none (it is cleaned on the way in, and PostgreSQL cannot store one)."""
    specs, values = [], []
    for one in (cell(key, ctx, "sqlite", since) for key in columns):
        mark = [] if one.formula is None else [("%s", sa.case((one.formula, "'")))]
        parts = mark + one.texts
        specs.append('"' + "".join(spec for spec, _ in parts) + '"')
        values += [value for _, value in parts]
    return sa.cast(sa.func.printf(",".join(specs), *values), sa.LargeBinary)


def inline(expr: sa.ColumnElement[bytes], dialect: sa.Dialect) -> sa.ColumnElement[bytes]:
    """*expr* with its values (words, codes, the format) written into the SQL by the dialect's
    own quoting: SQLite copies a bound value into place at each use, a literal once per
    statement, and a line uses its labels and blanks dozens of times (a tenth of its cost)."""
    sql = expr.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return sa.literal_column(str(sql), sa.LargeBinary)


def quoted_line(
    columns: Sequence[str], ctx: Context, since: datetime | None
) -> sa.ColumnElement[bytes]:
    """A row's CSV line on PostgreSQL when COPY cannot be written: each cell's quotes doubled
    by replace(), the line encoded as UTF-8 by the database."""
    cells = [copied_cell(cell(key, ctx, "postgresql", since)) for key in columns]
    quoted = [sa.literal('"') + sa.func.replace(cell, '"', '""') + '"' for cell in cells]
    line = quoted[0]
    for more in quoted[1:]:
        line = line + "," + more
    return sa.func.convert_to(line, "UTF8", type_=sa.LargeBinary)


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
            yield b"\r\n".join(row[1] for row in rows) + b"\r\n"
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
    cells = [copied_cell(cell(key, ctx, "postgresql", None)) for key in columns]
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


@dataclass(frozen=True)
class Cell:
    """A cell: a `'` when *formula* holds (a stored text starting a formula), then its texts
    as (printf conversion, value). "%w" is stored text or our words, its quotes doubled by
    SQLite's printf(), never NULL; "%s" holds no quote (a space, a time, a number), NULL
    written as nothing."""

    texts: list[tuple[str, sa.ColumnElement[str]]]
    formula: sa.ColumnElement[bool] | None = None


def copied_cell(cell: Cell) -> sa.ColumnElement[str]:
    """A cell for PostgreSQL's COPY, which quotes it: '' rather than NULL (an empty cell is
    "", as in SQLite's lines); one expression, so a stored text is not copied to be joined."""
    texts = [value if spec == "%w" else sa.func.coalesce(value, "") for spec, value in cell.texts]
    value = texts[0]
    for more in texts[1:]:
        value = value + more
    if cell.formula is None:
        return value
    return sa.case((cell.formula, sa.literal("'") + value), else_=value)


def cell(key: str, ctx: Context, dialect: str, since: datetime | None) -> Cell:
    """Column *key*'s cell. Stored text gets a `'` before a formula; our own words for a
    stored code (labels) are neutralised here, once; times, numbers and E.164 phones can
    hold neither a formula nor a quote."""
    if key in TIMES:
        return Cell([("%s", local_time(TIMES[key], ctx.tz, dialect, since))])
    if key in ("id", "score"):
        return Cell([("%s", sa.cast(c[key], TEXT))])
    if key == "name":  # as `exports.full_name`: "first last", or whichever is there
        first = sa.func.coalesce(sa.func.nullif(c.first_name, ""), c.last_name)
        space = sa.case(((c.first_name != "") & (c.last_name != ""), " "))
        names = [("%w", sa.func.coalesce(c.first_name, "")), ("%s", space)]
        return Cell([*names, ("%w", sa.func.coalesce(c.last_name, ""))], formula(first, dialect))
    if key == "phone":  # E.164 when stored; the raw answer otherwise
        raw = c.phone.is_(None) & formula(c.phone_raw, dialect)
        return Cell([("%w", sa.func.coalesce(c.phone, c.phone_raw, ""))], raw)
    if key == "consent":
        yes, no = (ready(_(word)) for word in ("yes", "no"))
        consent = sa.case((c.consent == sa.true(), yes), (c.consent == sa.false(), no), else_="")
        return Cell([("%w", consent)])
    if (labels := labelled_columns(ctx).get(key)) is not None:
        column, words = labels
        column = sa.type_coerce(column, TEXT)
        known = {code: ready(word) for code, word in words.items()}
        unknown = copied_cell(stored_text(column, dialect))  # a code we have no word for
        return Cell([("%w", sa.case(known, value=column, else_=unknown))])
    return stored_text(derived(key).get(key, c.get(key)), dialect)


def stored_text(expr: Any, dialect: str) -> Cell:
    """A stored text's cell: '' for NULL, a `'` before a formula."""
    expr = sa.type_coerce(expr, TEXT)
    return Cell([("%w", sa.func.coalesce(expr, ""))], formula(expr, dialect))


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
        "country": lambda: sa.func.coalesce(c.country_code, c.country),
        "campaign": lambda: sa.func.coalesce(c.campaign_name, c.campaign_id),
        "ad": lambda: c.ad_name,
        "assignee": lambda: ASSIGNEE.c.username,
        "distributor": lambda: DISTRIBUTOR.c.name,
        "form": lambda: sa.func.coalesce(FORM.c.name, c.meta_form_id),
    }
    return {key: builders[key]()} if key in builders else {}


def ready(word: str) -> sa.ColumnElement[str]:
    """One of our words, neutralised here rather than per row."""
    return sa.literal(str(exports.neutralise(word)), TEXT)


def formula(expr: Any, dialect: str) -> sa.ColumnElement[bool]:
    """Whether *expr* starts a formula: its first character's code point, read as one integer;
    on SQLite only for a text sorting before "A" (every formula character does, and most
    names and words do not: a byte comparison skips the call)."""
    expr = sa.type_coerce(expr, TEXT)
    if dialect == "postgresql":
        return sa.func.ascii(expr).in_(FORMULA_CODES)
    return (expr < "A") & sa.func.unicode(expr).in_(FORMULA_CODES)


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
