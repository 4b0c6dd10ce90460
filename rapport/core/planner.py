"""The contact plan: one client's touchpoints over a rolling horizon (DESIGN §3).

Pure functions over frozen dataclasses, no Django: the ``outreach`` app loads a client into a
:class:`PlanClient`, calls :func:`build_plan` and saves the :class:`Touchpoint` tuple it gets back.
The same input always gives the same output. The interpretations of DESIGN §3 made here are
recorded in ``docs/adr/0003-contact-plan.md``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from functools import lru_cache
from operator import attrgetter
from statistics import median
from typing import Any, NamedTuple

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
_YEAR_AND_A_DAY = timedelta(days=367)  # older purchases' first anniversaries have passed
_DAYS = tuple(timedelta(days=n) for n in range(43))  # leads, windows, offsets of anchors
_TEN, _FOURTEEN = _DAYS[10], _DAYS[14]
# An occasion whose window is over waits this many days at most for the touchpoint after it to
# pass (it goes with that one; see ``_opens``), and a handled touchpoint is read (and covers its
# occasion) for as long after its window.
PASSED_KEPT_DAYS = HANDLED_KEPT_DAYS = 60
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


Folded = tuple[str, int | None, str, str]  # occasion, relative, window start and end (ISO)


def folded_of(folded: Iterable[Sequence[Any]] | None) -> tuple[Folded, ...]:
    """What was folded into a touchpoint, from its ``reason_params["folded"]`` (lists, as JSON
    gives them back, or tuples; None where nothing was)."""
    return tuple((o, r, s, e) for o, r, s, e in folded or ())


@dataclass(frozen=True, slots=True)
class PlanHandled:
    """A touchpoint the plan must not bring back: one that was sent, done, cancelled or placed
    by hand, or is overdue. The planner drops its own touchpoint for the same occasion and
    relative whose window overlaps ``[window_start, window_end]``, and the same for each
    occasion folded into it (``folded``, the touchpoint's ``reason_params["folded"]``: occasion,
    relative, window start and end as ISO dates); ``day`` is the touchpoint's."""

    occasion: str
    relative_id: int | None
    window_start: date
    window_end: date
    day: date
    folded: tuple[Folded, ...] = ()


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
    visits: tuple[date, ...] = ()  # only the latest one up to the plan's day matters
    last_contact: date | None = None
    # The day of the latest touchpoint still planned (not sent) whose day has passed: it is on
    # the consultant's Today as overdue, and gaps are filled from it as from a contact to come.
    last_overdue: date | None = None
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


