"""The identity matcher: one client, one card."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rapport.core import dupes
from rapport.core.identity import (
    PRIOR_BITS,
    Match,
    MatchSettings,
    Person,
    birthday_level,
    blocking_keys,
    clusters,
    compare,
    family_key,
    find_duplicates,
    infer_gender,
    probability,
)
from rapport.core.normalize import normalize_phone

DEFAULT = MatchSettings()
PHONE = normalize_phone("8 (916) 123-45-67", "RU")
OTHER_PHONE = normalize_phone("+7 903 765 43 21", "RU")


def card(id: int, first: str, last: str = "", middle: str = "", **fields: object) -> Person:
    """A card as the shell builds it: the gender comes from the names unless given."""
    gender = fields.pop("gender", None)
    if gender is None:
        gender = infer_gender(first, last, middle)
    return Person(id, first, last, middle, gender=str(gender), **fields)  # type: ignore[arg-type]


def evidence(match: Match, field: str) -> list[tuple[str, str]]:
    return [(e.verdict, e.detail) for e in match.evidence if e.field == field]


# --- real cases -------------------------------------------------------------------------------


def test_sasha_ivanova_and_alexandra_ivanova_on_one_phone_typed_two_ways() -> None:
    sasha = card(1, "Саша", "Иванова", phones=(normalize_phone("8 (916) 123-45-67", "RU"),))
    alexandra = card(2, "Alexandra", "Ivanova", phones=(normalize_phone("+7 916 1234567", "RU"),))

    match = compare(sasha, alexandra)

    assert match.score >= DEFAULT.review
    assert match.score < DEFAULT.auto_merge  # a diminutive alone is for a person to confirm
    assert evidence(match, "phone") == [("same", "+79161234567")]
    assert evidence(match, "name")[0] == (
        "similar",
        "first name: Саша ~ Alexandra (diminutive)",
    )
    assert evidence(match, "gender") == [("same", "f ~ f")]


def test_with_the_birthday_too_the_pair_may_be_merged_automatically() -> None:
    day = date(1990, 5, 17)
    sasha = card(1, "Саша", "Иванова", birthday=day, phones=(PHONE,))
    alexandra = card(2, "Александра", "Ivanova", "Sergeevna", birthday=day, phones=(PHONE,))

    assert compare(sasha, alexandra).score >= DEFAULT.auto_merge


def test_katya_and_ekaterina_with_one_birthday_and_no_shared_contact() -> None:
    katya = card(1, "Катя", "Петрова", birthday=date(1988, 3, 8))
    ekaterina = card(2, "Екатерина", "Петрова", birthday=date(1988, 3, 8), phones=(PHONE,))

    match = compare(katya, ekaterina)

    assert match.score >= DEFAULT.review
    assert evidence(match, "birthday") == [("same", "1988-03-08 ~ 1988-03-08 (same)")]


def test_swapped_first_and_last_name() -> None:
    typed_backwards = card(1, "Иванова", "Катя", birthday=date(1990, 5, 5))
    right = card(2, "Екатерина", "Иванова", birthday=date(1990, 5, 5), phones=(PHONE,))

    match = compare(typed_backwards, right)

    assert match.score >= DEFAULT.review
    assert evidence(match, "name") == [
        ("similar", "first name: Катя ~ Екатерина (diminutive) (first and last name swapped)"),
        ("same", "last name: Иванова ~ Иванова (same)"),
    ]


def test_latin_spelling_and_a_typo() -> None:
    a = card(1, "Юлия", "Соколова", birthday=date(1979, 11, 2), phones=(PHONE,))
    b = card(2, "Iuliia", "Sokolva", birthday=date(1979, 11, 2))

    match = compare(a, b)

    assert match.score >= DEFAULT.review
    assert [v for v, _ in evidence(match, "name")] == ["same", "similar"]


def test_spouses_sharing_a_phone_are_not_one_person() -> None:
    husband = card(1, "Иван", "Иванов", "Петрович", phones=(PHONE,), birthday=date(1980, 1, 2))
    wife = card(2, "Мария", "Иванова", "Сергеевна", phones=(PHONE,), birthday=date(1982, 3, 4))
    no_birthdays = (card(3, "Иван", "Иванов", phones=(PHONE,)),
                    card(4, "Мария", "Иванова", phones=(PHONE,)))  # fmt: skip
    mail = ("ivanovy@mail.ru",)
    sharing_everything = (card(5, "Иван", "Иванов", phones=(PHONE,), emails=mail),
                          card(6, "Мария", "Иванова", phones=(PHONE,), emails=mail))  # fmt: skip

    assert compare(husband, wife).score < 0.001
    assert compare(*no_birthdays).score < 0.01
    assert compare(*sharing_everything).score < 0.01
    assert find_duplicates([husband, wife]) == []
    assert find_duplicates(sharing_everything) == []


def test_zhenya_and_evgeniya_of_one_family_are_two_people() -> None:
    """Женя is Евгений or Евгения: the surname's form says which."""
    he = card(1, "Евгений", "Смирнов", phones=(PHONE,))
    she = card(2, "Женя", "Смирнова", phones=(PHONE,))

    assert he.gender == "m" and she.gender == "f"
    assert compare(he, she).score < DEFAULT.review


