"""The contact plan: one client's touchpoints over a rolling horizon (DESIGN §3).

Pure functions over frozen dataclasses, no Django: the ``outreach`` app loads a client into a
:class:`PlanClient`, calls :func:`build_plan` and saves the :class:`Touchpoint` tuple it gets back.
The same input always gives the same output. The interpretations of DESIGN §3 made here are
recorded in ``docs/adr/0003-contact-plan.md``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from statistics import median
from typing import Any

import holidays

SELLING, PERSONAL, USEFUL = "selling", "personal", "useful"
STATUSES = frozenset({"new", "regular", "vip", "dormant", "former"})
CHANNEL_PRIORITY = ("whatsapp", "telegram", "sms", "email", "call")
# Lead priority: the higher wins a merge and survives two selling touchpoints in a row.
PRIORITY = {
    "manual": 100, "client_birthday": 90, "thank_you": 85, "relative_birthday_greeting": 80,
    "win_back": 75, "relative_birthday_gift": 70, "anniversary_gift": 65, "feedback": 62,
    "event_invitation": 60, "service_due": 58, "purchase_anniversary": 55,
    "holiday_gift_ideas": 50, "holiday_greeting": 45, "former_new_year": 45,
    "key_date": 40, "care_tips": 30, "new_arrivals": 20, "complement": 15,
    "personal_checkin": 10,
}  # fmt: skip
_DAY = timedelta(days=1)
_Date = date  # for annotations inside classes that have a field named ``date``
_NOT_AN_OCCASION = ("day off", "observed", "substituted", "перенесено")


@dataclass(frozen=True, slots=True)
class GreetedDate:
    """A date the store greets on: a public holiday (by its English name in the ``holidays``
    package) or a commercial date (fixed ``month``/``day``, or the ``nth`` ``weekday`` of
    ``month``, ``nth=-1`` for the last). ``greet`` and ``gift_ideas`` say who gets the greeting
    and the gift ideas: ``"all"``, ``"f"``, ``"m"`` or ``"none"``."""

    key: str
    public_name: str = ""
    month: int = 0
    day: int = 0
    weekday: int | None = None
    nth: int = 0
    greet: str = "all"
    gift_ideas: str = "none"


DEFAULT_GREETED_DATES = (
    GreetedDate("new_year", public_name="New Year", month=1, day=1, gift_ideas="all"),
    GreetedDate("womens_day", public_name="Women's Day", greet="f", gift_ideas="m"),
    GreetedDate("defenders_day", public_name="Defender of the Fatherland", greet="m",
                gift_ideas="f"),
    GreetedDate("valentines_day", month=2, day=14, greet="none", gift_ideas="all"),
    GreetedDate("mothers_day", month=11, weekday=6, nth=-1, greet="none", gift_ideas="all"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Standard:
    """A store's rules for contact plans (DESIGN §3: spacing, horizon, caps, greeted dates)."""

    min_gap: int = 21
    max_gap: int = 45
    horizon_days: int = 365
    former_per_year: int = 2
    overdue_ratio_winback: float = 1.5
    country: str = "RU"
    greeted_dates: tuple[GreetedDate, ...] = DEFAULT_GREETED_DATES
    merge_window_days: int = 7
    purchase_anniversaries_per_year: int = 2

    def __post_init__(self) -> None:
        if self.min_gap < 1 or not 2 * self.min_gap <= self.max_gap <= 60:
            raise ValueError("need 1 <= min_gap and 2 * min_gap <= max_gap <= 60")
        if self.horizon_days < 1 or self.former_per_year < 0 or self.merge_window_days < 0:
            raise ValueError("horizon_days >= 1, former_per_year >= 0, merge_window_days >= 0")


@dataclass(frozen=True, slots=True)
class PlanRelative:
    id: int
    name: str
    relation: str
    birthday: date | None = None
    greet_directly: bool = False


@dataclass(frozen=True, slots=True)
class PlanKeyDate:
    id: int
    kind: str  # anniversary | wedding | service_due | custom
    date: date
    yearly: bool = True
    relative_id: int | None = None


