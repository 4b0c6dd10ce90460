"""Vectorised readers of single cells: numbers, dates, phones … from text Series.

Each reader takes a String Series (stripped, empty → null) and returns the typed Series and a
String Series of reason codes (null where the cell is fine or empty). Python only runs once per
distinct value for phones, e-mails and names (``_map_unique``); everything else is polars.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import phonenumbers
import polars as pl

from rapport.core.normalize import (
    InvalidEmail,
    InvalidPhone,
    clean_name,
    normalize_email,
    normalize_phone,
)

MONEY = pl.Decimal(12, 2)  # Purchase/Product amounts: max_digits=12, decimal_places=2
MONEY_INT_DIGITS = 10
INT_MAX = 2_147_483_647  # PositiveIntegerField
EXCEL_EPOCH = date(1899, 12, 30)

_CURRENCY = r"(?i)руб\w*\.?|rub\.?|₽|\$|€|usd|eur|р\.?$"
_SPACES = r"[\s\x{a0}\x{202f}\x{2009}']"


def prepare(raw: pl.Series) -> pl.Series:
    """A raw cell as the readers want it: trimmed, empty → null, our export's ``'=`` undone."""
    text = raw.cast(pl.String).str.strip_chars()
    if text.str.starts_with("'").any():
        text = text.str.replace(r"^'([=+\-@\t\r])", "${1}")
    return pl.select(pl.when(text.str.len_bytes() > 0).then(text)).to_series().alias(raw.name)


def _reason(condition: pl.Expr, code: str) -> pl.Expr:
    return pl.when(condition).then(pl.lit(code))


def _eval(*exprs: pl.Expr, **named: pl.Series) -> list[pl.Series]:
    frame = pl.DataFrame(named) if named else pl.DataFrame()
    return list(frame.select(*exprs).get_columns())


def text(s: pl.Series, max_length: int | None) -> tuple[pl.Series, pl.Series]:
    return s, too_long(s, max_length)


def too_long(s: pl.Series, max_length: int | None) -> pl.Series:
    if max_length is None:
        return pl.Series(s.name, [None] * len(s), dtype=pl.String)
    (err,) = _eval(_reason(pl.col("s").str.len_chars() > max_length, "too_long"), s=s)
    return err


def code(s: pl.Series, max_length: int | None) -> tuple[pl.Series, pl.Series]:
    """An identifier kept as typed: ``00123`` stays ``00123``; Excel's ``="00123"`` is unwrapped."""
    value = s
    if s.str.starts_with('="').any():
        value = s.str.replace(r'^="(.*)"$', "${1}")
    return value, too_long(value, max_length)


def _map_unique(
    s: pl.Series, convert: Callable[[str], tuple[str | None, str | None]]
) -> tuple[pl.Series, pl.Series]:
    keys = s.drop_nulls().unique()
    values: list[str | None] = []
    reasons: list[str | None] = []
    for key in keys.to_list():
        converted, why = convert(key)
        values.append(converted)
        reasons.append(why)
    if not values:
        empty = pl.repeat(None, len(s), dtype=pl.String, eager=True).alias(s.name)
        return empty, empty
    new_values = pl.Series(values, dtype=pl.String)
    new_reasons = pl.Series(reasons, dtype=pl.String)
    value = s.replace_strict(keys, new_values, default=None, return_dtype=pl.String)
    reason = s.replace_strict(keys, new_reasons, default=None, return_dtype=pl.String)
    return value.alias(s.name), reason.alias(s.name)


def name(s: pl.Series, max_length: int | None) -> tuple[pl.Series, pl.Series]:
    value, _ = _map_unique(s, lambda raw: (clean_name(raw) or None, None))
    return value, too_long(value, max_length)


