"""Reads for contact plans: upcoming contacts, Today, the plan on the card."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from rapport.clients.models import Client
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Touchpoint


def upcoming_for(client: Client, *, today: date, limit: int = 6) -> QuerySet[Touchpoint]:
    """The client's next planned contacts."""
    return (
        Touchpoint.objects.filter(client=client, status=TouchpointStatus.PLANNED, due_on__gte=today)
        .select_related("relative")
        .order_by("due_on", "-priority", "pk")[:limit]
    )
