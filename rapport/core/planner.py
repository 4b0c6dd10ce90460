"""The contact plan: one client's touchpoints over a rolling horizon (DESIGN §3).

Pure functions over frozen dataclasses, no Django: the ``outreach`` app loads a client into a
:class:`PlanClient`, calls :func:`build_plan` and saves the :class:`Touchpoint` tuple it gets back.
The same input always gives the same output. The interpretations of DESIGN §3 made here are
recorded in ``docs/adr/0003-contact-plan.md``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from operator import attrgetter
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
# Occasions a store may switch off (``key_date`` = the check-in on a custom key date).
DISABLEABLE = frozenset(PRIORITY) - {"manual", "personal_checkin"}
_DAY = timedelta(days=1)
SAME_CONTACT_DAYS = 1  # contacts this close are one message (DESIGN §3 step 3, any category)
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
    disabled_occasions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.min_gap < 1 or not 2 * self.min_gap <= self.max_gap <= 60:
            raise ValueError("need 1 <= min_gap and 2 * min_gap <= max_gap <= 60")
        if self.horizon_days < 1 or self.former_per_year < 0 or self.merge_window_days < 0:
            raise ValueError("horizon_days >= 1, former_per_year >= 0, merge_window_days >= 0")
        if "personal_checkin" in self.disabled_occasions:
            raise ValueError("personal_checkin is the filler of last resort: it stays on")
        unknown = set(self.disabled_occasions) - DISABLEABLE
        if unknown:
            raise ValueError(f"unknown occasions: {', '.join(sorted(unknown))}")


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
class PlanHandled:
    """A touchpoint the plan must not bring back: one that was sent, done, cancelled or placed
    by hand. The planner drops its own touchpoint for the same occasion and relative whose
    window overlaps ``[window_start, window_end]``."""

    occasion: str
    relative_id: int | None
    window_start: date
    window_end: date


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
    handled: tuple[PlanHandled, ...] = ()


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


class _Item:
    """A touchpoint while the plan is being built (mutable; turned into a Touchpoint at the end).

    ``key`` (date, -priority, occasion, relative) is the plan's order, computed once."""

    __slots__ = ("category", "channel", "date", "end", "fixed", "key", "manual", "may_break",
                 "merged", "occasion", "params", "priority", "relative_id", "start")  # fmt: skip

    def __init__(self, when: date, start: date, end: date, occasion: str, category: str,
                 fixed: bool = True, may_break: bool = False, relative_id: int | None = None,
                 params: dict[str, Any] | None = None, priority: int = 0, manual: bool = False,
                 channel: str | None = None) -> None:  # fmt: skip
        self.date, self.start, self.end = when, start, end
        self.occasion, self.category, self.fixed, self.may_break = (
            occasion,
            category,
            fixed,
            may_break,
        )
        self.relative_id, self.priority, self.manual, self.channel = (
            relative_id,
            priority,
            manual,
            channel,
        )
        self.params: dict[str, Any] = {} if params is None else params
        self.merged: list[str] = []
        self.key = (when, -priority, occasion, relative_id or 0)


_KEY = attrgetter("key")


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


# --- anchors ---------------------------------------------------------------------------------


