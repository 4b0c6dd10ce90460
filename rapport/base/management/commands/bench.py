"""``rapport bench``: reproducible performance figures (DESIGN.md §6), one JSON line per figure.

Subcommands:

- ``search``: client search by phone, last digits, name prefix and e-mail over N generated
  clients, timed through ``rapport.clients.selectors.client_search`` as a store's consultant.
- ``plan``: contact plans at scale (full re-plan, one client, the core, Today under load).
- ``import``: receipt lines per second from a 1C-style CSV, twice (the second run stores nothing).
- ``dedupe``: the duplicate matcher's precision, recall and seconds against Splink.
- ``btyd``: the lifetime-value models (``rapport.core.btyd``: BG/NBD + Gamma-Gamma fits, P(alive),
  expected purchases, CLV) on N clients simulated in NumPy, no database, against ``lifetimes``.

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
from datetime import UTC, datetime, timedelta
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
from rapport.base.bulk import bulk_insert as _bulk_insert
from rapport.clients.models import Client, ContactPoint

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "rapport_bench"
SEARCH_BUDGET_P95_MS = 30.0
LOAD_CHUNK = 20_000
SEARCH_KINDS = ("phone", "last4", "name_cyrillic", "name_latin", "email")


class Command(BaseCommand):
    help = "Measure Rapport's performance budgets on generated data (one JSON line per figure)."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(
            dest="bench", required=True, metavar="{search,plan,btyd,import,dedupe}"
        )
        search = subparsers.add_parser(
            "search", help="Client search by phone, digits, name, e-mail."
        )
        search.add_argument("--clients", type=int, default=100_000, help="Clients to load.")
        search.add_argument("--queries", type=int, default=500, help="Queries per kind.")
        _database_arguments(search, default="sqlite")
        plan = subparsers.add_parser(
            "plan", help="Contact plans: full re-plan, one client, the core, Today."
        )
        plan.add_argument("--clients", type=int, default=100_000, help="Clients to load.")
        _database_arguments(plan, default="sqlite")
        plan.add_argument("--samples", type=int, default=300, help="One-client re-plans timed.")
        plan.add_argument(
            "--only", default=",".join(PLAN_FIGURES),
            help="Figures to measure, comma-separated (default all): " + ",".join(PLAN_FIGURES)
            + ". Without replan, the plans stored by the last run are used.",
        )  # fmt: skip
        imp = subparsers.add_parser(
            "import", help="Receipt lines per second from a 1C-style CSV, and again (idempotent)."
        )
        imp.add_argument("--lines", type=int, default=1_000_000, help="Receipt lines.")
        _database_arguments(imp, default="both")
        btyd = subparsers.add_parser(
            "btyd", help="Lifetime value models (BG/NBD + Gamma-Gamma) against lifetimes."
        )
        btyd.add_argument("--clients", type=int, default=1_000_000, help="Clients to simulate.")
        btyd.add_argument("--seed", type=int, default=1)
        btyd.add_argument("--no-peer", action="store_true", help="Skip the lifetimes peer.")
        btyd.add_argument("--json", action="store_true", help="JSON lines only.")
        dedupe = subparsers.add_parser(
            "dedupe", help="Duplicate search on generated cards with known duplicates, vs Splink."
        )
        dedupe.add_argument("--clients", type=int, default=100_000, help="People to generate.")
        dedupe.add_argument("--seed", type=int, default=1)
        dedupe.add_argument("--no-peer", action="store_true", help="Skip the Splink peer.")
        dedupe.add_argument("--json", action="store_true", help="JSON lines only.")

    def handle(self, *args: Any, **options: Any) -> None:
        commands: dict[str, Callable[..., None]] = {
            "search": self.search, "plan": self.plan, "btyd": self.btyd, "import": self.import_,
            "dedupe": self.dedupe,
        }  # fmt: skip
        commands[options["bench"]](**options)

    # --- search ---------------------------------------------------------------------------

    def search(self, **options: Any) -> None:
        if options["worker"]:
            self._write_figures(
                search_worker(
                    db=options["worker"],
                    clients=options["clients"],
                    queries=options["queries"],
                    seed=options["seed"],
                )
            )
            return
        figures = []
        for line, figure in _on_each_engine(
            "search", options, ["--clients", str(options["clients"]),
                                "--queries", str(options["queries"])],
        ):  # fmt: skip
            figures.append(figure)
            if options["json"]:
                self.stdout.write(line)
        if not options["json"]:
            self.stdout.write(_table(figures))

    # --- plan -----------------------------------------------------------------------------

    def plan(self, **options: Any) -> None:
        if options["worker"]:
            self._write_figures(
                plan_worker(
                    db=options["worker"],
                    clients=options["clients"],
                    seed=options["seed"],
                    samples=options["samples"],
                    only=options["only"].split(","),
                )
            )
            return
        args = ["--clients", str(options["clients"]), "--samples", str(options["samples"]),
                "--only", options["only"]]  # fmt: skip
        for line, figure in _on_each_engine("plan", options, args):
            self.stdout.write(line if options["json"] else _plan_line(figure))
            self.stdout.flush()

    # --- import ---------------------------------------------------------------------------

    def import_(self, **options: Any) -> None:
        from rapport.base import bench_import

        lines, seed = options["lines"], options["seed"]
        path = bench_import.bench_file(settings.VAR_DIR / "bench", lines=lines, seed=seed)
        clients = bench_import.clients_for_lines(lines)
        if options["worker"]:
            call_command("migrate", interactive=False, verbosity=0)
            marker = f"bench import n={clients} seed={seed}"
            if not (Store.objects.filter(city=marker).exists()):
                call_command("flush", interactive=False, verbosity=0)
                _load(clients=clients, seed=seed, marker=marker)
            self._write_figures(
                bench_import.import_worker(db=options["worker"], lines=lines, seed=seed, path=path)
            )
            return
        for line, f in _on_each_engine(
            "import", {**options, "clients": clients}, ["--lines", str(lines)]
        ):
            self.stdout.write(
                line
                if options["json"]
                else f"{f['db']:<8} {f['phase']:<6} {f['lines']:>11,} lines {f['seconds']:>7} s  "
                f"{f['lines_per_s']:>9,}/s  10M in {f['projected_10m_seconds']} s "
                f"(budget {f['budget_10m_seconds']:.0f})"
            )
            self.stdout.flush()

    def _write_figures(self, figures: Iterable[dict[str, Any]]) -> None:
        """A worker's figures, one JSON line each, as they come."""
        for figure in figures:
            self.stdout.write(json.dumps(figure, ensure_ascii=False))
            self.stdout.flush()

    # --- btyd -----------------------------------------------------------------------------

    def btyd(self, **options: Any) -> None:
        figures = []
        for figure in btyd_figures(
            clients=options["clients"], seed=options["seed"], peer=not options["no_peer"]
        ):
            figures.append(figure)
            if options["json"]:
                self.stdout.write(json.dumps(figure, ensure_ascii=False))
                self.stdout.flush()
        if not options["json"]:
            self.stdout.write(_btyd_table(figures))

    # --- dedupe ---------------------------------------------------------------------------

    def dedupe(self, **options: Any) -> None:
        from rapport.base.bench_dedupe import dedupe_figures, dedupe_table

        figures = []
        for figure in dedupe_figures(
            clients=options["clients"], seed=options["seed"], peer=not options["no_peer"]
        ):
            figures.append(figure)
            if options["json"]:
                self.stdout.write(json.dumps(figure, ensure_ascii=False))
                self.stdout.flush()
        if not options["json"]:
            self.stdout.write(dedupe_table(figures))


