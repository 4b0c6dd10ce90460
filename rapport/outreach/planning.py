"""Loading a client into the planner and saving what it plans (used by the services).

The planner (:mod:`rapport.core.planner`) is pure; this module is the only place that turns rows
into its input and its output back into rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

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


def plan_rows(client: Client, plan: Iterable[planner.Touchpoint]) -> list[Touchpoint]:
    """Unsaved rows for a plan's touchpoints (manual ones are rows already)."""
    return [
        Touchpoint(
            client=client,
            store_id=client.store_id,
            assignee_id=client.owner_id,
            due_on=point.date,
            window_start=point.window_start,
            window_end=point.window_end,
            occasion=point.occasion,
            category=point.category,
            channel=point.channel or "",
            is_fixed=point.is_fixed,
            may_break_min_gap=point.may_break_min_gap,
            priority=point.priority,
            relative_id=point.relative_id,
            merged_occasions=list(point.merged_occasions),
            reason=point.reason_params,
        )
        for point in plan
        if not point.is_manual  # manual touchpoints are rows already; the plan only keeps them
    ]
