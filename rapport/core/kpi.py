"""Store and company KPIs (DESIGN §4): pure NumPy over every purchase and contact in scope.

The Django side loads whole columns with ``values_list`` (one store or a whole company, up to
about ten million purchases) and passes them here as aligned arrays; nothing below loops over
rows in Python. Row order never matters. Percentages are returned as percentages (``82.5``), each
with the numbers it was computed from (:class:`Ratio`), so a page can show "75 % (3 of 4)".

Definitions (the source articles give the formulas; the boundaries are chosen here and tested):

- A row of :class:`Sales` is one purchase (a receipt) with its net amount. Counts of purchases
  are counts of distinct purchase *days*: two receipts on one day are one visit.
- A client "is a client" at the close of day D when they bought in the ``active_days`` days
  ending with D (D − active_days < purchase day ≤ D). The period's start is the close of the day
  before its first day; its end is the close of its last day.
- CRR = (clients at end − new clients) ÷ clients at start × 100, where new = first purchase ever
  inside the period. The numerator is counted as the clients at the end whose first purchase is
  before the period, which equals end − new whenever the period is not longer than
  ``active_days`` and never goes negative when it is.
- Outreach: a contact brings the client back when the client buys 1 … ``window_days`` days after
  the contact day. A purchase on the contact's own day does not count: days carry no time, and
  the thank-you logged after a purchase would otherwise claim the purchase that caused it. Each
  purchase goes to the latest contact before it (among same-day contacts, the last one passed),
  and a contact counts as returned when it holds at least one purchase (one overtaken by a later
  contact before the client came does not count). A contact made after the period can
  take a purchase from a contact made in it, so periods add up. Pass contacts from
  ``period.start`` to ``period.end + window_days``; purchases up to ``period.end + window_days``.
- NPS bands: the seed gives "> 50 excellent, 10–45 to improve, < 10 poor" and leaves 45–50
  open. Excellent needs strictly more than 50, so everything from 10 up to and including 50 is
  the middle band, coded ``"good"`` (shown as "to improve"); below 10 is ``"poor"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_DAY = timedelta(days=1)
_EPOCH = date(1970, 1, 1).toordinal()  # day number of numpy's datetime64 zero
_KEY_LIMIT = 1 << 62  # (client, day) keys must stay below this to fit in int64

NPS_EXCELLENT = "excellent"
NPS_GOOD = "good"  # the seed's "to improve" band: 10 ≤ score ≤ 50
NPS_POOR = "poor"
NPS_BANDS = (NPS_EXCELLENT, NPS_GOOD, NPS_POOR)


# --- inputs and outputs ------------------------------------------------------------------------


def _coerce(obj: object, **dtypes: type[np.generic]) -> None:
    """Turn the named fields of a frozen dataclass into aligned 1-D arrays of the given dtypes."""
    arrays = {name: np.asarray(getattr(obj, name), dtype=dtype) for name, dtype in dtypes.items()}
    shapes = {array.shape for array in arrays.values()}
    if len(shapes) != 1 or any(array.ndim != 1 for array in arrays.values()):
        raise ValueError(f"{type(obj).__name__}: arrays must be 1-D and of the same length")
    for name, array in arrays.items():
        object.__setattr__(obj, name, array)


@dataclass(frozen=True, slots=True)
class Sales:
    """Every purchase in scope, one row per purchase, arrays aligned."""

    client: np.ndarray  # int64 client id
    day: np.ndarray  # int64 day number (date.toordinal())
    amount: np.ndarray  # float64 net amount (after discount, minus returns)
    consultant: np.ndarray  # int64 consultant id, 0 when none

    def __post_init__(self) -> None:
        _coerce(self, client=np.int64, day=np.int64, amount=np.float64, consultant=np.int64)


@dataclass(frozen=True, slots=True)
class Period:
    """A span of whole days, both ends inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period cannot end before it starts")