class _Context:
    """What every client planned with one standard on one day shares: the horizon, the years
    to look at, yearly dates and the greeted-date anchors by audience (built once, reused)."""

    __slots__ = ("disabled", "end", "greeted", "standard", "today", "yearly", "years")

    def __init__(self, standard: Standard, today: date) -> None:
        self.standard, self.today = standard, today
        self.end = today + timedelta(days=standard.horizon_days)
        self.years = range(today.year - 1, self.end.year + 2)
        self.disabled = standard.disabled_occasions
        self.yearly: dict[tuple[int, int], tuple[tuple[int, date], ...]] = {}
        self.greeted: dict[tuple[str, bool], tuple[tuple[Any, ...], ...]] = {}

    def on(self, month: int, day: int) -> tuple[tuple[int, date], ...]:
        """``(year, date)`` of a yearly date in each year that may matter (29 Feb → 28 Feb)."""
        found = self.yearly.get((month, day))
        if found is None:
            found = self.yearly[month, day] = tuple((y, _on(y, month, day)) for y in self.years)
        return found

    def greetings(self, gender: str, selling: bool) -> tuple[tuple[Any, ...], ...]:
        """Holiday greeting and gift-idea anchors for a client's gender, as ``add`` arguments."""
        key = (gender, selling)
        found = self.greeted.get(key)
        if found is None:
            probe = _Collector(self)
            specs: list[tuple[Any, ...]] = []
            for year in self.years:
                for rule, day in greeted_dates_in(self.standard, year):
                    params = {"holiday": rule.key, "holiday_date": day.isoformat()}
                    if _audience(rule.greet, gender):
                        specs.append((day - _DAY, 2, 0, "holiday_greeting", PERSONAL, params))
                    if selling and _audience(rule.gift_ideas, gender):
                        specs.append((day - timedelta(days=12), 2, 2, "holiday_gift_ideas",
                                      SELLING, params))  # fmt: skip
            kept: list[tuple[Any, ...]] = []
            for when, before, after, occasion, category, params in specs:
                if occasion in self.disabled or not probe.fits(when, after):
                    continue
                probe.add(when, before, after, occasion, category)
                item = probe.items[-1]
                kept.append((item.date, item.start, item.end, occasion, category, params,
                             PRIORITY[occasion]))  # fmt: skip
            found = self.greeted[key] = tuple(kept)
        return found


_CONTEXTS: dict[tuple[int, date], tuple[Standard, _Context]] = {}


def _context(standard: Standard, today: date) -> _Context:
    """The shared :class:`_Context` for a standard (by identity) and a day."""
    entry = _CONTEXTS.get((id(standard), today))
    if entry is None or entry[0] is not standard:
        if len(_CONTEXTS) > 64:
            _CONTEXTS.clear()
        entry = _CONTEXTS[id(standard), today] = (standard, _Context(standard, today))
    return entry[1]


class _Collector:
    """Turns the client's dates into items whose touch date falls in ``[today, end]``."""

    __slots__ = ("disabled", "end", "items", "today")

    def __init__(self, ctx: _Context) -> None:
        self.today, self.end, self.disabled = ctx.today, ctx.end, ctx.disabled
        self.items: list[_Item] = []

    def fits(self, when: date, after: int) -> bool:
        """Whether an anchor on ``when`` with a window ``after`` days long would be kept."""
        return when <= self.end and (
            when >= self.today or when + timedelta(days=after) >= self.today
        )

    def add(self, when: date, before: int, after: int, occasion: str, category: str,
            fixed: bool = True, may_break: bool = False, relative_id: int | None = None,
            params: dict[str, Any] | None = None, priority: int = 0) -> None:  # fmt: skip
        if occasion in self.disabled:
            return
        today = self.today
        stop = when + timedelta(days=after)
        if when < today:
            if stop < today:
                return
            when = start = today
        else:
            if when > self.end:
                return
            start = when - timedelta(days=before) if before else when
            if start < today:
                start = today
        self.items.append(_Item(when, start, stop, occasion, category, fixed, may_break,
                                relative_id, params, priority or PRIORITY[occasion]))  # fmt: skip


def _age(born: date, on: date) -> int:
    return on.year - born.year


_TEN, _FOURTEEN = timedelta(days=10), timedelta(days=14)
_YEAR_AND_A_DAY = timedelta(days=367)


