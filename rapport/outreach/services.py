"""Writes for contact plans: the plan is rebuilt whenever what it depends on changes."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from rapport.clients.models import Client
from rapport.core import planner
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Touchpoint
from rapport.outreach.planning import plan_input_for, plan_rows, standard_for


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
    return Touchpoint.objects.bulk_create(plan_rows(client, plan))
