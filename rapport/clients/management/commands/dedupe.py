"""``rapport dedupe [--store NAME] [--json]``: find likely duplicate cards in every store.

New pairs go to the managers' review queue; pairs already decided stay decided; where a store
has switched automatic merging on, the sure pairs are merged (and can be undone). A progress bar
goes to stderr when stdout is a terminal; ``--json`` prints one summary line per store.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from rapport.accounts.models import Store
from rapport.clients.services import duplicate_candidates_refresh


class Command(BaseCommand):
    help = "Find likely duplicate client cards, store by store."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--store", help="only the store with this name")
        parser.add_argument("--json", action="store_true", help="one JSON line per store")

    def handle(self, *args: Any, **options: Any) -> None:
        stores = Store.objects.order_by("pk")
        if options["store"]:
            stores = stores.filter(name=options["store"])
            if not stores.exists():
                raise CommandError(f"no store named {options['store']!r}")
        show = self.stdout.isatty() and not options["json"]
        for store in stores:
            with tqdm(
                total=1, desc=store.name, unit=" steps", file=sys.stderr, disable=not show
            ) as bar:

                def progress(step: int, total: int, bar: tqdm = bar) -> None:  # type: ignore[type-arg]
                    bar.total = total
                    bar.n = step
                    bar.refresh()

                stats = duplicate_candidates_refresh(store=store, progress=progress)
            if options["json"]:
                self.stdout.write(json.dumps(stats.as_dict(), ensure_ascii=False))
            else:
                self.stdout.write(
                    f"{store.name}: {stats.clients:,} cards, {stats.candidates:,} possible "
                    f"duplicates ({stats.created:,} new), {stats.auto_merged:,} merged "
                    f"automatically, {stats.seconds} s."
                )
