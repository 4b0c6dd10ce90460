"""Reads of the insights app: a client's numbers in plain words, and the dashboards' KPIs.

Every read is on behalf of someone: the dashboard's scope (stores, consultant) is cut down to
what the user may see before anything is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.db.models import F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import consultants_for, scope_for, stores_for
from rapport.clients.models import Client
from rapport.core import kpi
from rapport.insights.models import ClientScore, ScoreSettings
from rapport.outreach.choices import Outcome, TouchpointStatus
from rapport.outreach.models import Contact, Touchpoint
from rapport.sales.models import Purchase, Visit

PERIODS = ("30d", "90d", "month", "quarter", "year", "365d")
DEFAULT_PERIOD = "90d"
REPLIED = (Outcome.REPLIED, Outcome.VISIT_BOOKED)


# --- scope --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DashboardScope:
    """What a dashboard shows: stores, optionally one consultant's book, and the period."""

    stores: tuple[Store, ...]
    store: Store | None  # the chosen store (None: all the user's stores)
    consultant: User | None  # one consultant's clients and contacts
    consultants: tuple[User, ...]  # whom the user may pick (managers)
    period: kpi.Period
    period_key: str
    is_manager: bool

    @property
    def store_ids(self) -> list[int]:
        return [self.store.pk] if self.store else [s.pk for s in self.stores]


def period_for(key: str, today: date) -> kpi.Period:
    """A named period ending today (or the current calendar month/quarter/year so far)."""
    if key == "month":
        return kpi.Period(today.replace(day=1), today)
    if key == "quarter":
        return kpi.Period(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today)
    if key == "year":
        return kpi.Period(today.replace(month=1, day=1), today)
    days = {"30d": 30, "90d": 90, "365d": 365}.get(key, 90)
    return kpi.Period(today - timedelta(days=days - 1), today)


def dashboard_scope_for(
    *,
    user: User,
    today: date,
    store_id: int | None = None,
    consultant_id: int | None = None,
    period: str = DEFAULT_PERIOD,
) -> DashboardScope:
    """The dashboard a user may see: a manager picks among their stores and team; anyone else
    sees their own book. A store or consultant out of reach is a 404."""
    scope = scope_for(user)
    stores = tuple(stores_for(user=user).order_by("name"))
    if not stores:
        raise Http404
    managed = tuple(s for s in stores if scope.manages_store(s.pk))
    is_manager = bool(managed)
    store = None
    if store_id is not None:
        store = next((s for s in managed if s.pk == store_id), None)
        if store is None:
            raise Http404
    consultants: tuple[User, ...] = ()
    if is_manager:
        team = consultants_for(user=user)
        if store is not None:
            team = team.filter(memberships__store=store)
        consultants = tuple(team)
        consultant = None
        if consultant_id is not None:
            consultant = next((c for c in consultants if c.pk == consultant_id), None)
            if consultant is None:
                raise Http404
        visible = managed
    else:
        if consultant_id not in (None, user.pk):
            raise Http404
        consultant = user
        visible = stores
    key = period if period in PERIODS else DEFAULT_PERIOD
    return DashboardScope(
        stores=visible,
        store=store,
        consultant=consultant,
        consultants=consultants,
        period=period_for(key, today),
        period_key=key,
        is_manager=is_manager,
    )


def _clients(scope: DashboardScope) -> QuerySet[Client]:
    clients = Client.objects.filter(store_id__in=scope.store_ids, merged_into__isnull=True)
    if scope.consultant is not None:
        clients = clients.filter(owner=scope.consultant)
    return clients


# --- loading arrays -----------------------------------------------------------------------------


def _day_numbers(days: list[date]) -> np.ndarray:
    return np.fromiter((d.toordinal() for d in days), dtype=np.int64, count=len(days))


