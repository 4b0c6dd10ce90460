"""Reads for contact plans: Today, the waiting list, the plan on the card."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import consultants_for, home_store_for, scope_for, stores_for
from rapport.clients.choices import ContactKind
from rapport.clients.models import Client, ContactPoint
from rapport.core import agenda as agenda_core
from rapport.core import drafts
from rapport.core.deeplinks import deep_link
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Contact, OccasionTemplate, Standard, Touchpoint

UPCOMING_DAYS = 7
OVERFLOW_SHOWN = (
    10  # rows of "moved to tomorrow" and "if you have time" listed by name (a count for the rest)
)
WAITING_SHOWN = 50
DEFAULT_CAPACITY = 12


@dataclass(frozen=True, slots=True)
class Addresses:
    """Where a client can be reached: the main phone, e-mail and Telegram handle."""

    phone: str | None = None
    email: str | None = None
    telegram: str | None = None


def addresses_for(client_ids: Iterable[int]) -> dict[int, Addresses]:
    """Each client's main addresses (the primary one of a kind, else the oldest), one query."""
    found: dict[int, dict[str, str]] = {}
    rows = (
        ContactPoint.objects.filter(client_id__in=list(client_ids))
        .order_by("client_id", "kind", "-is_primary", "pk")
        .values_list("client_id", "kind", "value")
    )
    for client_id, kind, value in rows:
        found.setdefault(client_id, {}).setdefault(kind, value)
    return {
        client_id: Addresses(
            phone=kinds.get(ContactKind.PHONE),
            email=kinds.get(ContactKind.EMAIL),
            telegram=kinds.get(ContactKind.TELEGRAM),
        )
        for client_id, kinds in found.items()
    }


class Drafter:
    """Writes a touchpoint's draft from the store's templates (or the built-in ones)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.own = {
            (occasion, language): text
            for occasion, language, text in OccasionTemplate.objects.filter(
                store=store
            ).values_list("occasion", "language", "text")
        }

    def template(self, occasion: str, language: str) -> str:
        """The store's text for the occasion, else the built-in one (Russian when missing)."""
        own = self.own.get((occasion, language))
        if own:
            return own
        texts = drafts.DEFAULT_TEMPLATES.get(occasion) or drafts.DEFAULT_TEMPLATES["manual"]
        return texts.get(language) or texts["ru"]

    def text(self, point: Touchpoint | AgendaPoint, consultant: User | None) -> str:
        """The consultant's own edit if there is one, else the template filled in."""
        if point.draft:
            return point.draft
        client = point.client
        return drafts.draft_for(
            template=self.template(point.occasion, client.language),
            occasion=point.occasion,
            reason=point.reason or {},
            language=client.language,
            client_name=client.first_name,
            consultant_name=consultant.first_name if consultant else "",
            store_name=self.store.name,
        )


@dataclass(frozen=True, slots=True)
class AgendaClient:
    """The client of a contact on Today: what the page and the draft need of the card."""

    pk: int
    first_name: str
    last_name: str
    language: str

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True, slots=True)
class AgendaPoint:
    """A touchpoint as Today shows it: plain values read in one query, not a model instance
    (a page shows dozens, and a model with its client costs three times as much to build)."""

    pk: int
    client: AgendaClient
    store_id: int
    assignee_id: int | None
    due_on: date
    window_start: date
    window_end: date
    occasion: str
    category: str
    channel: str
    status: str
    is_fixed: bool
    reason: dict[str, Any]
    merged_occasions: list[str]
    draft: str

    @property
    def client_id(self) -> int:
        return self.client.pk


# AgendaPoint's fields in order, the client's pk second, and the client's names and language last.
_POINT_COLUMNS = (
    "pk", "client_id", "store_id", "assignee_id", "due_on", "window_start", "window_end",
    "occasion", "category", "channel", "status", "is_fixed", "reason", "merged_occasions",
    "draft", "client__first_name", "client__last_name", "client__language",
)  # fmt: skip


def _points(points: QuerySet[Touchpoint]) -> list[AgendaPoint]:
    """The touchpoints of ``points`` (in its order) as Today shows them, in one query."""
    return [
        AgendaPoint(row[0], AgendaClient(row[1], *row[-3:]), *row[2:-3])
        for row in points.values_list(*_POINT_COLUMNS)
    ]


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One contact on Today: the touchpoint, its draft and the link that opens it on the phone."""

    touchpoint: AgendaPoint
    text: str
    link: str | None
    link_template: str = ""
    moved_to: date | None = None
    over_capacity: bool = False
    is_overdue: bool = False


@dataclass(frozen=True, slots=True)
class AgendaPage:
    """A consultant's Today: what to do, what waits for a reply, and the counters."""

    consultant: User
    store: Store | None  # the consultant's home store (its standard, templates and locale)
    day: date
    capacity: int
    items: list[AgendaItem]
    later: list[AgendaItem]
    moved: list[AgendaItem]
    waiting: list[AgendaItem]
    counts: dict[str, int] = field(default_factory=dict)
    unassigned: bool = False
    monthly_minimum: int = 0
    quiet_until: datetime | None = None


