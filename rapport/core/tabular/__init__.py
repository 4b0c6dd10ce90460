"""Imports and exports of clients, purchases (receipt lines) and products: the pure core.

No Django here. The shell reads an upload with :func:`read_table` (every cell text), shows the
mapping page from :func:`guess_mapping`, calls :func:`parse` and stores ``Parsed.rows``; the
report lists ``Parsed.rejects``. All parsing is polars expressions over whole columns; Python runs
once per *distinct* phone, e-mail or name.

Rules of :func:`parse`:

- Cells are trimmed (spaces, NBSP); an empty cell is a missing value. The apostrophe our exports
  put before ``= + - @`` is removed again.
- ``Parsed.rows`` has every field of the kind (see :func:`output_schema`), null where the file has
  no such column or the cell is empty, plus ``__line``. Money is ``Decimal(12, 2)`` (exact, like
  the model fields); counts are Int64; dates Date; purchase times naive local Datetime("us").
  Names are :func:`~rapport.core.normalize.clean_name`-d, phones E.164, e-mails normalised, codes
  (SKU, receipt, client code) kept as typed, ``00123`` included (Excel's ``="00123"`` unwrapped).
- A ``ФИО`` / full-name column fills the last, first and middle names the file has no own column
  for: Фамилия Имя Отчество order; two Latin words read as First Last.
- Dates: DD.MM.YYYY, D.M.YYYY, DD.MM.YY, YYYY-MM-DD (``/`` and ``-`` also), Excel serials; a
  birthday with a two-digit year never lands in the future (``01.01.65`` → 1965). Birthdays before
  1900 and purchases before 1990 are ``too_old``; any date after ``today`` is ``future_date``.
  Datetimes: a date, then optionally ``HH:MM[:SS]`` (ISO ``T`` accepted); a date alone is midnight.
- Numbers: see :func:`cells.number`. Negative → ``negative``; a quantity of 0 → ``zero``.
- Clients need a first name (or a full name giving one) and a phone, e-mail or client code.
- Purchases need a receipt number, a date, an article or item name, a price or a line amount and a
  client code, phone or e-mail. Quantity defaults to 1, discount to 0. ``unit_price``,
  ``discount`` and ``amount`` are all filled: amount = price × quantity − discount; from an amount
  alone the price is amount ÷ quantity rounded up to the kopeck and the rest is the discount;
  price and amount without a discount give the discount; inconsistent → ``amount_mismatch``.
  A receipt is one ``receipt_number`` in the file: its lines must agree on the date, store,
  consultant and client (``receipt_conflict`` on every line otherwise); if any of its lines is
  rejected the others are rejected as ``receipt_incomplete``, so a receipt is never stored in part.
  Accepted lines all carry the receipt's date, store, consultant and client fields.
- Keys: client code (clients), SKU (products), receipt + line number (purchases, only when the line
  number is mapped). The same key twice with different content rejects all those lines
  (``duplicate_in_file``); an exact repeat is dropped and counted in ``Parsed.repeats``.
- A required field (or a whole one-of group such as phone|email|external_id) without a column:
  ``rows`` is empty and ``rejects`` has one ``missing_column`` row per missing field, line 1 (the
  header), column ``""``, field the name or the group joined by ``|``.
- ``rejects``: line (Int64), column (the file's header or "" for a line-level reason), field, reason
  (a key of :data:`REASONS`), value (raw text, at most 200 characters). Sorted by line; a line is
  listed once per problem and never appears in ``rows``.
"""

from rapport.core.tabular.export import export_csv, export_xlsx, neutralise
from rapport.core.tabular.parser import Parsed, output_schema, parse
from rapport.core.tabular.reader import LINE, read_table
from rapport.core.tabular.spec import (
    FIELDS,
    REASONS,
    TABLE_ERRORS,
    FieldSpec,
    Kind,
    TableError,
    guess_mapping,
    header_key,
)

__all__ = [
    "FIELDS",
    "LINE",
    "REASONS",
    "TABLE_ERRORS",
    "FieldSpec",
    "Kind",
    "Parsed",
    "TableError",
    "export_csv",
    "export_xlsx",
    "guess_mapping",
    "header_key",
    "neutralise",
    "output_schema",
    "parse",
    "read_table",
]
