"""What an import file may contain: the fields of each kind, header synonyms and reason codes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Kind = Literal["clients", "purchases", "products"]


def gettext_noop(message: str) -> str:
    """Marks a message for translation (``makemessages`` finds it by this name); the Django
    shell translates it when it shows it, so the core stays free of Django."""
    return message


class TableError(ValueError):
    """The whole file cannot be used; ``reason`` is a code from :data:`TABLE_ERRORS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# File-level problems raised as TableError (English message templates, no placeholders).
TABLE_ERRORS: dict[str, str] = {
    "empty": gettext_noop("The file is empty."),
    "unreadable": gettext_noop(
        "The file cannot be read: save it as CSV (UTF-8 or Windows-1251) or Excel."
    ),
    "no_header": gettext_noop("The first filled row must be the column headings."),
    "too_large": gettext_noop("The file is too large: split it into several files."),
    "sheet_missing": gettext_noop("The workbook has no sheet with this name."),
    "bad_mapping": gettext_noop("The column mapping does not match the file."),
}

# Reasons a line is rejected (English message templates, no placeholders: the reject row carries
# the line, the file's column, the field and the offending value).
REASONS: dict[str, str] = {
    "missing_column": gettext_noop("The file has no column for this required field."),
    "required": gettext_noop("This column is required and is empty."),
    "too_long": gettext_noop("The text is too long for this field."),
    "bad_date": gettext_noop("Not a date: use DD.MM.YYYY or YYYY-MM-DD."),
    "bad_datetime": gettext_noop("Not a date and time: use DD.MM.YYYY HH:MM or YYYY-MM-DD HH:MM."),
    "future_date": gettext_noop("The date is in the future."),
    "too_old": gettext_noop("The date is too far in the past."),
    "phone_too_short": gettext_noop("The phone number has too few digits."),
    "phone_too_long": gettext_noop("The phone number has too many digits."),
    "phone_invalid": gettext_noop("No such phone number exists."),
    "phone_unreadable": gettext_noop("Not a phone number."),
    "email_invalid": gettext_noop("Not an e-mail address."),
    "bad_number": gettext_noop("Not a number (at most two digits after the decimal point)."),
    "not_integer": gettext_noop("Must be a whole number."),
    "negative": gettext_noop("Must not be negative (returns are imported separately)."),
    "zero": gettext_noop("Must be more than zero."),
    "number_too_large": gettext_noop("The number is too large."),
    "bad_choice": gettext_noop("Unknown value for this column."),
    "bad_bool": gettext_noop("Use yes or no (да / нет, 1 / 0)."),
    "no_contact": gettext_noop("A client needs a phone number, an e-mail or a client code."),
    "no_client": gettext_noop(
        "The line does not say who bought: add a client code, phone or e-mail."
    ),
    "no_item": gettext_noop(
        "The line does not say what was bought: add an article or an item name."
    ),
    "no_price": gettext_noop("The line has neither a price nor an amount."),
    "amount_mismatch": gettext_noop("The amount does not match price × quantity − discount."),
    "duplicate_in_file": gettext_noop(
        "The same record appears again in the file with different data."
    ),
    "receipt_conflict": gettext_noop(
        "Lines of this receipt disagree on the client, date, store or consultant."
    ),
    "receipt_incomplete": gettext_noop(
        "Another line of this receipt was rejected, so the receipt is skipped."
    ),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field an import can fill, with the header spellings that name it."""

    name: str
    kind: str  # text name fullname code phone email date datetime decimal int bool choice
    required: bool
    synonyms: tuple[str, ...]
    label: str
    max_length: int | None = None


def _f(
    name: str,
    kind: str,
    label: str,
    synonyms: str,
    *,
    required: bool = False,
    max_length: int | None = None,
) -> FieldSpec:
    return FieldSpec(
        name=name,
        kind=kind,
        required=required,
        synonyms=tuple(header_key(s) for s in synonyms.split("|")),
        label=label,
        max_length=max_length,
    )


_HEADER_JUNK = re.compile(r"[^\w]+")


def header_key(text: str) -> str:
    """A header folded for matching: case, ё/е, punctuation, spaces and ``№`` do not matter."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е").replace("№", " no ")
    return " ".join(_HEADER_JUNK.sub(" ", text).replace("_", " ").split())


_PHONE = "телефон|тел|моб|мобильный|мобильный телефон|сотовый|номер телефона|phone|mobile|cell|tel|phone number|mobile phone"  # noqa: E501
_EMAIL = "email|e-mail|e mail|эл почта|электронная почта|почта|емейл|имейл|mail|email address"

FIELDS: dict[Kind, tuple[FieldSpec, ...]] = {
    "clients": (
        _f(
            "external_id",
            "code",
            gettext_noop("Client code"),
            "код|код клиента|id|id клиента|внешний id|идентификатор|номер клиента|client id|"
            "client code|customer id|customer code|external id",
            max_length=64,
        ),
        _f(
            "last_name",
            "name",
            gettext_noop("Last name"),
            "фамилия|last name|lastname|surname|family name",
            max_length=80,
        ),
        _f(
            "first_name",
            "name",
            gettext_noop("First name"),
            "имя|first name|firstname|given name|name",
            required=True,
            max_length=80,
        ),
        _f(
            "middle_name",
            "name",
            gettext_noop("Patronymic"),
            "отчество|middle name|patronymic",
            max_length=80,
        ),
        _f(
            "full_name",
            "fullname",
            gettext_noop("Full name (last, first, patronymic)"),
            "фио|ф и о|фамилия имя отчество|клиент|покупатель|контрагент|full name|client|"
            "customer|customer name|client name",
            max_length=240,
        ),
        _f("gender", "choice", gettext_noop("Gender"), "пол|gender|sex"),
        _f(
            "birthday",
            "date",
            gettext_noop("Birthday"),
            "дата рождения|день рождения|др|д р|рождения|birthday|date of birth|birth date|dob|"
            "birthdate",
        ),
        _f("phone", "phone", gettext_noop("Phone"), _PHONE),
        _f("email", "email", gettext_noop("E-mail"), _EMAIL, max_length=254),
        _f(
            "note",
            "text",
            gettext_noop("Note"),
            "комментарий|примечание|заметка|note|notes|comment",
            max_length=4000,
        ),
    ),
    "purchases": (
        _f(
            "receipt_number",
            "code",
            gettext_noop("Receipt number"),
            "чек|номер чека|no чека|документ|номер документа|номер|receipt|receipt number|"
            "receipt no|check|document|document number",
            required=True,
            max_length=64,
        ),
        _f(
            "purchased_at",
            "datetime",
            gettext_noop("Date of purchase"),
            "дата|дата покупки|дата чека|дата продажи|дата и время|период|date|purchase date|"
            "purchased at|sale date|datetime",
            required=True,
        ),
        _f(
            "line_number",
            "int",
            gettext_noop("Line of the receipt"),
            "строка|номер строки|no строки|no п п|п п|line|line number|line no",
        ),
        _f(
            "store",
            "code",
            gettext_noop("Store"),
            "магазин|точка|торговая точка|склад|store|shop|location",
            max_length=64,
        ),
        _f(
            "consultant",
            "text",
            gettext_noop("Consultant"),
            "продавец|консультант|кассир|менеджер|сотрудник|consultant|seller|sales associate|"
            "salesperson|cashier",
            max_length=150,
        ),
        _f(
            "client_external_id",
            "code",
            gettext_noop("Client code"),
            "код клиента|id клиента|клиент код|номер клиента|карта|номер карты|дисконтная карта|"
            "client id|client code|customer id|customer code|card|card number",
            max_length=64,
        ),
        _f(
            "phone",
            "phone",
            gettext_noop("Client's phone"),
            _PHONE + "|телефон клиента|client phone|customer phone",
        ),
        _f(
            "email",
            "email",
            gettext_noop("Client's e-mail"),
            _EMAIL + "|email клиента|client email|customer email",
            max_length=254,
        ),
        _f(
            "sku",
            "code",
            gettext_noop("Article"),
            "артикул|код товара|sku|article|item code|product code|art|арт",
            max_length=64,
        ),
        _f(
            "description",
            "text",
            gettext_noop("Item"),
            "товар|наименование|номенклатура|описание|название|наименование товара|item|product|"
            "description|product name|item name",
            max_length=200,
        ),
        _f(
            "quantity",
            "int",
            gettext_noop("Quantity"),
            "количество|кол во|кол|колво|qty|quantity|pcs|шт",
            max_length=None,
        ),
        _f(
            "unit_price",
            "decimal",
            gettext_noop("Price"),
            "цена|цена за единицу|цена за шт|розничная цена|price|unit price|price per unit",
        ),
        _f(
            "discount",
            "decimal",
            gettext_noop("Discount"),
            "скидка|сумма скидки|discount|discount amount",
        ),
        _f(
            "amount",
            "decimal",
            gettext_noop("Line amount"),
            "сумма|сумма строки|итого|стоимость|сумма со скидкой|к оплате|amount|line amount|"
            "line total|total|sum",
        ),
    ),
    "products": (
        _f(
            "sku",
            "code",
            gettext_noop("Article"),
            "артикул|код товара|код|sku|article|item code|product code|code|арт",
            required=True,
            max_length=64,
        ),
        _f(
            "name",
            "text",
            gettext_noop("Name"),
            "наименование|название|товар|номенклатура|name|product|title|product name|item",
            required=True,
            max_length=200,
        ),
        _f(
            "brand",
            "text",
            gettext_noop("Brand"),
            "бренд|марка|производитель|торговая марка|brand|manufacturer",
            max_length=80,
        ),
        _f(
            "category",
            "text",
            gettext_noop("Category"),
            "категория|группа|вид|вид номенклатуры|товарная группа|category|group|type",
            max_length=80,
        ),
        _f(
            "material",
            "text",
            gettext_noop("Material"),
            "материал|состав|material|fabric",
            max_length=80,
        ),
        _f("colour", "text", gettext_noop("Colour"), "цвет|colour|color", max_length=40),
        _f(
            "price",
            "decimal",
            gettext_noop("Price"),
            "цена|розничная цена|цена продажи|price|retail price",
        ),
        _f(
            "is_active",
            "bool",
            gettext_noop("On sale"),
            "в продаже|активен|активный|продается|active|on sale|is active",
        ),
        _f("is_service", "bool", gettext_noop("Service"), "услуга|это услуга|service|is service"),
    ),
}


def field_spec(kind: Kind, name: str) -> FieldSpec:
    """The spec of one field of a kind (KeyError for an unknown field)."""
    for spec in FIELDS[kind]:
        if spec.name == name:
            return spec
    raise KeyError(name)


def guess_mapping(headers: Sequence[str], kind: Kind) -> dict[str, str | None]:
    """Which field each header fills (``None``: ignored); every field is used at most once.

    An exact match of the folded header with a synonym wins first (in header order); then a header
    that contains a synonym as whole words (``Телефон клиента`` → phone) takes the field of the
    longest such synonym still free.
    """
    specs = FIELDS[kind]
    exact: dict[str, str] = {}
    for spec in specs:
        for synonym in spec.synonyms:
            exact.setdefault(synonym, spec.name)
    mapping: dict[str, str | None] = dict.fromkeys(headers)
    used: set[str] = set()
    for header in headers:
        field = exact.get(header_key(header))
        if field is not None and field not in used:
            mapping[header] = field
            used.add(field)
    for header in headers:
        if mapping[header] is not None:
            continue
        padded = f" {header_key(header)} "
        best: tuple[int, str] | None = None
        for spec in specs:
            if spec.name in used:
                continue
            for synonym in spec.synonyms:
                fits = len(synonym) >= 3 and f" {synonym} " in padded
                if fits and (best is None or len(synonym) > best[0]):
                    best = (len(synonym), spec.name)
        if best is not None:
            mapping[header] = best[1]
            used.add(best[1])
    return mapping
