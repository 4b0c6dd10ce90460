"""Draft messages: the built-in texts, placeholders that vanish cleanly, and template checks."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.drafts import (
    DEFAULT_TEMPLATES,
    HOLIDAY_NAMES,
    LANGUAGES,
    PLACEHOLDERS,
    draft_for,
    draft_values,
    format_day,
    join_list,
    render,
    template_errors,
)
from rapport.core.planner import DEFAULT_GREETED_DATES, PRIORITY

OCCASIONS = [
    "thank_you",
    "feedback",
    "care_tips",
    "service_due",
    "client_birthday",
    "relative_birthday_gift",
    "relative_birthday_greeting",
    "anniversary_gift",
    "purchase_anniversary",
    "holiday_greeting",
    "holiday_gift_ideas",
    "new_arrivals",
    "complement",
    "personal_checkin",
    "event_invitation",
    "win_back",
    "former_new_year",
    "key_date",
    "introduction",
    "manual",
]
TEMPLATES = [(o, lang) for o in OCCASIONS for lang in LANGUAGES]
FULL = {
    "client_name": "Анна",
    "consultant_name": "Ольга",
    "store_name": "Бутик на Тверской",
    "relative_name": "Маша",
    "relation": "ребёнок",
    "age": "7",
    "date": "14 мая",
    "years": "5",
    "items": "кольцо",
    "holiday": "Новый год",
    "event_name": "Вечер жемчуга",
    "preferences": "белое золото",
}


def test_every_occasion_has_a_russian_and_an_english_text() -> None:
    assert set(DEFAULT_TEMPLATES) == set(OCCASIONS)
    assert set(PRIORITY) <= set(DEFAULT_TEMPLATES)
    for texts in DEFAULT_TEMPLATES.values():
        assert set(texts) == {"ru", "en"}


@pytest.mark.parametrize(("occasion", "language"), TEMPLATES)
def test_every_built_in_text_is_valid_and_short(occasion: str, language: str) -> None:
    text = DEFAULT_TEMPLATES[occasion][language]
    assert template_errors(text) == []
    assert len(render(text, FULL)) <= 300
    assert "  " not in text


@pytest.mark.parametrize("occasion", OCCASIONS)
def test_russian_texts_use_the_polite_you(occasion: str) -> None:
    text = DEFAULT_TEMPLATES[occasion]["ru"].lower()
    assert not re.search(r"\b(ты|тебя|тебе|твой|твоя|твои)\b", text)


def test_holiday_names_cover_the_greeted_dates() -> None:
    assert set(HOLIDAY_NAMES) == {g.key for g in DEFAULT_GREETED_DATES}
    assert HOLIDAY_NAMES["new_year"] == {"ru": "Новый год", "en": "New Year"}


def test_render_fills_placeholders_and_keeps_literal_braces() -> None:
    assert render("{{Hi}} {client_name}, {{client_name}}!", {"client_name": "Anna"}) == (
        "{Hi} Anna, {client_name}!"
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Здравствуйте, {client_name}! Как дела?", "Здравствуйте! Как дела?"),
        ("Hello {client_name}, how are you?", "Hello, how are you?"),
        ("{client_name}, с днём рождения!", "С днём рождения!"),
        ("Спасибо за покупку ({items}).", "Спасибо за покупку."),
        ("Приглашаем на «{event_name}» {date}.", "Приглашаем на."),
        ("С праздником — {holiday}!", "С праздником!"),
        ("Hi!\n{consultant_name}, {store_name}", "Hi!"),
        ("Hi!\n{consultant_name}, {store_name}", "Hi!"),
        ("Скоро {holiday} ({date}). Ждём!", "Скоро. Ждём!"),
        ("A {age} B", "A B"),
        ("Hi. {age}. Bye.", "Hi. Bye."),
    ],
)
def test_a_placeholder_without_a_value_vanishes_cleanly(template: str, expected: str) -> None:
    assert render(template, {}) == expected


def test_the_signature_keeps_whatever_is_known() -> None:
    template = "Hi!\n{consultant_name}, {store_name}"
    assert render(template, {"store_name": "Store"}) == "Hi!\nStore"
    assert render(template, {"consultant_name": "Olga"}) == "Hi!\nOlga"
    assert render(template, {"consultant_name": "Olga", "store_name": "Store"}) == (
        "Hi!\nOlga, Store"
    )


def test_values_are_put_on_one_line_and_a_blank_value_counts_as_missing() -> None:
    assert render("Hi {client_name}!", {"client_name": " Anna \n  Maria "}) == "Hi Anna Maria!"
    assert render("Hi, {client_name}!", {"client_name": "   "}) == "Hi!"


values_subsets = st.dictionaries(
    st.sampled_from(sorted(PLACEHOLDERS)),
    st.text(
        st.characters(codec="utf-8", categories=["L", "N", "Zs", "Pd"], exclude_characters="{}"),
        max_size=12,
    ),
)


@given(st.sampled_from(TEMPLATES), values_subsets)
def test_render_never_leaves_braces_double_spaces_or_orphan_commas(
    which: tuple[str, str], values: dict[str, str]
) -> None:
    text = render(DEFAULT_TEMPLATES[which[0]][which[1]], values)
    assert "{" not in text and "}" not in text
    assert "\x00" not in text and "\x01" not in text
    for line in text.split("\n"):
        assert "  " not in line
        assert line == line.strip()
    assert not re.search(r"\s[,.!?)]|[,:—]\s*[.!?]|\(\s*\)|«\s*»", text)


def test_template_errors_name_what_is_wrong() -> None:
    assert template_errors("") == ["The message is empty."]
    assert template_errors("  \n ") == ["The message is empty."]
    assert template_errors("Hi {client_name}, {{ok}}") == []
    assert template_errors("Hi {name} {name} {age}") == [
        "Unknown placeholder {name}: use one of " + ", ".join(PLACEHOLDERS) + "."
    ]
    assert template_errors("Hi {client_name") == [
        "A “{” has no matching “}” (write {{ for a brace)."
    ]
    assert template_errors("Hi client_name}") == [
        "A “}” has no matching “{” (write }} for a brace)."
    ]
    assert template_errors("x" * 1001) == [
        "The message is too long: 1001 characters, at most 1000."
    ]
    assert template_errors("x" * 1000) == []


def test_dates_and_lists_in_the_message_language() -> None:
    assert format_day(date(2026, 5, 14), "ru") == "14 мая"
    assert format_day(date(2026, 5, 14), "en") == "14 May"
    assert format_day(date(2026, 3, 8), "ru-RU") == "8 марта"
    assert format_day(date(2026, 12, 1), "de") == "1 December"
    assert join_list(["кольцо"], "ru") == "кольцо"
    assert join_list(["кольцо", "серьги"], "ru") == "кольцо и серьги"
    assert join_list(["ring", "earrings", "chain"], "en") == "ring, earrings and chain"
    assert join_list(["a", "b", "c", "d"], "en") == "a, b, c and more"
    assert join_list([], "en") == ""


def test_values_come_from_the_planners_reason() -> None:
    reason = {
        "relative_name": "Маша",
        "relation": "child",
        "age": 7,
        "birthday": "2026-05-14",
    }
    values = draft_values(
        occasion="relative_birthday_gift",
        reason=reason,
        language="ru",
        client_name="Анна",
        consultant_name="Ольга",
        store_name="Бутик",
    )
    assert values == {
        "client_name": "Анна",
        "consultant_name": "Ольга",
        "store_name": "Бутик",
        "relative_name": "Маша",
        "relation": "ребёнок",
        "age": "7",
        "years": "",
        "event_name": "",
        "holiday": "",
        "date": "14 мая",
        "items": "",
        "preferences": "",
    }
    assert set(values) == set(PLACEHOLDERS)


def test_a_holiday_greeting_in_russian() -> None:
    text = draft_for(
        template="",
        occasion="holiday_greeting",
        reason={"holiday": "womens_day", "holiday_date": "2026-03-08"},
        language="ru",
        client_name="Анна",
        consultant_name="Ольга",
        store_name="Бутик на Тверской",
    )
    assert text == (
        "Здравствуйте, Анна! Поздравляем вас с наступающим праздником — 8 Марта! Желаем тепла, "
        "радости и прекрасного настроения.\nОльга, Бутик на Тверской"
    )


def test_a_gift_idea_in_english_with_stored_lists() -> None:
    text = draft_for(
        template="",
        occasion="relative_birthday_gift",
        reason={"relative_name": "Masha", "relation": "child", "birthday": "2026-05-14"},
        language="en",
        client_name="Anna",
        consultant_name="Olga",
        store_name="Tverskaya",
    )
    assert text == (
        "Hello Anna, Masha has a birthday on 14 May. If you like, I can put together a few gift "
        "ideas and send you photos.\nOlga, Tverskaya"
    )


def test_a_stores_own_template_wins_and_items_from_json_lists_are_joined() -> None:
    text = draft_for(
        template="{client_name}, как вам {items}? {consultant_name}",
        occasion="care_tips",
        reason={"purchase_date": "2026-04-01", "items": ["кольцо", "серьги"]},
        language="ru",
        client_name="Анна",
        consultant_name="Ольга",
        store_name="Бутик",
    )
    assert text == "Анна, как вам кольцо и серьги? Ольга"


def test_a_former_client_gets_the_new_year_and_an_unknown_occasion_the_plain_greeting() -> None:
    values = draft_values(
        occasion="former_new_year",
        reason={"holiday_date": "2027-01-01"},
        language="en",
        client_name="Anna",
        consultant_name="",
        store_name="",
    )
    assert (values["holiday"], values["date"]) == ("New Year", "1 January")
    text = draft_for(
        template="",
        occasion="something_new",
        reason={},
        language="ru",
        client_name="Анна",
        consultant_name="Ольга",
        store_name="Бутик",
    )
    assert text == "Здравствуйте, Анна!\nОльга, Бутик"