def sales_for(scope: DashboardScope) -> kpi.Sales:
    """Every purchase of the scope's clients (all time: CRR and cohorts need the history)."""
    rows = Purchase.objects.filter(client__store_id__in=scope.store_ids)
    if scope.consultant is not None:
        rows = rows.filter(client__owner=scope.consultant)
    data = list(
        rows.annotate(day=TruncDate("purchased_at")).values_list(
            "client_id", "day", F("total") - F("returned_total"), "consultant_id"
        )
    )
    if not data:
        empty = np.zeros(0, dtype=np.int64)
        return kpi.Sales(empty, empty, np.zeros(0), empty)
    clients, days, amounts, consultants = zip(*data, strict=True)
    return kpi.Sales(
        client=np.array(clients, dtype=np.int64),
        day=_day_numbers(list(days)),
        amount=np.array([float(a) for a in amounts], dtype=np.float64),
        consultant=np.array([c or 0 for c in consultants], dtype=np.int64),
    )


def contacts_for(scope: DashboardScope) -> kpi.Contacts:
    """The contacts logged with the scope's clients (by the consultant, when one is chosen)."""
    rows = Contact.objects.filter(client__store_id__in=scope.store_ids)
    if scope.consultant is not None:
        rows = rows.filter(user=scope.consultant)
    data = list(rows.values_list("client_id", TruncDate("at"), "user_id", "category", "outcome"))
    if not data:
        empty = np.zeros(0, dtype=np.int64)
        return kpi.Contacts(empty, empty, empty, np.zeros(0, dtype=str), np.zeros(0, dtype=bool))
    clients, days, users, categories, outcomes = zip(*data, strict=True)
    return kpi.Contacts(
        client=np.array(clients, dtype=np.int64),
        day=_day_numbers(list(days)),
        consultant=np.array([u or 0 for u in users], dtype=np.int64),
        category=np.array(categories, dtype=str),
        replied=np.array([o in REPLIED for o in outcomes], dtype=bool),
    )


def due_for(scope: DashboardScope, period: kpi.Period) -> kpi.Due:
    """The touchpoints that fell due in the period, with the day they were done (if they were)."""
    rows = Touchpoint.objects.filter(
        store_id__in=scope.store_ids,
        due_on__gte=period.start,
        due_on__lte=period.end,
    ).exclude(status=TouchpointStatus.CANCELLED, done_at__isnull=True)
    if scope.consultant is not None:
        rows = rows.filter(assignee=scope.consultant)
    data = list(rows.values_list("assignee_id", "due_on", "window_end", TruncDate("done_at")))
    if not data:
        empty = np.zeros(0, dtype=np.int64)
        return kpi.Due(empty, empty, empty, empty)
    users, due, ends, done = zip(*data, strict=True)
    return kpi.Due(
        consultant=np.array([u or 0 for u in users], dtype=np.int64),
        due=_day_numbers(list(due)),
        window_end=_day_numbers(list(ends)),
        done=np.array([d.toordinal() if d else -1 for d in done], dtype=np.int64),
    )


# --- the dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tile:
    """One KPI with its previous-period value for comparison."""

    key: str
    value: float | None
    previous: float | None
    change: float | None
    numerator: float | None = None
    denominator: float | None = None
    money: bool = False
    percent: bool = False


@dataclass(frozen=True, slots=True)
class ConsultantRow:
    """A consultant's outreach in the period."""

    consultant: User | None
    contacts: int
    replies: int
    returned: int
    revenue: float
    adherence: kpi.Adherence | None


@dataclass(slots=True)
class Dashboard:
    """Everything the dashboard page shows."""

    scope: DashboardScope
    tiles: list[Tile] = field(default_factory=list)
    cohorts: kpi.Cohorts | None = None
    months: tuple[kpi.MonthRevenue, ...] = ()
    regular_by_month: list[tuple[date, float | None]] = field(default_factory=list)
    funnel: kpi.Funnel | None = None
    concentration: list[tuple[Client, kpi.Concentration]] = field(default_factory=list)
    consultants: list[ConsultantRow] = field(default_factory=list)
    categories: list[tuple[str, int, int, float]] = field(default_factory=list)
    at_risk: list[ClientScore] = field(default_factory=list)
    currency: str = "RUB"


