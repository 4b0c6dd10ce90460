"""The planner as it was before it was made faster (v1, commit e06a7b7): the reference that
``build_plan`` must still agree with, touchpoint for touchpoint (see the regression test at the
end). Only the algorithm is kept; the data types and the unchanged helpers are imported."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rapport.core.generator import GenClient, generate_clients
from rapport.core.planner import (
    PERSONAL,
    PRIORITY,
    SELLING,
    STATUSES,
    USEFUL,
    PlanClient,
    PlanKeyDate,
    PlanPurchase,
    PlanRelative,
    Standard,
    Touchpoint,
    build_plan,
    choose_channel,
    greeted_dates_in,
    overdue_ratio,
    typical_interval,
)
from rapport.core.tests.test_planner import STANDARD, clients, fast

_DAY = timedelta(days=1)
_Date = date


@dataclass(slots=True)
class _Item:
    """A touchpoint while the plan is being built (mutable; turned into a Touchpoint at the end)."""

    date: date
    start: _Date
    end: _Date
    occasion: str
    category: str
    fixed: bool = True
    may_break: bool = False
    relative_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    merged: list[str] = field(default_factory=list)
    manual: bool = False
    channel: str | None = None

    def key(self) -> tuple[_Date, int, str, int]:
        return (self.date, -self.priority, self.occasion, self.relative_id or 0)


# --- small date helpers -----------------------------------------------------------------------


def _on(year: int, month: int, day: int) -> date:
    """``date(year, month, day)``, with 29 February falling on the 28th in common years."""
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, 28)


# --- anchors ----------------------------------------------------------------------------------


class _Collector:
    """Turns the client's dates into items whose touch date falls in ``[today, end]``."""

    def __init__(self, today: date, end: date) -> None:
        self.today, self.end, self.items = today, end, list[_Item]()

    def add(self, when: date, before: int, after: int, occasion: str, category: str,
            **extra: Any) -> None:  # fmt: skip
        start, stop = when - timedelta(days=before), when + timedelta(days=after)
        if when < self.today:
            if stop < self.today:
                return
            when = start = self.today
        if when > self.end:
            return
        extra.setdefault("priority", PRIORITY[occasion])
        self.items.append(_Item(when, max(start, self.today), stop, occasion, category, **extra))

    def years(self) -> range:
        return range(self.today.year - 1, self.end.year + 2)


def _age(born: date, on: date) -> int:
    return on.year - born.year


def _fixed_anchors(client: PlanClient, standard: Standard, today: date, end: date,
                   selling: bool) -> list[_Item]:  # fmt: skip
    """DESIGN §3 step 1–2: dated occasions with their categories (selling ones optional)."""
    col = _Collector(today, end)
    for year in col.years():
        if client.birthday:
            day = _on(year, client.birthday.month, client.birthday.day)
            col.add(
                day,
                0,
                1,
                "client_birthday",
                PERSONAL,
                params={"first_name": client.first_name, "age": _age(client.birthday, day)},
            )
        for rel in client.relatives:
            if not rel.birthday:
                continue
            day = _on(year, rel.birthday.month, rel.birthday.day)
            params = {
                "relative_name": rel.name,
                "relation": rel.relation,
                "age": _age(rel.birthday, day),
                "birthday": day.isoformat(),
            }
            if selling:
                gift = day - timedelta(days=10)
                col.add(
                    gift, 4, 3, "relative_birthday_gift", SELLING, relative_id=rel.id, params=params
                )
            if rel.greet_directly:
                col.add(
                    day,
                    0,
                    1,
                    "relative_birthday_greeting",
                    PERSONAL,
                    relative_id=rel.id,
                    params=params,
                )
        for kd in client.key_dates:
            if not kd.yearly and year != kd.date.year:
                continue
            day = _on(year, kd.date.month, kd.date.day)
            params = {
                "key_date_id": kd.id,
                "kind": kd.kind,
                "date": day.isoformat(),
                "years": year - kd.date.year,
            }
            if kd.kind == "service_due":
                col.add(day, 7, 7, "service_due", USEFUL, relative_id=kd.relative_id, params=params)
            elif kd.kind in ("anniversary", "wedding"):
                if selling:
                    col.add(
                        day - timedelta(days=14),
                        0,
                        7,
                        "anniversary_gift",
                        SELLING,
                        relative_id=kd.relative_id,
                        params=params,
                    )
            else:
                col.add(
                    day,
                    0,
                    1,
                    "personal_checkin",
                    PERSONAL,
                    relative_id=kd.relative_id,
                    params=params,
                    priority=PRIORITY["key_date"],
                )
        for rule, day in greeted_dates_in(standard, year):
            params = {"holiday": rule.key, "holiday_date": day.isoformat()}
            if _audience(rule.greet, client.gender):
                col.add(day - _DAY, 2, 0, "holiday_greeting", PERSONAL, params=dict(params))
            if selling and _audience(rule.gift_ideas, client.gender):
                col.add(
                    day - timedelta(days=12),
                    2,
                    2,
                    "holiday_gift_ideas",
                    SELLING,
                    params=dict(params),
                )
    first_years = sorted(
        (p for p in client.purchases if today <= _on(p.date.year + 1, p.date.month, p.date.day)),
        key=lambda p: (-p.amount, p.date),
    )[: standard.purchase_anniversaries_per_year]
    for p in first_years:
        col.add(_on(p.date.year + 1, p.date.month, p.date.day), 3, 3, "purchase_anniversary",
                PERSONAL, params={"purchase_date": p.date.isoformat(), "items": p.items,
                                  "years": 1})  # fmt: skip
    if selling:
        for ev in client.events:
            col.add(ev.date - timedelta(days=14), 7, 4, "event_invitation", SELLING,
                    params={"event_id": ev.id, "event_name": ev.name,
                            "event_date": ev.date.isoformat()})  # fmt: skip
    return col.items


