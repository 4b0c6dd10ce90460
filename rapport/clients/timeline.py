"""Factory functions for the client timeline, called inside the services' transactions."""

from __future__ import annotations

from typing import Any

from rapport.accounts.models import User
from rapport.clients.choices import TimelineKind
from rapport.clients.models import Client, TimelineEvent


def timeline_record(
    *,
    client: Client,
    kind: TimelineKind,
    actor: User | None,
    data: dict[str, Any] | None = None,
    **links: Any,
) -> TimelineEvent:
    """Write one timeline entry; ``links`` are the typed foreign keys (purchase=…, note=…)."""
    fields: dict[str, Any] = {
        "client": client,
        "kind": kind,
        "actor": actor,
        "data": data or {},
        **links,
    }
    return TimelineEvent.objects.create(**fields)
