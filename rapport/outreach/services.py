"""Writes for contact plans: the plan is rebuilt whenever what it depends on changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from rapport.clients.models import Client
from rapport.core import planner
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Touchpoint
from rapport.outreach.selectors import plan_input_for, standard_for


def _rows(client: Client, plan: Iterable[planner.Touchpoint]) -> list[Touchpoint]:
    return [
        Touchpoint(
            client=client,
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


@transaction.atomic
def plan_rebuild(*, client: Client, today: date | None = None) -> list[Touchpoint]:
    """Re-plan a client's future from what really happened; hand-made touchpoints stay."""
    today = today or timezone.localdate()
    plan = planner.build_plan(
        plan_input_for(client, today=today), standard_for(client.store), today
    )
    Touchpoint.objects.filter(
        client=client, status=TouchpointStatus.PLANNED, is_manual=False, due_on__gte=today
    ).delete()
    return Touchpoint.objects.bulk_create(_rows(client, plan))
