"""Per-client numbers other than BG/NBD: rhythm, churn signals, customer type, status (DESIGN §4).

Pure functions over frozen dataclasses, no Django: the ``insights`` app loads a client into a
:class:`History`, calls :func:`figures` and saves the :class:`Figures` it gets back. Built for the
nightly batch over a million clients: one pass over the receipts (sorted only when they do not
come in date order) and two over the contacts; about 28 µs for a client with 10–20 receipts in
date order on one core of a shared EPYC (about 32 µs when they come shuffled).

Decisions (each one is explained again where it is applied):

1. *As of today.* Receipts, visits and contacts dated after ``today`` are ignored, so the figures
   can be computed for a past day; "days since" is never negative. "The last N days" are today and
   the N − 1 days before it (a receipt 365 days old has left the year on the day its client turns
   former).
2. *Purchases.* A purchase is a receipt; a purchase day is a day with at least one receipt. Net =
   total − returned; a return counts against the receipt it refunds (its own date is not known).
3. *Rhythm.* Gaps in days between consecutive purchase days. Interval = median gap; usual range =
   25th–75th percentile of the gaps (linear interpolation, so low ≤ interval ≤ high);
   regularity = 1 − min(1, (high − low) / interval): how narrow the usual range is compared with
   the interval. One gap has nothing to compare with: regularity 0.
4. *A rhythm to judge by* needs at least 2 gaps (3 purchase days): a second purchase a few days
   after the first is not a rhythm. The overdue signal and rhythm-based dormancy use it; a client
   with fewer gaps is dormant after ``dormant_days``.
5. *Churn signals* (codes in this order, each only with enough history):
   ``basket_shrinking``: ≥ 5 receipts and the average net ticket of the last 3 is ≥ 30 % below the
   average of the earlier ones. ``intervals_lengthening``: ≥ 4 gaps and the mean of the last 2 is
   ≥ 1.5 × the median of the earlier ones. ``returns``: a receipt of the last 180 days with a
   refund, a return share ≥ 20 %, or a logged complaint in the last 180 days. ``unanswered``: the
   last ``unanswered_streak`` contacts had no reply (a message sent less than 7 days ago is still
   waiting and not counted), or the client declined or opted out in the last 180 days without
   replying since. ``services_dropped``: the last receipt with an extra service is followed by
   ≥ 3 receipts, or by at least one and is 365 days old or more. ``overdue``: a rhythm to judge by
   and days since the last purchase ≥ 1.5 × interval, but not yet former.
6. *Customer type* (seed article), first match wins: ``unknown`` (fewer than 2 purchase days,
   unless visits already show a wanderer) → ``discount`` (discount share ≥ 25 % or more than half
   the receipts bought at ≥ 20 % off) → ``loyal`` (≥ 3 purchase days, regularity ≥ 0.5) →
   ``wandering`` (visits without a purchase ≥ 2 and ≥ 2 × purchase days) → ``need`` (more than half
   the receipts hold at most one article besides services) → ``impulse`` (the rest: irregular
   buyers of several things at once).
7. *Status*, first match wins: never bought → ``former`` when the card is ``former_days`` old,
   else ``new``; bought today → never dormant or former; no purchase for ``former_days`` →
   ``former``; overdue by ``dormant_ratio`` × interval (or ``dormant_days`` without a rhythm to
   judge by) or P(alive) < 0.3 → ``dormant``; net revenue of the last 365 days ≥ ``vip_revenue``
   → ``vip``; ≥ ``regular_purchases`` receipts → ``regular``; else ``new``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import Any

STATUSES = ("new", "regular", "vip", "dormant", "former")
SIGNALS = (
    "basket_shrinking",
    "intervals_lengthening",
    "returns",
    "unanswered",
    "services_dropped",
    "overdue",
)
TYPES = ("loyal", "discount", "impulse", "need", "wandering", "unknown")
# Contact outcomes in which the client answered (a complaint is an answer too, if an unhappy one).
REPLIES = frozenset({"replied", "visit_booked", "complaint"})
COMPLAINT = "complaint"  # not logged by the shop yet; counted by the ``returns`` signal when it is

YEAR_DAYS = 365  # "the last 365 days": revenue of the year, a service no longer taken
RECENT_DAYS = 180  # "recently": a return, a complaint, a decline or an opt-out
MIN_RHYTHM_GAPS = 2  # gaps a rhythm needs before overdue and dormancy are judged by it
BASKET_MIN_RECEIPTS = 5  # 3 recent receipts against at least 2 earlier ones
BASKET_RECENT = 3
BASKET_DROP = 0.30  # the recent average is at least this much below the earlier one
INTERVALS_MIN_GAPS = 4  # 2 recent gaps against at least 2 earlier ones
INTERVALS_RECENT = 2
INTERVALS_RATIO = 1.5
RETURN_SHARE = 0.20
REPLY_GRACE_DAYS = 7  # a message sent less than this many days ago is still waiting for a reply
SERVICES_RECEIPTS = 3  # receipts without a service after the last one that had one
OVERDUE_RATIO = 1.5
P_ALIVE_DORMANT = 0.3
DISCOUNT_SHARE = 0.25  # discount / (paid + discount) over all receipts
DISCOUNTED_RECEIPT = 0.20  # a receipt "bought on discount": at least this share of its price off
LOYAL_MIN_DAYS = 3
LOYAL_REGULARITY = 0.5
WANDERING_MIN_VISITS = 2
WANDERING_RATIO = 2
_EPS = 1e-9  # ratios exactly at a threshold count as reaching it despite float rounding
_DISCOUNTED = DISCOUNTED_RECEIPT * (1 - _EPS)
_RECENT = timedelta(days=RECENT_DAYS)
_REPLY_GRACE = timedelta(days=REPLY_GRACE_DAYS)


@dataclass(frozen=True, slots=True)
class Sale:
    """One receipt: what was paid, the discount given, what was refunded later, units, services."""

    day: date
    total: float  # paid, after discounts, before returns
    discount: float  # discount given on the receipt (≥ 0)
    returned: float  # refunded later for this receipt (≥ 0)
    items: int  # units on the receipt
    services: int = 0  # units that are extra services (repair, cleaning, engraving, gift wrap…)


@dataclass(frozen=True, slots=True)
class Touch:
    """A contact logged by the shop and its outcome so far."""

    day: date
    outcome: str  # "sent", "replied", "no_answer", "visit_booked", "declined", "opted_out"


@dataclass(frozen=True, slots=True)
class History:
    """Everything the figures are computed from: the card's date, receipts, visits, contacts."""

    created: date  # card created
    sales: tuple[Sale, ...]  # any order
    visits: tuple[date, ...] = ()  # visits without a purchase
    contacts: tuple[Touch, ...] = ()


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A store's settings for statuses and the unanswered signal, with the defaults."""

    regular_purchases: int = 3  # ≥ this many purchases → regular
    vip_revenue: float = 2_500_000.0  # net revenue over the last 365 days ≥ this → VIP (RUB)
    dormant_ratio: float = 2.0  # days since last purchase ≥ ratio × own interval → dormant
    dormant_days: int = 180  # without a rhythm to judge by: dormant after this many days
    former_days: int = 365  # no purchase for this long → former
    unanswered_streak: int = 3  # this many contacts in a row without a reply → signal


