"""Moving many rows fast: COPY on PostgreSQL, one ``executemany`` on SQLite.

Used where the ORM's per-object work would dominate (imports of millions of receipt lines, the
benchmarks' loaders). Callers hold the transaction; values must already be database-ready
(``when()`` adapts dates for SQLite).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.utils import timezone

if TYPE_CHECKING:
    import polars as pl

IN_BATCH = 5_000  # values per IN (…) list where there are no array parameters (SQLite)


def when(moment: date | datetime | None) -> Any:
    """A date or an aware datetime as the current database wants it in a raw row."""
    if moment is None or connection.vendor == "postgresql":
        return moment
    if isinstance(moment, datetime):
        return connection.ops.adapt_datetimefield_value(moment)
    return connection.ops.adapt_datefield_value(moment)


def bulk_insert(
    model: type[models.Model],
    fields: list[str],
    rows: Iterable[tuple[Any, ...]],
    now: datetime | None = None,
) -> None:
    """Insert raw rows (COPY on PostgreSQL, executemany elsewhere); other columns get defaults.

    ``fields`` are model field names (a foreign key by its name, with the related id as value).
    Columns not listed get the field's default (``now`` for ``auto_now`` fields), so a loader
    keeps working while the model grows.
    """
    now = now or timezone.now()
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
        if connection.vendor != "postgresql" or isinstance(value, dict | list):
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


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for rows the caller is about to insert with explicit ids.

    PostgreSQL draws them from the table's sequence (safe with concurrent writers); SQLite takes
    the next ones after the largest id, which is safe because a write transaction there holds
    the database's only write lock (the settings open transactions IMMEDIATE).
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = str(model._meta.pk.column)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence is looked up once: per id, the catalogue search costs ten nextvals.
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT COALESCE(MAX({connection.ops.quote_name(pk)}), 0) "
            f"FROM {connection.ops.quote_name(table)}"
        )
        start = int(cursor.fetchone()[0]) + 1
        return list(range(start, start + count))


def insert_frame(model: type[models.Model], frame: Any, now: datetime | None = None) -> None:
    """Insert a polars DataFrame whose columns are database column names of ``model``.

    PostgreSQL gets the frame as CSV through COPY (text written by polars, not row by row in
    Python); SQLite gets one ``executemany``. Datetimes must be UTC (naive or aware), as Django
    stores them; missing columns get their defaults as in :func:`bulk_insert`.
    """
    import polars as pl

    if frame.height == 0:
        return
    now = now or timezone.now()
    meta = model._meta
    by_column = {f.column: f for f in meta.concrete_fields}
    extra = [f for f in meta.concrete_fields if f.column not in frame.columns and not f.primary_key]
    fills = []
    for f in extra:
        value = (
            now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default()
        )
        if isinstance(value, datetime):
            value = value.astimezone(UTC).replace(tzinfo=None)
        elif isinstance(value, dict | list):
            value = json.dumps(value)
        elif isinstance(value, Decimal):
            value = str(value)
        fills.append(pl.lit(value).alias(str(f.column)))
    frame = frame.with_columns(fills) if fills else frame
    for name, dtype in frame.schema.items():
        if name not in by_column:
            raise ValueError(f"{meta.db_table} has no column {name!r}")
        if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
            frame = frame.with_columns(
                pl.col(name).dt.replace_time_zone(None).dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
            )
        elif dtype == pl.Date:
            frame = frame.with_columns(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Decimal):
            frame = frame.with_columns(pl.col(name).cast(pl.String))
    table = connection.ops.quote_name(meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in frame.columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {table} ({column_sql}) FROM STDIN WITH (FORMAT csv)"
            with cursor.cursor.copy(sql) as copy:
                for block in frame.iter_slices(200_000):
                    copy.write(block.write_csv(include_header=False))
        else:
            placeholders = ", ".join(["%s"] * frame.width)
            cursor.executemany(
                f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})",
                frame.iter_rows(),
            )


def where_in(column: str, values: Sequence[Any]) -> Iterator[tuple[str, list[Any]]]:
    """``column`` IN ``values`` as (SQL condition, parameters), in as few statements as possible.

    PostgreSQL gets the whole list as one array parameter (``= ANY(%s)``): one statement, and no
    placeholder per value for the client to render and the server to parse (Django's ``__in``
    spends most of its time there on lists of thousands). SQLite gets ``IN (…)`` lists of at most
    ``IN_BATCH`` values. Nothing is yielded for no values.
    """
    if not values:
        return
    if connection.vendor == "postgresql":
        yield f"{column} = ANY(%s)", [list(values)]
        return
    for start in range(0, len(values), IN_BATCH):
        batch = list(values[start : start + IN_BATCH])
        yield f"{column} IN ({', '.join(['%s'] * len(batch))})", batch


def read_frame_in(
    sql: str, params: Sequence[Any], column: str, values: Sequence[Any], schema: dict[str, Any]
) -> pl.DataFrame:
    """:func:`read_frame` of ``sql`` whose ``{in}`` is ``column`` IN ``values``
    (:func:`where_in`): every row in one frame, an empty one for no values."""
    import polars as pl

    frames = [
        read_frame(sql.format(**{"in": where}), [*params, *more], schema)
        for where, more in where_in(column, values)
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def read_frame(sql: str, params: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """A query's rows as a polars DataFrame with ``schema`` (names and types, in select order).

    PostgreSQL sends the rows as CSV through ``COPY (…) TO STDOUT``, parsed by polars without a
    Python object per value; SQLite's rows are fetched. Select decimals as text
    (``CAST(x AS TEXT)``: exact on both databases, which store them differently); datetimes are
    read as the UTC Django stores.
    """
    import polars as pl

    names = list(schema)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
                data = b"".join(bytes(block) for block in copy)
            text = dict.fromkeys(names, pl.String)
            frame = (
                pl.read_csv(data, has_header=False, schema=text)
                if data
                else pl.DataFrame(schema=text)
            )
        else:
            cursor.execute(sql, params)
            frame = pl.DataFrame(cursor.fetchall(), schema=names, orient="row")
    casts = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime) and frame.schema[name] == pl.String:
            # PostgreSQL writes the session's zone (UTC, as Django sets it) as "+00".
            column = (
                column.str.strip_suffix("+00")
                .str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit=dtype.time_unit)
                .dt.replace_time_zone(dtype.time_zone)
            )
        casts.append(column.cast(dtype))
    return frame.select(casts)
