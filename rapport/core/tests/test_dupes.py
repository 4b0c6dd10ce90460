"""The generator of cards with known duplicates, and the pairwise scores."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from rapport.core import dupes
from rapport.core.generator import SURNAMES, feminine_surname
from rapport.core.normalize import name_skeleton, normalize_phone


@pytest.fixture(scope="module")
def records() -> list[dupes.DupeRecord]:
    return dupes.generate_records(3_000, seed=5)


def test_the_same_seed_gives_the_same_cards(records: list[dupes.DupeRecord]) -> None:
    assert dupes.generate_records(3_000, seed=5) == records
    assert dupes.generate_records(3_000, seed=6) != records


def test_ids_and_truth(records: list[dupes.DupeRecord]) -> None:
    assert [r.id for r in records] == list(range(1, len(records) + 1))
    originals = [r for r in records if r.kind == "original"]
    assert [r.truth for r in originals] == list(range(3_000))
    others = [r.truth for r in records if r.kind in ("family", "namesake")]
    assert len(others) == len(set(others)) and min(others) >= 3_000


def test_about_a_tenth_of_the_people_have_extra_cards(records: list[dupes.DupeRecord]) -> None:
    extra = Counter(r.truth for r in records if r.kind == "duplicate")
    assert 0.08 <= len(extra) / 3_000 <= 0.12
    assert set(extra.values()) == {1, 2}
    kinds = Counter(r.kind for r in records)
    assert kinds["family"] >= 60 and kinds["namesake"] >= 30


def test_family_cards_share_the_phone_not_the_person(records: list[dupes.DupeRecord]) -> None:
    people = {p.id: p for p in dupes.to_people(records)}
    truths_on_phone: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for r in records:
        truths_on_phone[people[r.id].phones].add(r.truth)
    family = [r for r in records if r.kind == "family"]
    on_shared_phone = [r for r in family if len(truths_on_phone[people[r.id].phones]) > 1]
    assert len(on_shared_phone) >= 0.9 * len(family) - 10  # sons: half have their own phone
    namesakes = [r for r in records if r.kind == "namesake"]
    assert all(len(truths_on_phone[people[r.id].phones]) == 1 for r in namesakes)


def test_duplicates_vary_like_real_cards(records: list[dupes.DupeRecord]) -> None:
    originals = {r.truth: r for r in records if r.kind == "original"}
    copies = [(originals[r.truth], r) for r in records if r.kind == "duplicate"]
    latin = sum(r.first_name.isascii() and not o.first_name.isascii() for o, r in copies)
    renamed = sum(name_skeleton(r.first_name) != name_skeleton(o.first_name) for o, r in copies)
    no_phone = sum(r.phone == "" for _, r in copies)
    assert latin >= 0.08 * len(copies)
    assert renamed >= 0.15 * len(copies)
    assert 0.05 * len(copies) <= no_phone <= 0.15 * len(copies)
    people = {p.id: p for p in dupes.to_people(records)}
    same_phone = [
        (o, r)
        for o, r in copies
        if people[r.id].phones and people[r.id].phones == people[o.id].phones
    ]
    assert sum(o.phone != r.phone for o, r in same_phone) >= 0.8 * len(same_phone)


@given(st.integers(0, 10**7 - 1), st.sampled_from(["916", "903", "999"]), st.integers(0, 99))
def test_every_typed_phone_reads_back(subscriber: int, code: str, seed: int) -> None:
    e164 = f"+7{code}{subscriber:07d}"
    assert normalize_phone(dupes.phone_as_typed(e164, random.Random(seed)), "RU") == e164


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [("icao", "Iuliia Sokolova"), ("bgn", "Yuliya Sokolova"), ("old", "Julija Sokolova")],
)
def test_latin_schemes(scheme: str, expected: str) -> None:
    assert dupes.latin("Юлия Соколова", scheme) == expected
    assert name_skeleton(dupes.latin("Юлия", scheme)) == name_skeleton("Юлия")


@given(st.text(alphabet="абвгдежзиклмнопрстуфхцчшщыэюя", min_size=3, max_size=12), st.integers())
def test_a_typo_is_one_edit_away(word: str, seed: int) -> None:
    typed = dupes.typo(word, random.Random(seed))
    assert OSA.distance(word, typed) <= 1
    assert typed[0] == word[0]


def test_masculine_surname_undoes_feminine_surname() -> None:
    # Трубецкая could be Трубецкой or Трубецкий: the only ambiguous ending among the surnames.
    assert [s for s in SURNAMES if dupes.masculine_surname(feminine_surname(s)) != s] == [
        "Трубецкой"
    ]
    assert dupes.masculine_surname("Иванова") == "Иванов"
    assert dupes.masculine_surname("Толстая") == "Толстой"


def test_to_person_normalises_as_the_shell_does() -> None:
    record = dupes.DupeRecord(7, 1, "  саша ", "ИВАНОВА", "", None, "8 (916) 123-45-67",
                              "Sasha.Ivanova@Mail.RU", "duplicate")  # fmt: skip
    broken = dupes.DupeRecord(8, 1, "Саша", "", "", None, "12", "not an e-mail", "duplicate")

    person = dupes.to_person(record)

    assert (person.id, person.first_name, person.last_name) == (7, "Саша", "Иванова")
    assert person.phones == ("+79161234567",)
    assert person.emails == ("sasha.ivanova@mail.ru",)
    assert person.gender == "f"
    assert dupes.to_person(broken).phones == () and dupes.to_person(broken).emails == ()


def test_score_pairs() -> None:
    truth = {1: 10, 2: 10, 3: 10, 4: 20, 5: 30}  # true pairs: (1,2) (1,3) (2,3)

    assert dupes.true_pairs(truth) == 3
    assert dupes.score_pairs({(2, 1), (1, 3)}, truth) == (1.0, 2 / 3, 0.8)
    precision, recall, f1 = dupes.score_pairs({(1, 2), (4, 5)}, truth)
    assert (precision, recall) == (0.5, 1 / 3)
    assert f1 == pytest.approx(0.4)
    assert dupes.score_pairs(set(), {1: 1, 2: 2}) == (1.0, 1.0, 1.0)
