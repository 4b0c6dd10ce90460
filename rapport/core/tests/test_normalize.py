"""The normalisation core: what a consultant types becomes one stored, searchable form."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rapport.core.normalize import (
    InvalidEmail,
    InvalidHandle,
    InvalidPhone,
    SearchQuery,
    clean_name,
    name_skeleton,
    normalize_email,
    normalize_phone,
    normalize_telegram,
    parse_search,
    phone_suffix_key,
)

# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "+7 916 123-45-67",
        "+79161234567",
        "+7(916)1234567",
        "+7 (916) 123-45-67",
        "89161234567",
        "8 (916) 123 45 67",
        "8-916-123-45-67",
        "79161234567",
        "7 916 123 45 67",
        "9161234567",
        "(916) 123-45-67",
        "  +7 916 123 45 67  ",
    ],
)
def test_every_russian_way_of_typing_a_mobile_gives_one_e164(typed: str) -> None:
    # given a number typed the way Russian consultants type it, read with the store's region RU
    # when it is normalised
    # then it is the one E.164 form
    assert normalize_phone(typed, "RU") == "+79161234567"


def test_region_code_is_read_case_insensitively() -> None:
    assert normalize_phone("8 916 123 45 67", "ru") == "+79161234567"


def test_a_moscow_landline_in_national_format() -> None:
    assert normalize_phone("8 (495) 123-45-67", "RU") == "+74951234567"


@pytest.mark.parametrize(
    ("typed", "region", "expected"),
    [
        ("+1 650 253 0000", "RU", "+16502530000"),
        ("+44 20 7946 0958", "RU", "+442079460958"),
        ("+375 29 123 45 67", "RU", "+375291234567"),
        ("+380 50 123 4567", "RU", "+380501234567"),
        ("+49 30 901820", "RU", "+4930901820"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("020 7946 0958", "GB", "+442079460958"),
        # an international number is the same number whatever the store's country
        ("+7 916 123 45 67", "US", "+79161234567"),
    ],
)
def test_foreign_numbers(typed: str, region: str, expected: str) -> None:
    assert normalize_phone(typed, region) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "unreadable"),
        ("позвонить", "unreadable"),
        ("8 916 123 45 67 доб", "unreadable"),
        ("+1", "unreadable"),
        ("+999 123 456 789", "unreadable"),  # no such country code
        ("12", "too_short"),
        ("123", "too_short"),
        ("+7 916", "too_short"),
        ("916123456", "too_short"),  # one digit missing
        ("+7 916 123 45 67 89 01 23", "too_long"),
        ("1234567890123456789", "too_long"),
        ("+7 000 000 00 00", "invalid"),
        ("+7 123 456 78 90", "invalid"),
        ("91612345678", "invalid"),  # one digit too many for a Russian number
        ("8 916 123 45 6", "invalid"),  # with the trunk 8, a digit missing reads as a bad number
    ],
)
def test_each_invalid_phone_reason(typed: str, reason: str) -> None:
    # when an impossible number is normalised
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(typed, "RU")
    # then the reason says why, and the raw text is kept for the message
    assert caught.value.reason == reason
    assert caught.value.raw == typed
    assert str(caught.value) == f"{reason}: {typed!r}"


def test_invalid_phone_is_a_value_error() -> None:
    assert issubclass(InvalidPhone, ValueError)


def test_phone_suffix_key_is_the_national_digits_reversed() -> None:
    assert phone_suffix_key("+79161234567") == "7654321619"
    assert phone_suffix_key("+16502530000") == "0000352056"
    assert phone_suffix_key("+442079460958") == "8590649702"


# --- e-mail -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Anna@Example.RU", "anna@example.ru"),
        ("  anna@example.ru  ", "anna@example.ru"),
        ("mailto:Anna@Example.ru", "anna@example.ru"),
        ("MAILTO:anna@x.ru", "anna@x.ru"),
        ("anna.k+shop@mail.example.ru", "anna.k+shop@mail.example.ru"),
        ("a@b.c", "a@b.c"),
        # an internationalised domain is stored in its ASCII (punycode) form
        ("анна@почта.рф", "анна@xn--80a1acny.xn--p1ai"),
        ("Anna@ПОЧТА.РФ", "anna@xn--80a1acny.xn--p1ai"),
    ],
)
def test_email_is_trimmed_lowercased_and_ascii_domained(typed: str, expected: str) -> None:
    assert normalize_email(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "anna",
        "anna@",
        "@example.ru",
        "anna@example",
        "anna@@example.ru",
        "anna..k@example.ru",
        "anna@example..ru",
        "anna k@example.ru",
        "mailto:",
    ],
)
def test_undeliverable_emails_are_refused(typed: str) -> None:
    with pytest.raises(InvalidEmail) as caught:
        normalize_email(typed)
    assert caught.value.args == (typed,)


# --- Telegram ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "@Anna_K",
        "anna_k",
        " @anna_k ",
        "https://t.me/anna_k",
        "HTTPS://T.ME/Anna_K",
        "http://t.me/Anna_K/",
        "t.me/anna_k",
        "t.me/@anna_k",
        "telegram.me/anna_k",
    ],
)
def test_telegram_handles_and_links_give_the_bare_lowercase_name(typed: str) -> None:
    assert normalize_telegram(typed) == "anna_k"


def test_telegram_name_length_bounds() -> None:
    assert normalize_telegram("@annak") == "annak"  # 5 characters: the shortest
    assert normalize_telegram("@" + "a" * 32) == "a" * 32  # 32: the longest


@pytest.mark.parametrize(
    "typed", ["", "@", "@ann", "@1anna", "@_anna", "@anna-k", "@анна_к", "@" + "a" * 33]
)
def test_impossible_telegram_names_are_refused(typed: str) -> None:
    with pytest.raises(InvalidHandle) as caught:
        normalize_telegram(typed)
    assert caught.value.args == (typed,)


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("  анна-мария  ИВАНОВА ", "Анна-Мария Иванова"),
        ("ИВАНОВ", "Иванов"),
        ("иван", "Иван"),
        ("ЁЛКИНА", "Ёлкина"),
        ("анна\tмария", "Анна Мария"),
        ("van der berg", "Van Der Berg"),
        ("McDonald", "McDonald"),  # mixed case on purpose is kept
        ("deMarco", "deMarco"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_clean_name(typed: str, shown: str) -> None:
    assert clean_name(typed) == shown


@pytest.mark.parametrize(
    ("spellings", "skeleton"),
    [
        (["Юлия", "юлия", "ЮЛИЯ", "Yulia", "Julia", "Iuliia", "Iulia", "Yuliya"], "iulia"),
        (["Фёдор", "Федор", "Fyodor", "Fedor"], "fedor"),
        (["Евгений", "Yevgeny", "Evgeniy", "Evgenii", "Yevgeniy"], "evgeni"),
        (["Наталья", "Natalya", "Natalia", "Natalja"], "natalia"),
        (["Щукина", "Shchukina", "Schukina", "Shukina"], "shukina"),
        (["Цветкова", "Tsvetkova", "Tzvetkova", "Cvetkova"], "cvetkova"),
        (["Хабибуллин", "Khabibullin", "Habibullin"], "habibullin"),
        (["Ёлкина", "Елкина", "Yolkina", "Elkina"], "elkina"),
        (["Ксения", "Ksenia", "Kseniya", "Xenia"], "ksenia"),
        (["Алексей", "Aleksey", "Alexey", "Alexei", "Aleksei"], "aleksei"),
        (["Дмитрий", "Dmitry", "Dmitriy", "Dmitrii"], "dmitri"),
        (["Вячеслав", "Vyacheslav", "Viacheslav"], "viacheslav"),
        (["Ющенко", "Yushchenko", "Juschenko"], "iushenko"),
        (["Жанна", "Zhanna"], "zhanna"),
        (["Иванова", "ИВАНОВА", "Ivanova", "IVANOVA", "ivanova"], "ivanova"),
        (["Анна-Мария", "Anna Maria", "anna-maria"], "annamaria"),
    ],
)
def test_name_skeleton_folds_cyrillic_and_latin_spellings_together(
    spellings: list[str], skeleton: str
) -> None:
    assert {spelling: name_skeleton(spelling) for spelling in spellings} == dict.fromkeys(
        spellings, skeleton
    )


def test_name_skeleton_of_nothing_readable_is_empty() -> None:
    assert name_skeleton("") == ""
    assert name_skeleton(" -'. ") == ""


def test_name_skeleton_strips_latin_accents() -> None:
    assert name_skeleton("Éva Müller") == "evamuller"


def test_name_skeleton_is_not_strictly_idempotent_when_a_fold_glues_a_new_digraph() -> None:
    # A known limitation, harmless because keys and queries both go through one pass:
    # "ккх" transliterates to "kkh", whose "kh" folds to "h", leaving a new "kh".
    assert name_skeleton("ккх") == "kh"
    assert name_skeleton("kh") == "h"
    # "жёстче" -> "zhestche": "tch" folds to "ch", leaving a new "sch".
    assert name_skeleton("жёстче") == "zhesche"
    assert name_skeleton("zhesche") == "zheshe"


CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
LATIN = "abcdefghijklmnopqrstuvwxyz"
names = st.text(alphabet=CYRILLIC + CYRILLIC.upper() + LATIN + LATIN.upper() + " -'", max_size=30)
# every multi-letter source of a fold: if the skeleton still contains one, a second pass may fold it
_FOLD_SOURCE = re.compile("shch|sch|tch|kh|ts|tz|yu|ju|ya|ja|yo|jo|ye|je|ph|x|w|q|y|j")


@given(names)
@example("Юлия Щукина")
@example("Fyodor Tsvetkov")
def test_name_skeleton_is_case_insensitive(text: str) -> None:
    assert name_skeleton(text.upper()) == name_skeleton(text.lower()) == name_skeleton(text)


@given(st.text(max_size=40))
@example("Ǆemal ℌ ǲ ＡＮＮＡ İlker ß")
def test_name_skeleton_is_only_lowercase_ascii_letters_and_digits(text: str) -> None:
    assert re.fullmatch("[a-z0-9]*", name_skeleton(text))


@given(names)
@example("Юлия")
@example("ккх")
def test_name_skeleton_is_idempotent_ish(text: str) -> None:
    # given the skeleton of any name
    key = name_skeleton(text)
    again = name_skeleton(key)
    # then a second pass never lengthens it, and changes it only where a fold source remains
    assert len(again) <= len(key)
    if not _FOLD_SOURCE.search(key):
        assert again == key


@given(names)
def test_clean_name_keeps_the_skeleton(text: str) -> None:
    assert name_skeleton(clean_name(text)) == name_skeleton(text)


# --- phone properties -------------------------------------------------------------------------

separators = st.sampled_from(["", " ", "-", "  "])


@st.composite
def russian_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """A valid Russian mobile number in E.164 and one way a person could type it."""
    digits = "9" + draw(st.text(alphabet="0123456789", min_size=9, max_size=9))
    area, head, pair1, pair2 = digits[:3], digits[3:6], digits[6:8], digits[8:]
    prefix = draw(st.sampled_from(["+7", "8", "7", ""]))
    if draw(st.booleans()):
        area = f"({area})"
    sep = [draw(separators) for _ in range(4)]
    typed = f"{prefix}{sep[0]}{area}{sep[1]}{head}{sep[2]}{pair1}{sep[3]}{pair2}"
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return f"+7{digits}", f"{padding}{typed}{padding}"


@given(russian_mobiles())
@example(("+79161234567", "8 (916) 123-45-67"))
@example(("+79001234567", "900-123-45-67"))
def test_every_formatting_of_a_russian_mobile_gives_the_same_e164(case: tuple[str, str]) -> None:
    e164, typed = case
    assert normalize_phone(typed, "RU") == e164


@given(russian_mobiles())
def test_a_russian_mobile_search_finds_the_same_number(case: tuple[str, str]) -> None:
    e164, typed = case
    assert parse_search(typed, "RU") == SearchQuery("phone", e164)


@given(russian_mobiles())
def test_suffix_key_reversed_is_the_end_of_the_number(case: tuple[str, str]) -> None:
    e164, _ = case
    key = phone_suffix_key(e164)
    assert key[::-1] == e164[2:]  # the ten national digits
    assert e164.endswith(key[::-1])
    assert len(key) == 10


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("", SearchQuery("empty")),
        ("   ", SearchQuery("empty")),
        ("!!!", SearchQuery("empty")),
        ("--", SearchQuery("empty")),
        ("89161234567", SearchQuery("phone", "+79161234567")),
        ("+7 916 123-45-67", SearchQuery("phone", "+79161234567")),
        ("8 (916) 123 45 67", SearchQuery("phone", "+79161234567")),
        ("9161234567", SearchQuery("phone", "+79161234567")),
        ("4567", SearchQuery("phone_digits", "4567")),
        ("45-67", SearchQuery("phone_digits", "4567")),
        # ten digits or more that are no valid number: searched as trailing digits
        ("123456789012", SearchQuery("phone_digits", "123456789012")),
        ("+7 000 000 00 00", SearchQuery("phone_digits", "70000000000")),
        ("Anna@Example.RU", SearchQuery("email", "anna@example.ru")),
        ("Иванова", SearchQuery("name", "ivanova", ("ivanova",))),
        ("иванова анна", SearchQuery("name", "ivanova anna", ("ivanova", "anna"))),
        ("  Ivanova   Anna ", SearchQuery("name", "ivanova anna", ("ivanova", "anna"))),
        ("Щукина Юлия", SearchQuery("name", "shukina iulia", ("shukina", "iulia"))),
        ("Анна 4567", SearchQuery("name", "anna 4567", ("anna", "4567"))),
    ],
)
def test_parse_search_kinds(typed: str, query: SearchQuery) -> None:
    assert parse_search(typed, "RU") == query


def test_parse_search_reads_an_idn_email_like_the_card_stores_it() -> None:
    # a card stores "анна@почта.рф" with its punycode domain: the search must look for the same
    assert parse_search("Анна@Почта.рф", "RU") == SearchQuery("email", "анна@xn--80a1acny.xn--p1ai")
    assert parse_search("mailto:Anna@Example.ru", "RU") == SearchQuery("email", "anna@example.ru")