def test_mother_and_daughter_on_one_phone() -> None:
    mother = card(1, "Ольга", "Кузнецова", "Ивановна", phones=(PHONE,))
    daughter = card(2, "Анна", "Кузнецова", "Петровна", phones=(PHONE,))

    assert compare(mother, daughter).score < 0.01


def test_namesakes_are_not_one_person() -> None:
    a = card(1, "Анна", "Смирнова", "Ивановна", birthday=date(1985, 4, 1), phones=(PHONE,))
    b = card(2, "Анна", "Смирнова", "Ивановна", birthday=date(1992, 9, 30), phones=(OTHER_PHONE,))
    c = card(3, "Анна", "Смирнова", phones=(normalize_phone("+7 925 000 11 22", "RU"),))

    assert compare(a, b).score < 0.001
    assert compare(a, c).score < 0.01
    assert find_duplicates([a, b, c]) == []


def test_father_and_son_with_one_name_on_one_phone() -> None:
    """Иван Иванович Иванов and his son Иван Иванович Иванов: only the birthdays tell."""
    father = card(1, "Иван", "Иванов", "Иванович", birthday=date(1960, 2, 1), phones=(PHONE,))
    son = card(2, "Иван", "Иванов", "Иванович", birthday=date(1987, 6, 12), phones=(PHONE,))
    father_no_day = card(3, "Иван", "Иванов", "Иванович", phones=(PHONE,))
    son_no_day = card(4, "Иван", "Иванов", "Иванович", phones=(PHONE,))

    assert compare(father, son).score < DEFAULT.review
    undecidable = compare(father_no_day, son_no_day).score
    assert DEFAULT.review <= undecidable < DEFAULT.auto_merge  # a person decides


def test_a_different_phone_weighs_against() -> None:
    a = card(1, "Анна", "Смирнова", phones=(PHONE,))
    b = card(2, "Анна", "Смирнова", phones=(OTHER_PHONE,))
    c = card(3, "Анна", "Смирнова")

    assert compare(a, b).score < compare(a, c).score


def test_evidence_adds_up_to_the_score() -> None:
    a = card(1, "Иванова", "Катя", "Петровна", birthday=date(1990, 5, 5), phones=(PHONE,))
    b = card(2, "Екатерина", "Иванова", "П", birthday=date(1990, 5, 5), phones=(PHONE,),
             emails=("k@x.ru",))  # fmt: skip

    match = compare(a, b)

    assert [e.field for e in match.evidence] == [
        "phone", "email", "name", "name", "middle_name", "birthday", "gender"
    ]  # fmt: skip
    assert match.score == probability(PRIOR_BITS + sum(e.weight for e in match.evidence))
    assert {e.verdict for e in match.evidence} <= {"same", "similar", "different", "missing"}


def test_compare_orders_the_pair_by_id() -> None:
    match = compare(card(9, "Анна"), card(3, "Анна"))

    assert (match.a, match.b) == (3, 9)


