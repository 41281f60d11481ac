"""The choice of an owner, over random staff sets, capacities, shifts and arrival times."""

from collections import Counter
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.models import RoutingStrategy
from app.services import work_hours
from app.services.routing.engine import Candidate, pick

TZ = "Europe/Istanbul"
START = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # Monday 09:00 in Istanbul
ALWAYS = work_hours.Schedule(frozenset(range(1, 8)), tz=TZ)

schedules = st.builds(
    lambda days, begin, length: work_hours.Schedule(
        frozenset(days), time(begin), time((begin + length) % 24), TZ
    ),
    st.sets(st.integers(1, 7), min_size=1),
    st.integers(0, 23),
    st.integers(1, 23),
)
candidates = st.builds(
    Candidate,
    user_id=st.integers(1, 10_000),
    active=st.booleans(),
    away_until=st.none() | st.integers(-48, 48).map(lambda h: START + timedelta(hours=h)),
    schedule=st.one_of(st.just(ALWAYS), schedules),
    capacity=st.none() | st.integers(0, 5),
    load=st.integers(0, 6),
)


def run(strategy, staff, arrivals, cap=None, cursor=-1):
    """Route one lead per arrival time; yield (who, their state just before)."""
    for minutes in arrivals:
        now = START + timedelta(minutes=minutes)
        present = [c.present(now) for c in staff]
        before = [(c.load, c.has_room(cap)) for c in staff]
        index, cursor = pick(strategy, staff, cursor, present, cap)
        yield index, present, before, now


@settings(max_examples=300, deadline=None)
@given(
    strategy=st.sampled_from(list(RoutingStrategy)),
    staff=st.lists(candidates, min_size=0, max_size=8),
    arrivals=st.lists(st.integers(0, 60 * 24 * 14), min_size=1, max_size=40).map(sorted),
    cap=st.none() | st.integers(1, 6),
)
def test_no_lead_goes_to_someone_inactive_away_off_shift_or_full(strategy, staff, arrivals, cap):
    for index, present, before, now in run(strategy, staff, arrivals, cap):
        if index is None:
            assert not any(p and room for p, (_, room) in zip(present, before, strict=True))
            continue
        chosen, load_before = staff[index], before[index][0]
        assert chosen.active
        assert chosen.away_until is None or chosen.away_until <= now
        assert work_hours.on_shift(chosen.schedule, now)
        assert all(load_before < limit for limit in (chosen.capacity, cap) if limit is not None)


@settings(max_examples=300, deadline=None)
@given(size=st.integers(1, 9), leads=st.integers(0, 200), cursor=st.integers(-1, 8))
def test_round_robin_stays_within_one_over_any_run(size, leads, cursor):
    staff = [Candidate(i, True, None, ALWAYS, None) for i in range(size)]
    counts: Counter = Counter()
    turns = run(RoutingStrategy.ROUND_ROBIN, staff, [0] * leads, None, cursor % size)
    for index, *_rest in turns:
        counts[index] += 1
        spread = [counts[i] for i in range(size)]
        assert max(spread) - min(spread) <= 1


@settings(max_examples=200, deadline=None)
@given(loads=st.lists(st.integers(0, 20), min_size=1, max_size=8), leads=st.integers(1, 60))
def test_least_loaded_evens_out_open_load(loads, leads):
    staff = [Candidate(i, True, None, ALWAYS, None, load) for i, load in enumerate(loads)]
    for index, _present, before, _now in run(RoutingStrategy.LEAST_LOADED, staff, [0] * leads):
        assert before[index][0] == min(load for load, _room in before)
    final = [c.load for c in staff]
    if leads >= sum(max(final) - load for load in loads):
        assert max(final) - min(final) <= 1


def test_round_robin_skips_who_cannot_take_a_lead_and_keeps_the_turn_order():
    staff = [
        Candidate(1, True, None, ALWAYS, None),
        Candidate(2, False, None, ALWAYS, None),
        Candidate(3, True, START + timedelta(days=1), ALWAYS, None),
        Candidate(4, True, None, ALWAYS, 1),
        Candidate(5, True, None, ALWAYS, None),
    ]
    chosen = [staff[i].user_id for i, *_rest in run(RoutingStrategy.ROUND_ROBIN, staff, [0] * 5)]
    assert chosen == [1, 4, 5, 1, 5]


def test_a_capacity_of_zero_takes_nothing():
    staff = [Candidate(1, True, None, ALWAYS, 0)]
    assert [i for i, *_rest in run(RoutingStrategy.ROUND_ROBIN, staff, [0, 1])] == [None, None]