def consultant_get_for(*, user: User, pk: int | None) -> User:
    """Whose Today the user may open: their own, or (a manager) a consultant of their store."""
    if pk is None or pk == user.pk:
        return user
    try:
        return consultants_for(user=user).get(pk=pk)
    except User.DoesNotExist as exc:
        raise Http404("No such consultant") from exc


def _active_touchpoints() -> QuerySet[Touchpoint]:
    """Touchpoints of cards that live on: a merged card's moved to the survivor, and none of its
    own may show up. Through a join to each row's client, whose cost does not grow with the
    number of merged cards (a ``NOT EXISTS`` would hash them all on every query)."""
    return Touchpoint.objects.filter(client__merged_into__isnull=True)


def agenda_touchpoints_for(*, user: User) -> QuerySet[Touchpoint]:
    """Every touchpoint on a Today the user may open, by the page's own rules: their own; for a
    manager, also their consultants' (see :func:`consultant_get_for`) and those of clients
    without a consultant in the stores they manage; only in stores the user works in (every
    store for an owner/admin); never a merged card's."""
    scope = scope_for(user)
    reach = Q(assignee=user)
    if scope.is_manager:
        unassigned = Q(assignee__isnull=True)
        if not scope.all_stores:
            unassigned &= Q(store_id__in=scope.managed_store_ids)
        reach |= Q(assignee__in=consultants_for(user=user).values("pk")) | unassigned
    points = _active_touchpoints().filter(reach)
    if not scope.all_stores:
        points = points.filter(store_id__in=scope.store_ids)
    return points


def agenda_point_get_for(*, user: User, pk: int) -> AgendaPoint:
    """A touchpoint on a Today the user may open (:func:`agenda_touchpoints_for`), or 404."""
    found = _points(agenda_touchpoints_for(user=user).filter(pk=pk))
    if not found:
        raise Http404("No such touchpoint")
    return found[0]


@dataclass(frozen=True, slots=True)
class DayRules:
    """What a store's standard says about a consultant's day."""

    capacity: int = DEFAULT_CAPACITY
    monthly_minimum: int = 120
    quiet_from: time = time(21, 0)
    quiet_until: time = time(10, 0)
    time_zone: str = "Europe/Moscow"

    def quiet_until_at(self, now: datetime) -> datetime | None:
        """When messages may go out again, if ``now`` falls in the store's quiet hours."""
        local = now.astimezone(ZoneInfo(self.time_zone))
        return agenda_core.quiet_until(local, self.quiet_from, self.quiet_until)


def day_rules_for(store: Store | None) -> DayRules:
    """The store's daily capacity, monthly minimum and quiet hours (defaults without a row); no
    query when the store was read with ``select_related("standard")``."""
    if store is None:
        return DayRules()
    try:
        standard = store.standard
    except Standard.DoesNotExist:
        return DayRules(time_zone=store.time_zone)
    return DayRules(
        standard.daily_capacity,
        standard.monthly_minimum,
        standard.quiet_from,
        standard.quiet_until,
        time_zone=store.time_zone,
    )


def _home_store_with_standard(user: User) -> Store | None:
    """:func:`~rapport.accounts.selectors.home_store_for`, with the store's standard read in
    the same query."""
    return stores_for(user=user).select_related("standard").order_by("pk").first()


# Stands for the message in a link template; the page swaps in the edited text as it is typed.
TEXT_MARK = "RAPPORTDRAFTTEXT"


@dataclass(frozen=True, slots=True)
class Message:
    """A touchpoint's draft and the deep links that open it on the consultant's phone."""

    text: str
    link: str | None
    link_template: str


def message_for(
    point: Touchpoint | AgendaPoint,
    drafter: Drafter,
    consultant: User,
    addresses: dict[int, Addresses],
) -> Message:
    """The draft (the consultant's edit or the template) and its one-tap link."""
    text = drafter.text(point, consultant)
    where = addresses.get(point.client_id, Addresses())

    def link(body: str) -> str | None:
        return deep_link(
            point.channel,
            phone=where.phone,
            email=where.email,
            telegram=where.telegram,
            text=body,
            subject=drafter.store.name,
        )

    return Message(text=text, link=link(text), link_template=link(TEXT_MARK) or "")