# --- parts of the model -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("surname", "key"),
    [("ivanova", "ivanov"), ("ivanov", "ivanov"), ("vishnevskaia", "vishnevski"),
     ("vishnevski", "vishnevski"), ("tolstaia", "tolstoi"), ("ilina", "ilin"),
     ("smith", "smith"), ("ova", "ova"), ("shevchuk", "shevchuk")],
)  # fmt: skip
def test_family_key(surname: str, key: str) -> None:
    assert family_key(surname) == key


@pytest.mark.parametrize(
    ("first", "last", "middle", "gender"),
    [("Саша", "Иванова", "", "f"), ("Саша", "Иванов", "", "m"), ("Саша", "Шевчук", "", ""),
     ("Женя", "Шевчук", "Петровна", "f"), ("Никита", "Black", "Ильич", "m"),
     ("Emily", "Martin", "", "f"), ("Alex", "Smith", "", "")],
)  # fmt: skip
def test_infer_gender(first: str, last: str, middle: str, gender: str) -> None:
    assert infer_gender(first, last, middle) == gender


@pytest.mark.parametrize(
    ("x", "y", "level"),
    [(date(1990, 5, 7), date(1990, 5, 7), 1), (date(1990, 5, 7), date(1990, 7, 5), 2),
     (date(1990, 5, 7), date(1991, 5, 7), 3), (date(1990, 5, 7), date(1990, 5, 17), 3),
     (date(1990, 5, 7), date(1990, 5, 8), 3), (date(1990, 5, 7), date(1985, 2, 1), 4),
     (None, date(1990, 5, 7), 0)],
)  # fmt: skip
def test_birthday_levels(x: date | None, y: date | None, level: int) -> None:
    assert birthday_level(x, y) == level


def test_blocking_keys_of_a_card() -> None:
    person = card(1, "Катя", "Иванова", "Петровна", birthday=date(1990, 5, 5), phones=(PHONE,),
                  emails=("k@x.ru",))  # fmt: skip
    day = date(1990, 5, 5).toordinal()

    assert blocking_keys(person) == {
        "p:+79161234567", "e:k@x.ru",
        f"b:{day}:ekaterina", f"b:{day}:katia", f"b:{day}:ivanova", f"b:{day}:ivanov",
        "m:ekaterina:ivanov:petrovna", "m:ivanova:katia:petrovna",
    }  # fmt: skip


# --- find_duplicates and clusters -------------------------------------------------------------


def test_find_duplicates_on_a_small_book() -> None:
    day = date(1991, 1, 31)
    book = [
        card(1, "Саша", "Иванова", phones=(PHONE,), birthday=day),
        card(2, "Alexandra", "Ivanova", phones=(PHONE,), birthday=day),
        card(3, "Иван", "Иванов", phones=(PHONE,), birthday=date(1989, 7, 1)),
        card(4, "Иванова", "Александра", birthday=day),
        card(5, "Анна", "Смирнова", phones=(OTHER_PHONE,), emails=("anna@ya.ru",)),
        card(6, "Аня", "Smirnova", emails=("ANNA@ya.ru".lower(),)),
    ]

    found = find_duplicates(book)

    assert sorted((m.a, m.b) for m in found) == [(1, 2), (1, 4), (2, 4), (5, 6)]
    assert (found[0].a, found[0].b) == (1, 2)  # best first
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert clusters(found, threshold=DEFAULT.review) == [(1, 2, 4), (5, 6)]


def test_a_block_larger_than_max_block_proposes_nothing() -> None:
    """A shop's own number typed on many cards is no evidence."""
    book = [card(i, "Анна", "Смирнова", phones=(PHONE,)) for i in range(1, 5)]

    assert len(find_duplicates(book)) == 6
    assert find_duplicates(book, settings=MatchSettings(max_block=3)) == []


def test_progress_is_reported() -> None:
    calls: list[tuple[int, int]] = []
    book = [card(1, "Анна", phones=(PHONE,)), card(2, "Анна", phones=(PHONE,))]

    find_duplicates(book, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(step, 6) for step in range(1, 7)]


def test_clusters_joins_chains_and_ignores_weak_pairs() -> None:
    matches = [Match(1, 2, 0.9, ()), Match(2, 3, 0.95, ()), Match(4, 5, 0.5, ()),
               Match(6, 7, 0.99, ())]  # fmt: skip

    assert clusters(matches, threshold=0.8) == [(1, 2, 3), (6, 7)]
    assert clusters(matches, threshold=0.96) == [(6, 7)]
    assert clusters([], threshold=0.5) == []


