"""The pure choice of an owner: given a rule's staff (in its order) with what decides whether
each can take a lead now, pick one by round-robin or least open load. No database here."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.models import RoutingStrategy
from app.services import work_hours

# The strategies as plain names: `pick` runs for each lead routed, and reading an enum member
# off its class goes through a descriptor each time.
LEAST_LOADED, ROUND_ROBIN = RoutingStrategy.LEAST_LOADED, RoutingStrategy.ROUND_ROBIN


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
        """Below their own capacity and the rule's *cap* (None: no limit). Called for each
        candidate of each lead routed: no lists built here."""
        if self.capacity is not None and self.load >= self.capacity:
            return False
        return cap is None or self.load < cap


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
    chosen = None
    if strategy == LEAST_LOADED:
        for i, candidate in enumerate(staff):
            better = chosen is None or candidate.load < staff[chosen].load
            if better and present[i] and candidate.has_room(cap):
                chosen = i
    else:
        size = len(staff)
        for step in range(1, size + 1):
            i = (cursor + step) % size
            if present[i] and staff[i].has_room(cap):
                chosen = i
                break
    if chosen is None:
        return None, cursor
    staff[chosen].load += 1
    return chosen, chosen if strategy == ROUND_ROBIN else cursor