@dataclass(frozen=True, slots=True)
class Ratio:
    """A KPI in percent with what it was computed from; value is None when nothing to divide by."""

    value: float | None
    numerator: float
    denominator: float


@dataclass(frozen=True, slots=True)
class ClientBase:
    """The client counts behind CRR: at the period's start and end, new and retained."""

    start: int
    end: int
    new: int
    retained: int  # clients at the end whose first purchase is before the period


@dataclass(frozen=True, slots=True)
class Concentration:
    """One client holding a large share (percent) of the period's revenue."""

    client: int
    revenue: float
    share: float


@dataclass(frozen=True, slots=True)
class Cohorts:
    """Monthly cohorts by first purchase and the share of each that bought k months later."""

    months: tuple[date, ...]  # first day of each cohort month, ascending
    sizes: tuple[int, ...]  # clients whose first purchase is in that month
    # [cohort][k]: % of the cohort buying in month k after its first month (k = 0 is the first
    # month itself, 100 % for a non-empty cohort); None after `until` or for an empty cohort
    retention: tuple[tuple[float | None, ...], ...]


@dataclass(frozen=True, slots=True)
class MonthRevenue:
    """One month's revenue split between clients in their first month and returning clients."""

    month: date
    new: float
    returning: float
    new_clients: int
    returning_clients: int


@dataclass(frozen=True, slots=True)
class Contacts:
    """Logged contacts in scope, one row per contact, arrays aligned."""

    client: np.ndarray  # int64
    day: np.ndarray  # int64 day number
    consultant: np.ndarray  # int64, 0 when none
    category: np.ndarray  # str codes: "selling", "personal", "useful" or ""
    replied: np.ndarray  # bool: the outcome was replied or visit_booked

    def __post_init__(self) -> None:
        category = np.asarray(self.category)
        if category.dtype == object:
            category = np.where(category.astype(bool), category, "")  # None becomes ""
        object.__setattr__(self, "category", category.astype(str))
        _coerce(self, client=np.int64, day=np.int64, consultant=np.int64, replied=np.bool_)
        if self.category.shape != self.client.shape:
            raise ValueError("Contacts: arrays must be 1-D and of the same length")


@dataclass(frozen=True, slots=True)
class Attribution:
    """What the period's contacts brought back: returned contacts and the revenue they took."""

    contacts: int
    returned: int
    rate: Ratio
    revenue: float
    by_consultant: dict[int, tuple[int, int, float]]  # consultant → (contacts, returned, revenue)
    by_category: dict[str, tuple[int, int, float]]  # category → (contacts, returned, revenue)


@dataclass(frozen=True, slots=True)
class Due:
    """Touchpoints that fell due, arrays aligned."""

    consultant: np.ndarray  # int64
    due: np.ndarray  # int64 day number
    window_end: np.ndarray  # int64 day number
    done: np.ndarray  # int64 day number of the logged contact, -1 when none

    def __post_init__(self) -> None:
        _coerce(self, consultant=np.int64, due=np.int64, window_end=np.int64, done=np.int64)


@dataclass(frozen=True, slots=True)
class Adherence:
    """How a contact plan was kept: on time, late, missed, and not judged yet (pending)."""

    due: int
    on_time: int
    late: int
    missed: int
    rate: Ratio  # on time ÷ (due − pending)
    mean_delay_days: float | None  # mean days from due day to contact, early counted as 0
    pending: int = 0  # not done, window still open on `as_of`


@dataclass(frozen=True, slots=True)
class Nps:
    """Net Promoter Score: % promoters (9–10) − % detractors (0–6), with its band."""

    score: float | None
    promoters: int
    passives: int
    detractors: int
    answers: int
    band: str  # NPS_EXCELLENT, NPS_GOOD, NPS_POOR, or "" when there are no answers


@dataclass(frozen=True, slots=True)
class Funnel:
    """Counts down the outreach funnel: planned, done, replied, visited, bought."""

    planned: int
    done: int
    replied: int
    visited: int
    bought: int


# --- helpers -----------------------------------------------------------------------------------