@dataclass(frozen=True, slots=True)
class Rhythm:
    """How often the client buys: typical gap, usual range, regularity and how late they are now."""

    interval: float  # median gap between purchase days, in days
    low: float  # 25th percentile of the gaps
    high: float  # 75th percentile of the gaps
    regularity: float  # 0..1, 1 = perfectly regular; 0 with a single gap
    gaps: int  # number of gaps it is based on
    days_since: int  # days since the last purchase day
    overdue_ratio: float  # days_since / interval


@dataclass(frozen=True, slots=True)
class Signal:
    """A sign that the client may be leaving, with the numbers the card shows for it."""

    code: str
    evidence: dict[str, float | int | str]


@dataclass(frozen=True, slots=True)
class ClientType:
    """The client's buying type from the seed article, with the numbers it was decided on."""

    code: str
    evidence: dict[str, float | int | str]


@dataclass(frozen=True, slots=True)
class Figures:
    """Every number about one client that is not BG/NBD, as of one day."""

    purchases: int
    first: date | None
    last: date | None
    recency_days: int | None  # today − last purchase day
    frequency: int  # repeat purchase days (distinct days − 1)
    revenue: float  # net: total − returned, all time
    revenue_year: float  # net over the last 365 days
    average_ticket: float  # net revenue / purchases (0 when none)
    discount_share: float  # discount / (total + discount) over all sales
    return_share: float  # returned / total
    rhythm: Rhythm | None  # None with fewer than 2 purchase days
    signals: tuple[Signal, ...]
    kind: ClientType
    status: str  # "new", "regular", "vip", "dormant", "former"