# --- properties -------------------------------------------------------------------------------

FIRST = st.sampled_from(["Анна", "Аня", "Anna", "Саша", "Александра", "Alexander", "Иван",
                         "Ваня", "Мария", "Маша", "Женя", "Евгений", "Ана", ""])  # fmt: skip
LAST = st.sampled_from(["Иванова", "Иванов", "Ivanova", "Иваова", "Петров", "Smith", ""])
MIDDLE = st.sampled_from(["", "Ивановна", "Иванович", "Петровна", "И"])
BIRTHDAY = st.sampled_from([None, date(1990, 5, 7), date(1990, 7, 5), date(1991, 5, 7)])
PHONES = st.lists(st.sampled_from(["+79161234567", "+79031112233"]), max_size=2, unique=True)
EMAILS = st.lists(st.sampled_from(["a@x.ru", "b@x.ru"]), max_size=1)
GENDER = st.sampled_from(["", "f", "m"])


@st.composite
def people(draw: st.DrawFn, id: int | None = None) -> Person:
    return Person(
        id=draw(st.integers(1, 10_000)) if id is None else id,
        first_name=draw(FIRST),
        last_name=draw(LAST),
        middle_name=draw(MIDDLE),
        birthday=draw(BIRTHDAY),
        phones=tuple(draw(PHONES)),
        emails=tuple(draw(EMAILS)),
        gender=draw(GENDER),
    )


@given(people(), people())
def test_compare_is_symmetric(a: Person, b: Person) -> None:
    assume(a.id != b.id)
    assert compare(a, b) == compare(b, a)
    assert 0.0 <= compare(a, b).score <= 1.0


@given(people())
def test_a_complete_card_matches_itself(person: Person) -> None:
    match = compare(person, person)
    has_contact = bool(person.phones or person.emails)
    if person.first_name and has_contact and person.birthday:
        assert match.score >= DEFAULT.auto_merge
    if person.first_name and (has_contact or (person.last_name and person.birthday)):
        assert match.score >= DEFAULT.review


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(people(), min_size=0, max_size=12))
def test_find_duplicates_agrees_with_comparing_every_pair(book: list[Person]) -> None:
    book = [
        Person(i + 1, p.first_name, p.last_name, p.middle_name, p.birthday, p.phones, p.emails,
               p.gender)
        for i, p in enumerate(book)
    ]  # fmt: skip

    found = {(m.a, m.b): m for m in find_duplicates(book)}

    expected = {}
    for a, b in itertools.combinations(book, 2):
        match = compare(a, b)
        if blocking_keys(a) & blocking_keys(b) and match.score >= DEFAULT.review:
            expected[(match.a, match.b)] = match
    assert found == expected


@given(st.lists(st.tuples(st.integers(1, 30), st.integers(1, 30), st.floats(0, 1)), max_size=40),
       st.floats(0, 1))  # fmt: skip
def test_clusters_is_a_partition_of_the_strong_pairs(
    edges: list[tuple[int, int, float]], threshold: float
) -> None:
    matches = [Match(min(a, b), max(a, b), s, ()) for a, b, s in edges if a != b]

    groups = clusters(matches, threshold=threshold)

    members = [x for group in groups for x in group]
    assert len(members) == len(set(members))  # disjoint
    assert all(list(group) == sorted(group) and len(group) >= 2 for group in groups)
    assert groups == sorted(groups)
    strong = {(m.a, m.b) for m in matches if m.score >= threshold}
    assert set(members) == {x for pair in strong for x in pair}
    where = {x: i for i, group in enumerate(groups) for x in group}
    assert all(where[a] == where[b] for a, b in strong)


# --- on generated data ------------------------------------------------------------------------


def test_precision_and_recall_on_5000_generated_clients() -> None:
    records = dupes.generate_records(5_000, seed=11)
    people_ = dupes.to_people(records)

    found = find_duplicates(people_)

    precision, recall, _ = dupes.score_pairs({(m.a, m.b) for m in found}, dupes.truth_of(records))
    assert precision >= 0.99
    assert recall >= 0.95