def _ratio(numerator: float, denominator: float) -> Ratio:
    """A percentage, None when the denominator is not positive."""
    value = 100.0 * numerator / denominator if denominator > 0 else None
    return Ratio(value, float(numerator), float(denominator))


def _bounds(period: Period) -> tuple[int, int]:
    """The period's first and last day numbers."""
    return period.start.toordinal(), period.end.toordinal()


@dataclass(frozen=True, slots=True)
class _Codes:
    """Client ids mapped to small non-negative codes for per-client arrays of length `size`."""

    codes: IntArray
    size: int
    offset: int
    uniques: IntArray | None

    def ids(self, codes: IntArray) -> IntArray:
        """The client ids of some codes."""
        return self.uniques[codes] if self.uniques is not None else codes + self.offset


def _encode(ids: IntArray) -> _Codes:
    """Codes by offset when ids are dense enough (no sort), else by np.unique."""
    if ids.size == 0:
        return _Codes(ids, 0, 0, None)
    low, high = int(ids.min()), int(ids.max())
    if high - low < 2 * ids.size + (1 << 20):
        return _Codes(ids - low, high - low + 1, low, None)
    uniques, codes = np.unique(ids, return_inverse=True)
    return _Codes(codes.astype(np.int64), int(uniques.size), 0, uniques)


def _flags(codes: IntArray, size: int) -> BoolArray:
    """Per-code flags: True for every code present."""
    flags = np.zeros(size, dtype=bool)
    flags[codes] = True
    return flags


