"""The stored rollup rows a view reads (`analytics_daily`), summed, and kept in this process.

A 30-day view reads four whole weeks and a few days, twice (the period and the one before);
a stored row changes only when `analytics_rollup.store` writes its day, week or month again,
and each write gives the spans it wrote a new random token (`analytics_stored_spans`). So a
view's rows are read in parts — its whole months, its whole weeks, each run of its other
days — and each part's sums are kept under the tokens of the spans it covers: the next view
reads the tokens (one small query) and asks the database only for the parts stored again
since (on a busy desk, the run of days that holds today)."""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import AnalyticsDaily, AnalyticsStoredSpan
from app.services import analytics_rollup as rollup
from app.services.analytics_sql import rows

DAILY = AnalyticsDaily.__table__
SPANS = AnalyticsStoredSpan.__table__
KEPT = 96  # parts kept in a process (the least recently used go first): ~30 views' worth
Sums = dict[str, dict[tuple, tuple[tuple[int, ...], tuple[str | None, ...]]]]
Totals = dict[tuple, rollup.Group]


@dataclass(frozen=True)
class Part:
    """Stored rows of whole months or weeks (`days`: their first days), or of a run of
    stored days (`days`: the days, changed ones left out)."""

    span: str
    days: tuple[date, ...]

    def rows(self, changed: list[date]) -> sa.ColumnElement[bool]:
        if self.span != "day":
            return sa.and_(DAILY.c.span == self.span, DAILY.c.day.in_(self.days))
        within = [DAILY.c.span == "day", DAILY.c.day.between(self.days[0], self.days[-1])]
        skipped = [day for day in changed if self.days[0] <= day <= self.days[-1]]
        return sa.and_(*within, DAILY.c.day.not_in(skipped)) if skipped else sa.and_(*within)


