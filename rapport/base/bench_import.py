"""``rapport bench import``: receipt lines per second from a 1C-style CSV into the database.

The file is what a shop's 1C export looks like: Windows-1251, ``;`` between columns, decimal
commas, dates as ``DD.MM.YYYY HH:MM``, phones typed as ``8 (916) 123-45-67``. It is generated
once per size and seed (vectorised, about a second per million lines) and kept in
``var/bench/``. The worker, running against the bench database, loads the clients the receipts
refer to and the catalogue their articles come from (a shop imports its products first, so lines
link to them), empties the receipts, then times:

- ``first``: the whole import (read, parse, validate, resolve clients and articles, write
  receipts, lines and timeline entries, refresh the clients' purchase summaries);
- ``again``: the same file a second time, which must store nothing new (idempotency).

Budgets (DESIGN.md §6): 10,000,000 lines in ≤ 180 s into PostgreSQL, ≤ 300 s into SQLite.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from django.db import connection, transaction

BUDGET_10M_SECONDS = {"postgresql": 180.0, "sqlite": 300.0}
LINES_PER_CLIENT = 10
HEADER = ("Номер чека", "Дата", "Телефон", "Артикул", "Номенклатура", "Количество", "Цена",
          "Скидка")  # fmt: skip


def clients_for_lines(lines: int) -> int:
    return max(1_000, lines // LINES_PER_CLIENT)


def bench_file(directory: Path, *, lines: int, seed: int) -> Path:
    """The CSV for ``lines`` receipt lines (generated on first use)."""
    from rapport.core.generator import phone_for, product_catalogue

    path = directory / f"import-{lines}-s{seed}.csv"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    clients = clients_for_lines(lines)
    catalogue = product_catalogue(seed)
    # Receipts of 1–5 lines (mean 2.6), each for one client of store A (even generator indexes,
    # as the bench loader puts them), spread over three years.
    sizes = rng.choice([1, 2, 3, 4, 5], p=[0.25, 0.25, 0.2, 0.15, 0.15], size=lines)
    receipt_of_line = np.repeat(np.arange(len(sizes)), sizes)[:lines]
    receipts = int(receipt_of_line[-1]) + 1
    client_of_receipt = rng.integers(0, clients // 2, size=receipts) * 2
    phones = np.array([_typed(phone_for(int(i), seed)) for i in range(0, clients, 2)], dtype=object)
    start = datetime(2023, 1, 1, 10, tzinfo=UTC).timestamp()
    moments = start + rng.integers(0, 3 * 365 * 86_400 // 60, size=receipts) * 60
    product = rng.integers(0, len(catalogue), size=lines)
    skus = np.array([p.sku for p in catalogue], dtype=object)
    names = np.array([p.name for p in catalogue], dtype=object)
    prices = np.array([p.price for p in catalogue], dtype=np.int64)
    discount = np.where(rng.random(lines) < 0.2, (prices[product] * 0.1).astype(np.int64), 0)
    frame = pl.DataFrame(
        {
            HEADER[0]: [f"ЧК-{r:09d}" for r in receipt_of_line],
            HEADER[1]: pl.Series(moments[receipt_of_line] * 1_000_000, dtype=pl.Int64)
            .cast(pl.Datetime("us"))
            .dt.strftime("%d.%m.%Y %H:%M"),
            HEADER[2]: phones[client_of_receipt[receipt_of_line] // 2],
            HEADER[3]: skus[product],
            HEADER[4]: names[product],
            HEADER[5]: rng.choice([1, 1, 1, 2], size=lines),
            HEADER[6]: [f"{p:,}".replace(",", " ") + ",00" for p in prices[product]],
            HEADER[7]: [f"{d},00" for d in discount],
        }
    )
    partial = path.with_suffix(".part")
    with partial.open("wb") as out:
        for block in frame.iter_slices(500_000):
            text = block.write_csv(separator=";", include_header=out.tell() == 0)
            out.write(text.encode("cp1251", errors="replace"))  # É in a few brands
    partial.rename(path)
    return path


def _typed(e164: str) -> str:
    """A Russian number as people type it in 1C: ``8 (916) 123-45-67``."""
    d = e164[2:]
    return f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"


def import_worker(*, db: str, lines: int, seed: int, path: Path) -> Iterator[dict[str, Any]]:
    """Time the import of the bench file twice into the bench database (already loaded)."""
    from rapport.accounts.models import Store
    from rapport.clients.models import Client
    from rapport.core import tabular
    from rapport.core.generator import product_catalogue
    from rapport.sales import importing
    from rapport.sales.models import Product, Purchase, PurchaseLine

    store = Store.objects.get(name="Bench A")
    Product.objects.bulk_create(
        [
            Product(sku=p.sku, name=p.name, brand=p.brand, category=p.category,
                    material=p.material, colour=p.colour, price=Decimal(p.price))
            for p in product_catalogue(seed)
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    with transaction.atomic():  # raw deletes: the ORM's cascade collection takes minutes here
        PurchaseLine.objects.all()._raw_delete(connection.alias)
        Purchase.objects.all()._raw_delete(connection.alias)
        Client.objects.update(purchase_count=0, last_purchase_at=None)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM" if connection.vendor == "sqlite" else "ANALYZE")
    job = importing.Job(
        store=store, kind="purchases", actor=None, owner=None, dry_run=False, run_id=None
    )
    base = {"bench": "import", "db": db, "lines": lines}
    budget = BUDGET_10M_SECONDS[connection.vendor]
    for phase in ("first", "again"):
        started = time.perf_counter()
        table = tabular.read_table(path.read_bytes(), filename=path.name)
        read = time.perf_counter() - started
        mapping = tabular.guess_mapping(
            [c for c in table.columns if c != importing.LINE], "purchases"
        )
        stats, _ = importing.import_frame(job, table, mapping)
        wall = time.perf_counter() - started
        yield {
            **base,
            "phase": phase,
            "seconds": round(wall, 1),
            "read_s": round(read, 1),
            "lines_per_s": round(lines / wall),
            "projected_10m_seconds": round(wall * 10_000_000 / lines, 1),
            "budget_10m_seconds": budget,
            "receipts_created": stats.created,
            "receipts_unchanged": stats.unchanged,
            "lines_refused": stats.rejected,
            "lines_stored": PurchaseLine.objects.count(),
        }