def _fixed_anchors(client: PlanClient, ctx: _Context, selling: bool) -> list[_Item]:
    """DESIGN §3 step 1–2: dated occasions with their categories (selling ones optional)."""
    col = _Collector(ctx)
    fits, add, disabled = col.fits, col.add, ctx.disabled
    born = client.birthday
    if born and "client_birthday" not in disabled:
        for _, day in ctx.on(born.month, born.day):
            if fits(day, 1):
                params = {
                    "first_name": client.first_name,
                    "age": day.year - born.year,
                    "birthday": day.isoformat(),
                }
                add(day, 0, 1, "client_birthday", PERSONAL, params=params)
    gift = selling and "relative_birthday_gift" not in disabled
    greet = "relative_birthday_greeting" not in disabled
    for rel in client.relatives:
        rb = rel.birthday
        if not rb or not (gift or (greet and rel.greet_directly)):
            continue
        for _, day in ctx.on(rb.month, rb.day):
            gift_fits = gift and fits(day - _TEN, 3)
            greet_fits = greet and rel.greet_directly and fits(day, 1)
            if not (gift_fits or greet_fits):
                continue
            params = {"relative_name": rel.name, "relation": rel.relation,
                      "age": day.year - rb.year, "birthday": day.isoformat()}  # fmt: skip
            if gift_fits:
                add(day - _TEN, 4, 3, "relative_birthday_gift", SELLING, relative_id=rel.id,
                    params=params)  # fmt: skip
            if greet_fits:
                add(day, 0, 1, "relative_birthday_greeting", PERSONAL, relative_id=rel.id,
                    params=params)  # fmt: skip
    for kd in client.key_dates:
        kind, kdate = kd.kind, kd.date
        if kind == "service_due":
            occasion, offset, after = "service_due", 0, 7
        elif kind in ("anniversary", "wedding"):
            if not selling:
                continue
            occasion, offset, after = "anniversary_gift", 14, 7
        else:
            occasion, offset, after = "key_date", 0, 1
        if occasion in disabled:
            continue
        for year, day in ctx.on(kdate.month, kdate.day):
            if not kd.yearly and year != kdate.year:
                continue
            when = day - timedelta(days=offset) if offset else day
            if not fits(when, after):
                continue
            params = {"key_date_id": kd.id, "kind": kind, "date": day.isoformat(),
                      "years": year - kdate.year}  # fmt: skip
            if occasion == "service_due":
                add(day, 7, 7, "service_due", USEFUL, relative_id=kd.relative_id, params=params)
            elif occasion == "anniversary_gift":
                add(when, 0, 7, "anniversary_gift", SELLING, relative_id=kd.relative_id,
                    params=params)  # fmt: skip
            else:
                add(day, 0, 1, "personal_checkin", PERSONAL, relative_id=kd.relative_id,
                    params=params, priority=PRIORITY["key_date"])  # fmt: skip
    items = col.items
    for when, start, stop, occasion, category, params, priority in ctx.greetings(
        client.gender, selling
    ):
        items.append(_Item(when, start, stop, occasion, category, True, False, None,
                           dict(params), priority))  # fmt: skip
    if "purchase_anniversary" not in disabled and client.purchases:
        today = ctx.today
        cutoff = today - _YEAR_AND_A_DAY  # an older purchase's first anniversary has passed
        ahead = []
        for p in client.purchases:
            pd = p.date
            if pd < cutoff:
                continue
            day = _on(pd.year + 1, pd.month, pd.day)
            if today <= day:
                ahead.append((-p.amount, pd, day, p))
        ahead.sort(key=lambda entry: (entry[0], entry[1]))
        for _, pd, day, p in ahead[: ctx.standard.purchase_anniversaries_per_year]:
            add(day, 3, 3, "purchase_anniversary", PERSONAL,
                params={"purchase_date": pd.isoformat(), "items": p.items, "years": 1})  # fmt: skip
    if selling and "event_invitation" not in disabled:
        for ev in client.events:
            add(ev.date - _FOURTEEN, 7, 4, "event_invitation", SELLING,
                params={"event_id": ev.id, "event_name": ev.name,
                        "event_date": ev.date.isoformat()})  # fmt: skip
    return col.items


def _audience(who: str, gender: str) -> bool:
    return who == "all" or (who in ("f", "m") and who == gender)


def _merge(items: list[_Item], window: int) -> list[_Item]:
    """DESIGN §3 step 3: same-category anchors within ``window`` days of the first one of a run
    become one touchpoint, led (date, window, relative) by the highest-priority occasion."""
    items.sort(key=_KEY)
    merged: list[_Item] = []
    for category in (SELLING, PERSONAL, USEFUL):
        run: list[_Item] = []
        for item in items:
            if item.category != category:
                continue
            if run and (item.date - run[0].date).days > window:
                merged.append(_lead(run) if len(run) > 1 else run[0])
                run = []
            run.append(item)
        if run:
            merged.append(_lead(run) if len(run) > 1 else run[0])
    return merged


