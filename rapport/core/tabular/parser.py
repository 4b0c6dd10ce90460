"""Turning the text frame of :func:`read_table` into typed rows and a report of rejected lines."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import polars as pl

from rapport.core.tabular import cells
from rapport.core.tabular.reader import LINE
from rapport.core.tabular.spec import FIELDS, FieldSpec, Kind, TableError

REJECT_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "column": pl.String(),
    "field": pl.String(),
    "reason": pl.String(),
    "value": pl.String(),
}
VALUE_CHARS = 200
EARLIEST_BIRTHDAY = date(1900, 1, 1)
EARLIEST_PURCHASE = date(1990, 1, 1)

# Fields of which at least one must be mapped (file level) and filled (line level).
ONE_OF: dict[Kind, tuple[tuple[tuple[str, ...], str], ...]] = {
    "clients": ((("external_id", "phone", "email"), "no_contact"),),
    "purchases": (
        (("client_external_id", "phone", "email"), "no_client"),
        (("sku", "description"), "no_item"),
        (("unit_price", "amount"), "no_price"),
    ),
    "products": (),
}
RECEIPT_FIELDS = ("purchased_at", "store", "consultant", "client_external_id", "phone", "email")
KEY_FIELDS: dict[Kind, tuple[str, ...]] = {
    "clients": ("external_id",),
    "purchases": ("receipt_number", "line_number"),
    "products": ("sku",),
}


@dataclass(frozen=True)
class Parsed:
    """Accepted rows (typed) and rejected lines (one reject row per problem)."""

    rows: pl.DataFrame
    rejects: pl.DataFrame
    repeats: int = 0  # lines identical to an earlier line with the same key: dropped silently


def output_schema(kind: Kind) -> dict[str, pl.DataType]:
    """The columns of ``Parsed.rows`` for a kind, in order (``full_name`` fills the names)."""
    types: dict[str, pl.DataType] = {
        "date": pl.Date(),
        "datetime": pl.Datetime("us"),
        "decimal": cells.MONEY,
        "int": pl.Int64(),
        "bool": pl.Boolean(),
    }
    schema: dict[str, pl.DataType] = {LINE: pl.Int64()}
    for spec in FIELDS[kind]:
        if spec.kind != "fullname":
            schema[spec.name] = types.get(spec.kind, pl.String())
    return schema


def parse(
    df: pl.DataFrame,
    mapping: Mapping[str, str | None],
    kind: Kind,
    *,
    region: str,
    today: date,
) -> Parsed:
    """Read every mapped column by its field's rules; reject whole lines with any problem.

    See the package docstring for the rules. Raises :class:`TableError` ``bad_mapping`` when the
    mapping names a header the frame lacks, an unknown field or one field twice.
    """
    specs = {spec.name: spec for spec in FIELDS[kind]}
    source: dict[str, str] = {}
    for header, field in mapping.items():
        if field is None:
            continue
        if header not in df.columns or field not in specs or field in source:
            raise TableError("bad_mapping", f"{header!r} → {field!r}")
        source[field] = header
    if LINE not in df.columns:
        df = df.with_columns(pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias(LINE))
    schema = output_schema(kind)

    missing = _missing_columns(kind, specs, source)
    if missing:
        return Parsed(rows=pl.DataFrame(schema=schema), rejects=_frame(missing))

    builder = _Builder(df, source, specs)
    # a full name only fills the name columns the file does not have: apply it last
    order = sorted(source, key=lambda field: specs[field].kind == "fullname")
    with ThreadPoolExecutor(
        max_workers=min(4, os.cpu_count() or 1)
    ) as pool:  # polars frees the GIL
        futures = [
            pool.submit(convert, specs[field], df[source[field]], region=region, today=today)
            for field in order
        ]
        for field, future in zip(order, futures, strict=True):
            builder.apply(specs[field], future.result())
    builder.fill_unmapped(schema)
    getattr(builder, f"rules_{kind}")()
    for group, reason in ONE_OF[kind]:
        absent = builder.present.select(pl.all_horizontal(~pl.col(f) for f in group)).to_series()
        if reason == "no_client" and absent.any():
            # the client may be named on one line of the receipt only
            absent = (
                pl.DataFrame({"a": absent, "r": builder.values["receipt_number"]})
                .select(pl.col("a").all().over("r") | pl.col("r").is_null() & pl.col("a"))
                .to_series()
            )
        builder.line_reason(absent, reason)
    for spec in specs.values():
        if spec.required and spec.name in source:
            builder.required(spec)
    return builder.finish(kind, schema)


def convert(spec: FieldSpec, raw: pl.Series, *, region: str, today: date) -> tuple[pl.Series, ...]:
    """One column read by its field's rules: (present, value, reason); for a full name
    (reason, last, first, middle)."""
    text = cells.prepare(raw)
    kind = spec.kind
    if kind == "fullname":
        return (cells.too_long(text, spec.max_length), *cells.split_full_name(text))
    if kind == "text":
        value, err = cells.text(text, spec.max_length)
    elif kind == "code":
        value, err = cells.code(text, spec.max_length)
    elif kind == "name":
        value, err = cells.name(text, spec.max_length)
    elif kind == "phone":
        value, err = cells.phone(text, region)
    elif kind == "email":
        value, err = cells.email(text, spec.max_length)
    elif kind == "choice":
        value, err = cells.choice(text, cells.CHOICES[spec.name])
    elif kind == "bool":
        value, err = cells.boolean(text)
    elif kind == "date":
        value, err = cells.dates(
            text, today=today, earliest=EARLIEST_BIRTHDAY, past_two_digit_years=True
        )
    elif kind == "datetime":
        value, err = cells.datetimes(text, today=today, earliest=EARLIEST_PURCHASE)
    elif kind == "decimal":
        value, err = cells.number(text, 2)
    elif kind == "int":
        value, err = cells.number(text, 0)
        if spec.name in ("quantity", "line_number"):
            err = pl.select(pl.when(value == 0).then(pl.lit("zero")).otherwise(err)).to_series()
    else:  # pragma: no cover - FIELDS only uses the kinds above
        raise AssertionError(kind)
    return text.is_not_null(), value, err


def _missing_columns(
    kind: Kind, specs: dict[str, FieldSpec], source: dict[str, str]
) -> list[tuple[int, str, str, str, str]]:
    mapped = set(source)
    if "full_name" in mapped:
        mapped |= {"first_name", "last_name", "middle_name"}
    missing = [name for name, spec in specs.items() if spec.required and name not in mapped]
    for group, _ in ONE_OF[kind]:
        if not mapped.intersection(group):
            missing.append("|".join(group))
    return [(1, "", name, "missing_column", "") for name in missing]


def _frame(rows: list[tuple[int, str, str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=REJECT_SCHEMA, orient="row")


class _Builder:
    """Collects typed columns and reason columns for one file."""

    def __init__(self, df: pl.DataFrame, source: dict[str, str], specs: dict[str, FieldSpec]):
        self.df = df
        self.source = source
        self.specs = specs
        self.height = df.height
        self.values: dict[str, pl.Series] = {}
        self.present_cols: dict[str, pl.Series] = {}
        self.problems: list[pl.DataFrame] = []
        self.bad = pl.repeat(False, df.height, dtype=pl.Boolean, eager=True)

    @property
    def present(self) -> pl.DataFrame:
        return pl.DataFrame(self.present_cols)

    # --- cells ----------------------------------------------------------------------------

    def apply(self, spec: FieldSpec, converted: tuple[pl.Series, ...]) -> None:
        """Take one field's converted columns: (present, value, reason) or a full name's parts."""
        if spec.kind == "fullname":
            self._full_name(spec, *converted)
            return
        present, value, err = converted
        self.present_cols[spec.name] = present.alias(spec.name)
        self.values[spec.name] = value.alias(spec.name)
        self.cell_reason(spec.name, err)

    def _full_name(
        self, spec: FieldSpec, err: pl.Series, last: pl.Series, first: pl.Series, middle: pl.Series
    ) -> None:
        self.cell_reason(spec.name, err)
        for name, part in (("last_name", last), ("first_name", first), ("middle_name", middle)):
            own = self.values.get(name)
            self.values[name] = (
                part if own is None else pl.select(pl.coalesce(own, part)).to_series()
            ).alias(name)
            present = self.present_cols.get(name)
            has = part.is_not_null()
            self.present_cols[name] = (has if present is None else present | has).alias(name)

    def fill_unmapped(self, schema: dict[str, pl.DataType]) -> None:
        for name, dtype in schema.items():
            if name == LINE:
                continue
            if name not in self.values:
                dtype = pl.Int64() if dtype == cells.MONEY else dtype  # kopecks until finish()
                self.values[name] = pl.repeat(None, self.height, dtype=dtype, eager=True)
                self.present_cols.setdefault(
                    name, pl.repeat(False, self.height, dtype=pl.Boolean, eager=True)
                )

    # --- problems -------------------------------------------------------------------------

    def cell_reason(self, field: str, reasons: pl.Series) -> None:
        """Reasons (null where fine) found in one field's column."""
        if reasons.null_count() == self.height:
            return
        header = self.source.get(field, "")
        raw = (
            self.df[header].cast(pl.String)
            if header
            else pl.Series([None] * self.height, dtype=pl.String)
        )
        found = pl.DataFrame({"line": self.df[LINE], "reason": reasons, "value": raw}).filter(
            pl.col("reason").is_not_null()
        )
        self.bad = self.bad | reasons.is_not_null()
        self.problems.append(
            found.select(
                "line",
                pl.lit(header).alias("column"),
                pl.lit(field).alias("field"),
                "reason",
                pl.col("value").str.slice(0, VALUE_CHARS).fill_null(""),
            )
        )

    def line_reason(self, mask: pl.Series, reason: str, field: str = "") -> None:
        """A problem of the whole line (no single column is to blame)."""
        reasons = pl.select(pl.when(pl.lit(mask)).then(pl.lit(reason))).to_series()
        if field:
            self.cell_reason(field, reasons)
            return
        if not mask.any():
            return
        self.bad = self.bad | mask
        lines = self.df[LINE].filter(mask)
        self.problems.append(
            pl.DataFrame({"line": lines}).with_columns(
                pl.lit("").alias("column"),
                pl.lit("").alias("field"),
                pl.lit(reason).alias("reason"),
                pl.lit("").alias("value"),
            )
        )

    def required(self, spec: FieldSpec) -> None:
        present = self.present_cols[spec.name]
        value = self.values[spec.name]
        self.cell_reason(
            spec.name,
            pl.select(pl.when(~present & value.is_null()).then(pl.lit("required"))).to_series(),
        )

    # --- kind rules -----------------------------------------------------------------------

    def rules_clients(self) -> None:
        if "full_name" in self.source and "first_name" not in self.source:
            missing = ~self.present_cols["first_name"]
            self.cell_reason(
                "full_name",
                pl.select(pl.when(pl.lit(missing)).then(pl.lit("required"))).to_series(),
            )

    def rules_products(self) -> None:
        pass

    def rules_purchases(self) -> None:
        v = self.values
        q = v["quantity"].fill_null(1)
        v["quantity"] = q
        scaled = pl.DataFrame(
            {"up": v["unit_price"], "disc": v["discount"], "amt": v["amount"], "q": q}
        )
        has_disc = pl.col("disc").is_not_null()
        disc = pl.col("disc").fill_null(0)
        up, amt = pl.col("up"), pl.col("amt")
        gross = up * pl.col("q")
        unit_from_amount = (amt + disc + pl.col("q") - 1) // pl.col("q")
        out = scaled.select(
            pl.when(up.is_not_null()).then(up).otherwise(unit_from_amount).alias("up"),
            pl.when(up.is_not_null() & amt.is_not_null() & ~has_disc)
            .then(gross - amt)
            .when(up.is_null() & amt.is_not_null())
            .then(unit_from_amount * pl.col("q") - amt)
            .otherwise(disc)
            .alias("disc"),
            pl.when(amt.is_not_null()).then(amt).otherwise(gross - disc).alias("amt"),
            (
                (up.is_not_null() & amt.is_not_null() & has_disc & (gross - disc != amt))
                | (up.is_not_null() & amt.is_not_null() & ~has_disc & (gross < amt))
                | (up.is_not_null() & amt.is_null() & (gross < disc))
            ).alias("mismatch"),
        )
        too_big = out.select(
            pl.any_horizontal(
                pl.col("up", "disc", "amt").abs() >= 10 ** (cells.MONEY_INT_DIGITS + 2)
            )
        ).to_series()
        self.line_reason(out["mismatch"].fill_null(False), "amount_mismatch")
        self.line_reason(
            too_big.fill_null(False),
            "number_too_large",
            "amount" if "amount" in self.source else "unit_price",
        )
        v["unit_price"] = out["up"].alias("unit_price")
        v["discount"] = out["disc"].alias("discount")
        v["amount"] = out["amt"].alias("amount")

    # --- whole file -----------------------------------------------------------------------

    def finish(self, kind: Kind, schema: dict[str, pl.DataType]) -> Parsed:
        money = {name for name, dtype in schema.items() if dtype == cells.MONEY}
        columns = [self.df[LINE]]
        for name in schema:
            if name == LINE:
                continue
            series = self.values[name]
            if name in money:
                series = (
                    cells.money(series.cast(pl.Int64)) if series.dtype != cells.MONEY else series
                )
            columns.append(series.cast(schema[name]).alias(name))
        table = pl.DataFrame(columns).with_columns(self.bad.alias("__bad"))
        table, repeats = self._duplicates(kind, table)
        if kind == "purchases":
            table = self._receipts(table)
        rejects = (pl.concat(self.problems, how="vertical") if self.problems else _frame([])).sort(
            "line", maintain_order=True
        )
        rows = table.filter(~pl.col("__bad")).drop("__bad", "__repeat")
        return Parsed(rows=rows.select(list(schema)), rejects=rejects, repeats=repeats)

    def _duplicates(self, kind: Kind, table: pl.DataFrame) -> tuple[pl.DataFrame, int]:
        no_repeat = table.with_columns(pl.lit(False).alias("__repeat"))
        keys = [k for k in KEY_FIELDS[kind] if k in self.source]
        if len(keys) != len(KEY_FIELDS[kind]):
            return no_repeat, 0
        keyed = ~pl.col("__bad") & pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
        position = pl.int_range(pl.len(), dtype=pl.UInt32).alias("__at")
        candidates = table.with_columns(position).filter(keyed)
        candidates = candidates.filter(pl.struct(keys).is_duplicated())
        if candidates.is_empty():  # the usual case: every key once
            return no_repeat, 0
        content = [c for c in table.columns if c not in (LINE, "__bad")]
        marked = candidates.with_columns(pl.struct(content).hash().alias("__hash")).select(
            "__at",
            (pl.col("__hash").n_unique().over(keys) > 1).alias("__dup"),
            (pl.int_range(pl.len()).over([*keys, "__hash"]) > 0).alias("__repeat"),
        )
        dup = self._spread(table.height, marked.filter("__dup")["__at"])
        repeat = self._spread(
            table.height, marked.filter(~pl.col("__dup") & pl.col("__repeat"))["__at"]
        )
        self.line_reason(dup, "duplicate_in_file", keys[0])
        self.bad = self.bad | repeat
        return table.with_columns(
            (pl.col("__bad") | dup | repeat).alias("__bad"), repeat.alias("__repeat")
        ), int(repeat.sum())

    @staticmethod
    def _spread(height: int, positions: pl.Series) -> pl.Series:
        mask = pl.repeat(False, height, dtype=pl.Boolean, eager=True)
        if not positions.is_empty():
            mask.scatter(positions, True)
        return mask

    def _receipts(self, table: pl.DataFrame) -> pl.DataFrame:
        receipt = pl.col("receipt_number")
        good = table.filter(~pl.col("__bad") & receipt.is_not_null())
        mapped = [name for name in RECEIPT_FIELDS if good[name].null_count() < good.height]
        summary = good.group_by("receipt_number").agg(
            *(pl.col(name).drop_nulls().n_unique().alias(name) for name in mapped),
            pl.len().alias("__lines"),
        )
        conflicting = summary.filter(
            pl.any_horizontal(pl.col(n) > 1 for n in mapped) if mapped else pl.lit(False)
        )["receipt_number"]
        conflict = table.select(receipt.is_in(conflicting.implode()).fill_null(False)).to_series()
        self.line_reason(conflict, "receipt_conflict", "receipt_number")
        # a receipt with any rejected line is skipped whole: never half a receipt
        broken_lines = table.filter(pl.col("__bad") & ~pl.col("__repeat") & receipt.is_not_null())
        broken = pl.concat([broken_lines["receipt_number"], conflicting]).unique()
        incomplete = (
            table.select(
                receipt.is_in(broken.implode()).fill_null(False) & ~pl.col("__bad")
            ).to_series()
            & ~conflict
        )
        self.line_reason(incomplete, "receipt_incomplete", "receipt_number")
        table = table.with_columns((pl.col("__bad") | conflict | incomplete).alias("__bad"))
        # every accepted line carries its receipt's date, store, consultant and client
        partial = [name for name in mapped if good[name].null_count() > 0]
        if partial:
            firsts = good.group_by("receipt_number").agg(
                pl.col(name).drop_nulls().first().alias(f"__first_{name}") for name in partial
            )
            table = table.join(firsts, on="receipt_number", how="left", maintain_order="left")
            table = table.with_columns(
                pl.coalesce(name, f"__first_{name}").alias(name) for name in partial
            ).drop(f"__first_{name}" for name in partial)
        return table
