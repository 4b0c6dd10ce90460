"""Reading an uploaded CSV or Excel file into a frame of text columns, nothing interpreted.

Every cell stays text (``00123`` keeps its zeros, phones never become floats); the parser decides
what each column means. Line numbers (``__line``) are what the user sees:

- Excel: the sheet's row number.
- CSV: the line in a text editor where the record starts (the header is line 1, blank lines count).
  A quoted cell spanning several lines moves every later record down by as many lines; the record
  itself is reported at its first line. Excel opening the same CSV would show one row per record,
  so for a file with multi-line cells the numbers can differ from Excel's row numbers.
"""

from __future__ import annotations

import csv
import io
import re

import fastexcel
import polars as pl
from polars.exceptions import PanicException

from rapport.core.tabular.spec import TableError

LINE = "__line"
MAX_BYTES = 2 * 1024**3  # polars keeps the whole file in memory; bigger files are refused
HEADER_WINDOW = 20  # the header is looked for among the first rows (titles of 1C reports above)
_DELIMITERS = (";", "\t", ",", "|")  # preference order when two fit equally well
_SAMPLE_CHARS = 256 * 1024
_SAMPLE_RECORDS = 500
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DATA_LIKE = re.compile(r"^[\d\s.,:/+\-()]+$")


def read_table(
    data: bytes, *, filename: str, sheet: str | None = None, max_rows: int | None = None
) -> pl.DataFrame:
    """The file's records as text columns named by its header, with ``__line`` (Int64).

    CSV in UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1251, delimited by ``;``, tab,
    ``,`` or ``|``; XLSX, XLS, XLSB and ODS through fastexcel. Blank cells are null and rows with
    no filled cell are dropped. The header is the first of the first 20 rows with at least two
    filled cells (one for a one-column file); blank headings become ``column N`` and repeated
    ones get `` (2)``, `` (3)`` …. ``max_rows`` makes a preview: the first (at most) ``max_rows``
    lines after the header, the rest of the file is not read. Raises :class:`TableError` and
    nothing else (``too_large``: over 2 GiB).
    """
    if not data:
        raise TableError("empty")
    if len(data) > MAX_BYTES:
        raise TableError("too_large")
    # a preview: read only about as many records as asked for (blank ones count)
    limit = None if max_rows is None else 2 * max_rows + HEADER_WINDOW + 1
    try:
        if data.startswith((_ZIP, _OLE)):
            frame = _read_excel(data, sheet, limit)
        elif filename.lower().endswith((".xlsx", ".xls", ".xlsm", ".xlsb", ".ods")):
            raise TableError("unreadable", "not a workbook")
        else:
            frame = _read_csv(data, limit)
        result = _finish(frame, max_rows)
    except TableError:
        raise
    except (Exception, PanicException) as exc:  # a reader bug must not escape as anything else
        raise TableError("unreadable", f"{type(exc).__name__}: {exc}"[:300]) from exc
    return result


# --- Excel ----------------------------------------------------------------------------------


def _read_excel(data: bytes, sheet: str | None, limit: int | None) -> pl.DataFrame:
    try:
        reader = fastexcel.read_excel(data)
    except Exception as exc:
        raise TableError("unreadable", str(exc)[:300]) from exc
    if sheet is not None and sheet not in reader.sheet_names:
        raise TableError("sheet_missing", sheet)
    if not reader.sheet_names:
        raise TableError("empty")
    try:
        # skip_rows=0 keeps the rows above the first filled one, so frame row i is sheet row i+1
        loaded = reader.load_sheet(
            sheet if sheet is not None else 0,
            header_row=None,
            skip_rows=0,
            n_rows=limit,
            dtypes="string",
        )
        frame = loaded.to_polars()
    except Exception as exc:
        raise TableError("unreadable", str(exc)[:300]) from exc
    frame = frame.rename({name: f"c{i}" for i, name in enumerate(frame.columns)})
    frame = frame.select(pl.all().cast(pl.String))
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE))


