"""Reads for contact plans: Today, the waiting list, the plan on the card."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import consultants_for, home_store_for, scope_for
from rapport.clients.choices import ContactKind
from rapport.clients.models import Client, ContactPoint
from rapport.core import agenda as agenda_core
from rapport.core import drafts
from rapport.core.deeplinks import deep_link
from rapport.outreach.choices import Outcome, TouchpointStatus
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

    def text(self, point: Touchpoint, consultant: User | None) -> str:
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
class AgendaItem:
    """One contact on Today: the touchpoint, its draft and the link that opens it on the phone."""

    touchpoint: Touchpoint
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
    """The store's daily capacity, monthly minimum and quiet hours (defaults without a row)."""
    if store is None:
        return DayRules()
    row = (
        Standard.objects.filter(store=store)
        .values_list("daily_capacity", "monthly_minimum", "quiet_from", "quiet_until")
        .first()
    )
    if row is None:
        return DayRules(time_zone=store.time_zone)
    return DayRules(*row, time_zone=store.time_zone)


# Stands for the message in a link template; the page swaps in the edited text as it is typed.
TEXT_MARK = "RAPPORTDRAFTTEXT"


@dataclass(frozen=True, slots=True)
class Message:
    """A touchpoint's draft and the deep links that open it on the consultant's phone."""

    text: str
    link: str | None
    link_template: str


def message_for(
    point: Touchpoint, drafter: Drafter, consultant: User, addresses: dict[int, Addresses]
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
    consultant in the stores they manage (nobody else would see them)."""
    who = consultant or user
    store = home_store_for(user=who)
    rules = day_rules_for(store)
    capacity = rules.capacity
    scope = scope_for(user)
    # A merged card's touchpoints moved to the survivor; none of its own may show up.
    active = Touchpoint.objects.filter(client__merged_into__isnull=True)
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
        mine.filter(status=TouchpointStatus.PLANNED, due_on__lte=day).values_list(
            *_CANDIDATE_COLUMNS
        )
    )
    plan = agenda_core.build_agenda(
        [
            agenda_core.Due(
                id=pk,
                due_on=due_on,
                window_start=start,
                window_end=end,
                is_fixed=fixed,
                priority=priority,
                value=float(value or 0.0),
            )
            for pk, due_on, start, end, fixed, priority, value in due
        ],
        day=day,
        capacity=capacity,
    )
    moved = plan.moved[:OVERFLOW_SHOWN]
    later = plan.later[:OVERFLOW_SHOWN]
    shown = {*plan.today, *(pk for pk, _ in moved), *later}
    by_id = {
        p.pk: p
        for p in Touchpoint.objects.filter(pk__in=shown).select_related("client", "relative")
    }
    waiting = list(
        mine.filter(status=TouchpointStatus.WAITING)
        .select_related("client", "relative")
        .order_by("-done_at", "pk")[:WAITING_SHOWN]
    )
    addresses = addresses_for(
        {by_id[pk].client_id for pk in plan.today} | {p.client_id for p in waiting}
    )
    drafter = Drafter(store) if store else None
    over = set(plan.over_capacity)

    def item(point: Touchpoint, moved_to: date | None = None, draft: bool = True) -> AgendaItem:
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

    upcoming = mine.filter(
        status=TouchpointStatus.PLANNED,
        due_on__gt=day,
        due_on__lte=day + timedelta(days=UPCOMING_DAYS),
    ).count()
    waiting_count = mine.filter(status=TouchpointStatus.WAITING).count()
    tz = timezone.get_current_timezone()
    made = Contact.objects.filter(
        user=who, at__gte=datetime.combine(day.replace(day=1), time.min, tzinfo=tz)
    ).aggregate(
        month=Count("pk"),
        today=Count("pk", filter=Q(at__gte=datetime.combine(day, time.min, tzinfo=tz))),
    )
    return AgendaPage(
        consultant=who,
        day=day,
        capacity=capacity,
        items=[item(by_id[pk]) for pk in plan.today],
        later=[item(by_id[pk], draft=False) for pk in later],
        moved=[item(by_id[pk], moved_to=when, draft=False) for pk, when in moved],
        waiting=[item(point, draft=False) for point in waiting],
        counts={
            "today": sum(1 for row in due if row[1] == day),
            "overdue": plan.overdue_count,
            "upcoming": upcoming,
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


def outcomes_for(point: Touchpoint) -> Sequence[Outcome]:
    """The outcomes offered for a touchpoint: a waiting one is no longer 'sent'."""
    if point.status == TouchpointStatus.WAITING:
        return [o for o in Outcome if o != Outcome.SENT]
    return list(Outcome)


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
    points = Touchpoint.objects.filter(client__merged_into__isnull=True)
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
