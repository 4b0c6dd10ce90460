"""``rapport score [--client ID] [--date D] [--json]``: refresh client scores now.

Fits BG/NBD and Gamma-Gamma on every purchase, then refreshes every client's numbers (or one
client's, with the last fitted models) and their status. A progress bar goes to stderr when
stdout is a terminal; ``--json`` prints one summary line (clients, status changes, the fitted
parameters, seconds per step).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from rapport.clients.models import Client
from rapport.insights.services import client_score_refresh, scores_refresh


class Command(BaseCommand):
    help = "Refit the lifetime models and refresh every client's numbers and status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", type=int, help="only this client (with the last models)")
        parser.add_argument("--date", type=date.fromisoformat, help="as of (default today)")
        parser.add_argument("--json", action="store_true", help="one JSON summary line")

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["date"] or timezone.localdate()
        if options["client"] is not None:
            client = Client.objects.filter(pk=options["client"]).first()
            if client is None:
                raise CommandError(f"no client {options['client']}")
            if client.merged_into_id is not None:
                raise CommandError(
                    f"client {client.pk} has been merged into client {client.merged_into_id}"
                )
            row = client_score_refresh(client=client, today=today)
            summary: dict[str, Any] = {
                "client": client.pk,
                "status": Client.objects.get(pk=client.pk).status,
                "p_alive": row.p_alive,
                "clv": None if row.clv is None else float(row.clv),
                "signals": [s["code"] for s in row.signals],
                "kind": row.kind,
            }
            self.stdout.write(json.dumps(summary) if options["json"] else str(summary))
            return
        total = Client.objects.filter(merged_into__isnull=True).count()
        bar = tqdm(total=total, unit=" clients", file=sys.stderr, disable=not self.stdout.isatty())
        with bar:
            stats = scores_refresh(today=today, progress=bar.update)
        summary = stats.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        bg = summary["bg_nbd"]
        models = (
            f"BG/NBD r={bg['r']:.3g} α={bg['alpha']:.3g} a={bg['a']:.3g} b={bg['b']:.3g}"
            if bg
            else "too little data for the lifetime models"
        )
        self.stdout.write(
            f"Scored {summary['clients']:,} clients in {summary['seconds']['total']} s; "
            f"{summary['status_changed']:,} changed status; {models}."
        )