def _ru_valid_pattern() -> tuple[str, str]:
    """A regex matching the 10-digit national numbers the phone library calls valid in Russia.

    Built from the library's own metadata: a +7 number is Russian (not Kazakh) exactly when it
    matches one of Russia's number-type patterns, and then it is valid.
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("RU")
    assert metadata is not None
    kinds = (
        "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number",
        "voip", "pager", "uan", "voicemail",
    )  # fmt: skip
    patterns = []
    for kind in kinds:
        desc = getattr(metadata, kind)
        if desc is None or not desc.national_number_pattern:
            continue
        if desc.possible_length and 10 not in desc.possible_length:
            continue
        patterns.append(desc.national_number_pattern)
    assert metadata.general_desc is not None
    general = metadata.general_desc.national_number_pattern
    return rf"^(?:{general})$", rf"^(?:{'|'.join(patterns)})$"


_RU_GENERAL, _RU_TYPES = _ru_valid_pattern()


def phone(s: pl.Series, region: str) -> tuple[pl.Series, pl.Series]:
    """E.164 numbers; reasons ``phone_too_short`` … from :class:`InvalidPhone`.

    Works on the distinct values. Russian numbers written as ``+7``, ``7`` or ``8`` and ten
    digits, or ten digits alone (with spaces, dashes, dots, brackets) are checked in polars with
    the phone library's own patterns; every other value goes through
    :func:`~rapport.core.normalize.normalize_phone` (the property tests hold both to the same
    answers).
    """
    distinct = s.drop_nulls().unique()
    key = distinct.str.replace_many(
        {" ": "", "-": "", "(": "", ")": "", ".": "", "\u00a0": "", "\t": ""}
    )
    frame = pl.DataFrame({"raw": distinct, "key": key})
    k = pl.col("key")
    national: pl.Expr = pl.when(k.str.contains(r"^\+7\d{10}$")).then(k.str.slice(2))
    if region.upper() == "RU":
        national = (
            pl.when(k.str.contains(r"^\+7\d{10}$"))
            .then(k.str.slice(2))
            .when(k.str.contains(r"^[78]\d{10}$"))
            .then(k.str.slice(1))
            .when(k.str.contains(r"^\d{10}$"))
            .then(k)
        )
    frame = frame.with_columns(national.alias("n")).with_columns(
        pl.when(pl.col("n").str.contains(_RU_GENERAL) & pl.col("n").str.contains(_RU_TYPES))
        .then(pl.lit("+7") + pl.col("n"))
        .alias("e164")
    )
    slow = frame.filter(pl.col("e164").is_null())["raw"].to_list()
    values: list[str | None] = []
    reasons: list[str | None] = []
    for raw in slow:
        try:
            values.append(normalize_phone(raw, region))
            reasons.append(None)
        except InvalidPhone as exc:
            values.append(None)
            reasons.append(f"phone_{exc.reason if exc.reason != 'empty' else 'unreadable'}")
    fast = frame.filter(pl.col("e164").is_not_null())
    old = pl.concat([fast["raw"], pl.Series(slow, dtype=pl.String)])
    new_values = pl.concat([fast["e164"], pl.Series(values, dtype=pl.String)])
    new_reasons = pl.concat(
        [
            pl.repeat(None, fast.height, dtype=pl.String, eager=True),
            pl.Series(reasons, dtype=pl.String),
        ]
    )
    if old.is_empty():
        empty = pl.repeat(None, len(s), dtype=pl.String, eager=True).alias(s.name)
        return empty, empty
    value = s.replace_strict(old, new_values, default=None, return_dtype=pl.String)
    reason = (
        s.replace_strict(old, new_reasons, default=None, return_dtype=pl.String)
        if slow
        else pl.repeat(None, len(s), dtype=pl.String, eager=True)
    )
    return value.alias(s.name), reason.alias(s.name)


def email(s: pl.Series, max_length: int | None) -> tuple[pl.Series, pl.Series]:
    def convert(raw: str) -> tuple[str | None, str | None]:
        try:
            return normalize_email(raw), None
        except (InvalidEmail, UnicodeError):
            return None, "email_invalid"

    value, reason = _map_unique(s, convert)
    (reason,) = _eval(pl.coalesce("r", too_long(value, max_length)), r=reason)
    return value, reason


_GENDER = {
    "m": "m", "м": "m", "муж": "m", "мужской": "m", "мужчина": "m", "male": "m", "man": "m",
    "f": "f", "ж": "f", "жен": "f", "женский": "f", "женщина": "f", "female": "f", "woman": "f",
    "w": "f",
}  # fmt: skip
_BOOL = {
    "1": True, "да": True, "д": True, "yes": True, "y": True, "true": True, "истина": True,
    "+": True, "x": True, "х": True, "v": True, "✓": True, "✔": True,
    "0": False, "нет": False, "н": False, "no": False, "n": False, "false": False, "ложь": False,
    "-": False,
}  # fmt: skip

CHOICES: dict[str, dict[str, str]] = {"gender": _GENDER}


def choice(s: pl.Series, options: dict[str, str]) -> tuple[pl.Series, pl.Series]:
    folded = s.str.to_lowercase().str.strip_chars(". ")
    value = folded.replace_strict(
        list(options), list(options.values()), default=None, return_dtype=pl.String
    )
    (err,) = _eval(
        _reason(pl.col("s").is_not_null() & pl.col("v").is_null(), "bad_choice"), s=s, v=value
    )
    return value.alias(s.name), err


def boolean(s: pl.Series) -> tuple[pl.Series, pl.Series]:
    folded = s.str.to_lowercase().str.strip_chars(". ")
    value = folded.replace_strict(
        list(_BOOL), list(_BOOL.values()), default=None, return_dtype=pl.Boolean
    )
    (err,) = _eval(
        _reason(pl.col("s").is_not_null() & pl.col("v").is_null(), "bad_bool"), s=s, v=value
    )
    return value.alias(s.name), err


# --- numbers --------------------------------------------------------------------------------


def _staged(
    s: pl.Series,
    dtype: pl.DataType,
    fast: list[Callable[[pl.Series], pl.Series]],
    slow: Callable[[pl.Series], tuple[pl.Series, pl.Series]],
) -> tuple[pl.Series, pl.Series]:
    """Read the cells with the first fast reader that accepts them, the rest with ``slow``.

    A fast reader returns null for what it does not accept for certain; files are uniform, so
    usually the first one takes every cell and the general (regex-heavy) reader sees none.
    """
    n = len(s)
    value = pl.repeat(None, n, dtype=dtype, eager=True).alias(s.name)
    err = pl.repeat(None, n, dtype=pl.String, eager=True).alias(s.name)
    todo = s.is_not_null()
    rest = s.filter(todo)
    index = pl.int_range(0, n, dtype=pl.UInt32, eager=True).filter(todo)
    if len(fast) > 1 and len(rest) > 2000:  # try first the reader that fits the file's head
        head = rest.head(500)
        fast = sorted(fast, key=lambda reader: -reader(head).is_not_null().sum())
    for reader in fast:
        if rest.is_empty():
            break
        got = reader(rest)
        ok = got.is_not_null()
        hits = int(ok.sum())
        if hits == n:
            value = got.cast(dtype).alias(s.name)
            rest = rest.clear()
            break
        if hits:
            value.scatter(index.filter(ok), got.filter(ok).cast(dtype))
            rest, index = rest.filter(~ok), index.filter(~ok)
    if not rest.is_empty():
        slow_value, slow_err = slow(rest)
        value.scatter(index, slow_value.cast(dtype))
        err.scatter(index, slow_err)
    return value, err


def _plain_number(scale: int, whole_digits: int, decimals: int) -> Callable[[pl.Series], pl.Series]:
    """``123``, ``1 234,50`` or ``1234.5``: digits, spaces and at most one separator."""

    def read(s: pl.Series) -> pl.Series:
        x = s.str.replace_many({" ": "", "\u00a0": "", "\u202f": ""})
        pattern = rf"^\d{{1,{whole_digits}}}" + (rf"[.,]\d{{{decimals}}}$" if decimals else "$")
        if decimals and decimals > scale:  # 1C's "3,000" for a quantity
            pattern = rf"^\d{{1,{whole_digits}}}[.,]0{{{decimals}}}$"
        frame = pl.DataFrame({"x": x})
        c = pl.col("x")
        cut = c.str.len_bytes() - (decimals + 1 if decimals else 0)
        whole = c.str.slice(0, cut).str.to_integer(strict=False) * 10**scale
        if decimals and scale:
            cents = c.str.slice(-decimals).str.to_integer(strict=False) * 10 ** (scale - decimals)
            whole = whole + cents
        return frame.select(pl.when(c.str.contains(pattern)).then(whole)).to_series()

    return read


def number(s: pl.Series, scale: int) -> tuple[pl.Series, pl.Series]:
    """See :func:`_number`; the usual spellings take a fast path first."""
    digits = MONEY_INT_DIGITS if scale else 9
    fast = [_plain_number(scale, digits, d) for d in ((2, 0, 1) if scale else (0, 3))]
    value, err = _staged(s, pl.Int64(), fast, lambda rest: _number(rest, scale))
    return value, err


def _number(s: pl.Series, scale: int) -> tuple[pl.Series, pl.Series]:
    """The value times 10**scale as Int64 (kopecks for money, the count for integers).

    Accepts ``1 234,50`` (spaces or NBSP between thousands), ``1234.5``, ``1,234.50``, ``1.234,50``,
    currency signs and ``руб.``, a leading minus. One separator alone is the decimal point; the
    same separator twice or more separates thousands; with both, the last one is the decimal
    point. More decimals than ``scale`` are accepted only when they are zeros (1C writes
    quantities as ``1,000``); otherwise ``bad_number`` (``not_integer`` for integers).
    """
    x = s.str.replace_all(_CURRENCY, "").str.replace_all(_SPACES, "").str.replace("\u2212", "-")
    frame = pl.DataFrame({"s": s, "x": x})
    x_ = pl.col("x")
    negative = x_.str.starts_with("-")
    body = x_.str.strip_prefix("-").str.strip_prefix("+")
    commas = body.str.count_matches(",", literal=True)
    dots = body.str.count_matches(".", literal=True)
    no_commas = body.str.replace_all(",", "", literal=True)
    canonical = (
        pl.when((commas > 0) & (dots > 0))
        .then(
            pl.when(body.str.contains(r",\d*$"))
            .then(body.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
            .otherwise(no_commas)
        )
        .when(commas > 1)
        .then(no_commas)
        .when(dots > 1)
        .then(body.str.replace_all(".", "", literal=True))
        .otherwise(body.str.replace(",", ".", literal=True))
    )
    # thousands separators must group by three: "1.2.3,4" is not a number
    shape = body.str.contains(
        r"^(\d+([.,]\d*)?|[.,]\d+|\d{1,3}(,\d{3})+(\.\d*)?|\d{1,3}(\.\d{3})+(,\d*)?)$"
    )
    frame = frame.with_columns(negative.alias("neg"), canonical.alias("c"), shape.alias("shape"))
    c = pl.col("c")
    parts = c.str.split_exact(".", 1)
    whole = parts.struct.field("field_0").str.strip_chars_start("0")
    fraction = parts.struct.field("field_1").fill_null("")
    frame = frame.with_columns(
        (c.str.contains(r"^(\d+\.?\d*|\.\d+)$") & pl.col("shape")).alias("ok"),
        whole.alias("w"),
        fraction.str.slice(0, scale).str.pad_end(scale, "0").alias("kept") if scale else pl.lit(""),
        fraction.str.slice(scale).str.strip_chars("0").str.len_bytes().alias("extra"),
    )
    limit_digits = MONEY_INT_DIGITS if scale else 10
    too_big = pl.col("w").str.len_bytes() > limit_digits
    magnitude = pl.col("w").str.to_integer(strict=False).fill_null(0) * 10**scale
    if scale:
        magnitude = magnitude + pl.col("kept").str.to_integer(strict=False).fill_null(0)
    value = pl.when(pl.col("neg")).then(-magnitude).otherwise(magnitude)
    present = pl.col("s").is_not_null()
    frame = frame.with_columns(
        pl.when(present & pl.col("ok") & ~too_big).then(value).cast(pl.Int64).alias("v")
    )
    if not scale:
        too_big = too_big | (pl.col("v").abs() > INT_MAX)
    err = (
        pl.when(~present)
        .then(None)
        .when(~pl.col("ok"))
        .then(pl.lit("bad_number"))
        .when(too_big)
        .then(pl.lit("number_too_large"))
        .when(pl.col("extra") > 0)
        .then(pl.lit("bad_number" if scale else "not_integer"))
        .when(pl.col("v") < 0)
        .then(pl.lit("negative"))
    )
    out = frame.select(pl.when(err.is_null()).then(pl.col("v")).alias("v"), err.alias("e"))
    return out["v"].alias(s.name), out["e"].alias(s.name)


def money(scaled: pl.Series) -> pl.Series:
    """Kopecks (Int64) as Decimal(12, 2)."""
    return (scaled.cast(pl.Decimal(15, 2)) / 100).cast(MONEY, strict=False)


# --- dates ----------------------------------------------------------------------------------

_DMY = r"^(\d{1,2})[./\-](\d{1,2})[./\-](\d{4})$"
_DMYY = r"^(\d{1,2})[./](\d{1,2})[./](\d{2})$"
_YMD = r"^(\d{4})[./\-](\d{1,2})[./\-](\d{1,2})$"
_SERIAL = r"^\d{5}(\.0+)?$"


def _date_expr(x: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(Date, whether the year had two digits) of DD.MM.YYYY, D.M.YY, YYYY-MM-DD or a serial."""
    canonical = (
        x.str.replace(_DMY, "${3}-${2}-${1}")
        .str.replace(_DMYY, "20${3}-${2}-${1}")
        .str.replace(_YMD, "${1}-${2}-${3}")
    )
    parsed = (
        pl.when(canonical.str.contains(r"^\d{4}-\d{1,2}-\d{1,2}$"))
        .then(canonical)
        .str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    )
    serial = pl.when(x.str.contains(_SERIAL)).then(
        pl.lit(EXCEL_EPOCH)
        + pl.duration(days=x.str.extract(r"^(\d+)", 1).str.to_integer(strict=False))
    )
    return pl.coalesce(parsed, serial.cast(pl.Date)), x.str.contains(_DMYY)


