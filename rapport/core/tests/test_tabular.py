"""The import/export core: reading CSV and Excel, the column mapping, parsing and the report."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import fastexcel
import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rapport.core.normalize import InvalidPhone, normalize_phone
from rapport.core.tabular import (
    FIELDS,
    LINE,
    REASONS,
    TABLE_ERRORS,
    TableError,
    cells,
    export_csv,
    export_xlsx,
    guess_mapping,
    output_schema,
    parse,
    read_table,
)

TODAY = date(2025, 6, 15)


def _headers(df: pl.DataFrame) -> list[str]:
    return [name for name in df.columns if name != LINE]


def _read_parse(kind, text: str, *, encoding: str = "utf-8", today: date = TODAY):  # type: ignore[no-untyped-def]
    df = read_table(text.encode(encoding), filename="file.csv")
    return parse(df, guess_mapping(_headers(df), kind), kind, region="RU", today=today)


def _rejects(parsed) -> list[tuple]:  # type: ignore[no-untyped-def]
    return parsed.rejects.rows()


def _xlsx(
    cells_by_row: dict[int, list[object]], *, start_col: int = 0, sheet: str = "Лист1"
) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    worksheet = workbook.add_worksheet(sheet)
    day = workbook.add_format({"num_format": "dd.mm.yyyy"})
    for row, values in cells_by_row.items():
        for offset, value in enumerate(values):
            column = start_col + offset
            if isinstance(value, datetime | date):
                worksheet.write_datetime(row, column, value, day)
            elif isinstance(value, str):
                worksheet.write_string(row, column, value)
            elif value is not None:
                worksheet.write(row, column, value)
    workbook.close()
    return buffer.getvalue()


# --- reading CSV ------------------------------------------------------------------------------


def test_1c_csv_in_windows_1251_with_semicolons_decimal_commas_and_leading_zeros():
    text = (
        "Номер чека;Дата;Телефон;Артикул;Номенклатура;Количество;Цена;Сумма\r\n"
        "00045;05.03.2024 14:30;8 (916) 123-45-67;00123;Платье льняное;1,000;12 500,00;"
        "12 500,00\r\n"
        "00045;05.03.2024 14:30;8 (916) 123-45-67;007;Пояс;2,000;1\u00a0250,50;2501\r\n"
    )
    df = read_table(
        text.encode("cp1251", errors="strict")
        if "\u00a0" not in text
        else text.replace("\u00a0", "\xa0").encode("cp1251"),
        filename="чеки.csv",
    )

    assert df.schema == {**{h: pl.String() for h in _headers(df)}, LINE: pl.Int64()}
    assert _headers(df) == [
        "Номер чека", "Дата", "Телефон", "Артикул", "Номенклатура", "Количество", "Цена", "Сумма",
    ]  # fmt: skip
    assert df["Артикул"].to_list() == ["00123", "007"]
    assert df["Номер чека"].to_list() == ["00045", "00045"]
    assert df[LINE].to_list() == [2, 3]

    parsed = parse(
        df, guess_mapping(_headers(df), "purchases"), "purchases", region="RU", today=TODAY
    )

    assert parsed.rejects.is_empty()
    rows = parsed.rows.to_dicts()
    assert [r["sku"] for r in rows] == ["00123", "007"]
    assert [r["quantity"] for r in rows] == [1, 2]
    assert [r["unit_price"] for r in rows] == [Decimal("12500.00"), Decimal("1250.50")]
    assert [r["amount"] for r in rows] == [Decimal("12500.00"), Decimal("2501.00")]
    assert [r["discount"] for r in rows] == [Decimal("0.00"), Decimal("0.00")]
    assert rows[0]["purchased_at"] == datetime(2024, 3, 5, 14, 30)
    assert rows[0]["phone"] == "+79161234567"
    assert rows[0]["receipt_number"] == "00045"


def test_utf8_bom_comma_delimiter_and_quoted_multiline_cells_report_the_starting_line():
    text = (
        '\ufeffFirst name,Phone,Note\n"Anna","+7 916 123-45-67","line one\nline two"\n'
        "\nBoris,89161234568,x\n"
    )
    df = read_table(text.encode("utf-8"), filename="c.csv")

    assert _headers(df) == ["First name", "Phone", "Note"]
    assert df["Note"].to_list() == ["line one\nline two", "x"]
    # Anna's record starts on line 2 and spans 2 lines; line 4 is blank; Boris is on line 5
    assert df[LINE].to_list() == [2, 5]


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiters_are_detected(delimiter):
    text = (
        delimiter.join(["Имя", "Телефон", "Город"])
        + "\n"
        + delimiter.join(["Анна", "123", "Москва"])
        + "\n"
    )

    df = read_table(text.encode(), filename="x.txt")

    assert _headers(df) == ["Имя", "Телефон", "Город"]
    assert df.row(0) == ("Анна", "123", "Москва", 2)


def test_semicolon_file_with_unquoted_decimal_commas_keeps_semicolon():
    text = "Имя;Сумма\nАнна;1,50\nБорис;2,75\n"

    df = read_table(text.encode("cp1251"), filename="x.csv")

    assert df["Сумма"].to_list() == ["1,50", "2,75"]


def test_title_rows_above_the_header_and_blank_and_duplicate_headings():
    text = "Отчёт по клиентам;;;\n;;;\nИмя;;Телефон;Телефон\nАнна;x;1;2\n;;;\n"

    df = read_table(text.encode("cp1251"), filename="x.csv")

    assert _headers(df) == ["Имя", "column 2", "Телефон", "Телефон (2)"]
    assert df.rows() == [("Анна", "x", "1", "2", 4)]


def test_utf16_with_bom_from_excel_unicode_text():
    text = "Имя\tТелефон\r\nАнна\t+79161234567\r\n"

    df = read_table(text.encode("utf-16"), filename="x.txt")

    assert df.rows() == [("Анна", "+79161234567", 2)]


def test_broken_quotes_are_read_literally():
    text = 'Имя;Размер\nАнна;15" экран\n"Борис;ok\n'

    df = read_table(text.encode(), filename="x.csv")

    assert df["Имя"].to_list() == ["Анна", '"Борис']
    assert df[LINE].to_list() == [2, 3]


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "x.csv", "empty"),
        (b"\r\n \r\n;;;\r\n", "x.csv", "empty"),
        (b"12;05.03.2024;100\n13;06.03.2024;200\n", "x.csv", "no_header"),
        (b"\x00\x01\x02\x03" * 100, "x.csv", "unreadable"),
        (b"Name;Phone\nAnna;1\n", "x.xlsx", "unreadable"),
        (b"PK\x03\x04 not really a zip", "x.xlsx", "unreadable"),
    ],
)
def test_unreadable_files_raise_table_error(data, filename, reason):
    with pytest.raises(TableError) as error:
        read_table(data, filename=filename)

    assert error.value.reason == reason
    assert reason in TABLE_ERRORS


def test_max_rows_reads_a_preview():
    text = "Имя;Телефон\n" + "".join(f"Анна;{n}\n" for n in range(1000))

    df = read_table(text.encode(), filename="x.csv", max_rows=3)

    assert df.rows() == [("Анна", "0", 2), ("Анна", "1", 3), ("Анна", "2", 4)]
    xlsx = _xlsx({0: ["Имя", "Телефон"], **{n: ["Анна", str(n)] for n in range(1, 50)}})
    assert read_table(xlsx, filename="x.xlsx", max_rows=2)[LINE].to_list() == [2, 3]


# --- reading Excel ----------------------------------------------------------------------------


def test_xlsx_cells_are_text_codes_keep_zeros_and_lines_are_sheet_rows():
    data = _xlsx(
        {
            2: ["Фамилия", "Имя", "Телефон", "Дата рождения", "Код", "Сумма"],
            3: ["Иванова", "Анна", 79161234567, date(1985, 3, 5), "00123", 1234.5],
            5: ["Петров", "Борис", "8 916 123 45 68", 31111, "007", 10],
        },
        start_col=1,
    )

    df = read_table(data, filename="clients.xlsx")

    assert _headers(df) == ["Фамилия", "Имя", "Телефон", "Дата рождения", "Код", "Сумма"]
    assert df.rows() == [
        ("Иванова", "Анна", "79161234567", "1985-03-05 00:00:00", "00123", "1234.5", 4),
        ("Петров", "Борис", "8 916 123 45 68", "31111", "007", "10", 6),
    ]
    parsed = parse(df, guess_mapping(_headers(df), "clients"), "clients", region="RU", today=TODAY)
    assert parsed.rejects.is_empty()
    assert parsed.rows["birthday"].to_list() == [date(1985, 3, 5), date(1985, 3, 5)]
    assert parsed.rows["phone"].to_list() == ["+79161234567", "+79161234568"]
    assert parsed.rows["external_id"].to_list() == ["00123", "007"]


def test_xlsx_sheet_by_name_and_missing_sheet():
    data = _xlsx({0: ["Имя", "Телефон"], 1: ["Анна", "1"]}, sheet="Клиенты")

    assert read_table(data, filename="x.xlsx", sheet="Клиенты").rows() == [("Анна", "1", 2)]
    with pytest.raises(TableError) as error:
        read_table(data, filename="x.xlsx", sheet="Нет такого")
    assert error.value.reason == "sheet_missing"


# --- column mapping ---------------------------------------------------------------------------


def test_russian_client_headers():
    headers = [
        "Фамилия",
        "Имя",
        "Отчество",
        "Телефон",
        "Дата рождения",
        "E-mail",
        "Пол",
        "Код",
        "Город",
    ]

    assert guess_mapping(headers, "clients") == {
        "Фамилия": "last_name",
        "Имя": "first_name",
        "Отчество": "middle_name",
        "Телефон": "phone",
        "Дата рождения": "birthday",
        "E-mail": "email",
        "Пол": "gender",
        "Код": "external_id",
        "Город": None,
    }


def test_english_client_headers_case_and_punctuation_insensitive():
    headers = ["LAST NAME", "first_name", "Mobile phone", "Date of birth", "e-mail", "Customer ID"]

    assert guess_mapping(headers, "clients") == {
        "LAST NAME": "last_name",
        "first_name": "first_name",
        "Mobile phone": "phone",
        "Date of birth": "birthday",
        "e-mail": "email",
        "Customer ID": "external_id",
    }


def test_purchase_headers_containment_and_each_field_once():
    headers = [
        "№ чека",
        "Дата продажи",
        "Телефон клиента",
        "Телефон клиента (2)",
        "Артикул",
        "Кол-во",
        "Цена, руб.",
        "Сумма",
    ]

    assert guess_mapping(headers, "purchases") == {
        "№ чека": "receipt_number",
        "Дата продажи": "purchased_at",
        "Телефон клиента": "phone",
        "Телефон клиента (2)": None,
        "Артикул": "sku",
        "Кол-во": "quantity",
        "Цена, руб.": "unit_price",
        "Сумма": "amount",
    }


def test_full_name_column_fills_the_name_fields():
    parsed = _read_parse(
        "clients",
        "ФИО;Телефон\nиванова анна сергеевна;+79161234567\n"
        "John Smith;+79161234568\nМария;+79161234569\n",
    )

    assert parsed.rejects.is_empty()
    assert parsed.rows.select("last_name", "first_name", "middle_name").rows() == [
        ("Иванова", "Анна", "Сергеевна"),
        ("Smith", "John", None),
        (None, "Мария", None),
    ]


# --- cells ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kopecks"),
    [
        ("1234", 123400),
        ("1 234,50", 123450),
        ("1\u00a0234,50", 123450),
        ("1234.5", 123450),
        ("1,234.50", 123450),
        ("1.234,50", 123450),
        ("1 234 567", 123456700),
        ("1,234,567", 123456700),
        ("12 500,00 руб.", 1250000),
        ("₽ 99,9", 9990),
        ("$5", 500),
        ("0,5", 50),
        (",5", 50),
        ("1234,500", 123450),
        ("007", 700),
    ],
)
def test_money_spellings(typed, kopecks):
    value, err = cells.number(pl.Series([typed]), 2)

    assert (value.to_list(), err.to_list()) == ([kopecks], [None])


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("abc", "bad_number"),
        ("1,234", "bad_number"),  # a third decimal that is not zero: ambiguous, never guessed
        ("1.2.3,4", "bad_number"),
        ("12345678901", "number_too_large"),
        ("-5", "negative"),
        ("−5,00", "negative"),
        ("1e5", "bad_number"),
    ],
)
def test_money_rejects(typed, reason):
    value, err = cells.number(pl.Series([typed]), 2)

    assert (value.to_list(), err.to_list()) == ([None], [reason])


@pytest.mark.parametrize(
    ("typed", "value", "reason"),
    [
        ("3", 3, None),
        ("3,000", 3, None),
        ("2.0", 2, None),
        ("1,5", None, "not_integer"),
        ("-1", None, "negative"),
        ("99999999999", None, "number_too_large"),
        ("x", None, "bad_number"),
    ],
)
def test_integers(typed, value, reason):
    got, err = cells.number(pl.Series([typed]), 0)

    assert (got.to_list(), err.to_list()) == ([value], [reason])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("05.03.1985", date(1985, 3, 5)),
        ("5.3.1985", date(1985, 3, 5)),
        ("05.03.85", date(1985, 3, 5)),
        ("05.03.15", date(2015, 3, 5)),
        ("1985-03-05", date(1985, 3, 5)),
        ("1985/03/05", date(1985, 3, 5)),
        ("05/03/1985", date(1985, 3, 5)),
        ("1985-03-05 00:00:00", date(1985, 3, 5)),
        ("31111", date(1985, 3, 5)),  # an Excel serial
    ],
)
def test_birthday_spellings(typed, expected):
    value, err = cells.dates(
        pl.Series([typed]), today=TODAY, earliest=date(1900, 1, 1), past_two_digit_years=True
    )

    assert (value.to_list(), err.to_list()) == ([expected], [None])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("05.03.2024 14:30", datetime(2024, 3, 5, 14, 30)),
        ("5.3.2024 9:05", datetime(2024, 3, 5, 9, 5)),
        ("05.03.2024 14:30:15", datetime(2024, 3, 5, 14, 30, 15)),
        ("2024-03-05T14:30:15", datetime(2024, 3, 5, 14, 30, 15)),
        ("2024-03-05 14:30:15", datetime(2024, 3, 5, 14, 30, 15)),
        ("05.03.2024", datetime(2024, 3, 5)),
        ("05.03.24 14:30", datetime(2024, 3, 5, 14, 30)),
        ("45356.6041666667", datetime(2024, 3, 5, 14, 30)),
    ],
)
def test_purchase_datetime_spellings(typed, expected):
    value, err = cells.datetimes(pl.Series([typed]), today=TODAY, earliest=date(1990, 1, 1))

    assert (value.to_list(), err.to_list()) == ([expected], [None])


# --- every reject reason ----------------------------------------------------------------------

CLIENTS = "Имя;Фамилия;Телефон;E-mail;Дата рождения;Пол;Код\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (";Иванова;+79161234567;;;;", [(2, "Имя", "first_name", "required", "")]),
        ("Анна;;;;;;", [(2, "", "", "no_contact", "")]),
        ("Анна;;123;;;;", [(2, "Телефон", "phone", "phone_too_short", "123")]),
        (
            "Анна;;+7916123456789012;;;;",
            [(2, "Телефон", "phone", "phone_too_long", "+7916123456789012")],
        ),
        (
            "Анна;;+7 100 123-45-67;;;;",
            [(2, "Телефон", "phone", "phone_invalid", "+7 100 123-45-67")],
        ),
        (
            "Анна;;звонить вечером;;;;",
            [(2, "Телефон", "phone", "phone_unreadable", "звонить вечером")],
        ),
        ("Анна;;;anna@;;;", [(2, "E-mail", "email", "email_invalid", "anna@")]),
        (
            "Анна;;+79161234567;;31.02.1990;;",
            [(2, "Дата рождения", "birthday", "bad_date", "31.02.1990")],
        ),
        (
            "Анна;;+79161234567;;16.06.2025;;",
            [(2, "Дата рождения", "birthday", "future_date", "16.06.2025")],
        ),
        (
            "Анна;;+79161234567;;31.12.1899;;",
            [(2, "Дата рождения", "birthday", "too_old", "31.12.1899")],
        ),
        ("Анна;;+79161234567;;;оно;", [(2, "Пол", "gender", "bad_choice", "оно")]),
        ("Анна;;;;;;" + "7" * 65, [(2, "Код", "external_id", "too_long", "7" * 65)]),
    ],
)
def test_client_reject_reasons(row, expected):
    parsed = _read_parse("clients", CLIENTS + row + "\n")

    assert _rejects(parsed) == expected
    assert parsed.rows.is_empty()
    assert {reason for *_, reason, _ in expected} <= set(REASONS)


def test_a_line_with_several_problems_is_listed_once_per_problem_and_not_stored():
    parsed = _read_parse(
        "clients", CLIENTS + "Анна;;123;x@;01.01.3000;;\nБорис;;+79161234567;;;м;\n"
    )

    assert _rejects(parsed) == [
        (2, "Телефон", "phone", "phone_too_short", "123"),
        (2, "E-mail", "email", "email_invalid", "x@"),
        (2, "Дата рождения", "birthday", "future_date", "01.01.3000"),
    ]
    assert parsed.rows.select(LINE, "first_name", "phone", "gender").rows() == [
        (3, "Борис", "+79161234567", "m")
    ]


def test_clients_rows_schema_and_values():
    parsed = _read_parse(
        "clients",
        CLIENTS + "  анна-мария ;ИВАНОВА;8 (916) 123-45-67;Anna@Example.COM;05.03.85;Ж;00123\n",
    )

    assert parsed.rows.schema == output_schema("clients")
    assert parsed.rows.to_dicts() == [
        {
            LINE: 2,
            "external_id": "00123",
            "last_name": "Иванова",
            "first_name": "Анна-Мария",
            "middle_name": None,
            "gender": "f",
            "birthday": date(1985, 3, 5),
            "phone": "+79161234567",
            "email": "anna@example.com",
            "note": None,
        }
    ]


def test_client_duplicates_in_file():
    parsed = _read_parse(
        "clients",
        CLIENTS
        + "Анна;;+79161234567;;;;A1\n"
        + "Анна;;8 916 123-45-67;;;;A1\n"  # the same client again: dropped, counted
        + "Борис;;+79161234568;;;;B2\n"
        + "Борислав;;+79161234568;;;;B2\n",
    )

    assert _rejects(parsed) == [
        (4, "Код", "external_id", "duplicate_in_file", "B2"),
        (5, "Код", "external_id", "duplicate_in_file", "B2"),
    ]
    assert parsed.rows[LINE].to_list() == [2]
    assert parsed.repeats == 1


PURCHASES = (
    "Чек;Дата;Строка;Код клиента;Телефон;Магазин;Артикул;Товар;Количество;Цена;Скидка;Сумма\n"
)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (";05.03.2024;1;C1;;;A;;1;100;;", [(2, "Чек", "receipt_number", "required", "")]),
        ("R1;;1;C1;;;A;;1;100;;", [(2, "Дата", "purchased_at", "required", "")]),
        (
            "R1;05.13.2024;1;C1;;;A;;1;100;;",
            [(2, "Дата", "purchased_at", "bad_datetime", "05.13.2024")],
        ),
        (
            "R1;16.06.2025 10:00;1;C1;;;A;;1;100;;",
            [(2, "Дата", "purchased_at", "future_date", "16.06.2025 10:00")],
        ),
        ("R1;01.01.1989;1;C1;;;A;;1;100;;", [(2, "Дата", "purchased_at", "too_old", "01.01.1989")]),
        ("R1;05.03.2024;1;;;;A;;1;100;;", [(2, "", "", "no_client", "")]),
        ("R1;05.03.2024;1;C1;;;;;1;100;;", [(2, "", "", "no_item", "")]),
        ("R1;05.03.2024;1;C1;;;A;;1;;;", [(2, "", "", "no_price", "")]),
        ("R1;05.03.2024;1;C1;;;A;;-1;100;;", [(2, "Количество", "quantity", "negative", "-1")]),
        ("R1;05.03.2024;1;C1;;;A;;0;100;;", [(2, "Количество", "quantity", "zero", "0")]),
        (
            "R1;05.03.2024;1;C1;;;A;;1,5;100;;",
            [(2, "Количество", "quantity", "not_integer", "1,5")],
        ),
        ("R1;05.03.2024;1;C1;;;A;;1;сто;;", [(2, "Цена", "unit_price", "bad_number", "сто")]),
        ("R1;05.03.2024;1;C1;;;A;;1;-100;;", [(2, "Цена", "unit_price", "negative", "-100")]),
        (
            "R1;05.03.2024;1;C1;;;A;;1;99999999999;;",
            [(2, "Цена", "unit_price", "number_too_large", "99999999999")],
        ),
        ("R1;05.03.2024;1;C1;;;A;;2;100;10;150", [(2, "", "", "amount_mismatch", "")]),
        ("R1;05.03.2024;1;C1;;;A;;1;100;;150", [(2, "", "", "amount_mismatch", "")]),
        (
            "R1;05.03.2024;1;C1;;;A;" + "x" * 201 + ";1;100;;",
            [(2, "Товар", "description", "too_long", "x" * 200)],
        ),
    ],
)
def test_purchase_reject_reasons(row, expected):
    parsed = _read_parse("purchases", PURCHASES + row + "\n")

    assert _rejects(parsed) == expected
    assert parsed.rows.is_empty()


def test_purchase_amounts_are_completed():
    parsed = _read_parse(
        "purchases",
        PURCHASES
        + "R1;05.03.2024 10:00;1;C1;;;A;;2;100,00;;\n"  # price only
        + "R1;05.03.2024 10:00;2;C1;;;B;;3;;;100\n"  # amount only: 33.34 × 3 − 0.02
        + "R1;05.03.2024 10:00;3;C1;;;C;;2;100;;150\n"  # price and amount: the discount
        + "R1;05.03.2024 10:00;4;C1;;;D;;2;100;50;150\n",  # all three, consistent
    )

    assert parsed.rejects.is_empty()
    assert parsed.rows.select("quantity", "unit_price", "discount", "amount").rows() == [
        (2, Decimal("100.00"), Decimal("0.00"), Decimal("200.00")),
        (3, Decimal("33.34"), Decimal("0.02"), Decimal("100.00")),
        (2, Decimal("100.00"), Decimal("50.00"), Decimal("150.00")),
        (2, Decimal("100.00"), Decimal("50.00"), Decimal("150.00")),
    ]


def test_receipt_conflict_rejects_every_line_of_the_receipt():
    parsed = _read_parse(
        "purchases",
        PURCHASES
        + "R1;05.03.2024;1;C1;;;A;;1;100;;\n"
        + "R1;06.03.2024;2;C1;;;B;;1;100;;\n"
        + "R2;05.03.2024;1;C1;;S1;A;;1;100;;\n"
        + "R2;05.03.2024;2;C1;;S2;A;;1;100;;\n"
        + "R3;05.03.2024;1;C1;;;A;;1;100;;\n",
    )

    assert _rejects(parsed) == [
        (line, "Чек", "receipt_number", "receipt_conflict", receipt)
        for line, receipt in ((2, "R1"), (3, "R1"), (4, "R2"), (5, "R2"))
    ]
    assert parsed.rows[LINE].to_list() == [6]


def test_a_receipt_with_a_rejected_line_is_never_half_stored():
    parsed = _read_parse(
        "purchases",
        PURCHASES
        + "R1;05.03.2024;1;C1;;;A;;1;100;;\n"
        + "R1;05.03.2024;2;C1;;;B;;1;abc;;\n"
        + "R2;05.03.2024;1;C1;;;A;;1;100;;\n",
    )

    assert _rejects(parsed) == [
        (2, "Чек", "receipt_number", "receipt_incomplete", "R1"),
        (3, "Цена", "unit_price", "bad_number", "abc"),
    ]
    assert parsed.rows[LINE].to_list() == [4]


def test_receipt_lines_share_the_receipt_fields_given_on_one_line():
    parsed = _read_parse(
        "purchases",
        PURCHASES + "R1;05.03.2024;1;;+79161234567;S1;A;;1;100;;\nR1;05.03.2024;2;;;;B;;1;100;;\n",
    )

    assert parsed.rejects.is_empty()
    assert parsed.rows.select("phone", "store").rows() == [("+79161234567", "S1")] * 2


def test_purchase_line_duplicates():
    parsed = _read_parse(
        "purchases",
        PURCHASES
        + "R1;05.03.2024;1;C1;;;A;;1;100;;\n"
        + "R1;05.03.2024;1;C1;;;A;;1;100,00;;\n"  # the same line again
        + "R2;05.03.2024;1;C1;;;A;;1;100;;\n"
        + "R2;05.03.2024;1;C1;;;B;;1;100;;\n",
    )

    assert _rejects(parsed) == [
        (4, "Чек", "receipt_number", "duplicate_in_file", "R2"),
        (5, "Чек", "receipt_number", "duplicate_in_file", "R2"),
    ]
    assert parsed.rows[LINE].to_list() == [2]
    assert parsed.repeats == 1


def test_products():
    parsed = _read_parse(
        "products",
        "Артикул;Наименование;Бренд;Цена;В продаже;Услуга\n"
        "00123;Платье;Marni;12 500;да;нет\n"
        ";Без артикула;;;;\n"
        "007;;;;;\n"
        "008;Пояс;;;может быть;\n"
        "009;Сумка;;;;\n009;Сумка большая;;;;\n",
    )

    assert _rejects(parsed) == [
        (3, "Артикул", "sku", "required", ""),
        (4, "Наименование", "name", "required", ""),
        (5, "В продаже", "is_active", "bad_bool", "может быть"),
        (6, "Артикул", "sku", "duplicate_in_file", "009"),
        (7, "Артикул", "sku", "duplicate_in_file", "009"),
    ]
    assert parsed.rows.select(
        "sku", "name", "brand", "price", "is_active", "is_service"
    ).rows() == [("00123", "Платье", "Marni", Decimal("12500.00"), True, False)]


def test_missing_required_columns_reject_the_file_at_the_header():
    parsed = _read_parse("purchases", "Чек;Товар;Сумма\nR1;Платье;100\n")

    assert _rejects(parsed) == [
        (1, "", "purchased_at", "missing_column", ""),
        (1, "", "client_external_id|phone|email", "missing_column", ""),
    ]
    assert parsed.rows.is_empty()
    assert parsed.rows.schema == output_schema("purchases")


def test_bad_mapping():
    df = read_table(b"A;B\n1;2\n", filename="x.csv")

    for mapping in ({"C": "phone"}, {"A": "phone", "B": "phone"}, {"A": "nonsense"}):
        with pytest.raises(TableError) as error:
            parse(df, mapping, "clients", region="RU", today=TODAY)
        assert error.value.reason == "bad_mapping"


def test_every_reason_and_label_is_documented():
    used = {
        "missing_column", "required", "too_long", "bad_date", "bad_datetime", "future_date",
        "too_old", "phone_too_short", "phone_too_long", "phone_invalid", "phone_unreadable",
        "email_invalid", "bad_number", "not_integer", "negative", "zero", "number_too_large",
        "bad_choice", "bad_bool", "no_contact", "no_client", "no_item", "no_price",
        "amount_mismatch", "duplicate_in_file", "receipt_conflict", "receipt_incomplete",
    }  # fmt: skip
    assert set(REASONS) == used
    for specs in FIELDS.values():
        assert len({spec.name for spec in specs}) == len(specs)
        assert all(spec.label and spec.synonyms for spec in specs)


# --- phones: the polars fast path answers like normalize_phone ---------------------------------


def _slow(raw: str) -> tuple[str | None, str | None]:
    try:
        return normalize_phone(raw, "RU"), None
    except InvalidPhone as exc:
        return None, f"phone_{exc.reason if exc.reason != 'empty' else 'unreadable'}"


_prefix = st.sampled_from(["+7", "7", "8", "", "+7 ", "8 (", "+8", "+77", "810"])
_national = st.text("0123456789", min_size=8, max_size=12) | st.from_regex(
    r"9[0-9]{9}|[348][0-9]{9}|7[0-9]{9}", fullmatch=True
)


@settings(max_examples=400, deadline=None)
@given(prefix=_prefix, national=_national, sep=st.sampled_from(["", " ", "-", ")", "."]))
@example(prefix="8", national="8001234567", sep="")
@example(prefix="", national="8001234567", sep="")
@example(prefix="7", national="7011234567", sep="")
def test_phone_fast_path_agrees_with_normalize_phone(prefix, national, sep):
    raw = prefix + sep.join([national[:3], national[3:6], national[6:]])

    value, reason = cells.phone(pl.Series([raw]), "RU")

    assert (value[0], reason[0]) == _slow(raw)


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2),
    st.sampled_from(["ru", "en", "plain"]),
)
def test_money_round_trip(amount, style):
    whole, _, cents = f"{amount:.2f}".partition(".")
    groups = f"{int(whole):,}"
    typed = {
        "ru": groups.replace(",", "\u00a0") + "," + cents,
        "en": groups + "." + cents,
        "plain": whole + "." + cents,
    }[style]

    value, err = cells.number(pl.Series([typed]), 2)

    assert (value[0], err[0]) == (int(amount * 100), None)


# --- fuzz: the reader never fails with anything but TableError ---------------------------------


def _read_or_table_error(data: bytes) -> None:
    try:
        df = read_table(data, filename="fuzz.csv")
    except TableError as error:
        assert error.reason in TABLE_ERRORS
        return
    assert df[LINE].dtype == pl.Int64
    assert all(dtype == pl.String for name, dtype in df.schema.items() if name != LINE)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
@example(b"\x00" * 10)
@example(b'a;b\n"x;1\n')
@example(b"\xef\xbb\xbf")
@example(b"\xff\xfe\x00")
@example(b"PK\x03\x04")
@example(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
def test_fuzz_random_bytes(data):
    _read_or_table_error(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(
            st.text(
                alphabet=st.sampled_from(list("аяЁё AZ09;,\t|\"'\r\n=+-@.\x00\u00a0")), max_size=12
            ),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["utf-8", "cp1251", "utf-16"]),
    st.sampled_from([";", ",", "\t"]),
)
def test_fuzz_text_in_several_encodings_with_broken_quotes(rows, encoding, delimiter):
    text = "\n".join(delimiter.join(row) for row in rows)

    _read_or_table_error(text.encode(encoding, errors="replace"))


def test_fuzz_huge_cell_and_nul_bytes():
    huge = "Имя;Заметка\nАнна;" + "я" * 1_000_000 + "\nБорис;ok\n"
    df = read_table(huge.encode("cp1251"), filename="x.csv")
    assert df["Заметка"].str.len_chars().to_list() == [1_000_000, 2]

    df = read_table(b"Name;Phone\nAn\x00na;1\n", filename="x.csv")
    assert df.rows() == [("Anna", "1", 2)]


# --- exports ----------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","y")', "+7 916", "-5", "@SUM(A1)", "\tx", "safe"]


def test_export_csv_neutralises_formulas_and_round_trips():
    data = export_csv(
        ["Note", "Amount", "Date"],
        [[text, Decimal("-1234.50"), date(2024, 3, 5)] for text in FORMULAS],
    )

    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0] == "Note;Amount;Date"
    assert lines[1] == '"\'=HYPERLINK(""http://x"",""y"")";-1234,50;05.03.2024'
    assert lines[2] == "'+7 916;-1234,50;05.03.2024"
    assert lines[3] == "'-5;-1234,50;05.03.2024"
    assert lines[4] == "'@SUM(A1);-1234,50;05.03.2024"
    assert lines[6] == "safe;-1234,50;05.03.2024"
    # every text cell starts with a harmless character
    df = read_table(data, filename="export.csv")
    assert df["Note"].to_list() == ["'" + t if t != "safe" else t for t in FORMULAS]
    # and our own import reads the original text back
    assert cells.prepare(df["Note"]).to_list() == FORMULAS


def test_export_xlsx_writes_literal_strings_dates_and_numbers():
    data = export_xlsx(
        ["Note", "Amount", "Date", "When", "Flag", "Empty"],
        [
            [text, Decimal("12.5"), date(2024, 3, 5), datetime(2024, 3, 5, 14, 30), True, None]
            for text in FORMULAS
        ],
        sheet="Клиенты: март/2024",
    )

    reader = fastexcel.read_excel(data)
    assert reader.sheet_names == ["Клиенты_ март_2024"]
    sheet = reader.load_sheet(0).to_polars()
    assert sheet["Note"].to_list() == FORMULAS
    assert sheet["Amount"].to_list() == [12.5] * len(FORMULAS)
    assert sheet["Date"].dtype == pl.Datetime or sheet["Date"].dtype == pl.Date
    assert sheet["When"].to_list()[0] == datetime(2024, 3, 5, 14, 30)
    # no cell is a formula: the workbook XML has no <f> element
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    # read back through our own reader, as text
    df = read_table(data, filename="x.xlsx")
    assert df["Note"].to_list() == FORMULAS


@pytest.mark.parametrize("kind", ["clients", "purchases", "products"])
def test_a_header_without_lines_parses_to_nothing(kind):
    header = {"clients": "Имя;Телефон", "purchases": "Чек;Дата;Телефон;Товар;Сумма"}
    parsed = _read_parse(kind, header.get(kind, "Артикул;Наименование") + "\n")

    assert (parsed.rows.schema, parsed.rows.height, parsed.rejects.height) == (
        output_schema(kind),
        0,
        0,
    )


def test_a_full_name_without_a_first_name_is_required():
    parsed = _read_parse("clients", "ФИО;Телефон\n;+79161234567\n")

    assert _rejects(parsed) == [(2, "ФИО", "full_name", "required", "")]