def _ratio_tile(key: str, now: kpi.Ratio, before: kpi.Ratio) -> Tile:
    return Tile(
        key=key,
        value=now.value,
        previous=before.value,
        change=kpi.change(now.value, before.value),
        numerator=now.numerator,
        denominator=now.denominator,
        percent=True,
    )


def _settings(scope: DashboardScope) -> tuple[int, int]:
    """(attribution days, regular purchases) of the chosen store, or the defaults."""
    row = ScoreSettings.objects.filter(store_id__in=scope.store_ids).order_by("store_id").first()
    if row is None:
        return 14, 3
    return row.attribution_days, row.regular_purchases


def _month_starts(until: date, months: int) -> list[date]:
    first = until.replace(day=1)
    starts = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(date(year, month + 1, 1))
    return starts


def dashboard_for(scope: DashboardScope, *, today: date | None = None) -> Dashboard:
    """The KPIs of the scope for its period, each beside the previous period of the same length."""
    period = scope.period
    today = today or period.end
    before = kpi.previous_period(period)
    sales = sales_for(scope)
    contacts = contacts_for(scope)
    window, regular_purchases = _settings(scope)
    board = Dashboard(scope=scope, currency=scope.stores[0].currency if scope.stores else "RUB")

    def revenue(p: kpi.Period) -> float:
        start, end = p.start.toordinal(), p.end.toordinal()
        in_period = (sales.day >= start) & (sales.day <= end)
        return float(sales.amount[in_period].sum())

    def buyers(p: kpi.Period) -> int:
        start, end = p.start.toordinal(), p.end.toordinal()
        in_period = (sales.day >= start) & (sales.day <= end)
        return int(np.unique(sales.client[in_period]).size)

    now_rev, before_rev = revenue(period), revenue(before)
    board.tiles.append(
        Tile("revenue", now_rev, before_rev, kpi.change(now_rev, before_rev), money=True)
    )
    now_buyers, before_buyers = buyers(period), buyers(before)
    board.tiles.append(
        Tile("buyers", now_buyers, before_buyers, kpi.change(now_buyers, before_buyers))
    )
    board.tiles.append(
        _ratio_tile(
            "retention", kpi.retention_rate(sales, period), kpi.retention_rate(sales, before)
        )
    )
    board.tiles.append(
        _ratio_tile("repeat", kpi.repeat_rate(sales, period), kpi.repeat_rate(sales, before))
    )
    reg_now = kpi.regular_share(sales, period, regular_purchases=regular_purchases)
    reg_before = kpi.regular_share(sales, before, regular_purchases=regular_purchases)
    board.tiles.append(_ratio_tile("regular_clients", reg_now[0], reg_before[0]))
    board.tiles.append(_ratio_tile("regular_revenue", reg_now[1], reg_before[1]))
    board.tiles.append(
        _ratio_tile("top_share", kpi.top_share(sales, period), kpi.top_share(sales, before))
    )
    ltv_now, ltv_before = kpi.average_ltv(sales, period), kpi.average_ltv(sales, before)
    board.tiles.append(
        Tile("average_ltv", ltv_now, ltv_before, kpi.change(ltv_now, ltv_before), money=True)
    )
    att_now = kpi.outreach_returns(contacts, sales, period, window_days=window)
    att_before = kpi.outreach_returns(contacts, sales, before, window_days=window)
    board.tiles.append(_ratio_tile("outreach_return", att_now.rate, att_before.rate))
    board.tiles.append(
        Tile(
            "outreach_revenue",
            att_now.revenue,
            att_before.revenue,
            kpi.change(att_now.revenue, att_before.revenue),
            money=True,
        )
    )
    due_now = due_for(scope, period)
    adherence, by_consultant = kpi.plan_adherence(due_now, period, as_of=today)
    adherence_before, _ = kpi.plan_adherence(due_for(scope, before), before, as_of=today)
    board.tiles.append(_ratio_tile("adherence", adherence.rate, adherence_before.rate))

    board.cohorts = kpi.cohort_retention(sales, until=period.end, months=12)
    board.months = kpi.revenue_by_month(sales, until=period.end, months=12)
    for start in _month_starts(period.end, 12):
        end = min(period.end, _next_month(start) - timedelta(days=1))
        share, _ = kpi.regular_share(
            sales, kpi.Period(start, end), regular_purchases=regular_purchases
        )
        board.regular_by_month.append((start, share.value))
    board.funnel = _funnel(scope, period, due_now, contacts, sales, window)
    board.concentration = _concentration(kpi.concentration(sales, period))
    board.consultants = _consultant_rows(att_now, contacts, period, by_consultant)
    board.categories = sorted(
        ((cat, n, back, money) for cat, (n, back, money) in att_now.by_category.items()),
        key=lambda row: -row[3],
    )
    board.at_risk = list(
        ClientScore.objects.filter(client__in=_clients(scope), p_alive__isnull=False)
        .filter(Q(client__status__in=["regular", "vip"]))
        .select_related("client")
        .order_by("-priority")[:10]
    )
    return board


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _funnel(
    scope: DashboardScope,
    period: kpi.Period,
    due: kpi.Due,
    contacts: kpi.Contacts,
    sales: kpi.Sales,
    window: int,
) -> kpi.Funnel:
    """Planned → done → replied → visited → bought, for the period (visits without a purchase
    count as coming in)."""
    visits = Visit.objects.filter(client__store_id__in=scope.store_ids)
    if scope.consultant is not None:
        visits = visits.filter(client__owner=scope.consultant)
    rows = list(
        visits.filter(
            visited_at__date__gte=period.start,
            visited_at__date__lte=period.end + timedelta(days=window),
        ).values_list("client_id", TruncDate("visited_at"))
    )
    came = kpi.Sales(
        client=np.array([c for c, _ in rows], dtype=np.int64),
        day=_day_numbers([d for _, d in rows]),
        amount=np.zeros(len(rows)),
        consultant=np.zeros(len(rows), dtype=np.int64),
    )
    return kpi.funnel(due, contacts, sales, period, visits=came, window_days=window)


