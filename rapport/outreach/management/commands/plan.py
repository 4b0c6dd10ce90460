"""``rapport plan --client ID [--json]``: a client's contact plan as stored, from today on."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rapport.clients.models import Client
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Touchpoint


class Command(BaseCommand):
    help = "Print a client's planned contacts: date, occasion, category, channel and reason."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", type=int, required=True, help="the client's id")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args: Any, **options: Any) -> None:
        client = Client.objects.filter(pk=options["client"]).first()
        if client is None:
            raise CommandError(f"no client {options['client']}")
        points = Touchpoint.objects.filter(
            client=client,
            status__in=[TouchpointStatus.PLANNED, TouchpointStatus.WAITING],
            due_on__gte=timezone.localdate(),
        ).order_by("due_on", "-priority", "pk")
        rows = [plan_row(point) for point in points]
        if options["json"]:
            for row in rows:
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            return
        self.stdout.write(f"{client.full_name} (#{client.pk}): {len(rows)} planned contacts")
        for row in rows:
            kind = "manual" if row["manual"] else "fixed" if row["fixed"] else "flexible"
            merged = "".join(f" + {m}" for m in row["merged"])
            self.stdout.write(
                f"{row['date']}  {row['occasion'] + merged:<40} {row['category']:<9} "
                f"{row['channel']:<9} {kind:<8} {reason_text(row['reason'])}".rstrip()
            )


def plan_row(point: Touchpoint) -> dict[str, Any]:
    """One touchpoint as ``rapport plan`` shows it."""
    return {
        "date": point.due_on.isoformat(),
        "occasion": point.occasion,
        "category": point.category,
        "channel": point.channel,
        "status": point.status,
        "fixed": point.is_fixed,
        "manual": point.is_manual,
        "merged": list(point.merged_occasions),
        "reason": point.reason,
    }


def reason_text(reason: dict[str, Any]) -> str:
    """The reason's plain values as ``key=value`` in key order (PostgreSQL's jsonb does not keep
    the written order), lists joined by ``/``, merged and folded ones left out."""
    parts = []
    for key, value in sorted(reason.items()):
        if key in ("merged", "folded") or value in (None, "", [], {}):
            continue
        shown = "/".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{key}={shown}")
    return " ".join(parts)