def _merge_close(items: list[_Item], days: int) -> list[_Item]:
    """Two contacts of any category within ``days`` of each other become one (the client hears
    from the store once): the higher-priority occasion leads, a fixed date keeps it fixed."""
    items.sort(key=_KEY)
    kept: list[_Item] = []
    for item in items:
        last = kept[-1] if kept else None
        if last is None or (item.date - last.date).days > days:
            kept.append(item)
            continue
        lead, other = (last, item) if last.priority >= item.priority else (item, last)
        lead.merged = [*lead.merged, other.occasion, *other.merged]
        lead.params = {**lead.params, "merged": (*lead.params.get("merged", ()), other.params)}
        lead.fixed = lead.fixed or other.fixed
        kept[-1] = lead
    return kept


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
    selling (switched-off occasions are left out; the personal check-in is always there)."""

    __slots__ = ("pool", "turns")

    def __init__(self, client: PlanClient, selling: bool, disabled: frozenset[str]) -> None:
        last = max(client.purchases, key=lambda p: (p.date, p.amount), default=None)
        self.pool: dict[str, list[tuple[str, dict[str, Any]]]] = {
            PERSONAL: [("personal_checkin", {"first_name": client.first_name})]
        }
        if last is not None:
            bought = {"purchase_date": last.date.isoformat(), "items": last.items}
            if "care_tips" not in disabled:
                self.pool[USEFUL] = [("care_tips", bought)]
            if selling and "complement" not in disabled:
                self.pool[SELLING] = [("complement", bought)]
        if selling and client.preferences and "new_arrivals" not in disabled:
            self.pool.setdefault(SELLING, []).insert(
                0, ("new_arrivals", {"preferences": client.preferences})
            )
        self.turns = dict.fromkeys(_ROTATION, 0)

    def make(self, when: date, prev: str | None, nxt: str | None) -> _Item:
        start = (_ROTATION.index(prev) + 1) if prev in _ROTATION else 0
        for step in range(3):
            cat = _ROTATION[(start + step) % 3]
            if cat not in self.pool or (cat == SELLING and (prev == SELLING or nxt == SELLING)):
                continue
            options = self.pool[cat]
            occasion, params = options[self.turns[cat] % len(options)]
            self.turns[cat] += 1
            return _Item(when, when, when + _TWO_DAYS, occasion, cat, fixed=False,
                         params=dict(params), priority=PRIORITY[occasion])  # fmt: skip
        raise AssertionError("the personal pool is never empty")


_TWO_DAYS = 2 * _DAY


def _fill(items: list[_Item], p0: date, end: date, standard: Standard, filler: _Filler) -> None:
    """Insert fillers where neighbours (``p0`` and ``end`` count as edges) are > max_gap apart,
    evenly spaced: the spacing then lies in (max_gap/2, max_gap], so >= min_gap."""
    max_gap = standard.max_gap
    added = False
    prev_date, prev_cat = p0, None
    for item in [*items, None]:
        b, cat_b = (end, None) if item is None else (item.date, item.category)
        gap = (b - prev_date).days
        if gap > max_gap:
            n = -(-gap // max_gap)
            prev = prev_cat
            for k in range(1, n):
                new = filler.make(prev_date + timedelta(days=k * gap // n), prev,
                                  cat_b if k == n - 1 else None)  # fmt: skip
                items.append(new)
                prev = new.category
            added = True
        prev_date, prev_cat = b, cat_b
    if added:
        items.sort(key=_KEY)


def _fix_selling(items: list[_Item], standard: Standard, filler: _Filler | None) -> bool:
    """Break up the first pair of consecutive selling touchpoints; False when there is none.
    A pair far enough apart gets a non-selling filler in the middle; otherwise the
    lower-priority one is folded into the other (it is named in ``merged_occasions``)."""
    for i in range(len(items) - 1):
        a, b = items[i], items[i + 1]
        if a.category != SELLING or b.category != SELLING or (a.manual and b.manual):
            continue
        gap = (b.date - a.date).days
        if filler is not None and gap >= 2 * standard.min_gap:
            items.append(filler.make(a.date + timedelta(days=gap // 2), SELLING, SELLING))
            items.sort(key=_KEY)
        else:
            keep, drop = (a, b) if (a.manual or (a.priority >= b.priority and not b.manual)) \
                else (b, a)  # fmt: skip
            keep.merged.extend([drop.occasion, *drop.merged])
            del items[i if drop is a else i + 1]
        return True
    return False


_SETTERS = tuple(Touchpoint.__dict__[name].__set__ for name in Touchpoint.__slots__)
(_s_date, _s_start, _s_end, _s_occasion, _s_category, _s_channel, _s_fixed, _s_break,
 _s_relative, _s_merged, _s_params, _s_priority, _s_manual) = _SETTERS  # fmt: skip


def _touchpoint(when: date, start: date, end: date, occasion: str, category: str,
                channel: str | None, fixed: bool, may_break: bool, relative_id: int | None,
                merged: tuple[str, ...], params: dict[str, Any], priority: int,
                manual: bool) -> Touchpoint:  # fmt: skip
    """``Touchpoint(...)`` through the slots' setters: twice as fast as the frozen ``__init__``
    (which goes through ``object.__setattr__`` per field), same object."""
    t = _new(Touchpoint)
    _s_date(t, when)
    _s_start(t, start)
    _s_end(t, end)
    _s_occasion(t, occasion)
    _s_category(t, category)
    _s_channel(t, channel)
    _s_fixed(t, fixed)
    _s_break(t, may_break)
    _s_relative(t, relative_id)
    _s_merged(t, merged)
    _s_params(t, params)
    _s_priority(t, priority)
    _s_manual(t, manual)
    return t


_new = object.__new__


# --- the plan ---------------------------------------------------------------------------------


def build_plan(client: PlanClient, standard: Standard, today: date) -> tuple[Touchpoint, ...]:
    """The client's touchpoints from ``today`` to ``today + horizon_days``, in date order."""
    if client.status not in STATUSES:
        raise ValueError(f"unknown status {client.status!r}")
    channel = choose_channel(client)
    if client.is_blacklisted or client.is_erased or channel is None:
        return ()
    ctx = _context(standard, today)
    end = ctx.end
    last_visit = max(
        (d for d in itertools.chain(client.visits, (p.date for p in client.purchases))
         if d <= today), default=None
    )  # fmt: skip
    last_contact = client.last_contact if client.last_contact and client.last_contact <= today \
        else None  # fmt: skip
    ref = max((d for d in (last_visit, last_contact) if d), default=None)
    p0 = today - timedelta(days=standard.min_gap)
    if ref is not None and ref >= p0:
        p0 = ref
    else:  # no recent contact: spread such clients' first contacts over the coming weeks
        p0 += timedelta(
            days=client.id % (min(standard.min_gap, standard.max_gap - standard.min_gap) + 1)
        )
    earliest = p0 + timedelta(days=standard.min_gap)

    if client.status == "former":
        items = _former(client, ctx, earliest)
        if client.handled:
            items = _unhandled(items, client)
        filler = None
    else:
        full = client.status != "new"
        anchors = _fixed_anchors(client, ctx, selling=full)
        after = _after_visit(client, ctx, last_visit, last_contact, earliest)
        if client.handled:
            anchors, after = _unhandled(anchors, client), _unhandled(after, client)
        items = _merge_close(_merge(anchors, standard.merge_window_days) + after, SAME_CONTACT_DAYS)
        filler = _Filler(client, full, ctx.disabled) if full else None
    for m in client.manual:
        if today <= m.date <= end:
            items.append(_Item(m.date, m.date, m.date, m.occasion, m.category, fixed=False,
                               may_break=True, priority=PRIORITY["manual"], manual=True,
                               channel=m.channel if m.channel in client.consented_channels
                               else None))  # fmt: skip
    items.sort(key=_KEY)
    while True:
        if filler is not None:
            _fill(items, p0, end, standard, filler)
        if not _fix_selling(items, standard, filler):
            break
    return tuple(
        _touchpoint(i.date, i.start, i.end, i.occasion, i.category, i.channel or channel,
                    i.fixed, i.may_break, i.relative_id, tuple(i.merged), i.params, i.priority,
                    i.manual)
        for i in items
    )  # fmt: skip


