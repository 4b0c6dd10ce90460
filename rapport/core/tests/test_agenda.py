"""Today (DESIGN §3): properties on generated candidates, then exact examples."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.agenda import Agenda, Due, build_agenda, must_keep, order_key

DAY = date(2026, 5, 14)


def d(offset: int) -> date:
    return DAY + timedelta(days=offset)


@st.composite
def candidates(draw: st.DrawFn) -> tuple[list[Due], int]:
    count = draw(st.integers(0, 30))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    items = []
    for pk in ids:
        due_on = d(-draw(st.integers(0, 20)))
        start = due_on - timedelta(days=draw(st.integers(0, 5)))
        end = due_on + timedelta(days=draw(st.integers(0, 25)))
        items.append(
            Due(
                id=pk,
                due_on=due_on,
                window_start=start,
                window_end=end,
                is_fixed=draw(st.booleans()),
                priority=draw(st.integers(0, 100)),
                value=draw(st.sampled_from([0.0, 0.5, 1.0, 2.5, 10.0])),
            )
        )
    return items, draw(st.integers(1, 12))


@given(candidates())
def test_every_candidate_lands_exactly_once(case: tuple[list[Due], int]) -> None:
    due, capacity = case
    agenda = build_agenda(due, day=DAY, capacity=capacity)
    placed = [*agenda.today, *(pk for pk, _ in agenda.moved), *agenda.later]
    assert sorted(placed) == sorted(item.id for item in due)
    assert set(agenda.over_capacity) <= set(agenda.today)


@given(candidates())
def test_the_list_is_capped_except_for_fixed_dates_that_cannot_wait(
    case: tuple[list[Due], int],
) -> None:
    due, capacity = case
    agenda = build_agenda(due, day=DAY, capacity=capacity)
    keep = {item.id for item in due if must_keep(item, DAY)}
    assert len(agenda.today) <= capacity + len(keep)
    assert len(agenda.today) - len(agenda.over_capacity) <= capacity
    assert keep <= set(agenda.today)
    assert set(agenda.over_capacity) <= keep
    if agenda.over_capacity:
        assert agenda.today[-len(agenda.over_capacity) :] == agenda.over_capacity


@given(candidates())
def test_moved_ones_stay_inside_their_window_and_later_ones_had_no_room(
    case: tuple[list[Due], int],
) -> None:
    due, capacity = case
    agenda = build_agenda(due, day=DAY, capacity=capacity)
    by_id = {item.id: item for item in due}
    for pk, when in agenda.moved:
        assert DAY < when <= by_id[pk].window_end
    for pk in agenda.later:
        assert not by_id[pk].is_fixed
        assert by_id[pk].window_end <= DAY
    if agenda.moved or agenda.later:
        assert len(agenda.today) - len(agenda.over_capacity) == capacity


@given(candidates())
def test_the_order_follows_the_rules_and_is_deterministic(case: tuple[list[Due], int]) -> None:
    due, capacity = case
    agenda = build_agenda(due, day=DAY, capacity=capacity)
    assert build_agenda(list(reversed(due)), day=DAY, capacity=capacity) == agenda
    by_id = {item.id: item for item in due}
    keys = [order_key(by_id[pk]) for pk in agenda.today]
    assert keys == sorted(keys)
    fixed = [by_id[pk].is_fixed for pk in agenda.today]
    assert fixed == sorted(fixed, reverse=True)  # every fixed one before every flexible one
    assert agenda.overdue_count == sum(1 for item in due if item.due_on < DAY)


def test_fixed_first_by_window_end_then_value_priority_due_date_and_id() -> None:
    due = [
        Due(1, d(0), d(0), d(3), False, 10, value=0.0),
        Due(2, d(0), d(0), d(5), True, 90),
        Due(3, d(-1), d(-1), d(0), True, 45),
        Due(4, d(0), d(0), d(3), False, 20, value=2.0),
        Due(5, d(-2), d(-2), d(3), False, 20, value=2.0),
        Due(6, d(0), d(0), d(3), False, 30, value=0.0),
        Due(7, d(0), d(0), d(3), False, 30, value=0.0),
    ]
    agenda = build_agenda(due, day=DAY, capacity=10)
    assert agenda == Agenda(
        today=(3, 2, 5, 4, 6, 7, 1), over_capacity=(), moved=(), later=(), overdue_count=2
    )


def test_overflow_moves_to_tomorrow_inside_its_window_or_waits_as_if_you_have_time() -> None:
    due = [
        Due(1, d(0), d(0), d(0), True, 90),  # birthday today: kept
        Due(2, d(-3), d(-3), d(-1), True, 45),  # a greeting whose window is over: kept
        Due(3, d(0), d(0), d(2), False, 30, value=5.0),  # best flexible one: today
        Due(4, d(0), d(0), d(2), False, 20),  # overflow, window open: tomorrow
        Due(5, d(-5), d(-5), d(0), False, 62),  # overflow, window over: if you have time
        Due(6, d(0), d(0), d(4), True, 70),  # fixed, window open: tomorrow
    ]
    agenda = build_agenda(due, day=DAY, capacity=3)
    assert agenda == Agenda(
        today=(2, 1, 6),
        over_capacity=(),
        moved=((3, d(1)), (4, d(1))),
        later=(5,),
        overdue_count=2,
    )


def test_fixed_dates_that_cannot_wait_are_kept_past_capacity_and_listed_last() -> None:
    due = [
        Due(1, d(0), d(0), d(0), True, 90),
        Due(2, d(0), d(0), d(1), True, 90),
        Due(3, d(0), d(0), d(0), True, 80),
        Due(4, d(-1), d(-1), d(-1), True, 45),
        Due(5, d(0), d(0), d(3), False, 10, value=9.0),
    ]
    agenda = build_agenda(due, day=DAY, capacity=2)
    assert agenda == Agenda(
        today=(4, 1, 3),
        over_capacity=(3,),
        moved=((2, d(1)), (5, d(1))),
        later=(),
        overdue_count=1,
    )


def test_nothing_due_is_an_empty_day() -> None:
    assert build_agenda([], day=DAY, capacity=5) == Agenda((), (), (), (), 0)


def test_an_unknown_value_sorts_like_zero() -> None:
    due = [Due(1, DAY, DAY, DAY, False, 10, value=float("nan")), Due(2, DAY, DAY, DAY, False, 5)]
    assert build_agenda(due, day=DAY, capacity=5).today == (1, 2)


@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_must_be_at_least_one(capacity: int) -> None:
    with pytest.raises(ValueError, match="capacity"):
        build_agenda([], day=DAY, capacity=capacity)


def test_ids_must_be_unique() -> None:
    item = Due(1, DAY, DAY, DAY, False, 10)
    with pytest.raises(ValueError, match="unique"):
        build_agenda([item, item], day=DAY, capacity=5)


def test_quiet_hours_over_midnight_and_within_a_day() -> None:
    from datetime import datetime, time

    from rapport.core.agenda import quiet_until

    evening, morning = time(21, 0), time(10, 0)
    assert quiet_until(datetime(2026, 11, 23, 22, 15), evening, morning) == datetime(
        2026, 11, 24, 10, 0
    )
    assert quiet_until(datetime(2026, 11, 23, 7, 30), evening, morning) == datetime(
        2026, 11, 23, 10, 0
    )
    assert quiet_until(datetime(2026, 11, 23, 10, 0), evening, morning) is None
    assert quiet_until(datetime(2026, 11, 23, 20, 59), evening, morning) is None
    assert quiet_until(datetime(2026, 11, 23, 13, 30), time(13, 0), time(14, 0)) == datetime(
        2026, 11, 23, 14, 0
    )
    assert quiet_until(datetime(2026, 11, 23, 14, 0), time(13, 0), time(14, 0)) is None