class _Kept:
    """Part sums by (what was read, the part, its spans' tokens)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sums: OrderedDict[tuple, Sums] = OrderedDict()

    def get(self, key: tuple) -> Sums | None:
        with self.lock:
            found = self.sums.get(key)
            if found is not None:
                self.sums.move_to_end(key)
            return found

    def put(self, key: tuple, sums: Sums) -> None:
        with self.lock:
            self.sums[key] = sums
            while len(self.sums) > KEPT:
                self.sums.popitem(last=False)


kept = _Kept()


class StoredRows:
    """The stored rows of one view: the spans' tokens and the changed days (counted from
    the leads instead), read once."""

    def __init__(self, changed: list[date]) -> None:
        self.changed = changed
        found = db.session.execute(sa.select(SPANS.c.span, SPANS.c.day, SPANS.c.token))
        self.tokens = {(span, day): token for span, day, token in found}
        self.days = sorted(day for span, day in self.tokens if span == "day")

    def summed(
        self,
        kinds: tuple[str, ...],
        needed: list[str],
        start: date | None,
        end: date | None,
        by_day: bool,
    ) -> dict[str, Totals]:
        """The groups of *kinds* summed over the stored rows of start … end (None: open),
        keyed by (k1, k2, k3) or (day, k1, k2, k3): kept parts, the others read."""
        parts = self.parts(start, end, by_day)
        keys = {
            part: (kinds, tuple(needed), by_day, part, self.part_tokens(part)) for part in parts
        }
        found = {part: kept.get(key) for part, key in keys.items()}
        missing = [part for part, sums in found.items() if sums is None]
        if missing:
            for part, sums in self.read(kinds, needed, missing, by_day).items():
                kept.put(keys[part], sums)
                found[part] = sums
        result: dict[str, Totals] = {kind: {} for kind in kinds}
        for sums in found.values():
            for kind, groups in (sums or {}).items():
                totals = result[kind]
                for key, (counts, names) in groups.items():
                    group = totals.get(key)
                    if group is None:
                        totals[key] = rollup.Group(list(counts), list(names))
                    else:
                        group.add(counts)
                        group.name(names)
        return result

    def part_tokens(self, part: Part) -> tuple[int | None, ...]:
        return tuple(self.tokens.get((part.span, day)) for day in part.days)

    def read(
        self, kinds: tuple[str, ...], needed: list[str], parts: list[Part], by_day: bool
    ) -> dict[Part, Sums]:
        """Each part's groups summed from its stored rows, in one statement."""
        keys = ["kind"] + ["day"] * by_day + ["k1", "k2", "k3"]
        columns = [DAILY.c[name] for name in (*keys, "n1", "n2", "n3", *needed)]
        # A branch per part (an OR of them would not use the index), summed per part.
        branches = [
            sa.select(sa.literal(index).label("part"), *columns).where(
                DAILY.c.kind.in_(kinds), part.rows(self.changed)
            )
            for index, part in enumerate(parts)
        ]
        stored = (sa.union_all(*branches) if len(branches) > 1 else branches[0]).subquery()
        query = sa.select(
            stored.c.part,
            *(stored.c[name] for name in keys),
            *(sa.func.max(stored.c[name]) for name in ("n1", "n2", "n3")),
            *(sa.func.sum(stored.c[name]) for name in needed),
        ).group_by(stored.c.part, *(stored.c[name] for name in keys))
        result: dict[Part, Sums] = {part: {} for part in parts}
        width = 1 + len(keys)
        positions = [rollup.MEASURES.index(name) for name in needed]
        for row in rows(query):
            counts = [0] * len(rollup.MEASURES)
            for position, n in zip(positions, row[width + 3 :], strict=True):
                counts[position] = int(n or 0)
            kind_groups = result[parts[row[0]]].setdefault(row[1], {})
            kind_groups[tuple(row[2:width])] = (tuple(counts), tuple(row[width : width + 3]))
        return result

    def parts(self, start: date | None, end: date | None, by_day: bool) -> list[Part]:
        """The stored rows that hold start … end once: its whole months, then whole weeks,
        with no changed day (unless *by_day*), and its other stored days, the changed ones
        left out, a part per run and month."""
        found, runs = [], [(start, end)]
        if not by_day and start is not None and end is not None:
            for span in ("month", "week"):
                whole = [first for a, b in runs for first in self.whole_spans(a, b, span)]
                if whole:
                    found.append(Part(span, tuple(whole)))
                    runs = [run for a, b in runs for run in outside(a, b, whole, span)]
        changed = set(self.changed)
        for first, last in runs:
            by_month: dict[date, list[date]] = {}  # a part per month: today's is read again
            for day in self.days:
                inside = (first is None or day >= first) and (last is None or day <= last)
                if inside and day not in changed:
                    by_month.setdefault(day.replace(day=1), []).append(day)
            found += [Part("day", tuple(days)) for days in by_month.values()]
        return found

    def whole_spans(self, start: date, end: date, span: str) -> list[date]:
        """The first days of the weeks or months wholly inside start … end with no changed
        day."""
        found, first = [], rollup.span_start(start, span)
        while first <= end:
            last = rollup.span_end(first, span)
            changed = any(first <= day <= last for day in self.changed)
            if first >= start and last <= end and not changed:
                found.append(first)
            first = last + timedelta(days=1)
        return found


def outside(
    start: date | None, end: date | None, firsts: list[date], span: str
) -> list[tuple[date | None, date | None]]:
    """The runs of days from start to end (None: open-ended) outside the whole weeks or
    months starting on *firsts* (in order; those inside start … end count)."""
    inside = [f for f in firsts if (start is None or f >= start) and (end is None or f <= end)]
    runs: list[tuple[date | None, date | None]] = []
    cursor = start
    for first in inside:
        if cursor is None or cursor < first:
            runs.append((cursor, first - timedelta(days=1)))
        cursor = rollup.span_end(first, span) + timedelta(days=1)
    if end is None or cursor is None or cursor <= end:
        runs.append((cursor, end))
    return runs