def _unhandled(items: list[_Item], client: PlanClient) -> list[_Item]:
    """The items no handled touchpoint (same occasion and relative, overlapping window) covers."""
    done: dict[tuple[str, int | None], list[PlanHandled]] = {}
    for h in client.handled:
        done.setdefault((h.occasion, h.relative_id), []).append(h)
    return [
        i
        for i in items
        if not any(
            h.window_start <= i.end and i.start <= h.window_end
            for h in done.get((i.occasion, i.relative_id), ())
        )
    ]


def _after_visit(client: PlanClient, ctx: _Context, last_visit: date | None,
                 last_contact: date | None, earliest: date) -> list[_Item]:  # fmt: skip
    """Thank-you, feedback, care tips and win-back: what the last visit and the rhythm ask for."""
    today, end, disabled, standard = ctx.today, ctx.end, ctx.disabled, ctx.standard
    col = _Collector(ctx)
    purchases = sorted((p for p in client.purchases if p.date <= today), key=_PURCHASE_DATE)
    if client.status == "new" and purchases:
        first = purchases[0]
        if not (last_contact and last_contact >= first.date):
            params = {"purchase_date": first.date.isoformat(), "items": first.items}
            col.add(first.date, 0, 1, "thank_you", PERSONAL, params=params)
    if last_visit and not (last_contact and last_contact > last_visit + _DAY):
        col.add(last_visit + 2 * _DAY, 0, 5, "feedback", USEFUL, fixed=False, may_break=True,
                params={"visit_date": last_visit.isoformat(),
                        "days_since": (today - last_visit).days})  # fmt: skip
    items = col.items
    flexible: list[_Item] = []
    if client.status in ("dormant", "regular", "vip") and "win_back" not in disabled:
        ratio = overdue_ratio(client, today)
        if client.status == "dormant" or (
            ratio is not None and ratio > standard.overdue_ratio_winback
        ):
            flexible.append(_Item(earliest, earliest, earliest + 7 * _DAY, "win_back", SELLING,
                                  fixed=False, priority=PRIORITY["win_back"], params={
                "days_since_purchase": (today - purchases[-1].date).days if purchases else None,
                "typical_interval_days": typical_interval(client),
                "overdue_ratio": round(ratio, 2) if ratio is not None else None}))  # fmt: skip
    if purchases and "care_tips" not in disabled:
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