@dataclass(frozen=True, slots=True)
class PlanPurchase:
    date: date
    amount: float
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanEvent:
    """An event, preview or private sale the client is invited to."""

    id: int
    name: str
    date: date


@dataclass(frozen=True, slots=True)
class PlanManual:
    """A touchpoint a consultant planned by hand (or the client agreed to): kept as it is."""

    date: date
    occasion: str
    category: str
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class PlanClient:
    id: int
    status: str
    consented_channels: frozenset[str] = frozenset()
    preferred_channel: str | None = None
    is_blacklisted: bool = False
    is_erased: bool = False
    birthday: date | None = None
    language: str = "ru"
    gender: str = ""
    first_name: str = ""
    relatives: tuple[PlanRelative, ...] = ()
    key_dates: tuple[PlanKeyDate, ...] = ()
    purchases: tuple[PlanPurchase, ...] = ()
    visits: tuple[date, ...] = ()
    last_contact: date | None = None
    typical_interval_days: float | None = None
    preferences: tuple[str, ...] = ()
    events: tuple[PlanEvent, ...] = ()
    manual: tuple[PlanManual, ...] = ()


@dataclass(frozen=True, slots=True)
class Touchpoint:
    date: date
    window_start: _Date
    window_end: _Date
    occasion: str
    category: str
    channel: str | None
    is_fixed: bool
    may_break_min_gap: bool
    relative_id: int | None = None
    merged_occasions: tuple[str, ...] = ()
    reason_params: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    priority: int = 0
    is_manual: bool = False


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


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    last = (date(year + month // 12, month % 12 + 1, 1)) - _DAY
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@lru_cache(maxsize=256)
def _public_holidays(country: str, year: int) -> tuple[tuple[date, str], ...]:
    """First days of the named public holidays of a year (no bridge days, no observed days)."""
    found = holidays.country_holidays(country, years=year, language="en_US")
    days = sorted(found.items())
    names = dict(days)
    return tuple(
        (day, name)
        for day, name in days
        if not any(word in name.lower() for word in _NOT_AN_OCCASION)
        and names.get(day - _DAY) != name
    )


def greeted_dates_in(standard: Standard, year: int) -> list[tuple[GreetedDate, date]]:
    """Each greeted date of the standard as it falls in ``year``."""
    found: list[tuple[GreetedDate, date]] = []
    for rule in standard.greeted_dates:
        if rule.public_name:
            hits = [d for d, n in _public_holidays(standard.country, year) if rule.public_name in n]
            found.extend((rule, d) for d in hits[:1])
        elif rule.weekday is not None:
            found.append((rule, _nth_weekday(year, rule.month, rule.weekday, rule.nth)))
        elif rule.month:
            found.append((rule, _on(year, rule.month, rule.day)))
    return found


def choose_channel(client: PlanClient) -> str | None:
    """The preferred channel if consented, else the first consented one by a fixed priority."""
    consented = client.consented_channels
    if client.preferred_channel in consented:
        return client.preferred_channel
    for channel in CHANNEL_PRIORITY:
        if channel in consented:
            return channel
    return min(consented) if consented else None


def typical_interval(client: PlanClient) -> float | None:
    """The client's own rhythm: given, or the median gap between distinct purchase days."""
    if client.typical_interval_days:
        return client.typical_interval_days
    days = sorted({p.date for p in client.purchases})
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    return float(median(gaps)) if gaps else None


def overdue_ratio(client: PlanClient, today: date) -> float | None:
    """Days since the last purchase ÷ the typical interval (None without a rhythm)."""
    interval = typical_interval(client)
    past = [p.date for p in client.purchases if p.date <= today]
    if not interval or not past:
        return None
    return (today - max(past)).days / interval


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


def build_plan(client: PlanClient, standard: Standard, today: date) -> tuple[Touchpoint, ...]:
    """The client's touchpoints from ``today`` to ``today + horizon_days``, in date order."""
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