def _strptime(dtype: pl.DataType, fmt: str) -> Callable[[pl.Series], pl.Series]:
    def read(s: pl.Series) -> pl.Series:
        parsed = s.str.strptime(dtype, fmt, strict=False)  # type: ignore[arg-type]
        # chrono reads "5.3.24" with %Y as the year 24: leave such cells to the general reader
        return pl.select(pl.when(parsed.dt.year() >= 1000).then(parsed)).to_series()

    return read


def dates(
    s: pl.Series, *, today: date, earliest: date, past_two_digit_years: bool
) -> tuple[pl.Series, pl.Series]:
    """Dates; a time of 00:00 (Excel's date cells) is ignored. Future and too old are reasons.

    With ``past_two_digit_years`` (birthdays) ``05.03.65`` that would be in the future is read a
    century earlier, 1965.
    """

    def general(rest: pl.Series) -> tuple[pl.Series, pl.Series]:
        x = pl.col("s").str.replace(r"[ T]0?0:00(:00(\.0+)?)?$", "")
        parsed, two_digit = _date_expr(x)
        if past_two_digit_years:
            parsed = (
                pl.when(two_digit & (parsed > pl.lit(today)))
                .then(parsed.dt.offset_by("-100y"))
                .otherwise(parsed)
            )
        out = pl.DataFrame({"s": rest}).select(parsed)
        return out.to_series(), pl.repeat(None, len(rest), dtype=pl.String, eager=True)

    fast = [_strptime(pl.Date(), "%d.%m.%Y"), _strptime(pl.Date(), "%Y-%m-%d")]
    value, _ = _staged(s, pl.Date(), fast, general)
    return _date_checks(pl.DataFrame({"s": s, "d": value}), "bad_date", today, earliest)


