"""``rapport replan [--all | --due | --store ID | --client ID] [--processes N] [--json]``:
rebuild contact plans now.

``--due`` takes what the nightly pass takes: the clients whose plan may have changed (input
changed, or the plan's stable-until day has come; ADR 0007).

A progress bar goes to stderr when stdout is a terminal; ``--json`` prints one summary line:
clients, touchpoints inserted/deleted/kept, seconds and clients per second. ``--processes``
spreads the work over that many processes on PostgreSQL (one per core the database can spare).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from rapport.clients.models import Client
from rapport.outreach.services import active_client_ids, plans_rebuild_in_processes


class Command(BaseCommand):
    help = "Re-plan every client, the due ones, a store's clients or one client (as a diff)."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="every client")
        which.add_argument(
            "--due", action="store_true",
            help="the clients whose plan may have changed (what the nightly pass re-plans)",
        )  # fmt: skip
        which.add_argument("--store", type=int, help="the clients of this store (id)")
        which.add_argument("--client", type=int, help="one client (id)")
        parser.add_argument("--date", type=date.fromisoformat, help="plan as of (default today)")
        parser.add_argument(
            "--processes", type=int, default=1,
            help="processes to share the work (PostgreSQL only; default 1)",
        )  # fmt: skip
        parser.add_argument("--json", action="store_true", help="one JSON summary line")

    def handle(self, *args: Any, **options: Any) -> None:
        clients = Client.objects.filter(merged_into__isnull=True).order_by("pk")
        if options["store"] is not None:
            clients = clients.filter(store_id=options["store"])
        elif options["client"] is not None:
            merged_into = (
                Client.objects.filter(pk=options["client"])
                .values_list("merged_into_id", flat=True)
                .first()
            )
            if merged_into is not None:
                raise CommandError(
                    f"client {options['client']} has been merged into client {merged_into}"
                )
            clients = clients.filter(pk=options["client"])
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1")
        if options["processes"] > 1 and connection.vendor != "postgresql":
            raise CommandError(
                "--processes needs PostgreSQL: SQLite lets one process write at a time"
            )
        today = options["date"] or timezone.localdate()
        if options["due"]:
            ids = active_client_ids(due_on=today)
        else:
            ids = list(clients.values_list("pk", flat=True))
        if options["client"] is not None and not ids:
            raise CommandError(f"no client {options['client']}")
        tqdm.monitor_interval = 0  # no monitor thread: the processes are forked from this one
        bar = tqdm(
            total=len(ids), unit=" clients", file=sys.stderr, disable=not self.stdout.isatty()
        )
        with bar:
            stats = plans_rebuild_in_processes(
                client_ids=ids,
                processes=options["processes"],
                today=today,
                progress=bar.update,
            )
        summary = stats.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(
            f"Re-planned {summary['clients']:,} clients in {summary['seconds']} s "
            f"({summary['clients_per_s']:,} clients/s): {summary['inserted']:,} touchpoints "
            f"inserted, {summary['deleted']:,} deleted, {summary['kept']:,} kept."
        )
