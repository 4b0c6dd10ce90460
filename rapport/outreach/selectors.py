"""Reads for contact plans: what the planner needs to know about a client, and upcoming contacts."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from rapport.accounts.models import Store
from rapport.clients.choices import Channel, ConsentStatus, ContactKind
from rapport.clients.models import Client
from rapport.core import planner
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Standard, Touchpoint

# A channel is usable only with an address to reach the client on it.
CHANNEL_NEEDS = {
    Channel.WHATSAPP: {ContactKind.PHONE},
    Channel.SMS: {ContactKind.PHONE},
    Channel.CALL: {ContactKind.PHONE},
    Channel.TELEGRAM: {ContactKind.PHONE, ContactKind.TELEGRAM},
    Channel.EMAIL: {ContactKind.EMAIL},
}
HISTORY_DAYS = 3 * 365


def standard_for(store: Store) -> planner.Standard:
    """The store's planning rules as the planner takes them (defaults until a manager edits)."""
    row = Standard.objects.filter(store=store).first()
    if row is None:
        return planner.Standard(country=store.country)
    return planner.Standard(
        min_gap=row.min_gap,
        max_gap=row.max_gap,
        horizon_days=row.horizon_days,
        former_per_year=row.former_per_year,
        overdue_ratio_winback=float(row.overdue_ratio_winback),
        country=store.country,
    )


def plan_input_for(client: Client, *, today: date) -> planner.PlanClient:
    """Everything the planner needs about one client, read in a fixed number of queries."""
    from rapport.sales.models import Purchase, Visit

    addresses = set(client.contact_points.values_list("kind", flat=True))
    granted = {
        channel
        for channel in client.consents.filter(status=ConsentStatus.GRANTED).values_list(
            "channel", flat=True
        )
        if CHANNEL_NEEDS.get(Channel(channel), set()) & addresses
    }
    since = today - timedelta(days=HISTORY_DAYS)
    purchases = tuple(
        planner.PlanPurchase(
            date=timezone.localdate(purchase.purchased_at),
            amount=float(purchase.total - purchase.returned_total),
            items=tuple(line.description for line in purchase.lines.all()),
        )
        for purchase in Purchase.objects.filter(client=client, purchased_at__date__gte=since)
        .order_by("purchased_at")
        .prefetch_related("lines")
    )
    visits = tuple(
        timezone.localdate(at)
        for at in Visit.objects.filter(client=client, visited_at__date__gte=since)
        .order_by("visited_at")
        .values_list("visited_at", flat=True)
    )
    return planner.PlanClient(
        id=client.pk,
        status=client.status,
        consented_channels=frozenset(granted),
        preferred_channel=client.preferred_channel or None,
        birthday=client.birthday,
        language=client.language,
        gender=client.gender,
        first_name=client.first_name,
        relatives=tuple(
            planner.PlanRelative(
                id=r.pk,
                name=r.name,
                relation=r.relation,
                birthday=r.birthday,
                greet_directly=r.greet_directly,
            )
            for r in client.relatives.all()
        ),
        key_dates=tuple(
            planner.PlanKeyDate(
                id=k.pk,
                kind=k.kind,
                date=k.date,
                yearly=k.recurrence == "yearly",
                relative_id=k.relative_id,
            )
            for k in client.key_dates.all()
        ),
        purchases=purchases,
        visits=visits,
        preferences=tuple(
            client.preferences.filter(kind__in=["brand", "category"]).values_list(
                "value", flat=True
            )
        ),
        manual=tuple(
            planner.PlanManual(
                date=t.due_on, occasion=t.occasion, category=t.category, channel=t.channel or None
            )
            for t in Touchpoint.objects.filter(
                client=client, is_manual=True, status=TouchpointStatus.PLANNED, due_on__gte=today
            )
        ),
    )


def upcoming_for(client: Client, *, today: date, limit: int = 6) -> QuerySet[Touchpoint]:
    """The client's next planned contacts."""
    return (
        Touchpoint.objects.filter(client=client, status=TouchpointStatus.PLANNED, due_on__gte=today)
        .select_related("relative")
        .order_by("due_on", "-priority", "pk")[:limit]
    )