def _concentration(rows: tuple[kpi.Concentration, ...]) -> list[tuple[Client, kpi.Concentration]]:
    if not rows:
        return []
    clients = Client.objects.in_bulk([row.client for row in rows])
    return [(clients[row.client], row) for row in rows if row.client in clients]


def _consultant_rows(
    attribution: kpi.Attribution,
    contacts: kpi.Contacts,
    period: kpi.Period,
    adherence: dict[int, kpi.Adherence],
) -> list[ConsultantRow]:
    start, end = period.start.toordinal(), period.end.toordinal()
    in_period = (contacts.day >= start) & (contacts.day <= end)
    ids = set(attribution.by_consultant) | set(adherence)
    who, count = np.unique(contacts.consultant[in_period & contacts.replied], return_counts=True)
    replies = dict(zip(who.tolist(), count.tolist(), strict=True))
    people = User.objects.in_bulk([pk for pk in ids if pk])
    rows = [
        ConsultantRow(
            consultant=people.get(pk),
            contacts=attribution.by_consultant.get(pk, (0, 0, 0.0))[0],
            replies=replies.get(pk, 0),
            returned=attribution.by_consultant.get(pk, (0, 0, 0.0))[1],
            revenue=attribution.by_consultant.get(pk, (0, 0, 0.0))[2],
            adherence=adherence.get(pk),
        )
        for pk in ids
    ]
    return sorted(rows, key=lambda r: (-r.contacts, str(r.consultant or "")))


# --- one client ---------------------------------------------------------------------------------


def client_score_for(client: Client) -> ClientScore | None:
    """The client's numbers (the card's caller has already checked access to the client)."""
    return ClientScore.objects.filter(client=client).first()
