"""The diminutive table: which full first names a first name may stand for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.generator import EN_FEMALE, EN_MALE, FEMALE_NAMES, MALE_NAMES
from rapport.core.nicknames import (
    _GROUPS,
    diminutives,
    first_name_keys,
    is_known,
    name_gender,
)
from rapport.core.normalize import name_skeleton


@pytest.mark.parametrize(
    "name", ["Саша", "Sasha", "Alexandr", "Aleksandr", "Александр", "Alexander", "САША", "шура"]
)
def test_every_form_of_alexander_shares_his_key(name: str) -> None:
    assert "aleksandr" in first_name_keys(name)


def test_an_ambiguous_diminutive_stands_for_both_genders() -> None:
    assert first_name_keys("Саша") == frozenset({"aleksandr", "aleksandra"})
    assert first_name_keys("Sasha") == frozenset({"aleksandr", "aleksandra"})
    assert first_name_keys("Женя") == frozenset({"evgeni", "evgenia"})
    assert first_name_keys("Alex") == frozenset({"aleksandr", "aleksandra", "aleksei"})
    assert name_gender("Саша") == ""
    assert name_gender("Женя") == ""


def test_a_full_name_has_only_its_own_key() -> None:
    assert first_name_keys("Александр") == frozenset({"aleksandr"})
    assert first_name_keys("Александра") == frozenset({"aleksandra"})
    assert first_name_keys("Евгения") == frozenset({"evgenia"})


@pytest.mark.parametrize(
    "name", ["Катя", "Катерина", "Екатерина", "Ekaterina", "Yekaterina", "Katya", "Kate",
             "Catherine", "Katherine", "Katie"],
)  # fmt: skip
def test_katya_and_catherine_are_ekaterina(name: str) -> None:
    assert first_name_keys(name) == frozenset({"ekaterina"})
    assert name_gender(name) == "f"


@pytest.mark.parametrize("name", ["Юля", "Юлия", "Yulia", "Julia", "Iuliia", "Yuliya", "Julie"])
def test_yulia_in_every_spelling(name: str) -> None:
    assert first_name_keys(name) == frozenset({"iulia"})


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("Маша", "Мария"), ("Маруся", "Мария"), ("Mary", "Мария"), ("Лена", "Елена"),
     ("Настя", "Анастасия"), ("Дима", "Дмитрий"), ("Митя", "Дмитрий"), ("Dmitry", "Дмитрий"),
     ("Лиза", "Елизавета"), ("Elizabeth", "Елизавета"), ("Betty", "Елизавета"),
     ("Миша", "Михаил"), ("Michael", "Михаил"), ("Наташа", "Наталья"), ("Natalie", "Наталья"),
     ("Bill", "William"), ("Will", "William"), ("Liz", "Елизавета"), ("Bob", "Robert"),
     ("Kathy", "Екатерина"), ("Cathy", "Екатерина"), ("Ваня", "Иван"), ("Лёша", "Алексей"),
     ("Alexey", "Алексей"), ("Ксюша", "Ксения"), ("Xenia", "Ксения"), ("Соня", "Софья"),
     ("Sophie", "Софья"), ("Серёжа", "Сергей"), ("Sergey", "Сергей"), ("Вова", "Владимир")],
)  # fmt: skip
def test_diminutives_and_equivalents(name: str, canonical: str) -> None:
    assert name_skeleton(canonical) in first_name_keys(name)


def test_ivan_is_not_john() -> None:
    """A translation nobody goes by is not an equivalent."""
    assert not first_name_keys("Иван") & first_name_keys("John")


@pytest.mark.parametrize(
    ("x", "y"), [("Анна", "Яна"), ("Маша", "Саша"), ("Алёна", "Елена"), ("Оксана", "Ксения"),
                 ("Инна", "Анна"), ("Марина", "Мария"), ("Юлия", "Ульяна")],
)  # fmt: skip
def test_different_names_share_no_key(x: str, y: str) -> None:
    assert not first_name_keys(x) & first_name_keys(y)


def test_an_unknown_name_is_its_own_key_and_an_empty_one_has_none() -> None:
    assert first_name_keys("Гюльчатай") == frozenset({name_skeleton("Гюльчатай")})
    assert not is_known("Гюльчатай")
    assert first_name_keys("") == frozenset()
    assert first_name_keys("  -- ") == frozenset()
    assert name_gender("Гюльчатай") == ""


def test_gender_of_names() -> None:
    assert name_gender("Катя") == "f"
    assert name_gender("Дмитрий") == "m"
    assert name_gender("Dima") == "m"
    assert name_gender("Emily") == "f"


def test_the_table_covers_the_common_names() -> None:
    russian = {canonical for _, canonical, _ in _GROUPS if not canonical.isascii()}
    english = {canonical for _, canonical, _ in _GROUPS if canonical.isascii()}
    assert len(russian) >= 120
    assert len(english) >= 35
    generated = [*FEMALE_NAMES, *(m[0] for m in MALE_NAMES), *EN_FEMALE, *EN_MALE]
    assert [name for name in generated if not is_known(name)] == []


def test_every_form_leads_back_to_its_name() -> None:
    for _, canonical, forms in _GROUPS:
        key = name_skeleton(canonical)
        for form in forms.split():
            assert key in first_name_keys(form), (canonical, form)
        assert set(forms.split()) <= set(diminutives(canonical))


def test_diminutives_of_a_name() -> None:
    assert {"Катя", "Kate", "Catherine"} <= set(diminutives("Екатерина"))
    assert diminutives("Гюльчатай") == ()


@given(st.text(max_size=12))
def test_keys_do_not_depend_on_case_or_spacing(text: str) -> None:
    keys = first_name_keys(text)
    assert keys == first_name_keys(f"  {text.upper()} ") or text.upper().lower() != text.lower()
    assert bool(keys) == bool(name_skeleton(text))
