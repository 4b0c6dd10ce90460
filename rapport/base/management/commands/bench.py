"""``rapport bench``: reproducible performance figures (DESIGN.md §6), one JSON line per figure.

Subcommands (more — ``plan``, ``score``, ``import`` — plug in as further subparsers):

- ``search``: client search by phone, last digits, name prefix and e-mail over N generated
  clients, timed through ``rapport.clients.selectors.client_search`` as a store's consultant.

A benchmark never touches the user's database: the command re-runs itself in a subprocess with
``DATABASE_URL`` pointing at a dedicated bench database (``var/bench/search-N-sS.sqlite3`` or the
PostgreSQL database ``rapport_bench``), which it migrates, loads and keeps for the next run with
the same N and seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, models, transaction
from tqdm import tqdm

from rapport.accounts.choices import Role
from rapport.accounts.models import Store, User
from rapport.clients.models import Client, ContactPoint

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "rapport_bench"
SEARCH_BUDGET_P95_MS = 30.0
LOAD_CHUNK = 20_000
SEARCH_KINDS = ("phone", "last4", "name_cyrillic", "name_latin", "email")


class Command(BaseCommand):
    help = "Measure Rapport's performance budgets on generated data (one JSON line per figure)."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="bench", required=True, metavar="{search}")
        search = subparsers.add_parser(
            "search", help="Client search by phone, digits, name, e-mail."
        )
        search.add_argument("--clients", type=int, default=100_000, help="Clients to load.")
        search.add_argument("--queries", type=int, default=500, help="Queries per kind.")
        search.add_argument(
            "--database", choices=("sqlite", "postgres", "both"), default="sqlite",
            help="Which database engine to measure (default sqlite).",
        )  # fmt: skip
        search.add_argument("--pg-url", default=DEFAULT_PG_URL, help="A PostgreSQL server to use.")
        search.add_argument("--seed", type=int, default=1)
        search.add_argument("--json", action="store_true", help="JSON lines only.")
        search.add_argument("--worker", default="", help="(internal) measure in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        commands: dict[str, Callable[..., None]] = {"search": self.search}
        commands[options["bench"]](**options)

    # --- search ---------------------------------------------------------------------------

    def search(self, **options: Any) -> None:
        if options["worker"]:
            for figure in search_worker(
                db=options["worker"],
                clients=options["clients"],
                queries=options["queries"],
                seed=options["seed"],
            ):
                self.stdout.write(json.dumps(figure, ensure_ascii=False))
                self.stdout.flush()
            return
        engines = (
            ("sqlite", "postgres") if options["database"] == "both" else (options["database"],)
        )
        figures = []
        for engine in engines:
            url = _bench_url(engine, options)
            argv = [
                sys.executable, "-m", "rapport.cli", "bench", "search", "--worker", engine,
                "--clients", str(options["clients"]), "--queries", str(options["queries"]),
                "--seed", str(options["seed"]),
            ]  # fmt: skip
            env = {**os.environ, "DATABASE_URL": url}
            result = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True, check=False)
            if result.returncode != 0:
                raise CommandError(f"bench search on {engine} failed (exit {result.returncode})")
            for line in result.stdout.splitlines():
                if not line.startswith("{"):
                    continue
                figure = json.loads(line)
                figures.append(figure)
                if options["json"]:
                    self.stdout.write(line)
        if not options["json"]:
            self.stdout.write(_table(figures))


def _schema_tag() -> str:
    """A fingerprint of the migrations: a loaded bench database is reused only if it matches."""
    digest = hashlib.sha1()
    for path in sorted(Path(__file__).resolve().parents[3].glob("*/migrations/0*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def _bench_url(engine: str, options: dict[str, Any], bench: str = "search") -> str:
    """The bench database for a benchmark, size and seed (created if missing; stale ones,
    built for an older schema, dropped)."""
    tag = _schema_tag()
    clients, seed = options["clients"], options["seed"]
    if engine == "sqlite":
        directory = settings.VAR_DIR / "bench"
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{bench}-{clients}-s{seed}-{tag}.sqlite3"
        for stale in directory.glob(f"{bench}-{clients}-s{seed}-*.sqlite3*"):
            if not stale.name.startswith(name):
                stale.unlink()
        return f"sqlite:///{directory / name}"
    import psycopg

    # ``search`` keeps one database whatever the size; the others keep one per size and seed.
    prefix = PG_BENCH_DB if bench == "search" else f"rapport_{bench}_{clients}_s{seed}_"
    database = f"{PG_BENCH_DB}_{tag}" if bench == "search" else f"{prefix}{tag}"

    parts = urlsplit(options["pg_url"])
    try:
        with psycopg.connect(options["pg_url"], autocommit=True) as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"]
                )
            ]
            for stale in names:
                if stale != database and stale.startswith(prefix):  # an older schema
                    conn.execute(f'DROP DATABASE "{stale}"')
            if database not in names:
                conn.execute(f'CREATE DATABASE "{database}"')
    except psycopg.OperationalError as exc:
        raise CommandError(f"PostgreSQL at {options['pg_url']} is not reachable: {exc}") from exc
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def _table(figures: list[dict[str, Any]]) -> str:
    rows = [("db", "clients", "kind", "p50 ms", "p95 ms", "budget", "found")]
    for f in figures:
        if f["kind"] == "load":
            rows.append((f["db"], str(f["clients"]), "load", f"{f['seconds']} s", "",
                         "reused" if f["reused"] else "", ""))  # fmt: skip
        else:
            found = "" if f.get("found_pct") is None else f"{f['found_pct']} %"
            rows.append((f["db"], str(f["clients"]), f["kind"], str(f["p50_ms"]), str(f["p95_ms"]),
                         "ok" if f["p95_ms"] <= f["budget_p95_ms"] else "OVER", found))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


# --- the worker: runs with DATABASE_URL pointing at the bench database --------------------------


def search_worker(*, db: str, clients: int, queries: int, seed: int) -> Iterator[dict[str, Any]]:
    """Load (or reuse) the bench database, then time ``client_search`` per kind of query."""
    call_command("migrate", interactive=False, verbosity=0)
    marker = f"bench search n={clients} seed={seed}"
    reused = Store.objects.filter(city=marker).exists() and Client.objects.count() == clients
    started = time.perf_counter()
    if not reused:
        call_command("flush", interactive=False, verbosity=0)
        _load(clients=clients, seed=seed, marker=marker)
    load_seconds = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    yield {"bench": "search", "db": db, "clients": clients, "kind": "load",
           "seconds": load_seconds, "reused": reused}  # fmt: skip

    from rapport.clients.selectors import client_search

    user = User.objects.get(username="bench-a")
    rng = random.Random(seed * 31 + 1)
    samples = _samples(user, clients, queries, rng)
    for warm in samples["phone"][:20] + samples["name_cyrillic"][:20]:
        client_search(user=user, text=warm[0])
    for kind in SEARCH_KINDS:
        timings, found, results = [], 0, 0
        for text, expected in samples[kind]:
            t0 = time.perf_counter()
            hits = client_search(user=user, text=text)
            timings.append((time.perf_counter() - t0) * 1000)
            results += len(hits)
            found += expected is not None and any(hit.pk == expected for hit in hits)
        exact = kind in {"phone", "email"}
        yield {
            "bench": "search",
            "db": db,
            "clients": clients,
            "kind": kind,
            "p50_ms": round(statistics.median(timings), 2),
            "p95_ms": round(_percentile(timings, 95), 2),
            "max_ms": round(max(timings), 2),
            "queries": len(timings),
            "budget_p95_ms": SEARCH_BUDGET_P95_MS,
            "avg_results": round(results / len(timings), 1),
            "found_pct": round(100 * found / len(timings), 1) if exact else None,
        }


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _phone_formats(e164: str, rng: random.Random) -> str:
    n = e164[2:]  # 10 national digits
    a, b, c, d = n[:3], n[3:6], n[6:8], n[8:]
    formats = (
        f"+7 {a} {b}-{c}-{d}", f"8{n}", f"8 ({a}) {b} {c} {d}", f"+7{n}", f"8-{a}-{b}-{c}-{d}",
        f"{a} {b} {c} {d}", f"+7 ({a}) {b}{c}{d}",
    )  # fmt: skip
    return rng.choice(formats)


def _samples(
    user: User, clients: int, queries: int, rng: random.Random
) -> dict[str, list[tuple[str, int | None]]]:
    """Queries a consultant of store A would type: its clients are the even generator indexes."""
    from rapport.core.generator import transliterate

    store_a_ids = range(1, clients + 1, 2)  # pk = index + 1; index % 2 == 0 is store A
    picked = rng.sample(store_a_ids, min(len(store_a_ids), queries * 4))
    people = {c.pk: c for c in Client.objects.filter(pk__in=picked).only("first_name", "last_name")}
    points: dict[int, dict[str, str]] = {}
    for client_id, kind, value in ContactPoint.objects.filter(client_id__in=picked).values_list(
        "client_id", "kind", "value"
    ):
        points.setdefault(client_id, {})[kind] = value
    samples: dict[str, list[tuple[str, int | None]]] = {kind: [] for kind in SEARCH_KINDS}
    for pk in picked:
        person, contacts = people[pk], points.get(pk, {})
        if len(samples["phone"]) < queries:
            samples["phone"].append((_phone_formats(contacts["phone"], rng), pk))
        if len(samples["last4"]) < queries:
            samples["last4"].append((contacts["phone"][-4:], None))
        name = person.last_name if rng.random() < 0.7 else person.first_name
        length = rng.randint(3, 5)
        if len(samples["name_cyrillic"]) < queries:
            samples["name_cyrillic"].append((name[:length], None))
        if len(samples["name_latin"]) < queries:
            samples["name_latin"].append((transliterate(name)[:length].capitalize(), None))
        if "email" in contacts and len(samples["email"]) < queries:
            email = contacts["email"]
            samples["email"].append((email.capitalize() if rng.random() < 0.3 else email, pk))
    return samples


def _load(*, clients: int, seed: int, marker: str) -> None:
    """Two stores, a consultant in each, N generated clients and their contacts, in bulk."""
    from rapport.core.generator import generate_clients
    from rapport.core.normalize import name_skeleton, phone_suffix_key

    stores = [Store.objects.create(name=f"Bench {code}", city="loading") for code in "AB"]
    owners = []
    for code, store in zip("ab", stores, strict=True):
        user = User(username=f"bench-{code}", first_name="Bench", last_name=code.upper())
        user.set_unusable_password()
        user.save()
        user.memberships.create(store=store, role=Role.CONSULTANT)
        owners.append(user)
    vendor = connection.vendor
    now = datetime.now(UTC)

    def when(moment: Any) -> Any:
        if moment is None or vendor == "postgresql":
            return moment
        if isinstance(moment, datetime):
            return connection.ops.adapt_datetimefield_value(moment)
        return connection.ops.adapt_datefield_value(moment)

    client_rows: list[tuple[Any, ...]] = []
    contact_rows: list[tuple[Any, ...]] = []
    client_fields = ["id", "store", "owner", "first_name", "last_name", "middle_name", "gender",
                     "birthday", "language", "preferred_channel", "status", "created_at",
                     "updated_at", "purchase_count", "last_name_key", "first_name_key"]  # fmt: skip
    contact_fields = ["client", "kind", "value", "suffix_key", "is_primary", "created_at"]
    bar = tqdm(
        total=clients, desc=f"loading {clients:,} clients ({vendor})", file=sys.stderr, unit=""
    )

    def flush() -> None:
        with transaction.atomic():
            _fast_insert(Client, client_fields, client_rows, now)
            _fast_insert(ContactPoint, contact_fields, contact_rows, now)
        bar.update(len(client_rows))
        client_rows.clear()
        contact_rows.clear()

    for gen in generate_clients(clients, seed=seed, with_history=False):
        pk = gen.index + 1
        created = when(gen.created_at)
        client_rows.append((
            pk, stores[gen.index % 2].pk, owners[gen.index % 2].pk, gen.first_name, gen.last_name,
            gen.middle_name, gen.gender, when(gen.birthday), gen.language, gen.preferred_channel,
            "new", created, created, 0, name_skeleton(gen.last_name)[:80],
            name_skeleton(gen.first_name)[:80],
        ))  # fmt: skip
        for contact in gen.contacts:
            suffix = ""
            if contact.kind == "phone":
                # Same as phone_suffix_key() for +7 numbers, without parsing each one again.
                suffix = (
                    contact.value[2:][::-1]
                    if contact.value.startswith("+7")
                    else (phone_suffix_key(contact.value))
                )
            contact_rows.append(
                (pk, contact.kind, contact.value, suffix, contact.is_primary, created)
            )
        if len(client_rows) >= LOAD_CHUNK:
            flush()
    if client_rows:
        flush()
    bar.close()
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Client, ContactPoint]):
                cursor.execute(sql)
    Store.objects.filter(pk__in=[s.pk for s in stores]).update(city=marker)


def _fast_insert(
    model: type[models.Model], fields: list[str], rows: Iterable[tuple[Any, ...]], now: datetime
) -> None:
    """Insert raw rows (COPY on PostgreSQL, executemany elsewhere); other columns get defaults.

    Columns this loader does not know (added to the model later) get the field's default, so the
    bench keeps working while the models grow.
    """
    meta = model._meta
    known = [meta.get_field(name) for name in fields]
    extra = [
        f
        for f in meta.concrete_fields
        if f not in known and not (f.primary_key and f.name not in fields)
    ]
    defaults = []
    for f in extra:
        value = (
            now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default()
        )
        if connection.vendor != "postgresql":
            value = f.get_db_prep_save(value, connection)
        defaults.append(value)
    columns = [str(f.column) for f in known + extra]  # type: ignore[union-attr]
    tail = tuple(defaults)
    table = connection.ops.quote_name(meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + tail)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})",
                [row + tail for row in rows],
            )