# --- CSV ------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str | None, bytes]:
    """The text (or None when ``data`` already is clean UTF-8) and the UTF-8 bytes for polars."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TableError("unreadable", "broken UTF-16") from exc
        return text, b""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1251", errors="replace")
        return text, b""
    return None, data


def _read_csv(data: bytes, limit: int | None) -> pl.DataFrame:
    text, raw = _decode(data)
    sample = (text if text is not None else raw[: _SAMPLE_CHARS * 2].decode("utf-8", "replace"))[
        :_SAMPLE_CHARS
    ]
    needs_text = "\x00" in sample or ("\r" in sample and "\n" not in sample)
    if text is None and (needs_text or b"\x00" in raw):
        text = raw.decode("utf-8")
    if text is not None:
        nuls = text.count("\x00")
        if nuls * 100 > len(text) + 100:
            raise TableError("unreadable", "binary file")
        if nuls:
            text = text.replace("\x00", "")
        if "\r" in text and "\n" not in text:  # classic Mac line ends
            text = text.replace("\r", "\n")
        raw = text.encode("utf-8")
        sample = text[:_SAMPLE_CHARS]
    if not raw.strip():
        raise TableError("empty")
    controls = sum(1 for char in sample if char < " " and char not in "\t\r\n")
    if controls * 20 > len(sample) + 20:
        raise TableError("unreadable", "binary file")
    delimiter, width = _sniff(sample)
    schema = {f"c{i}": pl.String for i in range(width)}
    options = {
        "has_header": False,
        "separator": delimiter,
        "schema": schema,
        "infer_schema": False,
        "truncate_ragged_lines": True,
        "missing_columns": "insert",
        "n_rows": limit,
    }
    try:
        frame = pl.read_csv(raw, quote_char='"', **options)  # type: ignore[arg-type]
    except Exception:
        # broken quoting ("15" screen" unquoted, a quote never closed): read quotes literally
        frame = pl.read_csv(raw, quote_char=None, **options)  # type: ignore[arg-type]
    if b'"' not in raw:  # no quoted cell, so no cell spans lines: record i is line i
        return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE))
    # A record spans 1 + (newlines inside its cells) lines; the header record is line 1.
    newlines = pl.sum_horizontal(
        pl.col(name).str.count_matches("\n", literal=True).fill_null(0) for name in schema
    )
    return frame.with_columns(
        (pl.int_range(1, pl.len() + 1, dtype=pl.Int64) + newlines.cum_sum().shift(1, fill_value=0))
        .cast(pl.Int64)
        .alias(LINE)
    )


def _sniff(sample: str) -> tuple[str, int]:
    """The delimiter and the number of columns, judged on the first records of the file."""
    cut = sample.rfind("\n")
    if cut > 0 and len(sample) == _SAMPLE_CHARS:
        sample = sample[:cut]
    best: tuple[float, int, int] | None = None
    chosen = (_DELIMITERS[0], 1)
    for rank, delimiter in enumerate(_DELIMITERS):
        widths = _record_widths(sample, delimiter)
        header = next((n for n in widths[:HEADER_WINDOW] if n >= 2), None)
        if header is None:
            continue
        after = widths[widths.index(header) + 1 :] or [header]
        consistency = sum(1 for n in after if n == header) / len(after)
        score = (round(consistency, 2), header, -rank)
        if best is None or score > best:
            best = score
            chosen = (delimiter, max(widths))
    if best is None:  # one column: nothing splits the header
        widths = _record_widths(sample, _DELIMITERS[0])
        chosen = (_DELIMITERS[0], max(widths, default=1))
    return chosen


def _record_widths(sample: str, delimiter: str) -> list[int]:
    """Filled-cell-aware widths of the sample's records (blank records are skipped)."""
    widths: list[int] = []
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            if sum(1 for cell in record if cell.strip()) == 0:
                continue
            widths.append(len(record))
            if len(widths) >= _SAMPLE_RECORDS:
                break
    except csv.Error:  # a huge cell or a stray NUL: judge on what was read before it
        pass
    return widths


# --- header and rows ------------------------------------------------------------------------


def _finish(frame: pl.DataFrame, max_rows: int | None) -> pl.DataFrame:
    cells = [name for name in frame.columns if name != LINE]
    if not cells or frame.height == 0:
        raise TableError("empty")
    filled = pl.sum_horizontal(pl.col(cells).str.strip_chars().str.len_bytes().fill_null(0) > 0)
    frame = frame.with_columns(filled.alias("__filled"))
    head = frame.head(HEADER_WINDOW)["__filled"].to_list()
    need = min(2, max(head, default=0)) or 1
    position = next((i for i, n in enumerate(head) if n >= need and n > 0), None)
    if position is None:
        if frame["__filled"].sum() == 0:
            raise TableError("empty")
        raise TableError("no_header")
    header_cells = frame.row(position, named=True)
    texts = [(header_cells[name] or "").strip() for name in cells]
    if sum(1 for t in texts if t and _DATA_LIKE.match(t)) * 2 > sum(1 for t in texts if t):
        raise TableError("no_header", "the first row looks like data")
    body = frame.slice(position + 1).filter(pl.col("__filled") > 0)
    if max_rows is not None:
        body = body.head(max_rows)
    # drop trailing columns that are blank everywhere (ragged 1C exports end with ;;;)
    keep = [name for name, text in zip(cells, texts, strict=True) if text]
    if body.height:
        counts = body.select(pl.col(cells).is_not_null().sum()).row(0, named=True)
        keep = [name for name, text in zip(cells, texts, strict=True) if text or counts[name]]
    names = _header_names(
        [header_cells[name] or "" for name in keep], [cells.index(k) for k in keep]
    )
    return body.select(
        *(pl.col(name).alias(new) for name, new in zip(keep, names, strict=True)), pl.col(LINE)
    )


def _header_names(raw: list[str], positions: list[int]) -> list[str]:
    bases = [
        " ".join(text.split()) or f"column {pos + 1}"
        for text, pos in zip(raw, positions, strict=True)
    ]
    bases = ["line" if base == LINE else base for base in bases]
    taken = set(bases)
    used: set[str] = set()
    names: list[str] = []
    for base in bases:
        name = base
        number = 2
        while name in used:
            name = f"{base} ({number})"
            number += 1
            if name in taken:
                name = base
        used.add(name)
        names.append(name)
    return names
