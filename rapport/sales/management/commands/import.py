"""``rapport import clients|purchases|products FILE --store NAME [--dry-run] [--json]``.

Reads the file, maps its columns by their headers (Russian or English; ``--map "Header=field"``
overrides one), loads it into the store with a progress bar on a terminal, and prints what it
did: created, updated, unchanged, refused lines by reason. ``--rejects FILE.csv`` writes every
refused line with its line number, column and reason. Running the same file again creates
nothing twice.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from rapport.accounts.models import Store, User
from rapport.core import tabular
from rapport.sales import services
from rapport.sales.choices import ImportKind


class Command(BaseCommand):
    help = "Import clients, purchases (receipt lines) or products from CSV, XLSX or XLS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file", type=Path)
        parser.add_argument("--store", help="the store's name (default: the only store)")
        parser.add_argument("--user", help="who imports (recorded on the timeline)")
        parser.add_argument("--owner", help="consultant for new clients (user name)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything, write nothing"
        )
        parser.add_argument(
            "--map", action="append", default=[], metavar="HEADER=FIELD",
            help="map a column by hand (FIELD empty to ignore the column); repeatable",
        )  # fmt: skip
        parser.add_argument("--rejects", type=Path, help="write the refused lines to this CSV")
        parser.add_argument("--json", action="store_true", help="one JSON summary line")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        store = self._store(options["store"])
        actor = self._user(options["user"])
        owner = self._user(options["owner"])
        try:
            run = services.import_upload(
                actor=actor,
                store=store,
                kind=options["kind"],
                filename=path.name,
                data=path.read_bytes(),
                owner=owner,
            )
            mapping: dict[str, str | None] = dict(run.mapping)
            for item in options["map"]:
                header, _, field = item.partition("=")
                mapping[header] = field or None
            with transaction.atomic():
                run = services.import_start(
                    actor=actor,
                    run=run,
                    mapping=mapping,
                    dry_run=options["dry_run"],
                    queue=False,
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        bar = tqdm(unit=" lines", file=sys.stderr, disable=not sys.stderr.isatty())

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        with bar:
            stats = services.import_execute(run_id=run.pk, progress=progress)
        assert stats is not None  # the run was created just above
        run.refresh_from_db()
        if options["rejects"]:
            rows = services.import_rejects(run=run)
            options["rejects"].write_bytes(
                tabular.export_csv(["line", "column", "reason", "value"], rows)
            )
        summary = {"import": run.pk, "kind": run.kind, "dry_run": run.dry_run, **stats.as_dict()}
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        verb = "Would import" if run.dry_run else "Imported"
        self.stdout.write(
            f"{verb} {path.name}: {stats.lines:,} lines; {stats.created:,} created, "
            f"{stats.updated:,} updated, {stats.unchanged:,} unchanged, "
            f"{stats.rejected:,} lines refused ({stats.seconds:.1f} s)."
        )
        for reason, count in sorted(stats.reasons.items(), key=lambda item: -item[1]):
            self.stdout.write(f"  {count:>8,}  {services.reason_message(reason)}")

    def _store(self, name: str | None) -> Store:
        stores = Store.objects.filter(name=name) if name else Store.objects.all()
        found = list(stores[:2])
        if len(found) != 1:
            names = ", ".join(Store.objects.values_list("name", flat=True)[:10])
            raise CommandError(f"choose the store with --store (one of: {names})")
        return found[0]

    def _user(self, username: str | None) -> User | None:
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user