def _distinct_days(codes: IntArray, days: IntArray, size: int) -> IntArray:
    """Distinct purchase days per code (one sort of packed keys, skipped when already sorted)."""
    if codes.size == 0:
        return np.zeros(size, dtype=np.int64)
    first = int(days.min())
    span = int(days.max()) - first + 1
    keys = codes * span + (days - first)
    if keys.size > 1 and not bool(np.all(keys[1:] >= keys[:-1])):
        keys = np.sort(keys)
    fresh = np.empty(keys.size, dtype=bool)
    fresh[0] = True
    np.not_equal(keys[1:], keys[:-1], out=fresh[1:])
    return np.bincount(keys[fresh] // span, minlength=size)


def _in(days: IntArray, first: int, last: int) -> BoolArray:
    """Rows whose day lies in first … last."""
    return (days >= first) & (days <= last)


def _month_index(days: IntArray) -> IntArray:
    """Months since January 1970 of each day number."""
    stamps = (days - _EPOCH).astype("datetime64[D]")
    return stamps.astype("datetime64[M]").astype(np.int64)


def _month_of(day: date) -> int:
    """Months since January 1970 of a date."""
    return (day.year - 1970) * 12 + day.month - 1


def _month_start(index: int) -> date:
    """The first day of a month given as months since January 1970."""
    return date(1970 + index // 12, index % 12 + 1, 1)


def _add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month of `day`."""
    return _month_start(_month_of(day) + months)


# --- retention ---------------------------------------------------------------------------------


def client_base(sales: Sales, period: Period, *, active_days: int = 365) -> ClientBase:
    """Clients at the period's start and end, new clients and retained clients."""
    if active_days < 1:
        raise ValueError("active_days must be at least 1")
    first, last = _bounds(period)
    enc = _encode(sales.client)
    day = sales.day
    at_start = _flags(enc.codes[_in(day, first - active_days, first - 1)], enc.size)
    at_end = _flags(enc.codes[_in(day, last - active_days + 1, last)], enc.size)
    before = _flags(enc.codes[day < first], enc.size)
    bought = _flags(enc.codes[_in(day, first, last)], enc.size)
    return ClientBase(
        start=int(at_start.sum()),
        end=int(at_end.sum()),
        new=int((bought & ~before).sum()),
        retained=int((at_end & before).sum()),
    )


def retention_rate(sales: Sales, period: Period, *, active_days: int = 365) -> Ratio:
    """CRR = (clients at end − new clients) ÷ clients at start × 100."""
    base = client_base(sales, period, active_days=active_days)
    return _ratio(base.retained, base.start)


def _buyers_and_days(sales: Sales, period: Period) -> tuple[_Codes, BoolArray, IntArray]:
    """Codes, who bought in the period and everyone's distinct purchase days up to its end."""
    first, last = _bounds(period)
    enc = _encode(sales.client)
    upto = sales.day <= last
    days = _distinct_days(enc.codes[upto], sales.day[upto], enc.size)
    buyers = _flags(enc.codes[_in(sales.day, first, last)], enc.size)
    return enc, buyers, days


def repeat_rate(sales: Sales, period: Period) -> Ratio:
    """Share of the period's buyers who bought on at least two days up to the period's end."""
    _, buyers, days = _buyers_and_days(sales, period)
    return _ratio(int((buyers & (days >= 2)).sum()), int(buyers.sum()))


def regular_share(
    sales: Sales, period: Period, *, regular_purchases: int = 3
) -> tuple[Ratio, Ratio]:
    """Share of the period's buyers who are regular, and their share of the period's revenue."""
    if regular_purchases < 1:
        raise ValueError("regular_purchases must be at least 1")
    enc, buyers, days = _buyers_and_days(sales, period)
    regular = buyers & (days >= regular_purchases)
    inside = _in(sales.day, *_bounds(period))
    revenue = np.bincount(enc.codes[inside], weights=sales.amount[inside], minlength=enc.size)
    return (
        _ratio(int(regular.sum()), int(buyers.sum())),
        _ratio(float(revenue[regular].sum()), float(revenue.sum())),
    )


# --- revenue -----------------------------------------------------------------------------------


def _period_revenue(sales: Sales, period: Period) -> tuple[_Codes, IntArray, FloatArray]:
    """Codes of the period's buyers and each one's net revenue in the period."""
    inside = _in(sales.day, *_bounds(period))
    enc = _encode(sales.client[inside])
    if enc.size == 0:
        return enc, np.zeros(0, dtype=np.int64), np.zeros(0)
    revenue = np.bincount(enc.codes, weights=sales.amount[inside], minlength=enc.size)
    present = np.flatnonzero(_flags(enc.codes, enc.size))
    return enc, present, revenue[present]


def top_share(sales: Sales, period: Period, *, top: float = 0.2) -> Ratio:
    """Share of the period's revenue from its top `top` of buyers by revenue (Pareto)."""
    if not 0 < top <= 1:
        raise ValueError("top must be in (0, 1]")
    _, _, revenue = _period_revenue(sales, period)
    count = math.ceil(top * revenue.size - 1e-9)  # at least `top` of the buyers
    best = float(np.partition(revenue, revenue.size - count)[-count:].sum()) if count else 0.0
    return _ratio(best, float(revenue.sum()))


def concentration(
    sales: Sales, period: Period, *, threshold: float = 0.2
) -> tuple[Concentration, ...]:
    """Clients holding at least `threshold` (a fraction) of the period's revenue, largest first."""
    enc, present, revenue = _period_revenue(sales, period)
    total = float(revenue.sum())
    if total <= 0:
        return ()
    big = np.flatnonzero(revenue >= threshold * total - 1e-9 * total)
    clients = enc.ids(present[big])
    amounts = revenue[big]
    order = np.lexsort((clients, -amounts))
    return tuple(
        Concentration(int(clients[i]), float(amounts[i]), 100.0 * float(amounts[i]) / total)
        for i in order
    )


def average_ltv(sales: Sales, period: Period) -> float:
    """Average all-time net revenue per client who bought up to the period's end (0 if none)."""
    upto = sales.day <= period.end.toordinal()
    enc = _encode(sales.client[upto])
    clients = int(_flags(enc.codes, enc.size).sum())
    return float(sales.amount[upto].sum()) / clients if clients else 0.0


# --- months: cohorts and new / returning revenue -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _MonthGrid:
    """The last `months` months up to `until`: who bought in which month, and first months."""

    first_month: int  # months since 1970 of the first month shown
    month: IntArray  # per row in the window: 0 … months − 1
    client: IntArray  # per row in the window: compact client code
    amount: FloatArray  # per row in the window
    bought: BoolArray  # [client, month]: bought in that month
    old: BoolArray  # per client: bought before the window (first month not shown)
    first: IntArray  # per client: first month in the window (meaningful when not old)


def _month_grid(sales: Sales, until: date, months: int) -> _MonthGrid:
    """Lay out the purchases of the last `months` months up to `until` by client and month."""
    if months < 1:
        raise ValueError("months must be at least 1")
    first_month = _month_of(until) - months + 1
    start = _month_start(first_month).toordinal()
    enc = _encode(sales.client)
    old = _flags(enc.codes[sales.day < start], enc.size)
    window = _in(sales.day, start, until.toordinal())
    codes = enc.codes[window]
    present = _flags(codes, enc.size)
    compact = np.cumsum(present) - 1
    client = compact[codes]
    month = _month_index(sales.day[window]) - first_month
    bought = np.zeros((int(present.sum()), months), dtype=bool)
    bought[client, month] = True
    return _MonthGrid(
        first_month=first_month,
        month=month,
        client=client,
        amount=sales.amount[window],
        bought=bought,
        old=old[present],
        first=np.argmax(bought, axis=1) if bought.size else np.zeros(0, dtype=np.int64),
    )


def cohort_retention(sales: Sales, *, until: date, months: int = 12) -> Cohorts:
    """Retention of the last `months` monthly cohorts (by first purchase) up to `until`."""
    grid = _month_grid(sales, until, months)
    new = ~grid.old
    cohort = grid.first[new]
    rows, columns = np.nonzero(grid.bought[new])
    flat = np.bincount(cohort[rows] * months + columns, minlength=months * months)
    table = flat.reshape(months, months)
    sizes = np.bincount(cohort, minlength=months)
    retention = tuple(
        tuple(
            100.0 * float(table[c, c + k]) / float(sizes[c])
            if sizes[c] and c + k < months
            else None
            for k in range(months)
        )
        for c in range(months)
    )
    return Cohorts(
        months=tuple(_month_start(grid.first_month + c) for c in range(months)),
        sizes=tuple(int(size) for size in sizes),
        retention=retention,
    )


def revenue_by_month(sales: Sales, *, until: date, months: int = 12) -> tuple[MonthRevenue, ...]:
    """Revenue per month from clients in their first month (new) and from everyone else."""
    grid = _month_grid(sales, until, months)
    is_new = ~grid.old[grid.client] & (grid.month == grid.first[grid.client])
    new = np.bincount(grid.month, weights=np.where(is_new, grid.amount, 0.0), minlength=months)
    returning = np.bincount(
        grid.month, weights=np.where(is_new, 0.0, grid.amount), minlength=months
    )
    new_clients = np.bincount(grid.first[~grid.old], minlength=months)
    buyers = grid.bought.sum(axis=0) if grid.bought.size else np.zeros(months, dtype=np.int64)
    return tuple(
        MonthRevenue(
            month=_month_start(grid.first_month + m),
            new=float(new[m]),
            returning=float(returning[m]),
            new_clients=int(new_clients[m]),
            returning_clients=int(buyers[m] - new_clients[m]),
        )
        for m in range(months)
    )


# --- outreach ----------------------------------------------------------------------------------


def _breakdown(
    keys: np.ndarray, returned: BoolArray, revenue: FloatArray
) -> dict[Any, tuple[int, int, float]]:
    """(contacts, returned, revenue) per distinct key."""
    uniques, inverse = np.unique(keys, return_inverse=True)
    counts = np.bincount(inverse, minlength=uniques.size)
    hits = np.bincount(inverse, weights=returned, minlength=uniques.size)
    money = np.bincount(inverse, weights=revenue, minlength=uniques.size)
    return {
        key: (int(counts[i]), int(hits[i]), float(money[i]))
        for i, key in enumerate(uniques.tolist())
    }


def outreach_returns(
    contacts: Contacts, sales: Sales, period: Period, *, window_days: int = 14
) -> Attribution:
    """Contacts in the period that brought the client back within `window_days`, and the revenue."""
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    first, last = _bounds(period)
    # Contacts after the period's last day may still take a purchase from a contact inside it.
    keep = _in(contacts.day, first, last + window_days - 1)
    client, day = contacts.client[keep], contacts.day[keep]
    inside = day <= last
    bought = _in(sales.day, first + 1, last + window_days) & bool(client.size)
    buyer, bought_on, amount = sales.client[bought], sales.day[bought], sales.amount[bought]

    span = last + window_days - first + 1  # days first … last + window_days
    biggest = max(
        int(np.abs(client).max()) if client.size else 0,
        int(np.abs(buyer).max()) if buyer.size else 0,
    )
    if (biggest + 1) * span >= _KEY_LIMIT:
        raise ValueError("client ids too large to pack with days")
    contact_keys = client * span + (day - first)
    order = np.argsort(contact_keys, kind="stable")
    # The latest contact strictly before each purchase (same client, an earlier day).
    latest = np.searchsorted(contact_keys[order], buyer * span + (bought_on - first)) - 1
    found = latest >= 0
    owner = order[np.where(found, latest, 0)]
    found &= (client[owner] == buyer) & (bought_on - day[owner] <= window_days) & inside[owner]
    owner = owner[found]
    returned = np.bincount(owner, minlength=client.size) > 0
    revenue = np.bincount(owner, weights=amount[found], minlength=client.size)

    returned, revenue = returned[inside], revenue[inside]
    total = int(inside.sum())
    hits = int(returned.sum())
    by_consultant = _breakdown(contacts.consultant[keep][inside], returned, revenue)
    by_category = _breakdown(contacts.category[keep][inside], returned, revenue)
    return Attribution(
        contacts=total,
        returned=hits,
        rate=_ratio(hits, total),
        revenue=float(revenue.sum()),
        by_consultant={int(k): v for k, v in by_consultant.items()},
        by_category={str(k): v for k, v in by_category.items()},
    )


# --- the contact plan --------------------------------------------------------------------------


def _adherence(
    on_time: int, late: int, missed: int, pending: int, delay_sum: float, done: int
) -> Adherence:
    """An Adherence from its counts."""
    due = on_time + late + missed + pending
    return Adherence(
        due=due,
        on_time=on_time,
        late=late,
        missed=missed,
        rate=_ratio(on_time, due - pending),
        mean_delay_days=delay_sum / done if done else None,
        pending=pending,
    )


def plan_adherence(
    due: Due, period: Period, *, as_of: date | None = None
) -> tuple[Adherence, dict[int, Adherence]]:
    """Touchpoints due in the period kept on time, late or missed; overall and per consultant."""
    inside = _in(due.due, *_bounds(period))
    consultant = due.consultant[inside]
    done_on, window_end = due.done[inside], due.window_end[inside]
    done = done_on >= 0
    late = done & (done_on > window_end)
    on_time = done & ~late
    pending = ~done & (window_end >= as_of.toordinal()) if as_of is not None else done & False
    missed = ~done & ~pending
    delay = np.where(done, np.maximum(done_on - due.due[inside], 0), 0).astype(np.float64)

    overall = _adherence(
        int(on_time.sum()),
        int(late.sum()),
        int(missed.sum()),
        int(pending.sum()),
        float(delay.sum()),
        int(done.sum()),
    )
    uniques, inverse = np.unique(consultant, return_inverse=True)
    counts = [
        np.bincount(inverse, weights=weights, minlength=uniques.size).astype(np.int64)
        for weights in (on_time, late, missed, pending, done)
    ]
    delays = np.bincount(inverse, weights=delay, minlength=uniques.size)
    per_consultant = {
        int(who): _adherence(
            int(counts[0][i]),
            int(counts[1][i]),
            int(counts[2][i]),
            int(counts[3][i]),
            float(delays[i]),
            int(counts[4][i]),
        )
        for i, who in enumerate(uniques.tolist())
    }
    return overall, per_consultant


def funnel(
    due: Due,
    contacts: Contacts,
    sales: Sales,
    period: Period,
    *,
    visits: Sales | None = None,
    window_days: int = 14,
) -> Funnel:
    """Touchpoints due and done, then the period's contacts replied, followed by a visit, a sale."""
    first, last = _bounds(period)
    planned = _in(due.due, first, last)
    inside = _in(contacts.day, first, last)
    came = sales
    if visits is not None:  # visits without a purchase; a purchase is a visit of its own
        came = Sales(
            client=np.concatenate([sales.client, visits.client]),
            day=np.concatenate([sales.day, visits.day]),
            amount=np.concatenate([sales.amount, visits.amount]),
            consultant=np.concatenate([sales.consultant, visits.consultant]),
        )
    return Funnel(
        planned=int(planned.sum()),
        done=int((due.done[planned] >= 0).sum()),
        replied=int(contacts.replied[inside].sum()),
        visited=outreach_returns(contacts, came, period, window_days=window_days).returned,
        bought=outreach_returns(contacts, sales, period, window_days=window_days).returned,
    )


def funnel_steps(counts: Funnel) -> tuple[Ratio, Ratio, Ratio, Ratio]:
    """Each funnel stage as a share of the one before: done, replied, visited, bought."""
    stages = (counts.planned, counts.done, counts.replied, counts.visited, counts.bought)
    return (
        _ratio(stages[1], stages[0]),
        _ratio(stages[2], stages[1]),
        _ratio(stages[3], stages[2]),
        _ratio(stages[4], stages[3]),
    )


# --- NPS ---------------------------------------------------------------------------------------


def nps_band(score: float | None) -> str:
    """The band of an NPS score: above 50 excellent, 10 to 50 good (to improve), below 10 poor."""
    if score is None:
        return ""
    if score > 50:
        return NPS_EXCELLENT
    return NPS_GOOD if score >= 10 else NPS_POOR


def nps(answers: Sequence[int] | np.ndarray) -> Nps:
    """NPS of survey answers on the 0–10 scale; anything else raises ValueError."""
    values = np.asarray(answers)
    if values.size == 0:
        return Nps(None, 0, 0, 0, 0, "")
    if values.dtype.kind not in "iuf":
        raise ValueError("NPS answers must be numbers from 0 to 10")
    values = values.ravel()
    if values.dtype.kind == "f" and not bool(np.all(np.isfinite(values))):
        raise ValueError("NPS answers must be numbers from 0 to 10")
    if not bool(np.all((values >= 0) & (values <= 10) & (values == np.round(values)))):
        raise ValueError("NPS answers must be whole numbers from 0 to 10")
    count = int(values.size)
    promoters = int((values >= 9).sum())
    detractors = int((values <= 6).sum())
    # 100 × an integer is exact and the division is correctly rounded: the band edges are exact.
    score = 100.0 * (promoters - detractors) / count
    return Nps(
        score=score,
        promoters=promoters,
        passives=count - promoters - detractors,
        detractors=detractors,
        answers=count,
        band=nps_band(score),
    )


# --- comparing periods -------------------------------------------------------------------------


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change in percent from `previous` to `current`; None when either is missing or 0."""
    if current is None or previous is None or previous == 0:
        return None
    return 100.0 * (current - previous) / abs(previous)


def previous_period(period: Period) -> Period:
    """The period just before: the same whole months when it is whole months, else as many days."""
    start, end = period.start, period.end
    if start.day == 1 and (end + _DAY).day == 1:
        months = _month_of(end) - _month_of(start) + 1
        return Period(_add_months(start, -months), start - _DAY)
    length = end - start + _DAY
    return Period(start - length, start - _DAY)
