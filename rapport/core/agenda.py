"""Today: the contacts one consultant makes on one day, in the order to make them (DESIGN §3).

Pure functions over frozen dataclasses, no Django. The caller passes the touchpoints due on or
before ``day``; :func:`build_agenda` orders them (fixed dates first, then value × risk), caps the
list at the consultant's daily capacity and says where every overflowing one goes: to the next
day inside its window, or, when its window is over, to a collapsed "if you have time" list. A
fixed date whose window ends today is never dropped, even past capacity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Due:
    """A touchpoint due on or before the day: its window, how fixed and how valuable it is."""

    id: int
    due_on: date
    window_start: date
    window_end: date
    is_fixed: bool  # a fixed date (birthday, holiday…): never silently dropped
    priority: int  # the occasion's priority (higher first), see planner.PRIORITY
    value: float = 0.0  # value × risk (see rapport.insights.scoring.priority); 0 when unknown


@dataclass(frozen=True, slots=True)
class Agenda:
    """Where every candidate goes: today (in order), moved to a later day, or "if you have time"."""

    today: tuple[int, ...]
    over_capacity: tuple[int, ...]
    moved: tuple[tuple[int, date], ...]
    later: tuple[int, ...]
    overdue_count: int


def order_key(item: Due) -> tuple[int, date, float, int, date, int]:
    """Fixed dates first (soonest window end first), then value, priority, due date and id."""
    value = item.value if math.isfinite(item.value) else 0.0
    return (
        0 if item.is_fixed else 1,
        item.window_end if item.is_fixed else date.min,
        -value,
        -item.priority,
        item.due_on,
        item.id,
    )


def must_keep(item: Due, day: date) -> bool:
    """A fixed date whose window ends on ``day`` (or has ended): it stays on today's list."""
    return item.is_fixed and item.window_end <= day


def build_agenda(due: Sequence[Due], *, day: date, capacity: int) -> Agenda:
    """Order the day's candidates, cap them at ``capacity`` and place the overflow."""
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    ids = [item.id for item in due]
    if len(set(ids)) != len(ids):
        raise ValueError("touchpoint ids must be unique")
    today: list[int] = []
    over: list[int] = []
    moved: list[tuple[int, date]] = []
    later: list[int] = []
    for item in sorted(due, key=order_key):
        if len(today) < capacity:
            today.append(item.id)
        elif must_keep(item, day):
            over.append(item.id)
        elif item.window_end > day:
            moved.append((item.id, day + _DAY))
        else:
            later.append(item.id)
    return Agenda(
        today=(*today, *over),
        over_capacity=tuple(over),
        moved=tuple(moved),
        later=tuple(later),
        overdue_count=sum(1 for item in due if item.due_on < day),
    )


def quiet_until(now: datetime, quiet_from: time, quiet_to: time) -> datetime | None:
    """When a message may go out if ``now`` (the store's local time) falls in its quiet hours
    (``quiet_from`` in the evening to ``quiet_to`` in the morning), else None."""
    moment = now.time()
    if quiet_from > quiet_to:  # over midnight, e.g. 21:00 → 10:00
        if moment >= quiet_from:
            return datetime.combine(now.date() + _DAY, quiet_to, tzinfo=now.tzinfo)
        if moment < quiet_to:
            return datetime.combine(now.date(), quiet_to, tzinfo=now.tzinfo)
        return None
    if quiet_from <= moment < quiet_to:  # within one day, e.g. 13:00 → 14:00
        return datetime.combine(now.date(), quiet_to, tzinfo=now.tzinfo)
    return None