def _audience(who: str, gender: str) -> bool:
    return who == "all" or (who in ("f", "m") and who == gender)


def _merge(items: list[_Item], window: int) -> list[_Item]:
    """DESIGN §3 step 3: same-category anchors within ``window`` days of the first one of a run
    become one touchpoint, led (date, window, relative) by the highest-priority occasion."""
    merged: list[_Item] = []
    for category in (SELLING, PERSONAL, USEFUL):
        run: list[_Item] = []
        for item in sorted((i for i in items if i.category == category), key=_Item.key):
            if run and (item.date - run[0].date).days > window:
                merged.append(_lead(run))
                run = []
            run.append(item)
        if run:
            merged.append(_lead(run))
    return merged


def _lead(run: list[_Item]) -> _Item:
    lead = min(run, key=lambda i: (-i.priority, i.date, i.occasion, i.relative_id or 0))
    others = [i for i in run if i is not lead]
    lead.merged = [i.occasion for i in others]
    if others:
        lead.params = {**lead.params, "merged": tuple(i.params for i in others)}
    return lead


# --- filling and spacing ----------------------------------------------------------------------

_ROTATION = (PERSONAL, SELLING, USEFUL)


class _Filler:
    """DESIGN §3 step 4: the occasion pool for gaps, categories rotating, never selling next to
    selling."""

    def __init__(self, client: PlanClient, selling: bool) -> None:
        last = max(client.purchases, key=lambda p: (p.date, p.amount), default=None)
        self.pool: dict[str, list[tuple[str, dict[str, Any]]]] = {
            PERSONAL: [("personal_checkin", {"first_name": client.first_name})]
        }
        if last is not None:
            bought = {"purchase_date": last.date.isoformat(), "items": last.items}
            self.pool[USEFUL] = [("care_tips", bought)]
            if selling:
                self.pool[SELLING] = [("complement", bought)]
        if selling and client.preferences:
            self.pool.setdefault(SELLING, []).insert(
                0, ("new_arrivals", {"preferences": client.preferences})
            )
        self.turns = dict.fromkeys(_ROTATION, 0)

    def make(self, when: date, prev: str | None, nxt: str | None) -> _Item:
        start = (_ROTATION.index(prev) + 1) if prev in _ROTATION else 0
        for step in range(3):
            cat = _ROTATION[(start + step) % 3]
            if cat not in self.pool or (cat == SELLING and SELLING in (prev, nxt)):
                continue
            options = self.pool[cat]
            occasion, params = options[self.turns[cat] % len(options)]
            self.turns[cat] += 1
            return _Item(
                when,
                when,
                when + 2 * _DAY,
                occasion,
                cat,
                fixed=False,
                params=dict(params),
                priority=PRIORITY[occasion],
            )
        raise AssertionError("the personal pool is never empty")