def _date_checks(
    frame: pl.DataFrame, bad: str, today: date, earliest: date
) -> tuple[pl.Series, pl.Series]:
    d = pl.col("d")
    day = d.cast(pl.Date)
    err = (
        pl.when(pl.col("s").is_null())
        .then(None)
        .when(d.is_null())
        .then(pl.lit(bad))
        .when(day > pl.lit(today))
        .then(pl.lit("future_date"))
        .when(day < pl.lit(earliest))
        .then(pl.lit("too_old"))
    )
    out = frame.select(pl.when(err.is_null()).then(d).alias("d"), err.alias("e"))
    name = frame["s"].name
    return out["d"].alias(name), out["e"].alias(name)


_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?"


def datetimes(s: pl.Series, *, today: date, earliest: date) -> tuple[pl.Series, pl.Series]:
    """Naive local datetimes: see :func:`_datetimes`; the usual spellings take a fast path."""
    us = pl.Datetime("us")
    fast = [
        _strptime(us, fmt)
        for fmt in (
            "%d.%m.%Y %H:%M",
            "%d.%m.%Y %H:%M:%S",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%d.%m.%Y",
            "%Y-%m-%d",
        )
    ]

    def general(rest: pl.Series) -> tuple[pl.Series, pl.Series]:
        return _datetimes(rest), pl.repeat(None, len(rest), dtype=pl.String, eager=True)

    value, _ = _staged(s, us, fast, general)
    return _date_checks(pl.DataFrame({"s": s, "d": value}), "bad_datetime", today, earliest)