# The client's value × risk comes from their scores (rapport.insights), 0 before the first scoring.
_CANDIDATE_COLUMNS = (
    "pk", "due_on", "window_start", "window_end", "is_fixed", "priority", "client__score__priority",
)  # fmt: skip


def agenda_for(
    *, user: User, day: date, consultant: User | None = None, unassigned: bool = False
) -> AgendaPage:
    """Today for a consultant (the user, or one of a manager's team): due and overdue contacts
    by priority within the daily capacity, the overflow moved inside its window, and replies
    being waited for. ``unassigned``: a manager's view of the contacts of clients without a
    consultant in the stores they manage (nobody else would see them).

    Seven queries whatever the list's length (eight with replies to wait for) besides the
    user's scope: the store with its standard, the candidates, the counters, the rows shown (and
    the waiting ones), addresses, templates and the contacts made."""
    who = consultant or user
    store = _home_store_with_standard(who)
    rules = day_rules_for(store)
    capacity = rules.capacity
    scope = scope_for(user)
    active = _active_touchpoints()
    if unassigned:
        mine = active.filter(assignee__isnull=True)
        if not scope.all_stores:
            mine = mine.filter(store_id__in=scope.managed_store_ids)
    else:
        mine = active.filter(assignee=who)
        if not scope.all_stores:
            mine = mine.filter(store_id__in=scope.store_ids)
    # Every candidate as plain values (a big book may have hundreds overdue); full rows only
    # for what the page shows.
    due = list(
        mine.filter(status=TouchpointStatus.PLANNED, due_on__lte=day)
        .order_by()
        .values_list(*_CANDIDATE_COLUMNS)
    )
    plan = agenda_core.build_agenda(
        [
            # positional: the columns are Due's fields in order (hundreds of rows)
            agenda_core.Due(pk, due_on, start, end, fixed, priority, float(value or 0.0))
            for pk, due_on, start, end, fixed, priority, value in due
        ],
        day=day,
        capacity=capacity,
    )
    # How many by status: planned for the next days, and waiting for a reply.
    counts = dict(
        mine.filter(
            Q(
                status=TouchpointStatus.PLANNED,
                due_on__gt=day,
                due_on__lte=day + timedelta(days=UPCOMING_DAYS),
            )
            | Q(status=TouchpointStatus.WAITING)
        )
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    waiting_count = counts.get(TouchpointStatus.WAITING, 0)
    moved = plan.moved[:OVERFLOW_SHOWN]
    later = plan.later[:OVERFLOW_SHOWN]
    shown = {*plan.today, *(pk for pk, _ in moved), *later}
    by_id = {p.pk: p for p in _points(Touchpoint.objects.filter(pk__in=shown).order_by())}
    waiting = (
        _points(
            mine.filter(status=TouchpointStatus.WAITING).order_by("-done_at", "pk")[:WAITING_SHOWN]
        )
        if waiting_count
        else []
    )
    addresses = addresses_for({by_id[pk].client_id for pk in plan.today})
    drafter = Drafter(store) if store and plan.today else None
    over = set(plan.over_capacity)

    def item(point: AgendaPoint, moved_to: date | None = None, draft: bool = True) -> AgendaItem:
        """A row of the page; only what the consultant acts on today gets its draft and link."""
        message = message_for(point, drafter, who, addresses) if drafter and draft else None
        return AgendaItem(
            touchpoint=point,
            text=message.text if message else "",
            link=message.link if message else None,
            link_template=message.link_template if message else "",
            moved_to=moved_to,
            over_capacity=point.pk in over,
            is_overdue=point.due_on < day,
        )

    tz = timezone.get_current_timezone()
    made = Contact.objects.filter(
        user=who, at__gte=datetime.combine(day.replace(day=1), time.min, tzinfo=tz)
    ).aggregate(
        month=Count("pk"),
        today=Count("pk", filter=Q(at__gte=datetime.combine(day, time.min, tzinfo=tz))),
    )
    return AgendaPage(
        consultant=who,
        store=store,
        day=day,
        capacity=capacity,
        items=[item(by_id[pk]) for pk in plan.today],
        later=[item(by_id[pk], draft=False) for pk in later],
        moved=[item(by_id[pk], moved_to=when, draft=False) for pk, when in moved],
        waiting=[item(point, draft=False) for point in waiting],
        counts={
            "today": sum(1 for row in due if row[1] == day),
            "overdue": plan.overdue_count,
            "upcoming": counts.get(TouchpointStatus.PLANNED, 0),
            "waiting": waiting_count,
            "done_today": made["today"],
            "done_month": made["month"],
            "moved": len(plan.moved),
            "later": len(plan.later),
        },
        monthly_minimum=0 if unassigned else rules.monthly_minimum,
        quiet_until=rules.quiet_until_at(timezone.now()),
        unassigned=unassigned,
    )


def agenda_item_get_for(*, user: User, pk: int, day: date) -> AgendaItem:
    """One contact as Today shows it to the user (the card again after an action on it, or on a
    page of its own), with its draft and link while it is planned; 404 if it is on no Today the
    user may open."""
    point = agenda_point_get_for(user=user, pk=pk)
    if point.status != TouchpointStatus.PLANNED:
        return AgendaItem(touchpoint=point, text="", link=None, is_overdue=point.due_on < day)
    consultant = user
    if point.assignee_id not in (None, user.pk):
        consultant = User.objects.get(pk=point.assignee_id)
    store = home_store_for(user=consultant) or Store.objects.get(pk=point.store_id)
    message = message_for(point, Drafter(store), consultant, addresses_for([point.client_id]))
    return AgendaItem(
        touchpoint=point,
        text=message.text,
        link=message.link,
        link_template=message.link_template,
        is_overdue=point.due_on < day,
    )


def touchpoint_get_for(*, user: User, pk: int) -> Touchpoint:
    """A touchpoint of a client the user may see, or 404."""
    scope = scope_for(user)
    points = Touchpoint.objects.select_related("client", "client__store", "relative", "assignee")
    if not scope.all_stores:
        points = points.filter(store_id__in=scope.store_ids)
    try:
        return points.get(pk=pk)
    except Touchpoint.DoesNotExist as exc:
        raise Http404("No such touchpoint") from exc


@dataclass(frozen=True, slots=True)
class PlanMonth:
    """One month of the card's plan timeline: contacts made and touchpoints planned."""

    start: date
    contacts: list[Contact]
    touchpoints: list[Touchpoint]


def plan_timeline_for(client: Client, *, today: date, months_back: int = 3) -> list[PlanMonth]:
    """Twelve months of the client's plan: the last months' contacts and the coming touchpoints."""
    first = _month_start(today)
    for _ in range(months_back):
        first = _month_start(first - timedelta(days=1))
    last = _month_start(_add_months(first, 12))
    contacts = list(
        Contact.objects.filter(client=client, at__date__gte=first, at__date__lt=last)
        .select_related("user")
        .order_by("at", "pk")
    )
    points = list(
        Touchpoint.objects.filter(
            client=client,
            due_on__gte=first,
            due_on__lt=last,
            status__in=[TouchpointStatus.PLANNED, TouchpointStatus.WAITING],
        )
        .select_related("relative")
        .order_by("due_on", "-priority", "pk")
    )
    months = []
    start = first
    while start < last:
        end = _add_months(start, 1)
        months.append(
            PlanMonth(
                start=start,
                contacts=[c for c in contacts if start <= c.at.date() < end],
                touchpoints=[p for p in points if start <= p.due_on < end],
            )
        )
        start = end
    return months


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


CALENDAR_DAYS_BACK = 7
CALENDAR_DAYS_AHEAD = 90


def calendar_user_for(*, token: str) -> User:
    """The active user whose calendar feed ``token`` opens, or 404 (a blank token opens none)."""
    user = User.objects.filter(calendar_token=token, is_active=True).first() if token else None
    if user is None:
        raise Http404("No such calendar")
    return user


def calendar_points_for(*, user: User, today: date) -> QuerySet[Touchpoint]:
    """The user's planned contacts, a week back to 90 days ahead, in stores they still work in."""
    points = _active_touchpoints()
    scope = scope_for(user)
    if not scope.all_stores:
        points = points.filter(store_id__in=scope.store_ids)
    return (
        points.filter(
            assignee=user,
            status=TouchpointStatus.PLANNED,
            due_on__gte=today - timedelta(days=CALENDAR_DAYS_BACK),
            due_on__lte=today + timedelta(days=CALENDAR_DAYS_AHEAD),
        )
        .select_related("client")
        .order_by("due_on", "-priority", "pk")
    )


def contact_values_for(*, client: Client) -> dict[str, list[str]]:
    """The client's phones, e-mails and Telegram names by kind, the main one first."""
    found: dict[str, list[str]] = {kind: [] for kind in ContactKind.values}
    for kind, value in client.contact_points.order_by("-is_primary", "pk").values_list(
        "kind", "value"
    ):
        found.setdefault(kind, []).append(value)
    return found