def _slots_constructor[T](cls: type[T]) -> Callable[..., T]:
    """``cls(...)`` for a frozen slotted dataclass, without the cost of its ``__init__`` (which
    sets each field through ``object.__setattr__``): every slot set straight through its
    descriptor, three to five times faster. Every field is required, in order or by name, and
    nothing is checked; for the loaders and the planner, which build them by the million."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    setters = {f"set_{name}": cls.__dict__[name].__set__ for name in names}
    body = "".join(f"    set_{name}(obj, {name})\n" for name in names)
    code = (
        f"def new_{cls.__name__}({', '.join(names)}):\n    obj = new(cls)\n{body}    return obj\n"
    )
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls, **setters}
    exec(code, namespace)  # how ``dataclasses`` builds ``__init__`` too
    constructor: Callable[..., T] = namespace[f"new_{cls.__name__}"]
    return constructor


new_plan_client = _slots_constructor(PlanClient)
new_plan_purchase = _slots_constructor(PlanPurchase)
_new_touchpoint = _slots_constructor(Touchpoint)
_new_handled = _slots_constructor(PlanHandled)
_CLIENT_FIELDS = tuple(f.name for f in fields(PlanClient))


class _Item:
    """A touchpoint while the plan is being built (mutable; turned into a Touchpoint at the end).

    ``key`` (date, -priority, occasion, relative) is the plan's order, computed once.
    ``folded``: the items folded into this one, as their cover keys (:func:`_fold`)."""

    __slots__ = ("category", "channel", "date", "end", "fixed", "folded", "key", "manual",
                 "may_break", "merged", "occasion", "params", "priority", "relative_id",
                 "start")  # fmt: skip

    def __init__(self, when: date, start: date, end: date, occasion: str, category: str,
                 fixed: bool = True, may_break: bool = False, relative_id: int | None = None,
                 params: dict[str, Any] | None = None, priority: int = 0, manual: bool = False,
                 channel: str | None = None) -> None:  # fmt: skip
        self.date = when
        self.start = start
        self.end = end
        self.occasion = occasion
        self.category = category
        self.fixed = fixed
        self.may_break = may_break
        self.relative_id = relative_id
        self.priority = priority
        self.manual = manual
        self.channel = channel
        self.folded: list[Folded] = []
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


@lru_cache(maxsize=1024)
def greeted_dates_in(standard: Standard, year: int) -> tuple[tuple[GreetedDate, date], ...]:
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
    return tuple(found)


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


def items_needed(days: Sequence[date], today: date) -> list[bool]:
    """Which of a client's purchases (given by their dates) a plan built on ``today`` may
    mention the lines of: those of the last day (the fillers' care tips and complements) and
    those of the last year and a day (the thank-you, care tips after a purchase, purchase
    anniversaries). A loader may leave the others' ``items`` empty: the plan is the same."""
    if not days:
        return []
    last, cutoff = max(days), today - _YEAR_AND_A_DAY
    return [d >= cutoff or d == last for d in days]


def overdue_ratio(client: PlanClient, today: date) -> float | None:
    """Days since the last purchase ÷ the typical interval (None without a rhythm)."""
    interval = typical_interval(client)
    past = [p.date for p in client.purchases if p.date <= today]
    if not interval or not past:
        return None
    return (today - max(past)).days / interval


# --- anchors ---------------------------------------------------------------------------------


_Placed = tuple[date, date, date]  # an anchor in the plan: its date and window
_Birthday = tuple[int, date, _Placed | None, _Placed | None]  # year, day, gift, greeting


class _Context:
    """What every client planned with one standard on one day shares: the horizon, the years
    to look at, yearly dates placed in the plan and the greeted-date anchors by audience (built
    once, reused)."""

    __slots__ = ("disabled", "end", "greeted", "horizon", "passed_since", "placed", "relatives",
                 "standard", "today", "years")  # fmt: skip

    def __init__(self, standard: Standard, today: date, horizon_days: int) -> None:
        self.standard, self.today = standard, today
        self.horizon = timedelta(days=horizon_days)
        self.end = today + self.horizon
        self.passed_since = today - timedelta(days=PASSED_KEPT_DAYS)
        self.years = range(today.year - 1, self.end.year + 2)
        self.disabled = standard.disabled_occasions
        self.placed: dict[tuple[int, ...], Any] = {}
        self.relatives: dict[tuple[int, int], Any] = {}
        self.greeted: dict[tuple[str, bool], Any] = {}

    def place_for(self, when: date, before: int, after: int, bound: _Bound) -> _Placed | None:
        """:meth:`place` for one client's plan: ``bound`` learns the day an anchor beyond the
        horizon enters it."""
        where = self.place(when, before, after)
        if where is None and when > self.end:
            bound.at(self.enters(when))
        return where

    def place(self, when: date, before: int, after: int) -> _Placed | None:
        """Where an anchor touched on ``when``, with a window from ``before`` days before to
        ``after`` days after it, lands in the plan: ``(date, window start, window end)``, moved
        to today while its window is still open; None beyond the horizon.

        A window that opened before today keeps its start (moving a contact into the past is
        refused where it is moved): held at today, it would change every day of the window,
        and every client's plan with it on the days around a holiday. An anchor whose window
        is over stays on the window's last day for :data:`PASSED_KEPT_DAYS`, never to be sent
        on its own (:func:`_opens`), then is None."""
        today = self.today
        stop = when + _DAYS[after]
        if when > self.end:
            return None
        start = when - _DAYS[before] if before else when
        if when >= today:
            return when, start, stop
        if stop >= today:
            return today, start, stop
        # Its window is over: for a while it stays on its last day, not to be sent but to go
        # with the touchpoint it is folded into (see ``_opens``).
        return None if stop < self.passed_since else (stop, start, stop)

    def enters(self, when: date) -> date:
        """The day an anchor touched on ``when``, beyond the horizon, enters the plan."""
        return when - self.horizon

    def yearly(self, month: int, day: int, lead: int, before: int, after: int
               ) -> tuple[tuple[tuple[int, date, date, date, date], ...], date]:  # fmt: skip
        """A yearly date touched ``lead`` days ahead, placed in each year that may matter (29
        February falls on the 28th in common years): ``(year, day, date, start, end)``; and the
        day its next occurrence beyond the horizon enters the plan."""
        key = (month, day, lead, before, after)
        found = self.placed.get(key)
        if found is None:
            kept, enters = [], date.max
            for year in self.years:
                on = _on(year, month, day)
                when = on - _DAYS[lead] if lead else on
                where = self.place(when, before, after)
                if where is not None:
                    kept.append((year, on, *where))
                elif when > self.end:
                    enters = min(enters, self.enters(when))
            found = self.placed[key] = (tuple(kept), enters)
        return found

    def relative_birthday(self, month: int, day: int
                          ) -> tuple[tuple[_Birthday, ...], date, date]:  # fmt: skip
        """A relative's birthday in each year where its gift idea (ten days ahead) or its
        greeting lands in the plan: ``(year, day, gift placement, greeting placement)``, a
        placement being None where that one does not; and the days the next gift idea and the
        next greeting beyond the horizon enter the plan."""
        found = self.relatives.get((month, day))
        if found is None:
            kept: list[_Birthday] = []
            gift_enters = greeting_enters = date.max
            for year in self.years:
                on = _on(year, month, day)
                gift, greeting = self.place(on - _TEN, 4, 3), self.place(on, 0, 1)
                if gift is not None or greeting is not None:
                    kept.append((year, on, gift, greeting))
                if gift is None and on - _TEN > self.end:
                    gift_enters = min(gift_enters, self.enters(on - _TEN))
                if greeting is None and on > self.end:
                    greeting_enters = min(greeting_enters, self.enters(on))
            found = self.relatives[month, day] = (tuple(kept), gift_enters, greeting_enters)
        return found

    def greetings(self, gender: str, selling: bool) -> tuple[tuple[tuple[Any, ...], ...], date]:
        """Holiday greeting and gift-idea anchors for a client's gender, as ``_Item`` arguments
        (the parameters to copy); and the day the next one beyond the horizon enters the plan."""
        key = (gender, selling)
        found = self.greeted.get(key)
        if found is None:
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
            enters = date.max
            for when, before, after, occasion, category, params in specs:
                if occasion in self.disabled:
                    continue
                where = self.place(when, before, after)
                if where is not None:
                    kept.append((*where, occasion, category, params, PRIORITY[occasion]))
                elif when > self.end:
                    enters = min(enters, self.enters(when))
            found = self.greeted[key] = (tuple(kept), enters)
        return found


_CONTEXTS: dict[tuple[int, date, int], tuple[Standard, _Context]] = {}
CONTEXTS_KEPT = 4096
HORIZON_STAGGER = 28  # clients' horizons end up to 27 days short of the standard's, by id


def horizon_days(client_id: int, standard: Standard) -> int:
    """How far ahead a client's plan reaches: the standard's horizon, shortened by 0–27 days
    by client (by id). A date entering the horizon changes the far end of every plan it
    concerns (a New Year gift idea: two clients in three); spread over four weeks, it does not
    make one night re-plan most clients."""
    if standard.horizon_days < 4 * HORIZON_STAGGER:
        return standard.horizon_days
    return standard.horizon_days - client_id % HORIZON_STAGGER


def _context(standard: Standard, today: date, horizon: int) -> _Context:
    """The shared :class:`_Context` for a standard (by identity), a day and a horizon. A stored
    plan is checked on the days its bounds name (:func:`plan_stored`), and horizons differ by
    client: a night's re-plan uses a few thousand of them."""
    key = (id(standard), today, horizon)
    entry = _CONTEXTS.get(key)
    if entry is None or entry[0] is not standard:
        if len(_CONTEXTS) >= CONTEXTS_KEPT:
            _CONTEXTS.clear()
        entry = _CONTEXTS[key] = (standard, _Context(standard, today, horizon))
    return entry[1]


def _age(born: date, on: date) -> int:
    return on.year - born.year


def _fixed_anchors(client: PlanClient, ctx: _Context, selling: bool, bound: _Bound
                   ) -> list[_Item]:  # fmt: skip
    """DESIGN §3 step 1–2: dated occasions with their categories (selling ones optional).
    ``bound`` learns when an occasion beyond the horizon enters it."""
    items: list[_Item] = []
    append, disabled = items.append, ctx.disabled
    born = client.birthday
    if born and "client_birthday" not in disabled:
        placed, enters = ctx.yearly(born.month, born.day, 0, 0, 1)
        bound.at(enters)
        for _, day, when, start, stop in placed:
            params = {
                "first_name": client.first_name,
                "age": day.year - born.year,
                "birthday": day.isoformat(),
            }
            append(_Item(when, start, stop, "client_birthday", PERSONAL, True, False, None,
                         params, _BIRTHDAY))  # fmt: skip
    gift = selling and "relative_birthday_gift" not in disabled
    greet = "relative_birthday_greeting" not in disabled
    for rel in client.relatives:
        rb = rel.birthday
        greets = greet and rel.greet_directly
        if not rb or not (gift or greets):
            continue
        birthdays, gift_enters, greeting_enters = ctx.relative_birthday(rb.month, rb.day)
        bound.at(gift_enters if gift else date.max)
        bound.at(greeting_enters if greets else date.max)
        for _, day, gift_at, greeting_at in birthdays:
            gift_at = gift_at if gift else None
            greeting_at = greeting_at if greets else None
            if gift_at is None and greeting_at is None:
                continue
            params = {"relative_name": rel.name, "relation": rel.relation,
                      "age": day.year - rb.year, "birthday": day.isoformat()}  # fmt: skip
            if gift_at is not None:
                append(_Item(*gift_at, "relative_birthday_gift", SELLING, True, False, rel.id,
                             params, _RELATIVE_GIFT))  # fmt: skip
            if greeting_at is not None:
                append(_Item(*greeting_at, "relative_birthday_greeting", PERSONAL, True, False,
                             rel.id, params, _RELATIVE_GREETING))  # fmt: skip
    for kd in client.key_dates:
        kind, kdate = kd.kind, kd.date
        if kind == "service_due":
            occasion, lead, before, after, category = "service_due", 0, 7, 7, USEFUL
        elif kind in ("anniversary", "wedding"):
            if not selling:
                continue
            occasion, lead, before, after, category = "anniversary_gift", 14, 0, 7, SELLING
        else:
            occasion, lead, before, after, category = "key_date", 0, 0, 1, PERSONAL
        if occasion in disabled:
            continue
        placed, enters = ctx.yearly(kdate.month, kdate.day, lead, before, after)
        bound.at(enters)
        for year, day, when, start, stop in placed:
            if not kd.yearly and year != kdate.year:
                continue
            params = {"key_date_id": kd.id, "kind": kind, "date": day.isoformat(),
                      "years": year - kdate.year}  # fmt: skip
            append(_Item(when, start, stop, "personal_checkin" if occasion == "key_date"
                         else occasion, category, True, False, kd.relative_id, params,
                         PRIORITY[occasion]))  # fmt: skip
    greeted, enters = ctx.greetings(client.gender, selling)
    bound.at(enters)
    for when, start, stop, occasion, category, params, priority in greeted:
        append(_Item(when, start, stop, occasion, category, True, False, None, dict(params),
                     priority))  # fmt: skip
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
            bound.at(day + _DAY)  # once it has passed, the next largest purchase's may come in
            where = ctx.place_for(day, 3, 3, bound)
            if where is not None:
                params = {"purchase_date": pd.isoformat(), "items": p.items, "years": 1}
                append(_Item(*where, "purchase_anniversary", PERSONAL, True, False, None, params,
                             _PURCHASE_ANNIVERSARY))  # fmt: skip
    if selling and "event_invitation" not in disabled:
        for ev in client.events:
            where = ctx.place_for(ev.date - _FOURTEEN, 7, 4, bound)
            if where is not None:
                params = {"event_id": ev.id, "event_name": ev.name,
                          "event_date": ev.date.isoformat()}  # fmt: skip
                append(_Item(*where, "event_invitation", SELLING, True, False, None, params,
                             _EVENT_INVITATION))  # fmt: skip
    return items


_BIRTHDAY, _RELATIVE_GIFT = PRIORITY["client_birthday"], PRIORITY["relative_birthday_gift"]
_RELATIVE_GREETING = PRIORITY["relative_birthday_greeting"]
_PURCHASE_ANNIVERSARY, _EVENT_INVITATION = (
    PRIORITY["purchase_anniversary"],
    PRIORITY["event_invitation"],
)


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
        _fold(lead, other)
        kept[-1] = lead
    return kept


def _lead(run: list[_Item]) -> _Item:
    lead = min(run, key=lambda i: (-i.priority, i.date, i.occasion, i.relative_id or 0))
    others = [i for i in run if i is not lead]
    lead.merged = [i.occasion for i in others]
    if others:
        lead.params = {**lead.params, "merged": tuple(i.params for i in others)}
    for other in others:
        _fold(lead, other)
    return lead


def _fold(lead: _Item, other: _Item) -> None:
    """``other`` goes into ``lead``: the touchpoint keeps what covers it (and what was folded
    into it) once handled — occasion, relative, window — so it does not come back on its own
    after the message that carried it (:func:`_unhandled`)."""
    lead.folded.extend(
        [(other.occasion, other.relative_id, other.start.isoformat(), other.end.isoformat()),
         *other.folded]
    )  # fmt: skip


# --- filling and spacing ----------------------------------------------------------------------

_ROTATION = (PERSONAL, SELLING, USEFUL)


class _Filler:
    """DESIGN §3 step 4: the occasion pool for gaps, categories rotating, never selling next to
    selling (switched-off occasions are left out; the personal check-in is always there)."""

    __slots__ = ("pool", "turns")

    def __init__(self, client: PlanClient, selling: bool, disabled: frozenset[str]) -> None:
        last = max(client.purchases, key=_DATE_AMOUNT, default=None)
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
_DATE_AMOUNT = attrgetter("date", "amount")


def _fill(items: list[_Item], p0: date, end: date, standard: Standard, filler: _Filler,
          bound: _Bound, horizon: timedelta) -> None:  # fmt: skip
    """Insert fillers where neighbours (``p0`` and ``end`` count as edges) are > max_gap apart:
    between two contacts evenly spaced, so the spacing lies in (max_gap/2, max_gap] (>= min_gap);
    after the last one every max_gap days. The horizon's edge is not a contact, and moves a day
    every night: spacing the last stretch by it would move every one of its fillers each night,
    where a fixed step only adds one when the edge has moved max_gap days on (``bound`` learns
    that day)."""
    max_gap = standard.max_gap
    added = False
    prev_date, prev_cat = p0, None
    for item in [*items, None]:
        b, cat_b = (end, None) if item is None else (item.date, item.category)
        if b < prev_date:  # passed, before the spacing starts: not an edge
            continue
        gap = (b - prev_date).days
        if gap > max_gap:
            n = -(-gap // max_gap)
            prev = prev_cat
            for k in range(1, n):
                step = k * max_gap if item is None else k * gap // n
                new = filler.make(prev_date + timedelta(days=step), prev,
                                  cat_b if k == n - 1 else None)  # fmt: skip
                bound.at(new.date + _DAY)
                items.append(new)
                prev = new.category
            added = True
        if item is None:  # the last stretch gets one more filler once it is longer than n steps
            steps = max(-(-gap // max_gap), 1)
            bound.at(prev_date + timedelta(days=steps * max_gap + 1) - horizon)
        prev_date, prev_cat = b, cat_b
    if added:
        items.sort(key=_KEY)


def _fix_selling(items: list[_Item], standard: Standard, filler: _Filler | None,
                 bound: _Bound) -> bool:  # fmt: skip
    """Break up the first pair of consecutive selling touchpoints; False when there is none.
    A pair far enough apart gets a non-selling filler in the middle; otherwise the
    lower-priority one is folded into the other (it is named in ``merged_occasions``). A
    passed occasion (:func:`_opens`) gets no filler after it: it goes with the next one if
    that is near enough to fold, else nowhere."""
    for i in range(len(items) - 1):
        a, b = items[i], items[i + 1]
        if a.category != SELLING or b.category != SELLING or (a.manual and b.manual):
            continue
        gap = (b.date - a.date).days
        if gap >= 2 * standard.min_gap and a.priority == _PASSED:
            del items[i]
        elif filler is not None and gap >= 2 * standard.min_gap:
            new = filler.make(a.date + timedelta(days=gap // 2), SELLING, SELLING)
            bound.at(new.date + _DAY)
            items.append(new)
            items.sort(key=_KEY)
        else:
            keep, drop = (a, b) if (a.manual or (a.priority >= b.priority and not b.manual)) \
                else (b, a)  # fmt: skip
            keep.merged.extend([drop.occasion, *drop.merged])
            _fold(keep, drop)
            del items[i if drop is a else i + 1]
        return True
    return False


# --- the plan ---------------------------------------------------------------------------------


class Plan(NamedTuple):
    """A client's plan as :func:`plan_client` builds it.

    ``stable_until`` is the first day on which a plan built from the same input may come out
    different (``date.max``: never): on any day from the plan's day until the one before it,
    :func:`build_plan` gives the same touchpoints. A re-plan can leave a client whose input did
    not change alone until then (``docs/adr/0007-incremental-replan.md``)."""

    touchpoints: tuple[Touchpoint, ...]
    stable_until: date


class _Bound:
    """The earliest day so far on which the plan being built may change."""

    __slots__ = ("day",)

    def __init__(self) -> None:
        self.day = date.max

    def at(self, day: date) -> None:
        if day < self.day:
            self.day = day


def build_plan(client: PlanClient, standard: Standard, today: date) -> tuple[Touchpoint, ...]:
    """The client's touchpoints from ``today`` to the end of the client's horizon
    (:func:`horizon_days`), in date order."""
    return plan_client(client, standard, today).touchpoints


def plan_client(client: PlanClient, standard: Standard, today: date) -> Plan:
    """The client's touchpoints from ``today`` to the end of the client's horizon
    (:func:`horizon_days`), in date order, and the first day on which they may change.

    The plan depends on the day through a known set of rules, and each names the day it stops
    holding: a window opening or a date passing (every item built, merged and dropped ones too),
    an occasion entering the horizon, the last stretch getting one more filler, the first
    contact's day passing (the silent client's next cycle, or the end of the spacing after the
    last contact), a regular client becoming overdue for a win-back, and dated input (purchases,
    visits, a contact) that lies after ``today``."""
    if client.status not in STATUSES:
        raise ValueError(f"unknown status {client.status!r}")
    channel = choose_channel(client)
    if client.is_blacklisted or client.is_erased or channel is None:
        return Plan((), date.max)
    bound = _Bound()
    ctx = _context(standard, today, horizon_days(client.id, standard))
    end = ctx.end
    for p in client.purchases:
        if p.date > today:
            bound.at(p.date)
    for visited in client.visits:
        if visited > today:
            bound.at(visited)
    purchases = sorted([p for p in client.purchases if p.date <= today], key=_PURCHASE_DATE)
    last_visit = purchases[-1].date if purchases else None
    for visited in client.visits:
        if visited <= today and (last_visit is None or visited > last_visit):
            last_visit = visited
    last_contact = client.last_contact
    if last_contact is not None and last_contact > today:
        bound.at(last_contact)
        last_contact = None
    ref = max((d for d in (last_visit, last_contact) if d), default=None)
    p0 = today - timedelta(days=standard.min_gap)
    if ref is not None and ref >= p0:
        p0 = ref
    else:
        # No recent contact: such clients' first contacts are spread over the coming weeks, each
        # client on its own day of a fixed cycle (by id), so tomorrow's plan puts it on the same
        # date rather than one day later (a first contact counted from today would never come).
        cycle = min(standard.min_gap, standard.max_gap - standard.min_gap) + 1
        p0 += timedelta(days=(client.id - today.toordinal()) % cycle)
    earliest = p0 + timedelta(days=standard.min_gap)
    # The day after ``earliest`` a recent contact is no longer recent, or a silent client's
    # cycle starts again: p0 moves.

    if client.status == "former":
        items = _former(client, ctx, earliest, bound)
        if client.handled:
            items = _unhandled(items, client, bound, 0)
        items = _opens(items, ctx, bound, None)
        filler = None
    else:
        bound.at(earliest + _DAY)
        full = client.status != "new"
        anchors = _fixed_anchors(client, ctx, full, bound)
        after = _after_visit(client, ctx, purchases, last_visit, last_contact, earliest, bound)
        if client.handled:
            alive = PASSED_KEPT_DAYS
            anchors = _unhandled(anchors, client, bound, alive)
            after = _unhandled(after, client, bound, alive)
        # A passed occasion (its window over) goes with the touchpoint after it, until that one
        # has passed or been handled, or the client was contacted.
        seen = max((d for d in (ref, *(h.day for h in client.handled)) if d), default=None)
        anchors = _opens(anchors, ctx, bound, seen)
        after = _opens(after, ctx, bound, seen)
        items = _merge_close(_merge(anchors, standard.merge_window_days) + after, SAME_CONTACT_DAYS)
        filler = _Filler(client, full, ctx.disabled) if full else None
    for m in client.manual:
        if today <= m.date <= end:
            bound.at(m.date + _DAY)
            items.append(_Item(m.date, m.date, m.date, m.occasion, m.category, fixed=False,
                               may_break=True, priority=PRIORITY["manual"], manual=True,
                               channel=m.channel if m.channel in client.consented_channels
                               else None))  # fmt: skip
        elif m.date > end:
            bound.at(ctx.enters(m.date))
    items.sort(key=_KEY)
    # An overdue touchpoint will still be sent: gaps are filled from it, as they were while it
    # was ahead, rather than from the last contact the day it passes.
    fill_from = p0
    if client.last_overdue is not None and p0 < client.last_overdue < today:
        fill_from = client.last_overdue
    while True:
        if filler is not None:
            _fill(items, fill_from, end, standard, filler, bound, ctx.horizon)
        if not _fix_selling(items, standard, filler, bound):
            break
    if items and items[0].date < today:
        items = [i for i in items if i.date >= today]  # passed ones went with another or go
    for i in items:
        if i.folded:
            i.params = {**i.params, "folded": tuple(i.folded)}
    plan = [
        _new_touchpoint(i.date, i.start, i.end, i.occasion, i.category, i.channel or channel,
                        i.fixed, i.may_break, i.relative_id, tuple(i.merged), i.params, i.priority,
                        i.manual)
        for i in items
    ]  # fmt: skip
    return Plan(tuple(plan), bound.day)


STORED_LOOKAHEAD = 6  # days on which a stored plan is checked against its own rest


def plan_stored(client: PlanClient, standard: Standard, today: date) -> Plan:
    """:func:`plan_client` for a plan that is saved, with a later ``stable_until`` where it can.

    ``stable_until`` names the first day the plan *may* change; on that day it often does not,
    once the plan is stored: the rows of touchpoints whose day has passed come back as handled
    (overdue, sent or done) instead of being planned again, hand-made ones leave ``manual``, a
    handled one is read no more once its window is over (as the loader does); and a bound may be
    cautious (an occasion folded into another passes, the far end of the plan moves). So the
    plan is built as the loader would read the client on that day: if it is just the rest of
    this plan, the rows still hold, and the plan stays stable until what that day's plan names.
    Checked for the next few such days, one more plan each."""
    planned = plan_client(client, standard, today)
    rest, until = planned.touchpoints, planned.stable_until
    for _ in range(STORED_LOOKAHEAD):
        if until == date.max:
            break
        day = until
        kept_from = day - timedelta(days=HANDLED_KEPT_DAYS)
        passed = [t for t in rest if t.date < day]
        read = {name: getattr(client, name) for name in _CLIENT_FIELDS}
        read.update(
            last_overdue=max((t.date for t in passed), default=client.last_overdue),
            manual=tuple(m for m in client.manual if m.date >= day),
            handled=tuple(h for h in client.handled if h.window_end >= kept_from) + tuple(
                _new_handled(t.occasion, t.relative_id, t.window_start, t.window_end, t.date,
                             folded_of(t.reason_params.get("folded")))
                for t in passed
                if not t.is_manual and t.window_end >= kept_from
            ),
        )  # fmt: skip
        client = new_plan_client(**read)  # ``replace`` without the checks of ``__init__``
        ahead = plan_client(client, standard, day)
        if ahead.touchpoints != rest[len(passed) :]:
            break
        rest, until = ahead.touchpoints, ahead.stable_until
    return Plan(planned.touchpoints, until)


def _opens(items: list[_Item], ctx: _Context, bound: _Bound, seen: date | None) -> list[_Item]:
    """The first day any of these items may change: the day after its date (then it is held at
    today while its window is open, or passed). Merged ones count: they decide merges.

    A passed item (its window over, :meth:`_Context.place`) is never sent: it leads no merge,
    and goes with the touchpoint it is folded into (which names it in ``merged_occasions``)
    for up to :data:`PASSED_KEPT_DAYS`, until a touchpoint after it has been handled (sent,
    passed, cancelled, placed by hand) or the client was contacted (``seen``: the day of the
    last handled one or of the last contact). Kept going, it would fold differently
    each day it is held at today and leave the touchpoint it went into the day its window
    closes, on every client at once around a holiday; had it been its own touchpoint, that
    one's row covers it (``_unhandled``). Returns the items kept."""
    today, gone = ctx.today, _GONE
    kept = []
    for i in items:
        if i.date >= today:
            bound.at(i.date + _DAY)
        elif seen is None or seen <= i.date:
            i.priority = _PASSED
            i.key = (i.date, 1, i.occasion, i.relative_id or 0)
            bound.at(i.date + gone)
        else:
            continue
        kept.append(i)
    return kept


def _unhandled(items: list[_Item], client: PlanClient, bound: _Bound, alive: int
               ) -> list[_Item]:  # fmt: skip
    """The items no handled touchpoint covers: the same occasion and relative in an overlapping
    window, its own or that of an occasion folded into it (a message that carried an occasion
    is not followed by one for it). ``bound`` learns when a dropped one may come back: the day
    a loader stops reading its cover (:data:`HANDLED_KEPT_DAYS` after the cover's window), if
    the item is still there then (``alive`` days after its window)."""
    done: dict[tuple[str, int | None], list[tuple[date, date, date]]] = {}
    for h in client.handled:
        last = h.window_end
        done.setdefault((h.occasion, h.relative_id), []).append((h.window_start, last, last))
        for occasion, relative_id, start, end in h.folded:
            done.setdefault((occasion, relative_id), []).append(
                (date.fromisoformat(start), date.fromisoformat(end), last)
            )
    kept: list[_Item] = []
    for i in items:
        covers = [last for start, end, last in done.get((i.occasion, i.relative_id), ())
                  if start <= i.end and i.start <= end]  # fmt: skip
        if covers:
            gone = min(covers) + _KEPT
            if i.end + timedelta(days=alive) >= gone:
                bound.at(gone)
        else:
            kept.append(i)
    return kept


def _after_visit(client: PlanClient, ctx: _Context, purchases: list[PlanPurchase],
                 last_visit: date | None, last_contact: date | None,
                 earliest: date, bound: _Bound) -> list[_Item]:  # fmt: skip
    """Thank-you, feedback, care tips and win-back: what the last visit and the rhythm ask for
    (``purchases``: those up to today, by date). ``bound`` learns when one beyond the horizon
    enters it and when the client becomes overdue for a win-back."""
    today, end, disabled, standard = ctx.today, ctx.end, ctx.disabled, ctx.standard
    items: list[_Item] = []
    params: dict[str, Any]
    if client.status == "new" and purchases and "thank_you" not in disabled:
        first = purchases[0]
        if not (last_contact and last_contact >= first.date):
            where = ctx.place(first.date, 0, 1)
            if where is not None:
                params = {"purchase_date": first.date.isoformat(), "items": first.items}
                items.append(_Item(*where, "thank_you", PERSONAL, True, False, None, params,
                                   _THANK_YOU))  # fmt: skip
    if last_visit and not (last_contact and last_contact > last_visit + _DAY) \
            and "feedback" not in disabled:  # fmt: skip
        where = ctx.place_for(last_visit + _TWO_DAYS, 0, 5, bound)
        if where is not None:
            params = {"visit_date": last_visit.isoformat()}
            items.append(_Item(*where, "feedback", USEFUL, False, True, None, params, _FEEDBACK))
    flexible: list[_Item] = []
    if client.status in ("dormant", "regular", "vip") and "win_back" not in disabled:
        interval = typical_interval(client)
        ratio = (today - purchases[-1].date).days / interval if interval and purchases else None
        if client.status == "dormant" or (
            ratio is not None and ratio > standard.overdue_ratio_winback
        ):
            # Dates, not day counts: a reason that changed every day would rewrite the row
            # every night; the page counts the days when it shows them.
            params = {
                "last_purchase_date": purchases[-1].date.isoformat() if purchases else None,
                "typical_interval_days": interval,
            }
            flexible.append(_Item(earliest, earliest, earliest + _DAYS[7], "win_back", SELLING,
                                  False, False, None, params, _WIN_BACK))  # fmt: skip
        elif ratio is not None and interval:
            bound.at(_overdue_from(purchases[-1].date, interval, standard.overdue_ratio_winback))
    if purchases and "care_tips" not in disabled:
        last = purchases[-1]
        when = max(last.date + _DAYS[28], earliest)
        if end < when <= last.date + _DAYS[42]:
            bound.at(ctx.enters(when))
        if today <= when <= min(last.date + _DAYS[42], end):
            flexible.append(_Item(when, last.date + _DAYS[21], last.date + _DAYS[42],
                                  "care_tips", USEFUL, False, False, None,
                                  {"purchase_date": last.date.isoformat(), "items": last.items},
                                  _CARE_TIPS))  # fmt: skip
    if len(flexible) == 2 and abs((flexible[1].date - flexible[0].date).days) < standard.min_gap:
        del flexible[1]  # keep the flexible ones apart from each other; win-back comes first
    return items + flexible


def _overdue_from(last: date, interval: float, ratio: float) -> date:
    """The first day on which ``(day - last) / interval > ratio`` (the same float sums as the
    planner's test, so the day is exact)."""
    days = max(int(ratio * interval), 0)
    while days / interval <= ratio:
        days += 1
    while days > 0 and (days - 1) / interval > ratio:
        days -= 1
    try:
        return last + timedelta(days=days)
    except OverflowError:
        return date.max


_KEPT = timedelta(days=HANDLED_KEPT_DAYS + 1)
_PASSED = -1  # the priority of a passed occasion: it leads nothing
_GONE = timedelta(days=PASSED_KEPT_DAYS + 1)
_THANK_YOU, _FEEDBACK = PRIORITY["thank_you"], PRIORITY["feedback"]
_WIN_BACK, _CARE_TIPS = PRIORITY["win_back"], PRIORITY["care_tips"]


_PURCHASE_DATE = attrgetter("date")


def _former(client: PlanClient, ctx: _Context, earliest: date, bound: _Bound) -> list[_Item]:
    """A former client: the New Year greeting and up to ``former_per_year - 1`` pieces of news,
    spread evenly over the year that follows each New Year, so any 365 days hold at most
    ``former_per_year``. ``bound`` learns when one beyond the horizon enters it, and when the
    spacing that holds news back moves."""
    items: list[_Item] = []
    standard, today, end = ctx.standard, ctx.today, ctx.end
    if standard.former_per_year == 0:
        return items
    greet_on = "former_new_year" not in ctx.disabled
    news_on = "new_arrivals" not in ctx.disabled and standard.former_per_year > 1
    if news_on:  # news comes no sooner than ``earliest``, which moves the day after it
        bound.at(earliest + _DAY)
    for year in ctx.years:
        new_year = date(year, 1, 1)
        greet = new_year - _DAY
        if greet_on and greet > end:
            bound.at(ctx.enters(greet))
        if greet_on and today <= greet <= end:
            items.append(_Item(greet, greet - 2 * _DAY, greet, "former_new_year", PERSONAL,
                               params={"holiday_date": new_year.isoformat()},
                               priority=PRIORITY["former_new_year"]))  # fmt: skip
        if not news_on:
            continue
        for k in range(1, standard.former_per_year):
            news = greet + timedelta(days=k * 365 // standard.former_per_year)
            if news > end:
                bound.at(ctx.enters(news))
            if max(today, earliest) <= news <= end:
                items.append(_Item(news, news, news + 7 * _DAY, "new_arrivals", SELLING,
                                   fixed=False, params={"preferences": client.preferences},
                                   priority=PRIORITY["new_arrivals"]))  # fmt: skip
    return items