def _database_arguments(parser: CommandParser, *, default: str) -> None:
    """The options of a benchmark that runs against SQLite, PostgreSQL or both."""
    parser.add_argument(
        "--database", choices=("sqlite", "postgres", "both"), default=default,
        help=f"Which database engine to measure (default {default}).",
    )  # fmt: skip
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="A PostgreSQL server to use.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="JSON lines only.")
    parser.add_argument("--worker", default="", help="(internal) measure in this process.")


def _on_each_engine(
    bench: str, options: dict[str, Any], args: list[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Re-run ``rapport bench <bench> --worker ENGINE ARGS`` against each chosen engine's bench
    database and yield its figures (the JSON line and the figure) as they come."""
    engines = ("sqlite", "postgres") if options["database"] == "both" else (options["database"],)
    for engine in engines:
        url = _bench_url(engine, options, bench=bench)
        argv = [sys.executable, "-m", "rapport.cli", "bench", bench, "--worker", engine,
                "--seed", str(options["seed"]), *args]  # fmt: skip
        env = {**os.environ, "DATABASE_URL": url}
        with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True) as child:
            assert child.stdout is not None
            for line in child.stdout:  # as they come: a run at a million takes a while
                if line.startswith("{"):
                    yield line.rstrip("\n"), json.loads(line)
        if child.returncode != 0:
            raise CommandError(f"bench {bench} on {engine} failed (exit {child.returncode})")


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
            _bulk_insert(Client, client_fields, client_rows, now)
            _bulk_insert(ContactPoint, contact_fields, contact_rows, now)
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


# --- plan: contact plans at scale ---------------------------------------------------------------

PLAN_BUDGET_SECONDS_1M = 60.0
NIGHTS = 30  # nightly re-plans measured after the initial one (a month: holidays come in)
PLAN_FIGURES = ("replan", "one_client", "core", "today")
PLAN_BUDGET_P95_MS = 20.0
TODAY_BUDGET_P95_MS = 100.0
CLIENTS_PER_CONSULTANT = 2_000
CONSULTANTS_PER_STORE = 20
TODAY_USERS = 20
TODAY_CALLS_PER_USER = 20
CORE_SAMPLE = 20_000
HISTORY_CHUNK = 5_000


def _plan_line(f: dict[str, Any]) -> str:
    """A figure as one readable line (without ``--json``)."""
    rest = " ".join(f"{k}={v}" for k, v in f.items() if k not in {"bench", "db", "clients", "kind"})
    return f"{f['db']:<8} {f['clients']:>9,} {f['kind']:<18} {rest}"


def plan_worker(
    *, db: str, clients: int, seed: int, samples: int, only: Iterable[str] = PLAN_FIGURES
) -> Iterator[dict[str, Any]]:
    """Load (or reuse) N clients with their history, then time re-plans (everyone's first
    plans, two weeks of nightly re-plans of the clients whose plan may change, everyone again),
    one client's re-plan, the planner core alone and Today."""
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    marker = f"bench plan n={clients} seed={seed}"
    reused = Store.objects.filter(city=marker).exists() and Client.objects.count() == clients
    started = time.perf_counter()
    if not reused:
        call_command("flush", interactive=False, verbosity=0)
        _load_history(clients=clients, seed=seed, marker=marker)
    load_seconds = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    base = {"bench": "plan", "db": db, "clients": clients}
    yield {**base, "kind": "load", "seconds": load_seconds, "reused": reused}

    ids = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    processes = 2 if connection.vendor == "postgresql" else 1
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    wanted = set(only)
    # The first plans of everyone; then NIGHTS nights as the nightly job runs them (only the
    # clients whose plan may change: no digest, or its day has come); then everyone again on
    # the last night, which must find nothing left to change.
    last_night = today + timedelta(days=NIGHTS)
    passes = [("replan_initial", today)]
    passes += [("replan_nightly", today + timedelta(days=n)) for n in range(1, NIGHTS + 1)]
    passes += [("replan_full", last_night)]
    from rapport.outreach.services import active_client_ids

    for kind, day in passes if "replan" in wanted else ():
        if kind == "replan_initial":
            _clear_touchpoints()
        started = time.perf_counter()
        chosen = active_client_ids(due_on=day) if kind == "replan_nightly" else ids
        choose_seconds = time.perf_counter() - started
        wall, stats, db_cpu = _replan_all(chosen, day, processes)
        wall += choose_seconds
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        yield {
            **base, "kind": kind, "day": day.isoformat(), "processes": processes,
            "clients_planned": len(chosen), "choose_seconds": round(choose_seconds, 2),
            "seconds": round(wall, 1), "clients_per_s": round(len(ids) / wall),
            "projected_1m_seconds": round(wall * 1_000_000 / len(ids), 1),
            "budget_1m_seconds": PLAN_BUDGET_SECONDS_1M,
            "inserted": stats.inserted, "deleted": stats.deleted, "kept": stats.kept,
            "unchanged_clients": stats.unchanged,
            "load_cpu_s": round(stats.load_seconds, 1), "plan_cpu_s": round(stats.plan_seconds, 1),
            "save_cpu_s": round(stats.save_seconds, 1),
            "load_process_cpu_s": round(stats.load_cpu, 1),
            "plan_process_cpu_s": round(stats.plan_cpu, 1),
            "save_process_cpu_s": round(stats.save_cpu, 1),
            "db_cpu_s": None if db_cpu is None else round(db_cpu, 1),
        }  # fmt: skip

    if "one_client" in wanted:
        yield {**base, **_one_client_latency(ids, tomorrow, samples, seed)}
    if "core" in wanted:
        yield {**base, **_core_alone(ids, tomorrow, seed)}
    for users in (1, TODAY_USERS) if "today" in wanted else ():
        yield {**base, **_today_latency(tomorrow, users, seed)}


def _clear_touchpoints() -> None:
    from rapport.outreach.models import Touchpoint

    table = connection.ops.quote_name(Touchpoint._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table} CASCADE")
        else:
            cursor.execute(f"DELETE FROM {table}")


def _replan_part(ids: list[int], day: str) -> tuple[Any, float | None]:
    """One process's share of a full re-plan (runs in a forked child), and the CPU seconds its
    database connection's server process spent meanwhile (None where it cannot be read)."""
    from django.db import connections

    from rapport.outreach.services import plans_rebuild

    try:
        before = _backend_cpu()
        stats = plans_rebuild(client_ids=ids, today=datetime.fromisoformat(day).date())
        after = _backend_cpu()
        return stats, None if before is None or after is None else after - before
    finally:
        connections.close_all()


def _backend_cpu() -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL server process, read from
    ``/proc`` when the server runs on this machine: the planner's queries cost CPU there too,
    on the same cores (None on SQLite or elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _replan_all(ids: list[int], day: Any, processes: int) -> tuple[float, Any, float | None]:
    """Re-plan every client: in this process, or split in contiguous halves over forked
    processes (PostgreSQL only; each child opens its own connection). Also the database
    server's CPU seconds for it, summed over the connections (None where unknown)."""
    import multiprocessing

    from django.db import connections

    from rapport.outreach.planning import PlanStats

    started = time.perf_counter()
    if processes == 1 or len(ids) < processes:
        results = [_replan_part(ids, day.isoformat())]
    else:
        connections.close_all()  # never share a connection with a child
        size = -(-len(ids) // processes)
        parts = [(ids[i : i + size], day.isoformat()) for i in range(0, len(ids), size)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            results = pool.starmap(_replan_part, parts)
    stats = PlanStats()
    for part, _ in results:
        stats.add(part)
    db_cpu = [seconds for _, seconds in results]
    total = None if None in db_cpu else sum(s for s in db_cpu if s is not None)
    return time.perf_counter() - started, stats, total


def _one_client_latency(ids: list[int], day: Any, samples: int, seed: int) -> dict[str, Any]:
    """``plan_rebuild`` end to end (locks, loading, planning, the diff) on random clients."""
    from rapport.outreach.services import plan_rebuild

    rng = random.Random(seed * 7 + 3)
    picked = rng.sample(ids, min(samples, len(ids)))
    people = {c.pk: c for c in Client.objects.filter(pk__in=picked).only("pk", "store_id")}
    for pk in picked[:10]:
        plan_rebuild(client=people[pk], today=day)
    timings = []
    for pk in picked:
        t0 = time.perf_counter()
        plan_rebuild(client=people[pk], today=day)
        timings.append((time.perf_counter() - t0) * 1000)
    return {
        "kind": "one_client", "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 95), 2), "max_ms": round(max(timings), 2),
        "samples": len(timings), "budget_p95_ms": PLAN_BUDGET_P95_MS,
    }  # fmt: skip


def _core_alone(ids: list[int], day: Any, seed: int) -> dict[str, Any]:
    """The pure planner on loaded clients (µs per client), the loader, and v1 as the peer."""
    import itertools

    from rapport.core.planner import build_plan
    from rapport.outreach.planning import CHUNK, plan_inputs_for, standards_for

    rng = random.Random(seed * 11 + 5)
    picked = sorted(rng.sample(ids, min(CORE_SAMPLE, len(ids))))
    t0 = time.perf_counter()
    inputs = {}
    for chunk in itertools.batched(picked, CHUNK):
        inputs.update(plan_inputs_for(chunk, day))
    load_us = (time.perf_counter() - t0) / len(picked) * 1e6
    store_of = dict(Client.objects.filter(pk__in=picked).values_list("pk", "store_id"))
    standards = standards_for(set(store_of.values()))
    cases = [(client, standards[store_of[pk]]) for pk, client in inputs.items()]
    for client, standard in cases[:200]:
        build_plan(client, standard, day)
    t0 = time.perf_counter()
    touchpoints = sum(len(build_plan(client, standard, day)) for client, standard in cases)
    core_us = (time.perf_counter() - t0) / len(cases) * 1e6
    figure: dict[str, Any] = {
        "kind": "core", "sample": len(cases), "us_per_client": round(core_us, 1),
        "touchpoints_per_client": round(touchpoints / len(cases), 1),
        "loader_us_per_client": round(load_us, 1),
    }  # fmt: skip
    return figure


def _today_user(args: tuple[int, str, int, int, bool]) -> list[tuple[float, int]]:
    """One consultant (in a forked process, with its own connection) opening Today ``calls``
    times through the whole Django stack, pausing 0.5–1.5 s between taps when ``think``."""
    from django.db import connections
    from django.test import Client as Browser

    user_id, day, calls, seed, think = args
    rng = random.Random(seed * 1000 + user_id)
    browser = Browser()
    browser.force_login(User.objects.get(pk=user_id))
    url = f"/today/?day={day}"
    browser.get(url)  # a worker process serves many requests: its first, cold one is not timed
    found = []
    try:
        for _ in range(calls):
            t0 = time.perf_counter()
            response = browser.get(url)
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200, response.status_code
            found.append((elapsed, response.content.count(b'class="agenda-item ')))
            if think:
                time.sleep(rng.uniform(0.5, 1.5))
    finally:
        connections.close_all()
    return found


def _today_latency(day: Any, users: int, seed: int) -> dict[str, Any]:
    """The Today page (GET /today/, middleware, selector and template) for ``users`` consultants
    at once, each in its own process like requests spread over a server's workers; with several
    users each pauses 0.5–1.5 s between taps, as a consultant working through the list does."""
    import multiprocessing

    from django.db import connections

    consultants = list(
        User.objects.filter(username__startswith="bench-c")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    rng = random.Random(seed)
    chosen = rng.sample(consultants, min(users, len(consultants)))
    calls = TODAY_CALLS_PER_USER if users > 1 else 100
    jobs = [(pk, day.isoformat(), calls, seed, users > 1) for pk in chosen]
    connections.close_all()  # the children open their own
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        results = [item for part in pool.map(_today_user, jobs) for item in part]
    timings = [ms for ms, _ in results]
    return {
        "kind": f"today_{users}_users", "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 95), 2), "max_ms": round(max(timings), 2),
        "samples": len(timings), "consultants": len(consultants),
        "avg_items": round(sum(n for _, n in results) / len(results), 1),
        "budget_p95_ms": TODAY_BUDGET_P95_MS,
    }  # fmt: skip


def _load_history(*, clients: int, seed: int, marker: str) -> None:
    """Stores of 20 consultants, one consultant per 2,000 clients, and N generated clients with
    their cards and three years of history, in bulk (COPY on PostgreSQL)."""
    from django.utils import timezone

    from rapport.base.management.commands.demo import generated_status
    from rapport.clients.models import Consent, KeyDate, Preference, Relative
    from rapport.core.generator import generate_clients
    from rapport.core.normalize import name_skeleton, phone_suffix_key
    from rapport.sales.models import Purchase, PurchaseLine, Visit

    today = timezone.localdate()
    n_consultants = max(2, clients // CLIENTS_PER_CONSULTANT)
    n_stores = -(-n_consultants // CONSULTANTS_PER_STORE)
    stores = [Store.objects.create(name=f"Bench {i + 1}", city="loading") for i in range(n_stores)]
    consultants: list[tuple[int, int]] = []  # (user id, store id)
    for i in range(n_consultants):
        store = stores[i // CONSULTANTS_PER_STORE]
        user = User(username=f"bench-c{i + 1}", first_name="Bench", last_name=str(i + 1))
        user.set_unusable_password()
        user.save()
        user.memberships.create(store=store, role=Role.CONSULTANT)
        consultants.append((user.pk, store.pk))
    vendor = connection.vendor
    now = datetime.now(UTC)

    def when(moment: Any) -> Any:
        if moment is None or vendor == "postgresql":
            return moment
        if isinstance(moment, datetime):
            return connection.ops.adapt_datetimefield_value(moment)
        return connection.ops.adapt_datefield_value(moment)

    tables: dict[type[models.Model], tuple[list[str], list[tuple[Any, ...]]]] = {
        Client: (["id", "store", "owner", "first_name", "last_name", "middle_name", "gender",
                  "birthday", "language", "preferred_channel", "status", "created_at",
                  "updated_at", "purchase_count", "last_purchase_at", "last_name_key",
                  "first_name_key"], []),
        ContactPoint: (["client", "kind", "value", "suffix_key", "is_primary", "created_at"], []),
        Consent: (["client", "channel", "status", "source", "changed_at"], []),
        Preference: (["client", "kind", "value", "detail", "created_at"], []),
        Relative: (["id", "client", "name", "relation", "gender", "birthday", "greet_directly",
                    "created_at"], []),
        KeyDate: (["client", "kind", "date", "recurrence", "label", "relative", "created_at"], []),
        Purchase: (["id", "client", "store", "consultant", "purchased_at", "total",
                    "discount_total", "created_at"], []),
        PurchaseLine: (["purchase", "description", "quantity", "unit_price", "discount"], []),
        Visit: (["client", "store", "consultant", "visited_at", "purpose", "looked_at"], []),
    }  # fmt: skip
    bar = tqdm(
        total=clients, desc=f"loading {clients:,} clients with history ({vendor})",
        file=sys.stderr, unit="",
    )  # fmt: skip
    loaded = 0

    def flush() -> None:
        with transaction.atomic():
            for model, (fields, rows) in tables.items():
                _bulk_insert(model, fields, rows, now)
                rows.clear()
        bar.update(loaded)

    relative_id = purchase_id = 0
    for gen in generate_clients(clients, seed=seed, today=today, with_history=True):
        pk = gen.index + 1
        owner, home = consultants[gen.index % n_consultants]
        created = when(gen.created_at)
        last = gen.purchases[-1].at if gen.purchases else None
        status = generated_status(gen, today)
        tables[Client][1].append((
            pk, home, owner, gen.first_name, gen.last_name, gen.middle_name, gen.gender,
            when(gen.birthday), gen.language, gen.preferred_channel, status, created, created,
            len(gen.purchases), when(last), name_skeleton(gen.last_name)[:80],
            name_skeleton(gen.first_name)[:80],
        ))  # fmt: skip
        for c in gen.contacts:
            suffix = phone_suffix_key(c.value) if c.kind == "phone" else ""
            tables[ContactPoint][1].append((pk, c.kind, c.value, suffix, c.is_primary, created))
        for consent in gen.consents:
            tables[Consent][1].append(
                (pk, consent.channel, consent.status, consent.source, when(consent.changed_at))
            )
        for pref in gen.preferences:
            tables[Preference][1].append((pk, pref.kind, pref.value, pref.detail, created))
        first_relative = relative_id + 1
        for r in gen.relatives:
            relative_id += 1
            tables[Relative][1].append((relative_id, pk, r.name, r.relation, r.gender,
                                        when(r.birthday), r.greet_directly, created))  # fmt: skip
        for k in gen.key_dates:
            relative = None if k.relative is None else first_relative + k.relative
            tables[KeyDate][1].append(
                (pk, k.kind, when(k.date), k.recurrence, k.label, relative, created)
            )
        for bought in gen.purchases:
            purchase_id += 1
            at = when(bought.at)
            tables[Purchase][1].append(
                (purchase_id, pk, home, owner, at, bought.total, bought.discount_total, at)
            )
            for line in bought.lines:
                tables[PurchaseLine][1].append(
                    (purchase_id, line.description, line.quantity, line.unit_price, line.discount)
                )
        for v in gen.visits:
            tables[Visit][1].append((pk, home, owner, when(v.at), v.purpose, v.looked_at))
        loaded += 1
        if loaded == HISTORY_CHUNK:
            flush()
            loaded = 0
    if loaded:
        flush()
    bar.close()
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(tables)):
                cursor.execute(sql)
    Store.objects.filter(pk__in=[s.pk for s in stores]).update(city=marker)


# --- btyd: lifetime value models ----------------------------------------------------------------

BTYD_BUDGET_SECONDS_1M = 10.0  # fit both models and score a million clients
BTYD_TODAY = 740_000  # a fixed day (2027-01-19): the simulation does not depend on the clock
# CDNOW's estimates (Fader, Hardie & Lee 2005) with time in days; spend in roubles.
BTYD_TRUTH = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426,
              "p": 6.25, "q": 3.74, "v": 15_440.0}  # fmt: skip
BTYD_MAX_AGE = 3 * 365  # first purchases spread over three years


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def btyd_figures(*, clients: int, seed: int, peer: bool) -> Iterator[dict[str, Any]]:
    """Simulate purchases, then time Rapport's models (and lifetimes' on the same data): each
    fit, the 12-month CLV (30-day months, 1 % a month), their total and the whole ``score``."""
    import numpy as np

    from rapport.core import btyd

    base = {"bench": "btyd", "clients": clients, "unit": "days"}
    (client, day, amount), simulate_s = _timed(
        lambda: btyd.simulate_purchases(
            clients, today=BTYD_TODAY, max_age=BTYD_MAX_AGE, seed=seed, **BTYD_TRUTH
        )
    )
    rfm, rfm_s = _timed(lambda: btyd.rfm_from_purchases(client, day, amount, today=BTYD_TODAY))
    f, r, T, m = rfm.frequency, rfm.recency, rfm.T, rfm.monetary
    yield {**base, "engine": "simulated", "step": "data", "purchases": int(client.size),
           "one_time_pct": round(100 * float(np.mean(f == 0)), 1),
           "mean_repeat": round(float(f.mean()), 3), "seconds": round(simulate_s, 3),
           **BTYD_TRUTH}  # fmt: skip
    yield {**base, "engine": "rapport", "step": "rfm", "purchases": int(client.size),
           "seconds": round(rfm_s, 3)}  # fmt: skip

    mine: dict[str, float] = {}
    try:
        bg, mine["fit_bgnbd"] = _timed(lambda: btyd.bgnbd_fit(f, r, T))
        gg, mine["fit_gg"] = _timed(lambda: btyd.gamma_gamma_fit(f, m))
    except btyd.NotEnoughData as exc:
        raise CommandError(f"{clients} simulated clients are not enough: {exc}") from exc
    value, mine["clv"] = _timed(lambda: btyd.clv(bg, gg, rfm, months=12, monthly_discount=0.01))
    mine["total"] = mine["fit_bgnbd"] + mine["fit_gg"] + mine["clv"]
    scores, score_s = _timed(lambda: btyd.score(rfm))
    for step, seconds in mine.items():
        yield {**base, "engine": "rapport", "step": step, "seconds": round(seconds, 3)}
    yield {**base, "engine": "rapport", "step": "score", "seconds": round(score_s, 3),
           "budget_seconds": BTYD_BUDGET_SECONDS_1M * clients / 1_000_000,
           "what": "both fits; P(alive), 90-day purchases, spend, CLV of all"}  # fmt: skip
    yield {**base, "engine": "rapport", "step": "params", "r": bg.r, "alpha": bg.alpha, "a": bg.a,
           "b": bg.b, "p": gg.p, "q": gg.q, "v": gg.v, "bg_iterations": bg.iterations,
           "gg_iterations": gg.iterations, "bg_log_likelihood": bg.log_likelihood,
           "mean_clv": float(value.mean()),
           "mean_p_alive": float(scores.p_alive.mean())}  # fmt: skip
    if not peer:
        return

    theirs, their_value, their_alive = _btyd_peer(f, r, T, m)
    for step, seconds in theirs.items():
        if step != "params":
            yield {**base, "engine": "lifetimes", "step": step, "seconds": round(seconds, 3)}
    yield {**base, "engine": "lifetimes", "step": "params", **theirs["params"],
           "mean_clv": float(their_value.mean()),
           "mean_p_alive": float(their_alive.mean())}  # fmt: skip
    for step in ("fit_bgnbd", "fit_gg", "clv", "total"):
        yield {"bench": "btyd", "step": step, "clients": clients,
               "speedup": round(theirs[step] / mine[step], 1)}  # fmt: skip
    scale = np.maximum(np.abs(their_value), 1e-9)
    yield {"bench": "btyd", "step": "agreement", "clients": clients,
           "clv_max_rel_diff": float(np.max(np.abs(value - their_value) / scale)),
           "p_alive_max_abs_diff": float(np.max(np.abs(scores.p_alive - their_alive)))}  # fmt: skip


def _btyd_peer(f: Any, r: Any, T: Any, m: Any) -> tuple[dict[str, Any], Any, Any]:
    """lifetimes on the same summary, in days: BetaGeoFitter, GammaGammaFitter on the repeat
    buyers, customer_lifetime_value(freq="D"); P(alive) untimed, for the agreement figure."""
    import warnings

    import numpy as np

    try:
        import pandas as pd
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError as exc:
        raise CommandError(f"the lifetimes peer is not installed ({exc}): pass --no-peer") from exc

    times: dict[str, Any] = {}
    frequency, recency, age, spend = (pd.Series(v) for v in (f, r, T, m))
    repeat = (f > 0) & (m > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bgf, times["fit_bgnbd"] = _timed(lambda: BetaGeoFitter().fit(frequency, recency, age))
        ggf, times["fit_gg"] = _timed(
            lambda: GammaGammaFitter().fit(frequency[repeat], spend[repeat])
        )
        value, times["clv"] = _timed(
            lambda: ggf.customer_lifetime_value(
                bgf, frequency, recency, age, spend, time=12, discount_rate=0.01, freq="D"
            )
        )
        alive = bgf.conditional_probability_alive(f, r, T)
    times["total"] = times["fit_bgnbd"] + times["fit_gg"] + times["clv"]
    times["params"] = {k: float(v) for k, v in {**bgf.params_, **ggf.params_}.items()}
    return times, np.asarray(value, dtype=np.float64), np.asarray(alive, dtype=np.float64)


def _btyd_table(figures: list[dict[str, Any]]) -> str:
    """The figures as a table (without ``--json``)."""
    rows = [("engine", "step", "clients", "seconds", "")]
    for f in figures:
        seconds = "" if "seconds" not in f else f"{f['seconds']:.3f}"
        if "speedup" in f:
            rows.append(("ratio", f["step"], f"{f['clients']:,}", "", f"{f['speedup']}x faster"))
            continue
        skip = {"bench", "engine", "step", "clients", "seconds", "unit"}
        rest = " ".join(
            f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in f.items()
            if k not in skip
        )
        rows.append((f.get("engine", ""), f["step"], f"{f['clients']:,}", seconds, rest))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    )
