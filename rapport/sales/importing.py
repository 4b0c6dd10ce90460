"""Loading an import file into a store: products, clients or receipt lines, in bulk, idempotently.

The pure core (:mod:`rapport.core.tabular`) reads the file (every column as text), maps and
parses it and lists the lines it refuses. This module decides what each accepted line means for
the database and writes it in chunks, one transaction per chunk (receipts on two connections at
once on PostgreSQL, see :func:`_at_once`):

- **products** are upserted by article (``sku``);
- **clients** are matched by external id, then by phone, then by e-mail within the store, and
  updated (non-empty mapped cells overwrite; empty cells erase nothing), or created;
- **purchases** are grouped into receipts by receipt number. A receipt already in the store is
  left alone when it is the same (client, moment, total, number of lines), rewritten when the
  export changed it, and refused when it belongs to another client or has returns recorded.
  A receipt with one bad line is refused whole: a receipt is never half stored. An imported
  receipt gets no timeline entry: the client's card shows it from the receipt itself.

Because every write is keyed (article, external id / phone / e-mail, receipt number), running the
same file again — or resuming after an interruption — creates nothing twice. A dry run does the
same work and rolls every chunk back.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from typing import Any, cast

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Store, User
from rapport.base.bulk import (
    IN_BATCH,
    allocate_ids,
    insert_frame,
    read_frame,
    read_frame_in,
    where_in,
)
from rapport.clients.choices import ContactKind, TimelineKind
from rapport.clients.models import Client, ContactPoint, TimelineEvent
from rapport.clients.services import plain_value, set_name_keys
from rapport.core import tabular
from rapport.core.normalize import phone_suffix_key
from rapport.sales.choices import ImportKind
from rapport.sales.models import Product, Purchase, PurchaseLine

CHUNK_LINES = 200_000
# Connections loading receipt chunks at once on PostgreSQL: the time goes to the database
# (index and constraint work in its backend), so a second connection keeps the second core busy.
LOADERS_AT_ONCE = 2
LINE = "__line"

# Reasons decided here (the core's are in tabular.REASONS).
UNKNOWN_CLIENT = "unknown_client"
RECEIPT_OTHER_CLIENT = "receipt_other_client"
RECEIPT_HAS_RETURNS = "receipt_has_returns"
REJECT_COLUMNS = {
    "line": pl.Int64,
    "column": pl.String,
    "field": pl.String,
    "reason": pl.String,
    "value": pl.String,
}


@dataclass
class ImportStats:
    """What an import did, line by line and row by row."""

    lines: int = 0
    done: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    client_ids: set[int] = field(default_factory=set)
    seconds: float = 0.0

    def add(self, other: ImportStats) -> None:
        """Count in what one chunk did."""
        self.done += other.done
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.client_ids |= other.client_ids

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "reasons": dict(sorted(self.reasons.items())),
            "clients_touched": len(self.client_ids),
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Job:
    """Everything a loader needs besides the rows."""

    store: Store
    kind: str
    actor: User | None
    owner: User | None
    dry_run: bool
    run_id: int | None = None


# Loads one chunk of a kind into the store, counts into the stats, returns the refused lines.
Loader = Callable[[Job, pl.DataFrame, ImportStats], pl.DataFrame]


def rejects_frame(rows: Iterable[dict[str, Any]] = ()) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=REJECT_COLUMNS)


def import_frame(
    job: Job,
    table: pl.DataFrame,
    mapping: dict[str, str | None],
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[ImportStats, pl.DataFrame]:
    """Parse a read table with ``mapping`` and load it; returns the figures and every reject."""
    started = perf_counter()
    stats = ImportStats(lines=table.height)
    parsed = tabular.parse(
        table,
        mapping,
        cast(tabular.Kind, job.kind),
        region=job.store.country,
        today=timezone.localdate(),
    )
    rejects = [parsed.rejects.select(list(REJECT_COLUMNS))]
    rows = parsed.rows
    if job.kind == ImportKind.PURCHASES:
        # Cards are looked up once for the whole file: a client's receipts are in every chunk.
        rows, refused = _with_clients(job.store, rows)
        rejects.append(refused)
    refused_lines = table.height - rows.height
    stats.done += refused_lines
    if progress is not None and refused_lines:
        progress(refused_lines)
    loader = LOADERS[job.kind]
    chunks = _chunks(rows, job.kind)
    if _at_once(job):
        loaded = _load_at_once(job, loader, chunks)
    else:
        loaded = (_load_chunk(job, loader, chunk) for chunk in chunks)
    for figures, refused in loaded:
        stats.add(figures)
        rejects.append(refused)
        if progress is not None:
            progress(figures.done)
    every = pl.concat(rejects).sort("line", "column")
    stats.rejected = every.get_column("line").n_unique()
    stats.reasons = Counter(dict(every.group_by("reason").agg(pl.len()).iter_rows()))
    stats.seconds = perf_counter() - started
    return stats, every


def _load_chunk(job: Job, loader: Loader, chunk: pl.DataFrame) -> tuple[ImportStats, pl.DataFrame]:
    """Load one chunk in its own transaction (rolled back in a dry run): its figures, refusals."""
    stats = ImportStats(done=chunk.height)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A chunk lost to a crash is simply loaded again by the next run (every write
            # is keyed), so the import need not wait for each commit to reach the disk. Its
            # queries are index probes that statistics, lagging behind the import, cost high:
            # compiling them (JIT) would take longer than running them.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL jit = off")
        refused = loader(job, chunk, stats)
        if job.dry_run:
            transaction.set_rollback(True)
    return stats, refused


def _at_once(job: Job) -> bool:
    """Receipts load on several connections on PostgreSQL, unless the caller holds a transaction.

    Chunks of receipts are safe to load side by side: no receipt spans two chunks, a chunk only
    reads the clients and articles it links to (and takes no lock a neighbour would wait for
    longer than a row's insert), and the clients' summaries are refreshed once, at the end.
    Clients and products stay on one connection: a card created by one chunk must be found by
    the next. Inside an outer transaction (the tests) other connections would not see its rows.
    """
    return (
        job.kind == ImportKind.PURCHASES
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


def _load_at_once(
    job: Job, loader: Loader, chunks: Iterable[pl.DataFrame]
) -> Iterator[tuple[ImportStats, pl.DataFrame]]:
    """:func:`_load_chunk` on LOADERS_AT_ONCE threads, each with its own connection; results as
    chunks finish. After a failure no new chunk starts; the ones committed stay (a run again
    completes the import)."""
    with ThreadPoolExecutor(LOADERS_AT_ONCE, thread_name_prefix="import") as pool:
        futures = [pool.submit(_load_chunk_on_own_connection, job, loader, c) for c in chunks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def _load_chunk_on_own_connection(
    job: Job, loader: Loader, chunk: pl.DataFrame
) -> tuple[ImportStats, pl.DataFrame]:
    try:
        return _load_chunk(job, loader, chunk)
    finally:
        connection.close()  # the thread's own connection


def _chunks(rows: pl.DataFrame, kind: str) -> Iterator[pl.DataFrame]:
    """Slices of about CHUNK_LINES rows; all the receipts of a card travel together.

    So each card is locked (by its receipts' foreign-key checks) and its summary rewritten once
    per import rather than once per chunk, chunks loaded side by side never touch the same card,
    and a receipt, which has one card, is never split.
    """
    if rows.height == 0:
        return
    if kind != ImportKind.PURCHASES:
        yield from rows.iter_slices(CHUNK_LINES)
        return
    rows = rows.sort("client_id", "receipt_number", LINE)
    card = rows.get_column("client_id")
    start = 0
    while start < rows.height:
        end = min(start + CHUNK_LINES, rows.height)
        while end < rows.height and card[end] == card[end - 1]:
            end += 1
        yield rows.slice(start, end - start)
        start = end


# --- products -----------------------------------------------------------------------------------

PRODUCT_FIELDS = ("name", "brand", "category", "material", "colour", "price", "is_service",
                  "is_active")  # fmt: skip


def _load_products(job: Job, chunk: pl.DataFrame, stats: ImportStats) -> pl.DataFrame:
    fields = [name for name in PRODUCT_FIELDS if name in chunk.columns]
    incoming = {row["sku"]: row for row in chunk.iter_rows(named=True)}
    existing: dict[str, Product] = {}
    for batch in _batched(list(incoming)):
        existing.update((p.sku, p) for p in Product.objects.filter(sku__in=batch))
    new, changed = [], []
    for sku, row in incoming.items():
        values = {name: _db_value(row[name]) for name in fields if row[name] is not None}
        product = existing.get(sku)
        if product is None:
            new.append(Product(sku=sku, **values))
        elif any(getattr(product, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(product, name, value)
            changed.append(product)
        else:
            stats.unchanged += 1
    Product.objects.bulk_create(new, batch_size=2_000)
    if changed:
        Product.objects.bulk_update(changed, fields, batch_size=2_000)
    stats.created += len(new)
    stats.updated += len(changed)
    return rejects_frame()


def _db_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


# --- clients ------------------------------------------------------------------------------------

CLIENT_FIELDS = ("first_name", "last_name", "middle_name", "gender", "birthday", "language",
                 "external_id")  # fmt: skip


def _load_clients(job: Job, chunk: pl.DataFrame, stats: ImportStats) -> pl.DataFrame:
    columns = set(chunk.columns)
    fields = [name for name in CLIENT_FIELDS if name in columns]
    rows = list(chunk.iter_rows(named=True))
    found = _clients_by_keys(
        job.store,
        external_ids=_values(rows, "external_id"),
        phones=_values(rows, "phone"),
        emails=_values(rows, "email"),
    )
    cards = {
        client.pk: client
        for batch in _batched(sorted(set(found.values())))
        for client in Client.objects.filter(pk__in=batch)
    }
    now = timezone.now()
    new: list[Client] = []
    new_keys: dict[str, Client] = {}  # a card created earlier in this file, by key
    contacts: list[tuple[Client, str, str]] = []
    edits: dict[int, dict[str, list[str]]] = {}
    for row in rows:
        keys = _row_keys(row)
        client = next((cards[found[k]] for k in keys if k in found), None)
        if client is None:
            client = next((new_keys[k] for k in keys if k in new_keys), None)
        values = {name: row[name] for name in fields if row[name] not in (None, "")}
        if client is None:
            client = Client(
                store=job.store, owner=job.owner, created_at=now, updated_at=now, **values
            )
            set_name_keys(client)
            new.append(client)
        else:
            diff = {
                name: [plain_value(getattr(client, name)), plain_value(value)]
                for name, value in values.items()
                if getattr(client, name) != value
            }
            if client.pk is not None and diff:
                for name, value in values.items():
                    setattr(client, name, value)
                set_name_keys(client)
                edits.setdefault(client.pk, {}).update(diff)
            elif client.pk is not None:
                stats.unchanged += 1
        if client.pk is None:
            for key in keys:
                new_keys.setdefault(key, client)
        for kind in (ContactKind.PHONE, ContactKind.EMAIL):
            if row.get(kind):
                contacts.append((client, kind, row[kind]))
    Client.objects.bulk_create(new, batch_size=2_000)
    if edits:
        Client.objects.bulk_update(
            [cards[pk] for pk in edits],
            [*fields, "first_name_key", "last_name_key", "updated_at"],
            batch_size=2_000,
        )
    _contacts_add(contacts, now)
    TimelineEvent.objects.bulk_create(
        [
            *(
                TimelineEvent(
                    client=client,
                    kind=TimelineKind.CREATED,
                    actor=job.actor,
                    at=now,
                    data={"import": job.run_id},
                )
                for client in new
            ),
            *(
                TimelineEvent(
                    client_id=pk,
                    kind=TimelineKind.EDITED,
                    actor=job.actor,
                    at=now,
                    data={"changes": diff, "import": job.run_id},
                )
                for pk, diff in edits.items()
            ),
        ],
        batch_size=2_000,
    )
    stats.created += len(new)
    stats.updated += len(edits)
    stats.client_ids.update(client.pk for client in new)
    stats.client_ids.update(edits)
    return rejects_frame()


def _row_keys(row: dict[str, Any]) -> list[str]:
    return [f"{name}:{row[name]}" for name in ("external_id", "phone", "email") if row.get(name)]


def _values(rows: list[dict[str, Any]], name: str) -> list[str]:
    return sorted({row[name] for row in rows if row.get(name)})


def _clients_by_keys(
    store: Store, *, external_ids: list[str], phones: list[str], emails: list[str]
) -> dict[str, int]:
    """``"external_id:…"``, ``"phone:…"``, ``"email:…"`` → the id of the store's card."""
    keys = (("external_id", external_ids), (ContactKind.PHONE, phones), (ContactKind.EMAIL, emails))
    return {
        f"{key}:{value}": pk
        for key, values in keys
        for value, pk in _cards_by(store, key, values).iter_rows()
    }


CARD_KEY = {"value": pl.String, "client_id": pl.Int64, "store_id": pl.Int64, "card": pl.Int64}


def _cards_by(store: Store, key: str, values: list[str]) -> pl.DataFrame:
    """The store's card for each of these client codes, phones or e-mails (``key``): value and
    client id, the oldest card when several have it; a merged card answers for its survivor.

    Sorted here, not in SQL: for ``ORDER BY`` SQLite reads the whole table in that order.
    """
    client = connection.ops.quote_name(Client._meta.db_table)
    point = connection.ops.quote_name(ContactPoint._meta.db_table)
    if key == "external_id":
        found = read_frame_in(
            f"SELECT c.external_id, COALESCE(c.merged_into_id, c.id), c.store_id, c.id "
            f"FROM {client} c WHERE c.store_id = %s AND {{in}}",
            [store.pk], "c.external_id", sorted(values), CARD_KEY,
        )  # fmt: skip
    else:  # by the (value, kind) index alone; the store is checked on the few rows found
        found = read_frame_in(
            f"SELECT p.value, p.client_id, c.store_id, p.client_id FROM {point} p "
            f"JOIN {client} c ON c.id = p.client_id WHERE p.kind = %s AND {{in}}",
            [str(key)], "p.value", sorted(values), CARD_KEY,
        )  # fmt: skip
    return (
        found.filter(pl.col("store_id") == store.pk)
        .sort("card")
        .unique("value", keep="first", maintain_order=True)
        .select("value", "client_id")
    )


def _contacts_add(contacts: list[tuple[Client, str, str]], now: datetime) -> None:
    """Add the phones and e-mails a card does not have yet (the first of a kind is primary)."""
    ids = sorted({client.pk for client, _, _ in contacts})
    have: set[tuple[int, str, str]] = set()
    kinds: set[tuple[int, str]] = set()
    for batch in _batched(ids):
        for client_id, kind, value in ContactPoint.objects.filter(client_id__in=batch).values_list(
            "client_id", "kind", "value"
        ):
            have.add((client_id, kind, value))
            kinds.add((client_id, kind))
    points = []
    for client, kind, value in contacts:
        if (client.pk, kind, value) in have:
            continue
        have.add((client.pk, kind, value))
        points.append(
            ContactPoint(
                client_id=client.pk,
                kind=kind,
                value=value,
                suffix_key=phone_suffix_key(value) if kind == ContactKind.PHONE else "",
                is_primary=(client.pk, kind) not in kinds,
                created_at=now,
            )
        )
        kinds.add((client.pk, kind))
    ContactPoint.objects.bulk_create(points, batch_size=2_000, ignore_conflicts=True)


# --- purchases ----------------------------------------------------------------------------------


def _refuse_receipts(
    rows: pl.DataFrame, receipts: pl.Series | list[str], reason: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    receipts = pl.Series("r", list(receipts), dtype=pl.String)
    if receipts.len() == 0:
        return rows, rejects_frame()
    hit = pl.col("receipt_number").is_in(receipts.implode())
    refused = rows.filter(hit).select(
        pl.col(LINE).cast(pl.Int64).alias("line"),
        pl.lit("").alias("column"),
        pl.lit("receipt_number").alias("field"),
        pl.lit(reason).alias("reason"),
        pl.col("receipt_number").alias("value"),
    )
    return rows.filter(~hit), refused


def _load_purchases(job: Job, chunk: pl.DataFrame, stats: ImportStats) -> pl.DataFrame:
    """Receipts of lines that already carry their card (:func:`_with_clients`); the cards'
    purchase summaries follow in the same transaction (no other chunk has these cards)."""
    refusals = []
    cards: set[int] = set()
    chunk = _with_products(chunk)
    receipts = _receipts(chunk, job.store)
    existing = _existing_receipts(job.store, receipts.get_column("receipt_number").to_list())
    if existing.height:
        receipts = receipts.join(existing, on="receipt_number", how="left")
        other = receipts.filter(
            pl.col("old_client_id").is_not_null() & (pl.col("client_id") != pl.col("old_client_id"))
        )
        same = (
            (pl.col("client_id") == pl.col("old_client_id"))
            & (pl.col("purchased_at") == pl.col("old_purchased_at"))
            & (pl.col("total") == pl.col("old_total"))
            & (pl.col("line_count") == pl.col("old_line_count"))
        )
        unchanged = receipts.filter(pl.col("old_id").is_not_null() & same)
        changed = receipts.filter(
            pl.col("old_id").is_not_null()
            & ~same
            & (pl.col("client_id") == pl.col("old_client_id"))
        )
        locked = changed.filter(pl.col("old_returns"))
        changed = changed.filter(~pl.col("old_returns"))
        for frame, reason in ((other, RECEIPT_OTHER_CLIENT), (locked, RECEIPT_HAS_RETURNS)):
            if frame.height:
                chunk, refused = _refuse_receipts(chunk, frame.get_column("receipt_number"), reason)
                refusals.append(refused)
        stats.unchanged += unchanged.height
        # Their cards' summaries are refreshed too: should a summary be stale, the same file
        # again repairs it.
        cards.update(unchanged.get_column("client_id").to_list())
        if unchanged.height:
            chunk = chunk.filter(
                ~pl.col("receipt_number").is_in(unchanged.get_column("receipt_number").implode())
            )
        _rewrite(changed)
        stats.updated += changed.height
        fresh = receipts.filter(pl.col("old_id").is_null())
        fresh_ids = allocate_ids(Purchase, fresh.height)
        ids = pl.concat(
            [
                fresh.select("receipt_number", pl.Series("purchase_id", fresh_ids, dtype=pl.Int64)),
                changed.select(
                    "receipt_number", pl.col("old_id").cast(pl.Int64).alias("purchase_id")
                ),
            ]
        )
        receipts = fresh
    else:
        fresh_ids = allocate_ids(Purchase, receipts.height)
        ids = receipts.select("receipt_number", pl.Series("purchase_id", fresh_ids, dtype=pl.Int64))
    receipts = receipts.with_columns(pl.Series("id", fresh_ids, dtype=pl.Int64))
    _write_receipts(job, receipts)
    lines = chunk.join(ids, on="receipt_number", how="inner")
    _write_lines(lines)
    stats.created += receipts.height
    cards.update(lines.get_column("client_id").unique().to_list())
    _client_summaries_refresh(sorted(cards))
    stats.client_ids |= cards
    return pl.concat(refusals) if refusals else rejects_frame()


def _with_clients(store: Store, chunk: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Attach the store's card to every line (by external id, then phone, then e-mail)."""
    parts = []
    for key, column in (("external_id", "client_external_id"), (ContactKind.PHONE, "phone"),
                        (ContactKind.EMAIL, "email")):  # fmt: skip
        if column not in chunk.columns:
            continue
        values = chunk.get_column(column).drop_nulls().unique().to_list()
        lookup = _cards_by(store, key, values).rename(
            {"value": column, "client_id": f"_{key}_client"}
        )
        chunk = chunk.join(lookup, on=column, how="left", maintain_order="left")
        parts.append(pl.col(f"_{key}_client"))
    chunk = chunk.with_columns(
        (pl.coalesce(parts) if parts else pl.lit(None, dtype=pl.Int64)).alias("client_id")
    ).drop([c for c in chunk.columns if c.startswith("_") and c.endswith("_client")])
    # One receipt, one client: a receipt whose lines name different cards is refused whole.
    per_receipt = chunk.group_by("receipt_number").agg(
        pl.col("client_id").n_unique().alias("clients"),
        pl.col("client_id").null_count().alias("unknown"),
    )
    unknown = per_receipt.filter(pl.col("unknown") > 0).get_column("receipt_number")
    chunk, refused_unknown = _refuse_receipts(chunk, unknown, UNKNOWN_CLIENT)
    split = per_receipt.filter((pl.col("unknown") == 0) & (pl.col("clients") > 1))
    chunk, refused_split = _refuse_receipts(
        chunk, split.get_column("receipt_number"), RECEIPT_OTHER_CLIENT
    )
    return chunk, pl.concat([refused_unknown, refused_split])


PRODUCTS = {"sku": pl.String, "product_id": pl.Int64, "product_name": pl.String}


def _with_products(chunk: pl.DataFrame) -> pl.DataFrame:
    """Link lines to known articles; a line without a description takes the product's name.

    On PostgreSQL the articles are locked (FOR KEY SHARE) until the chunk commits: lines have no
    constraint on their article (see PurchaseLine), so it must not be deleted in between.
    """
    if "sku" not in chunk.columns:
        return chunk.with_columns(pl.lit(None, dtype=pl.Int64).alias("product_id"))
    product = connection.ops.quote_name(Product._meta.db_table)
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    products = read_frame_in(
        f"SELECT sku, id, name FROM {product} WHERE {{in}}{lock}",
        [], "sku", sorted(chunk.get_column("sku").drop_nulls().unique().to_list()), PRODUCTS,
    )  # fmt: skip
    chunk = chunk.join(products, on="sku", how="left")
    description = pl.coalesce(
        [
            c
            for c in (
                pl.col("description") if "description" in chunk.columns else None,
                pl.col("product_name"),
                pl.col("sku"),
            )
            if c is not None
        ]
    )
    return chunk.with_columns(description.fill_null("").str.slice(0, 200).alias("description"))


def _receipts(chunk: pl.DataFrame, store: Store) -> pl.DataFrame:
    """One row per receipt: client, moment (UTC), total, discount, lines, first items."""
    tz = zoneinfo.ZoneInfo(store.time_zone)
    return (
        chunk.group_by("receipt_number")
        .agg(
            pl.col("client_id").first(),
            pl.col("purchased_at").first(),
            pl.col("amount").sum().alias("total"),
            pl.col("discount").sum().alias("discount_total"),
            pl.len().alias("line_count"),
            pl.col("description").head(10).alias("items"),
        )
        .with_columns(
            pl.col("purchased_at")
            .dt.replace_time_zone(str(tz), ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
        )
        .sort("receipt_number")
    )


EXISTING = {
    "receipt_number": pl.String,
    "old_id": pl.Int64,
    "old_client_id": pl.Int64,
    "old_purchased_at": pl.Datetime("us", "UTC"),
    "old_total": pl.Decimal(12, 2),
    "old_returned_total": pl.Decimal(12, 2),
    "old_line_count": pl.Int64,
}


def _existing_receipts(store: Store, numbers: list[str]) -> pl.DataFrame:
    """The store's receipts with these numbers: id, client, moment, total, lines, returned?"""
    purchase = connection.ops.quote_name(Purchase._meta.db_table)
    line = connection.ops.quote_name(PurchaseLine._meta.db_table)
    select = (
        "SELECT p.receipt_number, p.id, p.client_id, p.purchased_at, CAST(p.total AS TEXT), "
        f"CAST(p.returned_total AS TEXT), (SELECT COUNT(*) FROM {line} l "
        "WHERE l.purchase_id = p.id)"
    )
    # The blank-number condition is the unique index's own: it lets the databases look each
    # number up there (without it they read all the store's receipts for every lookup).
    receipts = f"{purchase} p WHERE p.store_id = %s AND NOT (p.receipt_number = '')"
    if connection.vendor == "postgresql":
        # One probe per number, whatever the statistics say: during an import they lag far
        # behind the table, and the plan they suggest reads all the store's receipts instead.
        # (LIMIT keeps the planner from turning the lateral probe back into a join.)
        found = read_frame(
            f"{select} FROM unnest(%s::text[]) AS n(number) CROSS JOIN LATERAL "
            f"(SELECT * FROM {receipts} AND p.receipt_number = n.number LIMIT 1) p",
            [numbers, store.pk], EXISTING,
        )  # fmt: skip
    else:
        found = read_frame_in(
            f"{select} FROM {receipts} AND {{in}}", [store.pk], "p.receipt_number", numbers,
            EXISTING,
        )  # fmt: skip
    return found.with_columns((pl.col("old_returned_total") > 0).alias("old_returns")).drop(
        "old_returned_total"
    )


def _rewrite(changed: pl.DataFrame) -> None:
    """Receipts the export changed: new header and timeline entry, lines deleted (the new ones
    are inserted next).

    Each receipt's update locks it until the chunk commits, so nobody deletes it before its new
    lines are in (they have no constraint on it, see PurchaseLine). One that was deleted since
    it was read fails the chunk, as the constraint would have; the next run stores it anew.
    """
    if changed.height == 0:
        return
    for row in changed.iter_rows(named=True):
        found = Purchase.objects.filter(pk=row["old_id"]).update(
            purchased_at=row["purchased_at"],
            total=row["total"],
            discount_total=row["discount_total"],
        )
        if not found:
            raise IntegrityError(
                _(
                    "Receipt %(number)s was deleted while this import was rewriting it. "
                    "Run the import again to store it anew."
                )
                % {"number": row["receipt_number"]}
            )
        TimelineEvent.objects.filter(purchase_id=row["old_id"], kind=TimelineKind.PURCHASE).update(
            at=row["purchased_at"], data=_purchase_data(row["total"], row["items"])
        )
    for batch in _batched(changed.get_column("old_id").to_list()):
        PurchaseLine.objects.filter(purchase_id__in=batch).delete()


def _purchase_data(total: Any, items: list[str]) -> dict[str, Any]:
    return {"total": str(total), "items": items}


def _write_receipts(job: Job, receipts: pl.DataFrame) -> None:
    """New receipts, without timeline entries: the card shows a receipt that has none from the
    receipt itself (``clients.selectors.client_card``). An entry per receipt would double the
    rows, indexes and foreign-key checks an import writes, and say nothing the receipt does not.
    """
    if receipts.height == 0:
        return
    insert_frame(
        Purchase,
        receipts.select(
            pl.col("id"),
            pl.col("client_id"),
            pl.lit(job.store.pk).alias("store_id"),
            pl.col("receipt_number"),
            pl.col("purchased_at"),
            pl.col("total"),
            pl.col("discount_total"),
            pl.lit("0.00").alias("returned_total"),
        ),
        timezone.now(),
    )


def _write_lines(lines: pl.DataFrame) -> None:
    if lines.height == 0:
        return
    insert_frame(
        PurchaseLine,
        lines.sort(LINE).select(
            pl.col("purchase_id"),
            pl.col("product_id"),
            pl.col("description"),
            pl.col("quantity"),
            pl.col("unit_price"),
            pl.col("discount"),
            pl.lit(0).alias("returned_quantity"),
        ),
    )


def _client_summaries_refresh(client_ids: list[int]) -> None:
    """Purchase count and last purchase of these cards, from their receipts, in SQL; a card whose
    summary is already right is not written (the same file again rewrites nothing)."""
    client = connection.ops.quote_name(Client._meta.db_table)
    purchase = connection.ops.quote_name(Purchase._meta.db_table)
    changed = (
        f"{client}.purchase_count <> s.n OR {client}.last_purchase_at IS NULL "
        f"OR {client}.last_purchase_at <> s.last"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two probes of the client + date index per card, whatever the statistics say:
            # during an import they lag far behind the receipts table, and a grouped scan the
            # planner picks from them reads every receipt of the store. The cards are found by
            # their ids too, not by a scan of all of them for the join.
            cursor.execute(
                "WITH s AS MATERIALIZED (SELECT i.id, "
                f"(SELECT COUNT(*) FROM {purchase} p WHERE p.client_id = i.id) AS n, "
                f"(SELECT MAX(p.purchased_at) FROM {purchase} p WHERE p.client_id = i.id) AS last "
                "FROM unnest(%s::bigint[]) AS i(id)) "
                f"UPDATE {client} SET purchase_count = s.n, last_purchase_at = s.last FROM s "
                f"WHERE {client}.id = ANY(%s) AND {client}.id = s.id AND ({changed})",
                [client_ids, client_ids],
            )
            return
        for where, params in where_in("client_id", client_ids):  # SQLite ≥ 3.33: UPDATE … FROM
            cursor.execute(
                f"UPDATE {client} SET purchase_count = s.n, last_purchase_at = s.last FROM "
                "(SELECT client_id AS id, COUNT(*) AS n, MAX(purchased_at) AS last "
                f"FROM {purchase} WHERE {where} GROUP BY client_id) s "
                f"WHERE {client}.id = s.id AND ({changed})",
                params,
            )


def _batched(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), IN_BATCH):
        yield values[start : start + IN_BATCH]


LOADERS: dict[str, Loader] = {
    ImportKind.PRODUCTS: _load_products,
    ImportKind.CLIENTS: _load_clients,
    ImportKind.PURCHASES: _load_purchases,
}


def reject_report_path(var_dir: Path, run_id: int) -> Path:
    return var_dir / "imports" / f"{run_id}-rejects.parquet"