def _fill(items: list[_Item], p0: date, end: date, standard: Standard, filler: _Filler) -> None:
    """Insert fillers where neighbours (``p0`` and ``end`` count as edges) are > max_gap apart,
    evenly spaced: the spacing then lies in (max_gap/2, max_gap], so >= min_gap."""
    items.sort(key=_Item.key)
    points: list[tuple[date, str | None]] = [(p0, None), *((i.date, i.category) for i in items)]
    points.append((end, None))
    for (a, cat_a), (b, cat_b) in itertools.pairwise(points):
        gap = (b - a).days
        if gap <= standard.max_gap:
            continue
        n = math.ceil(gap / standard.max_gap)
        prev = cat_a
        for k in range(1, n):
            nxt = cat_b if k == n - 1 else None
            item = filler.make(a + timedelta(days=k * gap // n), prev, nxt)
            items.append(item)
            prev = item.category
    items.sort(key=_Item.key)


def _fix_selling(items: list[_Item], standard: Standard, filler: _Filler | None) -> bool:
    """Break up the first pair of consecutive selling touchpoints; False when there is none.
    A pair far enough apart gets a non-selling filler in the middle; otherwise the
    lower-priority one is folded into the other (it is named in ``merged_occasions``)."""
    for a, b in itertools.pairwise(items):
        if a.category != SELLING or b.category != SELLING or (a.manual and b.manual):
            continue
        gap = (b.date - a.date).days
        if filler is not None and gap >= 2 * standard.min_gap:
            items.append(filler.make(a.date + timedelta(days=gap // 2), SELLING, SELLING))
        else:
            keep, drop = (a, b) if (a.manual or (a.priority >= b.priority and not b.manual)) \
                else (b, a)  # fmt: skip
            keep.merged.extend([drop.occasion, *drop.merged])
            items.remove(drop)
        items.sort(key=_Item.key)
        return True
    return False


# --- the plan ---------------------------------------------------------------------------------


def reference_plan(client: PlanClient, standard: Standard, today: date) -> tuple[Touchpoint, ...]:
    """v1: the client's touchpoints from ``today`` to ``today + horizon_days``, in date order."""
    if client.status not in STATUSES:
        raise ValueError(f"unknown status {client.status!r}")
    channel = choose_channel(client)
    if client.is_blacklisted or client.is_erased or channel is None:
        return ()
    end = today + timedelta(days=standard.horizon_days)
    seen = [d for d in (*client.visits, *(p.date for p in client.purchases)) if d <= today]
    last_visit = max(seen, default=None)
    last_contact = client.last_contact if client.last_contact and client.last_contact <= today \
        else None  # fmt: skip
    ref = max((d for d in (last_visit, last_contact) if d), default=None)
    p0 = max(ref, today - timedelta(days=standard.min_gap)) if ref else \
        today - timedelta(days=standard.min_gap)  # fmt: skip
    earliest = p0 + timedelta(days=standard.min_gap)

    if client.status == "former":
        items = _former(client, standard, today, end, earliest)
        filler = None
    else:
        full = client.status != "new"
        items = _merge(
            _fixed_anchors(client, standard, today, end, selling=full), standard.merge_window_days
        )
        items += _after_visit(client, standard, today, end, last_visit, last_contact, earliest)
        filler = _Filler(client, selling=full) if full else None
    for m in client.manual:
        if today <= m.date <= end:
            items.append(_Item(m.date, m.date, m.date, m.occasion, m.category, fixed=False,
                               may_break=True, priority=PRIORITY["manual"], manual=True,
                               channel=m.channel if m.channel in client.consented_channels
                               else None))  # fmt: skip
    items.sort(key=_Item.key)
    while True:
        if filler is not None:
            _fill(items, p0, end, standard, filler)
        if not _fix_selling(items, standard, filler):
            break
    return tuple(
        Touchpoint(i.date, i.start, i.end, i.occasion, i.category, i.channel or channel,
                   i.fixed, i.may_break, i.relative_id, tuple(i.merged), i.params, i.priority,
                   i.manual)
        for i in items
    )  # fmt: skip


def _after_visit(client: PlanClient, standard: Standard, today: date, end: date,
                 last_visit: date | None, last_contact: date | None,
                 earliest: date) -> list[_Item]:  # fmt: skip
    """Thank-you, feedback, care tips and win-back: what the last visit and the rhythm ask for."""
    col = _Collector(today, end)
    purchases = sorted((p for p in client.purchases if p.date <= today), key=lambda p: p.date)
    if client.status == "new" and purchases:
        first = purchases[0]
        if not (last_contact and last_contact >= first.date):
            col.add(
                first.date,
                0,
                1,
                "thank_you",
                PERSONAL,
                params={"purchase_date": first.date.isoformat(), "items": first.items},
            )
    if last_visit and not (last_contact and last_contact > last_visit + _DAY):
        col.add(last_visit + 2 * _DAY, 0, 5, "feedback", USEFUL, fixed=False, may_break=True,
                params={"visit_date": last_visit.isoformat(),
                        "days_since": (today - last_visit).days})  # fmt: skip
    items = col.items
    flexible: list[_Item] = []
    ratio = overdue_ratio(client, today)
    if client.status == "dormant" or (
        client.status in ("regular", "vip") and ratio is not None
        and ratio > standard.overdue_ratio_winback
    ):  # fmt: skip
        flexible.append(_Item(earliest, earliest, earliest + 7 * _DAY, "win_back", SELLING,
                              fixed=False, priority=PRIORITY["win_back"], params={
            "days_since_purchase": (today - purchases[-1].date).days if purchases else None,
            "typical_interval_days": typical_interval(client),
            "overdue_ratio": round(ratio, 2) if ratio is not None else None}))  # fmt: skip
    if purchases:
        last = purchases[-1]
        when = max(last.date + 28 * _DAY, earliest)
        if today <= when <= min(last.date + 42 * _DAY, end):
            flexible.append(_Item(when, last.date + 21 * _DAY, last.date + 42 * _DAY,
                                  "care_tips", USEFUL, fixed=False, priority=PRIORITY["care_tips"],
                                  params={"purchase_date": last.date.isoformat(),
                                          "items": last.items}))  # fmt: skip
    kept: list[_Item] = []
    for item in flexible:  # keep the flexible ones apart from each other; win-back comes first
        if all(abs((item.date - k.date).days) >= standard.min_gap for k in kept):
            kept.append(item)
    return items + kept


def _former(client: PlanClient, standard: Standard, today: date, end: date,
            earliest: date) -> list[_Item]:  # fmt: skip
    """A former client: the New Year greeting and up to ``former_per_year - 1`` pieces of news,
    spread evenly over the year that follows each New Year, so any 365 days hold at most
    ``former_per_year``."""
    items: list[_Item] = []
    if standard.former_per_year == 0:
        return items
    for year in range(today.year - 1, end.year + 2):
        new_year = date(year, 1, 1)
        greet = new_year - _DAY
        if today <= greet <= end:
            items.append(_Item(greet, greet - 2 * _DAY, greet, "former_new_year", PERSONAL,
                               params={"holiday_date": new_year.isoformat()},
                               priority=PRIORITY["former_new_year"]))  # fmt: skip
        for k in range(1, standard.former_per_year):
            news = greet + timedelta(days=k * 365 // standard.former_per_year)
            if max(today, earliest) <= news <= end:
                items.append(_Item(news, news, news + 7 * _DAY, "new_arrivals", SELLING,
                                   fixed=False, params={"preferences": client.preferences},
                                   priority=PRIORITY["new_arrivals"]))  # fmt: skip
    return items


# --- the regression test ----------------------------------------------------------------------

standards = st.builds(
    lambda min_gap, extra, horizon, former, merge: Standard(
        min_gap=min_gap, max_gap=min(60, 2 * min_gap + extra), horizon_days=horizon,
        former_per_year=former, merge_window_days=merge,
    ),
    st.integers(7, 30), st.integers(0, 20), st.integers(30, 500), st.integers(0, 3),
    st.integers(0, 10),
)  # fmt: skip


@fast
@given(clients(), standards)
def test_same_plan_as_v1_on_generated_clients(
    case: tuple[PlanClient, date], standard: Standard
) -> None:
    client, today = case
    assert build_plan(client, standard, today) == reference_plan(client, standard, today)


def plan_client(gen: GenClient, status: str) -> PlanClient:
    """A client of the data generator (with history) as the planner's input."""
    return PlanClient(
        id=gen.index,
        status=status,
        consented_channels=frozenset(c.channel for c in gen.consents if c.status == "granted")
        or frozenset({"sms"}),
        preferred_channel=gen.preferred_channel,
        birthday=gen.birthday,
        gender=gen.gender,
        first_name=gen.first_name,
        relatives=tuple(
            PlanRelative(i + 1, r.name, r.relation, r.birthday, r.greet_directly)
            for i, r in enumerate(gen.relatives)
        ),
        key_dates=tuple(
            PlanKeyDate(
                100 + i,
                k.kind,
                k.date,
                k.recurrence == "yearly",
                None if k.relative is None else k.relative + 1,
            )
            for i, k in enumerate(gen.key_dates)
        ),
        purchases=tuple(
            PlanPurchase(
                p.at.date(),
                float(sum(line.unit_price * line.quantity for line in p.lines)),
                tuple(line.description for line in p.lines),
            )
            for p in gen.purchases
        ),
        visits=tuple(v.at.date() for v in gen.visits),
        preferences=tuple(p.value for p in gen.preferences if p.kind in ("brand", "category")),
    )


def test_same_plan_as_v1_on_the_data_generators_clients() -> None:
    today = date(2026, 11, 23)
    people = list(generate_clients(300, seed=5, today=today))
    statuses = sorted(STATUSES)
    compared = 0
    for day in (today, date(2026, 12, 28), date(2027, 2, 20), date(2027, 6, 1)):
        for gen in people:
            client = plan_client(gen, statuses[gen.index % len(statuses)])
            plan = build_plan(client, STANDARD, day)
            assert plan == reference_plan(client, STANDARD, day), gen.index
            compared += len(plan)
    assert compared > 10_000