def _constructor[T](cls: type[T]) -> Callable[..., T]:
    """A positional constructor for a frozen slotted dataclass (no ``__post_init__``) that fills the
    slots directly: the generated ``__init__`` calls ``object.__setattr__`` once per field, which
    makes it 2–4× slower, and the nightly batch builds several of these per client."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__ that this would skip")
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    scope |= {f"_set_{name}": getattr(cls, name).__set__ for name in names}
    body = "".join(f"    _set_{name}(_o, {name})\n" for name in names)
    exec(f"def make({', '.join(names)}):\n    _o = _new(_cls)\n{body}    return _o\n", scope)
    make: Callable[..., T] = scope["make"]
    return make


_new_rhythm = _constructor(Rhythm)
_new_signal = _constructor(Signal)
_new_type = _constructor(ClientType)
_new_figures = _constructor(Figures)


class _Facts:
    """What one pass over a history yields; shared by the rules so nothing is computed twice."""

    __slots__ = (
        "complaints",
        "created_age",
        "days",
        "declined_on",
        "discount",
        "discounted",
        "gaps",
        "last_reply",
        "nets",
        "opted_out_on",
        "recent_returned",
        "recent_returns",
        "returned",
        "rhythm",
        "service_at",
        "service_day",
        "single",
        "streak",
        "today",
        "total",
        "visits",
        "year",
    )
    today: int  # ordinal of the day the figures are for
    created_age: int  # days since the card was created
    days: list[int]  # ordinals of the distinct purchase days, ascending
    nets: list[float]  # net ticket of each receipt, in date order
    total: float
    discount: float
    returned: float
    year: float  # net revenue of the last 365 days
    recent_returned: float  # refunded on receipts of the last 180 days
    recent_returns: int  # receipts of the last 180 days with a refund
    discounted: int  # receipts bought on discount
    single: int  # receipts with at most one article besides services
    service_at: int  # index in ``nets`` of the last receipt with a service, −1 if none
    service_day: int  # ordinal of its day, −1 if none
    rhythm: Rhythm | None
    gaps: list[int]  # gaps between purchase days, in date order
    visits: int  # visits without a purchase, up to today
    streak: int  # trailing contacts without a reply
    complaints: int  # complaints of the last 180 days
    last_reply: str  # ISO date of the last reply, "" if none
    declined_on: str  # ISO date of a decline in the last 180 days with no reply since, or ""
    opted_out_on: str  # the same for an opt-out

    def __init__(self, history: History, today: date) -> None:
        t = today.toordinal()
        self.today = t
        self.created_age = t - history.created.toordinal()
        # Receipts usually come in date order: read them as they are and sort only when they are
        # not; receipts sharing a day are put in one order by all their fields, so the result
        # never depends on the order they came in.
        sales = history.sales
        if not self._receipts(sales, t, strict=True):
            by_day = sorted(sales, key=_DAY_ORDER)
            if not self._receipts(by_day, t, strict=True):
                self._receipts(sorted(by_day, key=_RECEIPT_ORDER), t, strict=False)
        self.rhythm = _rhythm(self.gaps, t - self.days[-1]) if self.gaps else None
        visits = history.visits
        if not visits:
            self.visits = 0
        elif max(visits) <= today:
            self.visits = len(visits)
        else:
            self.visits = sum(1 for v in visits if v <= today)
        self._contacts(history.contacts, today)

    def _receipts(self, sales: Sequence[Sale], t: int, *, strict: bool) -> bool:
        """One pass over the receipts up to day ``t`` in date order; with ``strict`` it gives up
        (returns False, sets nothing) at a receipt not on a later day than the one before."""
        days: list[int] = []
        gaps: list[int] = []
        nets: list[float] = []
        total = discount = returned = year = recent_returned = 0.0
        recent_returns = discounted = single = 0
        service_at = service_day = -1
        year_start = t - YEAR_DAYS  # a receipt of the last 365 days is on a later day than this
        recent_start = t - RECENT_DAYS
        prev = 0
        for sale in sales:
            o = sale.day.toordinal()
            if o > t:
                continue
            if o > prev:
                if prev:
                    gaps.append(o - prev)
                days.append(o)
                prev = o
            elif strict:
                return False
            net = sale.total - sale.returned
            total += sale.total
            discount += sale.discount
            if sale.returned > 0:
                returned += sale.returned
                if o > recent_start:
                    recent_returned += sale.returned
                    recent_returns += 1
            if o > year_start:
                year += net
            if sale.discount > 0 and sale.discount >= _DISCOUNTED * (sale.total + sale.discount):
                discounted += 1
            if sale.items - sale.services <= 1:
                single += 1
            if sale.services > 0:
                service_at = len(nets)
                service_day = o
            nets.append(net)
        self.days = days
        self.gaps = gaps
        self.nets = nets
        self.total = total
        self.discount = discount
        self.returned = returned
        self.year = year
        self.recent_returned = recent_returned
        self.recent_returns = recent_returns
        self.discounted = discounted
        self.single = single
        self.service_at = service_at
        self.service_day = service_day
        return True

    def _contacts(self, contacts: tuple[Touch, ...], today: date) -> None:
        """The contacts after the last reply (a reply closes the messages of its own day): how many
        went unanswered, the latest decline and opt-out among them; complaints of 180 days."""
        streak = complaints = 0
        last_reply = declined = opted_out = None
        if contacts:
            recent = today - _RECENT  # on a later day than this: within the last 180 days
            waiting = today - _REPLY_GRACE  # "sent" on a later day than this: still waiting
            for c in contacts:
                if c.outcome in REPLIES and c.day <= today:
                    if last_reply is None or c.day > last_reply:
                        last_reply = c.day
                    if c.outcome == COMPLAINT and c.day > recent:
                        complaints += 1
            for c in contacts:
                day = c.day
                if day > today or (last_reply is not None and day <= last_reply):
                    continue
                outcome = c.outcome
                if outcome == "sent" and day > waiting:
                    continue
                streak += 1
                if day > recent:
                    if outcome == "declined":
                        if declined is None or day > declined:
                            declined = day
                    elif outcome == "opted_out" and (opted_out is None or day > opted_out):
                        opted_out = day
        self.streak = streak
        self.complaints = complaints
        self.last_reply = last_reply.isoformat() if last_reply is not None else ""
        self.declined_on = declined.isoformat() if declined is not None else ""
        self.opted_out_on = opted_out.isoformat() if opted_out is not None else ""


_DAY_ORDER = attrgetter("day")
_RECEIPT_ORDER = attrgetter("day", "total", "returned", "discount", "items", "services")


def _quantile(ordered: Sequence[float], p: float) -> float:
    """The p-quantile of a sorted non-empty list, linearly interpolated (NumPy's default)."""
    pos = p * (len(ordered) - 1)
    i = int(pos)
    frac = pos - i
    if frac == 0.0:
        return float(ordered[i])
    return ordered[i] + frac * (ordered[i + 1] - ordered[i])


def _rhythm(gaps: list[int], since: int) -> Rhythm:
    """The rhythm of a non-empty list of gaps between purchase days, ``since`` days on."""
    if len(gaps) == 1:
        gap = float(gaps[0])
        return _new_rhythm(gap, gap, gap, 0.0, 1, since, since / gap)
    ordered = sorted(gaps)
    n = len(ordered)
    half, odd = divmod(n, 2)
    interval = float(ordered[half]) if odd else (ordered[half - 1] + ordered[half]) / 2
    low = _quantile(ordered, 0.25)
    high = _quantile(ordered, 0.75)
    regularity = 1.0 - min(1.0, (high - low) / interval)
    return _new_rhythm(interval, low, high, regularity, n, since, since / interval)


def rhythm(days: Sequence[date], today: date) -> Rhythm | None:
    """How often a client buys, from purchase days in any order (repeats and later days ignored).

    Gaps are counted between distinct days; the interval is their median, the usual range their
    25th–75th percentile, regularity 1 − (high − low) / interval (0 with one gap): "usually buys
    every 7–9 weeks; 12 weeks now". ``None`` with fewer than 2 purchase days.
    """
    t = today.toordinal()
    ordinals = sorted({d.toordinal() for d in days if d <= today})
    if len(ordinals) < 2:
        return None
    return _rhythm([b - a for a, b in pairwise(ordinals)], t - ordinals[-1])


def _signals(f: _Facts, th: Thresholds) -> tuple[Signal, ...]:
    """The churn signals that fire, in the order of ``SIGNALS``."""
    out: list[Signal] = []
    nets = f.nets
    n = len(nets)
    if n >= BASKET_MIN_RECEIPTS:
        recent_sum = sum(nets[-BASKET_RECENT:])
        recent = recent_sum / BASKET_RECENT
        earlier = (f.total - f.returned - recent_sum) / (n - BASKET_RECENT)
        if earlier > 0 and recent <= (1 - BASKET_DROP) * earlier * (1 + _EPS):
            out.append(
                _new_signal(
                    "basket_shrinking",
                    {
                        "recent_avg": recent,
                        "earlier_avg": earlier,
                        "change": recent / earlier - 1,
                        "recent_count": BASKET_RECENT,
                        "earlier_count": n - BASKET_RECENT,
                    },
                )
            )
    gaps = f.gaps
    if len(gaps) >= INTERVALS_MIN_GAPS:
        recent_gap = sum(gaps[-INTERVALS_RECENT:]) / INTERVALS_RECENT
        earlier_gap = _quantile(sorted(gaps[:-INTERVALS_RECENT]), 0.5)
        ratio = recent_gap / earlier_gap
        if ratio >= INTERVALS_RATIO * (1 - _EPS):
            out.append(
                _new_signal(
                    "intervals_lengthening",
                    {"recent_gap": recent_gap, "earlier_gap": earlier_gap, "ratio": ratio},
                )
            )
    share = f.returned / f.total if f.total > 0 else 0.0
    if f.recent_returns or f.complaints or share >= RETURN_SHARE * (1 - _EPS):
        out.append(
            _new_signal(
                "returns",
                {
                    "returned_recent": f.recent_returned,
                    "returns_recent": f.recent_returns,
                    "return_share": share,
                    "complaints_recent": f.complaints,
                },
            )
        )
    if f.streak >= max(1, th.unanswered_streak) or f.declined_on or f.opted_out_on:
        out.append(
            _new_signal(
                "unanswered",
                {
                    "streak": f.streak,
                    "last_reply": f.last_reply,
                    "declined_on": f.declined_on,
                    "opted_out_on": f.opted_out_on,
                },
            )
        )
    if f.service_at >= 0:
        since = n - 1 - f.service_at
        age = f.today - f.service_day
        if since >= SERVICES_RECEIPTS or (since >= 1 and age >= YEAR_DAYS):
            out.append(
                _new_signal(
                    "services_dropped",
                    {
                        "last_service": date.fromordinal(f.service_day).isoformat(),
                        "days_since_service": age,
                        "purchases_since": since,
                    },
                )
            )
    r = f.rhythm
    if (
        r is not None
        and r.gaps >= MIN_RHYTHM_GAPS
        and r.days_since < th.former_days
        and r.overdue_ratio >= OVERDUE_RATIO * (1 - _EPS)
    ):
        out.append(
            _new_signal(
                "overdue",
                {
                    "days_since": r.days_since,
                    "interval": r.interval,
                    "low": r.low,
                    "high": r.high,
                    "ratio": r.overdue_ratio,
                },
            )
        )
    return tuple(out)


def churn_signals(
    history: History, today: date, thresholds: Thresholds = Thresholds()
) -> tuple[Signal, ...]:
    """The signs that a client may be leaving, each with the numbers the card shows for it.

    The rules are the module's decision 5; the evidence (amounts net, gaps and ages in days, dates
    as ISO strings, "" when there is none):

    - ``basket_shrinking``: recent_avg, earlier_avg, change (recent / earlier − 1), recent_count,
      earlier_count;
    - ``intervals_lengthening``: recent_gap (mean of the last 2), earlier_gap (median), ratio;
    - ``returns``: returned_recent, returns_recent (receipts), return_share, complaints_recent;
    - ``unanswered``: streak (contacts without a reply since the last one), last_reply,
      declined_on, opted_out_on;
    - ``services_dropped``: last_service, days_since_service, purchases_since;
    - ``overdue``: days_since, interval, low, high, ratio ("every 7–9 weeks; 12 weeks now").
    """
    return _signals(_Facts(history, today), thresholds)


def _type(f: _Facts) -> ClientType:
    """The first type whose rule matches, in the module's decision 6 order."""
    n = len(f.nets)
    purchase_days = len(f.days)
    visits = f.visits
    paid_and_off = f.total + f.discount
    discount_share = f.discount / paid_and_off if paid_and_off > 0 else 0.0
    discounted_share = f.discounted / n if n else 0.0
    single_share = f.single / n if n else 0.0
    regularity = f.rhythm.regularity if f.rhythm is not None else 0.0
    wandering = visits >= WANDERING_MIN_VISITS and visits >= WANDERING_RATIO * purchase_days
    if purchase_days < 2 and not wandering:
        code, reason = "unknown", "too_little_history"
    elif purchase_days >= 2 and discount_share >= DISCOUNT_SHARE * (1 - _EPS):
        code, reason = "discount", "discount_share"
    elif purchase_days >= 2 and 2 * f.discounted > n:
        code, reason = "discount", "discounted_receipts"
    elif purchase_days >= LOYAL_MIN_DAYS and regularity >= LOYAL_REGULARITY * (1 - _EPS):
        code, reason = "loyal", "regular_rhythm"
    elif wandering:
        code, reason = "wandering", "visits_without_purchase"
    elif 2 * f.single > n:
        code, reason = "need", "single_item_receipts"
    else:
        code, reason = "impulse", "several_items_irregular"
    evidence: dict[str, float | int | str] = {
        "reason": reason,
        "purchase_days": purchase_days,
        "visits": visits,
        "discount_share": discount_share,
        "discounted_share": discounted_share,
        "regularity": regularity,
        "single_item_share": single_share,
    }
    if code == "impulse":
        ordered = sorted(f.nets)
        typical = _quantile(ordered, 0.5)
        evidence["largest_ticket_ratio"] = ordered[-1] / typical if typical > 0 else 0.0
    return _new_type(code, evidence)


def client_type(history: History, today: date) -> ClientType:
    """The client's buying type from the seed article, or ``unknown`` with too little history.

    The rules and their precedence are the module's decision 6. The evidence always holds reason
    (which rule matched), purchase_days, visits, discount_share, discounted_share (receipts bought
    at ≥ 20 % off), regularity and single_item_share; an impulse buyer's also holds
    largest_ticket_ratio (largest net ticket ÷ median net ticket: the one-off bigger purchases).
    """
    return _type(_Facts(history, today))


def _status(f: _Facts, th: Thresholds, p_alive: float | None) -> str:
    """The first status whose rule matches, in the module's decision 7 order."""
    n = len(f.nets)
    if n == 0:
        return "former" if f.created_age >= th.former_days else "new"
    since = f.today - f.days[-1]
    if since > 0:
        if since >= th.former_days:
            return "former"
        r = f.rhythm
        if r is not None and r.gaps >= MIN_RHYTHM_GAPS:
            dormant = since >= th.dormant_ratio * r.interval * (1 - _EPS)
        else:
            dormant = since >= th.dormant_days
        if dormant or (p_alive is not None and p_alive < P_ALIVE_DORMANT):
            return "dormant"
    if f.year >= th.vip_revenue:
        return "vip"
    if n >= th.regular_purchases:
        return "regular"
    return "new"


def status(
    history: History,
    today: date,
    thresholds: Thresholds = Thresholds(),
    *,
    p_alive: float | None = None,
) -> str:
    """new, regular, vip, dormant or former; see the module's decision 7 for the order of rules.

    A client who bought today is never dormant or former, whatever a P(alive) computed before the
    purchase says.
    """
    return _status(_Facts(history, today), thresholds, p_alive)


def figures(
    history: History,
    today: date,
    thresholds: Thresholds = Thresholds(),
    *,
    p_alive: float | None = None,
) -> Figures:
    """Every number about one client as of ``today``, from one pass over the history."""
    f = _Facts(history, today)
    n = len(f.nets)
    revenue = f.total - f.returned
    paid_and_off = f.total + f.discount
    return _new_figures(
        n,  # purchases
        date.fromordinal(f.days[0]) if n else None,  # first
        date.fromordinal(f.days[-1]) if n else None,  # last
        f.today - f.days[-1] if n else None,  # recency_days
        len(f.days) - 1 if n else 0,  # frequency
        revenue,
        f.year,  # revenue_year
        revenue / n if n else 0.0,  # average_ticket
        f.discount / paid_and_off if paid_and_off > 0 else 0.0,  # discount_share
        f.returned / f.total if f.total > 0 else 0.0,  # return_share
        f.rhythm,
        _signals(f, thresholds),
        _type(f),  # kind
        _status(f, thresholds, p_alive),
    )