_PURCHASE_DATE = attrgetter("date")


def _former(client: PlanClient, ctx: _Context, earliest: date) -> list[_Item]:
    """A former client: the New Year greeting and up to ``former_per_year - 1`` pieces of news,
    spread evenly over the year that follows each New Year, so any 365 days hold at most
    ``former_per_year``."""
    items: list[_Item] = []
    standard, today, end = ctx.standard, ctx.today, ctx.end
    if standard.former_per_year == 0:
        return items
    greet_on = "former_new_year" not in ctx.disabled
    news_on = "new_arrivals" not in ctx.disabled
    for year in ctx.years:
        new_year = date(year, 1, 1)
        greet = new_year - _DAY
        if greet_on and today <= greet <= end:
            items.append(_Item(greet, greet - 2 * _DAY, greet, "former_new_year", PERSONAL,
                               params={"holiday_date": new_year.isoformat()},
                               priority=PRIORITY["former_new_year"]))  # fmt: skip
        if not news_on:
            continue
        for k in range(1, standard.former_per_year):
            news = greet + timedelta(days=k * 365 // standard.former_per_year)
            if max(today, earliest) <= news <= end:
                items.append(_Item(news, news, news + 7 * _DAY, "new_arrivals", SELLING,
                                   fixed=False, params={"preferences": client.preferences},
                                   priority=PRIORITY["new_arrivals"]))  # fmt: skip
    return items