def _datetimes(s: pl.Series) -> pl.Series:
    """Naive local datetimes from ``DD.MM.YYYY HH:MM[:SS]``, ISO ``YYYY-MM-DD[T ]HH:MM[:SS]``,
    a date alone (midnight) or an Excel serial with a fraction of a day (to the second)."""
    x = pl.col("s")
    date_part = x.str.extract(r"^(\S+?)(?:[ T]+\d{1,2}:.*)?$", 1)
    time_part = x.str.extract(rf"^\S+?[ T]+({_TIME})$", 1)
    has_time = x.str.contains(r"^\S+?[ T]+\S")
    day, _ = _date_expr(date_part)
    groups = pl.col("t").str.extract_groups(rf"^{_TIME}$")
    hours = groups.struct.field("1").str.to_integer(strict=False)
    minutes = groups.struct.field("2").str.to_integer(strict=False)
    seconds = groups.struct.field("3").str.to_integer(strict=False).fill_null(0)
    frame = pl.DataFrame({"s": s}).with_columns(
        day.alias("day"), time_part.alias("t"), has_time.alias("has_time")
    )
    time_ok = (hours < 24) & (minutes < 60) & (seconds < 60)
    offset = pl.duration(hours=hours, minutes=minutes, seconds=seconds)
    serial = x.str.contains(r"^\d{5}\.\d+$")
    serial_value = pl.lit(EXCEL_EPOCH).cast(pl.Datetime("us")) + pl.duration(
        seconds=(x.cast(pl.Float64, strict=False) * 86400).round(0).cast(pl.Int64, strict=False)
    )
    combined = (
        pl.when(serial)
        .then(serial_value)
        .when(~pl.col("has_time"))
        .then(pl.col("day").cast(pl.Datetime("us")))
        .when(pl.col("t").is_not_null() & time_ok)
        .then(pl.col("day").cast(pl.Datetime("us")) + offset)
    )
    return frame.select(combined).to_series()


def split_full_name(s: pl.Series) -> tuple[pl.Series, pl.Series, pl.Series]:
    """(last, first, middle) of a full name in ФИО order; two Latin words read as First Last."""
    cleaned, _ = name(s, None)
    frame = pl.DataFrame({"n": cleaned})
    parts = pl.col("n").str.split(" ")
    count = parts.list.len()
    latin_pair = (count == 2) & ~pl.col("n").str.contains(r"[А-Яа-яЁё]")
    first = (
        pl.when(count == 1)
        .then(parts.list.get(0))
        .when(latin_pair)
        .then(parts.list.get(0))
        .otherwise(parts.list.get(1, null_on_oob=True))
    )
    last = pl.when(latin_pair).then(parts.list.get(1)).when(count >= 2).then(parts.list.get(0))
    middle = pl.when(count >= 3).then(parts.list.slice(2).list.join(" "))
    out = frame.select(last.alias("last"), first.alias("first"), middle.alias("middle"))
    return out["last"], out["first"], out["middle"]
