"""Exports for spreadsheets: CSV for Russian Excel and XLSX, never a live formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

import xlsxwriter

# Cells a spreadsheet would read as a formula (or DDE) when they start with one of these.
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def neutralise(text: str) -> str:
    """Text with an apostrophe in front when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(DANGEROUS_START) else text


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal | float):
        return str(value).replace(".", ",")  # Russian Excel reads decimal commas as numbers
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S" if value.second else "%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return neutralise(str(value))


def export_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV for Russian Excel: UTF-8 with BOM, ``;``, CRLF, decimal commas, dates DD.MM.YYYY.

    Text that starts with ``= + - @``, a tab or CR gets a leading apostrophe, so a spreadsheet
    shows it instead of running it; numbers (``int``, ``Decimal``, ``float``) are written as
    numbers, so a negative amount stays a number. Our own import removes that apostrophe again.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(str(name)) for name in header])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: no ``[]:*?/\\``, at most 31 characters."""
    cleaned = _BAD_SHEET_CHARS.sub("_", name).strip("'")[:31]
    return cleaned or "Sheet1"


def export_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]], *, sheet: str) -> bytes:
    """An XLSX workbook: strings are strings (never formulas or links), dates are dates,
    numbers are numbers; text a spreadsheet would run is marked "quote prefix", so even
    editing the cell in Excel keeps it text."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    quoted = workbook.add_format({"quote_prefix": True})
    day = workbook.add_format({"num_format": "dd.mm.yyyy"})
    moment = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    clock = workbook.add_format({"num_format": "hh:mm"})
    worksheet = workbook.add_worksheet(sheet_name(sheet))
    for column, name in enumerate(header):
        worksheet.write_string(0, column, str(name), bold)
    widths = [min(max(len(str(name)), 8), 60) for name in header]
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                worksheet.write_boolean(row_number, column, value)
            elif isinstance(value, int | float | Decimal):
                worksheet.write_number(row_number, column, float(value))
            elif isinstance(value, datetime):
                worksheet.write_datetime(row_number, column, value.replace(tzinfo=None), moment)
            elif isinstance(value, date):
                worksheet.write_datetime(row_number, column, value, day)
            elif isinstance(value, time):
                worksheet.write_datetime(row_number, column, value, clock)
            else:
                text = str(value)
                style = quoted if text.startswith(DANGEROUS_START) else None
                worksheet.write_string(row_number, column, text, style)
                if column < len(widths):
                    widths[column] = min(max(widths[column], len(text)), 60)
    for column, width in enumerate(widths):
        worksheet.set_column(column, column, width + 2)
    worksheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
