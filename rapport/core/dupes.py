"""Client cards with known duplicates, for the matcher's tests and the ``dedupe`` benchmark.

Pure Python, no Django, seeded. ``generate_records(n, seed=…)`` takes the ``n`` people of
``generate_clients(n, seed=…, with_history=False)`` and types their cards the way a till or an
import holds them (raw strings: names, a phone as typed, an e-mail), each with the ``truth`` id of
the real person, then:

- gives about ``duplicate_rate`` of the people one or two extra cards (70 % / 30 %), each with
  realistic variations: the phone typed another way (+7 916…, 8 (916)…, 916…, spaces, dashes)
  or missing or replaced by a new number; the name in Latin letters in one of several schemes
  (Yulia/Iuliia, Aleksandr/Alexander), as a diminutive or an English equivalent (Катя, Kate),
  with one typo, with first and last name swapped, in capitals; the patronymic, birthday or
  e-mail left out; the e-mail in other letter case; a typo in the birthday;
- adds hard negatives: spouses and partners with their own card on the family phone (the other
  gender's form of the surname; about ``family_rate`` of the people), sons named after their
  father (half the Иван Ивановичи get an Иван Иванович a generation younger, on the same phone
  half the time: ``son_rate``) and namesakes (same first and last name, often the same patronymic,
  another phone, another or no birthday).

``to_people(records)`` normalises cards into ``identity.Person``s through ``normalize`` the way
the shell does, and ``score_pairs(found, truth)`` gives pairwise precision, recall and F1.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from rapport.core.generator import (
    MALE_NAMES,
    feminine_surname,
    generate_clients,
    phone_for,
)
from rapport.core.identity import Person, infer_gender
from rapport.core.nicknames import diminutives
from rapport.core.normalize import (
    InvalidEmail,
    InvalidPhone,
    clean_name,
    normalize_email,
    normalize_phone,
)

TODAY = date(2026, 1, 15)  # a fixed day: the data does not depend on the clock


@dataclass(frozen=True, slots=True)
class DupeRecord:
    """One card as typed, with the id of the real person behind it."""

    id: int
    truth: int
    first_name: str
    last_name: str
    middle_name: str
    birthday: date | None
    phone: str  # as typed, "" when none
    email: str  # as typed, "" when none
    kind: str  # "original", "duplicate", "family", "namesake"


# --- variations -------------------------------------------------------------------------------


def phone_as_typed(e164: str, rng: random.Random) -> str:
    """A Russian mobile in one of the ways people type it."""
    n = e164[2:]
    a, b, c, d = n[:3], n[3:6], n[6:8], n[8:]
    formats = (
        f"+7 {a} {b}-{c}-{d}", f"8{n}", f"8 ({a}) {b} {c} {d}", f"+7{n}", f"8-{a}-{b}-{c}-{d}",
        f"{a} {b} {c} {d}", f"+7 ({a}) {b}{c}{d}", f"{n}", f"7 {a} {b} {c}{d}", f"8 {a} {b}{c}{d}",
    )  # fmt: skip
    return formats[int(rng.random() * len(formats))]


_SCHEMES: dict[str, dict[str, str]] = {
    # Passports since 2013 (ICAO 9303).
    "icao": {"й": "i", "ё": "e", "х": "kh", "ц": "ts", "щ": "shch", "ы": "y", "ъ": "ie",
             "ю": "iu", "я": "ia", "ь": ""},
    # BGN/PCGN, the English-language press habit.
    "bgn": {"й": "y", "ё": "yo", "х": "kh", "ц": "ts", "щ": "shch", "ы": "y", "ъ": "",
            "ю": "yu", "я": "ya", "ь": ""},
    # Older passports and e-mail habits (Julia, Xenia-style j/h).
    "old": {"й": "j", "ё": "e", "х": "h", "ц": "c", "щ": "sch", "ы": "y", "ъ": "",
            "ю": "ju", "я": "ja", "ь": "'"},
}  # fmt: skip
_COMMON = {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
           "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
           "с": "s", "т": "t", "у": "u", "ф": "f", "ч": "ch", "ш": "sh", "э": "e"}  # fmt: skip


def latin(text: str, scheme: str) -> str:
    """A Cyrillic name in Latin letters by one of the schemes ``icao``, ``bgn`` or ``old``."""
    table = {**_COMMON, **_SCHEMES[scheme]}
    out = []
    for char in text:
        lower = char.lower()
        spelled = table.get(lower, lower)
        out.append(spelled.capitalize() if char != lower else spelled)
    return "".join(out)


_CYRILLIC = "абвгдежзийклмнопрстуфхцчшщыэюя"
_LATIN = "abcdefghijklmnopqrstuvwxyz"


def typo(text: str, rng: random.Random) -> str:
    """One edit (substitution, deletion, doubled letter or transposition), not on the first
    letter, which people rarely get wrong."""
    if len(text) < 3:
        return text
    i = 1 + int(rng.random() * (len(text) - 1))
    alphabet = _CYRILLIC if any("а" <= c <= "я" for c in text.lower()) else _LATIN
    kind = rng.random()
    if kind < 0.35:
        new = alphabet[int(rng.random() * len(alphabet))]
        return text[:i] + new + text[i + 1 :] if new != text[i] else text[:i] + text[i + 1 :]
    if kind < 0.6:
        return text[:i] + text[i + 1 :]
    if kind < 0.8:
        return text[:i] + text[i] + text[i:]
    if i < len(text) - 1 and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


def masculine_surname(surname: str) -> str:
    """Иванова → Иванов, Вишневская → Вишневский, Толстая → Толстой (the reverse of
    ``generator.feminine_surname``); other surnames are the same for everyone."""
    for ending, replacement in (("ская", "ский"), ("цкая", "цкий"), ("ая", "ой")):
        if surname.endswith(ending):
            return surname[: -len(ending)] + replacement
    if surname.endswith(("ова", "ева", "ёва", "ина", "ына")):
        return surname[:-1]
    return surname


def _birthday_typo(day: date, rng: random.Random) -> date:
    if day.day <= 12 and day.day != day.month and rng.random() < 0.4:
        return date(day.year, day.day, day.month)  # day and month swapped
    for _ in range(10):
        if rng.random() < 0.5:
            candidate = day.day - day.day % 10 + int(rng.random() * 10)
            try:
                changed = day.replace(day=candidate)
            except ValueError:
                continue
        else:
            changed = day.replace(year=day.year - day.year % 10 + int(rng.random() * 10), day=1)
            changed = changed.replace(day=min(day.day, 28) if day.month == 2 else day.day)
        if changed != day and changed < TODAY:
            return changed
    return day


def _case(text: str, rng: random.Random) -> str:
    return text.upper() if rng.random() < 0.5 else text.lower()


def _email_case(email: str, rng: random.Random) -> str:
    local, _, domain = email.partition("@")
    if rng.random() < 0.5:
        return local.capitalize() + "@" + domain
    return email.upper()


# --- the generator ----------------------------------------------------------------------------


def generate_records(
    clients: int,
    *,
    seed: int = 1,
    duplicate_rate: float = 0.10,
    family_rate: float = 0.03,
    son_rate: float = 0.5,
    namesake_rate: float = 0.02,
) -> list[DupeRecord]:
    """Cards for ``clients`` real people plus their duplicates and hard negatives (module doc);
    ids run from 1, ``truth`` is the person (the generator's index; hard negatives get new ones).
    """
    return list(
        iter_records(
            clients,
            seed=seed,
            duplicate_rate=duplicate_rate,
            family_rate=family_rate,
            son_rate=son_rate,
            namesake_rate=namesake_rate,
        )
    )


def iter_records(
    clients: int,
    *,
    seed: int = 1,
    duplicate_rate: float = 0.10,
    family_rate: float = 0.03,
    son_rate: float = 0.5,
    namesake_rate: float = 0.02,
) -> Iterator[DupeRecord]:
    """``generate_records``, lazily."""
    rng = random.Random(seed * 7_777 + 3)
    r = rng.random
    next_id = 1
    next_truth = clients
    extra_phone = clients  # new numbers: generator indexes past the last client

    def new_phone() -> str:
        nonlocal extra_phone
        extra_phone += 1
        return phone_for(extra_phone, seed)

    def record(truth: int, first: str, last: str, middle: str, birthday: date | None,
               phone: str, email: str, kind: str) -> DupeRecord:  # fmt: skip
        nonlocal next_id
        next_id += 1
        return DupeRecord(next_id - 1, truth, first, last, middle, birthday, phone, email, kind)

    for client in generate_clients(clients, seed=seed, today=TODAY, with_history=False):
        email = client.contact("email")
        phone = client.phone
        yield record(client.index, client.first_name, client.last_name, client.middle_name,
                     client.birthday, phone_as_typed(phone, rng), email, "original")  # fmt: skip

        if r() < duplicate_rate:
            for _ in range(1 if r() < 0.7 else 2):
                yield _duplicate(client.index, client.first_name, client.last_name,
                                 client.middle_name, client.birthday, phone, email, rng,
                                 record, new_phone)  # fmt: skip

        russian = client.language == "ru"
        spouse = next((x for x in client.relatives if x.relation in ("spouse", "partner")), None)
        if spouse is not None and russian and r() < family_rate / 0.6:
            if spouse.gender == "f":
                last = feminine_surname(masculine_surname(client.last_name))
            else:
                last = masculine_surname(client.last_name)
            father = MALE_NAMES[int(r() * len(MALE_NAMES))]
            middle = "" if r() < 0.3 else (father[2] if spouse.gender == "f" else father[1])
            shared_email = email if email and r() < 0.2 else ""
            next_truth += 1
            yield record(next_truth, spouse.name, last, middle, spouse.birthday,
                         phone_as_typed(phone, rng), shared_email, "family")  # fmt: skip

        own_patronymic = next((m for name, m, _ in MALE_NAMES if name == client.first_name), None)
        if (
            client.gender == "m"
            and client.birthday is not None
            and client.middle_name == own_patronymic
            and r() < son_rate
        ):
            # A son named after his father: the same name, patronymic and surname.
            born = client.birthday + timedelta(days=365 * 22 + int(r() * 365 * 8))
            if born < TODAY - timedelta(days=365 * 16):
                next_truth += 1
                yield record(next_truth, client.first_name, client.last_name, own_patronymic,
                             born if r() < 0.8 else None,
                             phone_as_typed(phone, rng) if r() < 0.5 else phone_as_typed(
                                 new_phone(), rng), "", "family")  # fmt: skip

        if r() < namesake_rate:
            if r() < 0.7:
                birthday = None
            else:
                base = client.birthday or TODAY - timedelta(days=365 * 35)
                birthday = base + timedelta(days=int(r() * 3000) - 1500)
                if birthday == client.birthday or birthday >= TODAY:
                    birthday = None
            middle = client.middle_name if r() < 0.5 else ""
            next_truth += 1
            yield record(next_truth, client.first_name, client.last_name, middle, birthday,
                         phone_as_typed(new_phone(), rng), "", "namesake")  # fmt: skip


def _duplicate(
    truth: int,
    first: str,
    last: str,
    middle: str,
    birthday: date | None,
    phone: str,
    email: str,
    rng: random.Random,
    record: Callable[..., DupeRecord],
    new_phone: Callable[[], str],
) -> DupeRecord:
    """One more card of the same person, with the variations of the module doc."""
    r = rng.random
    # Names.
    roll = r()
    if roll < 0.15:
        forms = [f for f in diminutives(first) if f != first]
        if forms:
            first = forms[int(r() * len(forms))]
    if r() < 0.15 and any("а" <= c <= "я" for c in (first + last).lower()):
        scheme = ("icao", "bgn", "old")[int(r() * 3)]
        first, last, middle = latin(first, scheme), latin(last, scheme), latin(middle, scheme)
    if r() < 0.10:
        if r() < 0.5:
            first = typo(first, rng)
        else:
            last = typo(last, rng)
    if r() < 0.05:
        first, last = last, first
    if r() < 0.06:
        first, last, middle = _case(first, rng), _case(last, rng), _case(middle, rng)
    if r() < 0.3:
        middle = ""
    # Birthday.
    if birthday is not None:
        roll = r()
        if roll < 0.10:
            birthday = None
        elif roll < 0.13:
            birthday = _birthday_typo(birthday, rng)
    # Contacts.
    roll = r()
    if roll < 0.10:
        typed_phone = ""
    elif roll < 0.12:
        typed_phone = phone_as_typed(new_phone(), rng)
    else:
        typed_phone = phone_as_typed(phone, rng)
    if email:
        roll = r()
        if roll < 0.3:
            email = ""
        elif roll < 0.55:
            email = _email_case(email, rng)
    return record(truth, first, last, middle, birthday, typed_phone, email, "duplicate")


# --- normalisation and scoring ----------------------------------------------------------------


def to_person(record: DupeRecord, region: str = "RU") -> Person:
    """A card as the shell stores it: names cleaned, phone in E.164, e-mail lower-cased, the
    gender the names imply (an unreadable phone or e-mail is dropped, as a form would reject it).
    """
    phones: tuple[str, ...] = ()
    if record.phone:
        with contextlib.suppress(InvalidPhone):
            phones = (normalize_phone(record.phone, region),)
    emails: tuple[str, ...] = ()
    if record.email:
        with contextlib.suppress(InvalidEmail):
            emails = (normalize_email(record.email),)
    first, last, middle = (
        clean_name(record.first_name),
        clean_name(record.last_name),
        clean_name(record.middle_name),
    )
    return Person(
        id=record.id,
        first_name=first,
        last_name=last,
        middle_name=middle,
        birthday=record.birthday,
        phones=phones,
        emails=emails,
        gender=infer_gender(first, last, middle),
    )


def to_people(records: Iterable[DupeRecord], region: str = "RU") -> list[Person]:
    """``to_person`` for every record."""
    return [to_person(record, region) for record in records]


def truth_of(records: Iterable[DupeRecord]) -> dict[int, int]:
    """Card id → person."""
    return {record.id: record.truth for record in records}


def true_pairs(truth: Mapping[int, int]) -> int:
    """How many pairs of cards belong to the same person."""
    return sum(k * (k - 1) // 2 for k in Counter(truth.values()).values())


def score_pairs(
    found: Iterable[tuple[int, int]], truth: Mapping[int, int]
) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of the pairs found, over all true duplicate pairs."""
    pairs = {(min(a, b), max(a, b)) for a, b in found if a != b}
    hits = sum(1 for a, b in pairs if truth[a] == truth[b])
    total = true_pairs(truth)
    precision = hits / len(pairs) if pairs else 1.0
    recall = hits / total if total else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
