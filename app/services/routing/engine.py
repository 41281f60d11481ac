"""The pure choice of an owner: given a rule's staff (in its order) with what decides whether
each can take a lead now, pick one by round-robin or least open load. No database here."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.models import RoutingStrategy
from app.services import work_hours


@dataclass
class Candidate:
    """One person a rule may give a lead to; `load` is their open leads and grows as the
    batch assigns them more."""

    user_id: int
    active: bool
    away_until: datetime | None
    schedule: work_hours.Schedule
    capacity: int | None  # None: no limit
    load: int = 0

    def present(self, now: datetime) -> bool:
        """Active, not away and on shift at *now* (capacity aside)."""
        if not self.active or (self.away_until is not None and self.away_until > now):
            return False
        return work_hours.on_shift(self.schedule, now)

    def has_room(self, cap: int | None = None) -> bool:
        limits = [c for c in (self.capacity, cap) if c is not None]
        return not limits or self.load < min(limits)


def pick(
    strategy: RoutingStrategy,
    staff: Sequence[Candidate],
    cursor: int,
    present: Sequence[bool],
    cap: int | None = None,
) -> tuple[int | None, int]:
    """The index in *staff* of who gets the next lead (None: nobody can) and the new cursor.

    Round-robin takes the first one after *cursor* that can; least-loaded the lowest load
    (ties: the earlier in the rule's order). *present* says who is active, here and on shift."""
    able = [i for i, c in enumerate(staff) if present[i] and c.has_room(cap)]
    if not able:
        return None, cursor
    if strategy == RoutingStrategy.LEAST_LOADED:
        chosen = min(able, key=lambda i: (staff[i].load, i))
    else:
        size = len(staff)
        chosen = min(able, key=lambda i: (i - cursor - 1) % size)
    staff[chosen].load += 1
    return chosen, chosen if strategy == RoutingStrategy.ROUND_ROBIN else cursor
