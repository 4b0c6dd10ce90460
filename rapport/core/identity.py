"""One client, one card: finding cards that belong to the same person.

Pure core, no Django. The shell loads cards as ``Person``s (names as typed, phones in E.164,
e-mails lower-cased — see ``rapport.core.normalize``), calls ``find_duplicates`` for the review
queue or ``compare`` at the till, and merges.

**Model.** Fellegi–Sunter: every field of a pair of cards falls into a level (same, similar,
different, missing) and adds its weight ``log2(m / u)`` in bits, where ``m`` is how often two cards
of one person are at that level and ``u`` how often two cards of different people are. The score
is the posterior ``1 / (1 + 2^-(prior + Σ weights))`` with the prior ``2^-20``: about one pair in a
million random pairs of a large book is a duplicate. Weights (bits), with the m and u behind them:

=========== ========================================= ========================================
field       agreement                                  disagreement
=========== ========================================= ========================================
phone       same number +18 (m .6, u 2e-6: households)  both have one, none shared −5 (m .03)
e-mail      same address +17 (m .5, u 4e-6)            both have one, none shared −2 (m .25)
first name  same +5.5 (u ≈ 2 %, a common name);        −4.5 (m .04, u .95)
            diminutive / equivalent +4 (Саша ~
            Александра); one typo +3 (only when a name
            is not in the table: Инна/Анна are two names)
last name   same +7.5 (u ≈ 0.5 %); one typo +5;        −4.5
            the other gender's form +0.5 (Иванов /
            Иванова: a family, rarely a typo)
patronymic  same +4 (u ≈ 1/30); initial or typo +2     −5 (siblings share it; a person does not
                                                        change it)
birthday    same +12.5 (u ≈ 1.6e-4); day and month     −9 (m .002: a wrong birthday is rarer
            swapped or one digit off +4                 than a namesake)
gender      same +1 (m .99, u .5)                      −6 (m .01)
=========== ========================================= ========================================

Two corrections keep the independence assumption honest where it is known to fail:

- **households**: members of a family share a phone (and often an e-mail) *and* a surname and
  often a patronymic. When a pair shares a phone, a shared e-mail adds only +2; when it shares
  a phone or an e-mail, surname and patronymic agreement add at most +1 (u ≈ 0.5 among
  phone-sharing pairs). The first name, the birthday and the gender are what tell a wife from
  her husband and a son from his father.
- **swapped first and last name** (Иванова Екатерина typed the other way round): the names are
  also compared crosswise, and the better reading wins at a cost of 1 bit.

With these, spouses sharing a phone (different first names, Иванов/Иванова, different gender)
score ≈ 0; namesakes with different phones and birthdays score ≈ 0; a father and a son with the
same name and patronymic on one phone are told apart only by their birthdays (without birthdays
they look like one person, and go to review, never to automatic merge).

**Blocking.** Only pairs sharing a key are compared: a phone, an e-mail, a birthday together with
any name token (the canonical keys of either name, the family form of the surname — this also
catches swapped names and a typo in one of the names), and (first-name key, surname family,
patronymic). A key shared by more than ``MatchSettings.max_block`` cards (a shop's own number typed
as a placeholder) proposes nothing. A pair that agrees exactly on none of these is never seen.

**Speed.** ``find_duplicates`` runs on columns (``find_duplicates_frame``, polars + NumPy): name
comparisons are computed once per distinct pair of names, everything else in vector operations;
only the pairs above the review threshold are re-compared one by one to give their evidence.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl
from rapidfuzz.distance import OSA, JaroWinkler

from rapport.core.nicknames import skeleton_gender, skeleton_keys, skeleton_known
from rapport.core.normalize import name_skeleton

# --- public data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """One card, already normalised by the caller (phones in E.164, e-mails lower-cased)."""

    id: int
    first_name: str
    last_name: str = ""
    middle_name: str = ""
    birthday: date | None = None
    phones: tuple[str, ...] = ()  # E.164
    emails: tuple[str, ...] = ()  # normalised (lower case)
    gender: str = ""  # "f", "m" or ""


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Thresholds on the score, and the largest block of cards sharing one key."""

    review: float = 0.8  # score at/above which a pair goes to the review queue
    auto_merge: float = 0.995  # score at/above which a pair may be merged automatically
    max_block: int = 1000  # a key shared by more cards than this proposes no pair


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one field says about a pair; ``weight`` in bits (log2 of the likelihood ratio)."""

    field: str  # "phone", "email", "name", "birthday", "middle_name", "gender"
    verdict: str  # "same", "similar", "different", "missing"
    detail: str
    weight: float


@dataclass(frozen=True, slots=True)
class Match:
    """Two cards and the probability that they are one person, with the evidence."""

    a: int  # smaller id
    b: int  # larger id
    score: float
    evidence: tuple[Evidence, ...]


# --- the model --------------------------------------------------------------------------------

PRIOR_BITS = -20.0
SWAP_PENALTY = 1.0
HOUSEHOLD_CAP = 1.0  # surname/patronymic agreement when a phone or e-mail is shared
SECOND_CONTACT = 2.0  # a shared e-mail when the phone is shared too

# Levels: 0 missing, 1 same, 2 similar (diminutive / other gender form / initial / d-m swapped),
# 3 similar (one typo / one digit), 4 different. Weights in bits, indexed by level.
MISSING, SAME, CLOSE, TYPO, DIFFERENT = 0, 1, 2, 3, 4
W_PHONE = (0.0, 18.0, 0.0, 0.0, -5.0)
W_EMAIL = (0.0, 17.0, 0.0, 0.0, -2.0)
W_FIRST = (0.0, 5.5, 4.0, 3.0, -4.5)
W_LAST = (0.0, 7.5, 0.5, 5.0, -4.5)
W_MIDDLE = (0.0, 4.0, 2.0, 2.0, -5.0)
W_BIRTHDAY = (0.0, 12.5, 4.0, 4.0, -9.0)
W_GENDER = (0.0, 1.0, 0.0, 0.0, -6.0)
_VERDICTS = ("missing", "same", "similar", "similar", "different")


def probability(bits: float) -> float:
    """The posterior probability for a total weight in bits (prior included)."""
    if bits < -1000:
        return 0.0
    return 1.0 / (1.0 + math.pow(2.0, -bits))


# --- names ------------------------------------------------------------------------------------

_FEMININE_SURNAME = (("skaia", "ski"), ("ckaia", "cki"), ("aia", "oi"), ("ova", "ov"),
                     ("eva", "ev"), ("ina", "in"))  # fmt: skip
_MASCULINE_SURNAME = ("ski", "cki", "oi", "ov", "ev", "in")


@functools.lru_cache(maxsize=1 << 18)
def skeleton(text: str) -> str:
    """``name_skeleton`` with a cache: a book has far fewer distinct names than cards."""
    return name_skeleton(text)


@functools.lru_cache(maxsize=1 << 18)
def family_key(surname_skeleton: str) -> str:
    """The masculine form of a Russian surname's skeleton: ivanova → ivanov, tolstaia → tolstoi."""
    for feminine, masculine in _FEMININE_SURNAME:
        if surname_skeleton.endswith(feminine) and len(surname_skeleton) > len(feminine) + 1:
            return surname_skeleton[: -len(feminine)] + masculine
    return surname_skeleton


def surname_gender(surname_skeleton: str) -> str:
    """ "f" for Иванова/Вишневская, "m" for Иванов/Вишневский, "" when the form does not say."""
    if len(surname_skeleton) < 5:
        return ""
    if any(surname_skeleton.endswith(f) for f, _ in _FEMININE_SURNAME):
        return "f"
    if surname_skeleton.endswith(_MASCULINE_SURNAME):
        return "m"
    return ""


def infer_gender(first_name: str, last_name: str = "", middle_name: str = "") -> str:
    """The gender a card's names imply: patronymic first, then first name, then surname form."""
    middle = skeleton(middle_name)
    if middle.endswith(("vna", "chna")):
        return "f"
    if middle.endswith(("vich", "ich")):
        return "m"
    return skeleton_gender(skeleton(first_name)) or surname_gender(skeleton(last_name))


def _similar(x: str, y: str) -> bool:
    """One typo apart: one edit (transposition counts as one) between the skeletons of names
    of at least 4 letters, or two edits with Jaro–Winkler ≥ 0.9 for long names."""
    shortest = min(len(x), len(y))
    if shortest < 4:
        return False
    distance = OSA.distance(x, y, score_cutoff=2)
    if distance <= 1:
        return True
    return distance == 2 and shortest >= 7 and JaroWinkler.similarity(x, y) >= 0.9


@functools.lru_cache(maxsize=1 << 20)
def first_level(x: str, y: str) -> int:
    """How two first names (skeletons) compare: SAME, CLOSE (one may stand for the other),
    TYPO (one typo, and the table does not know both as names), DIFFERENT or MISSING."""
    if not x or not y:
        return MISSING
    if x == y:
        return SAME
    if skeleton_keys(x) & skeleton_keys(y):
        return CLOSE
    if not (skeleton_known(x) and skeleton_known(y)) and _similar(x, y):
        return TYPO
    return DIFFERENT


@functools.lru_cache(maxsize=1 << 20)
def last_level(x: str, y: str) -> int:
    """How two surnames (skeletons) compare: SAME, CLOSE (the other gender's form of one family),
    TYPO, DIFFERENT or MISSING."""
    if not x or not y:
        return MISSING
    if x == y:
        return SAME
    if family_key(x) == family_key(y):
        return CLOSE
    if _similar(x, y) or _similar(family_key(x), family_key(y)):
        return TYPO
    return DIFFERENT


@functools.lru_cache(maxsize=1 << 18)
def middle_level(x: str, y: str) -> int:
    """How two patronymics (skeletons) compare: SAME, CLOSE (an initial), TYPO, DIFFERENT."""
    if not x or not y:
        return MISSING
    if x == y:
        return SAME
    if (len(x) == 1 or len(y) == 1) and x[0] == y[0]:
        return CLOSE
    if _similar(x, y):
        return TYPO
    return DIFFERENT


def _digits(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def birthday_level(x: date | None, y: date | None) -> int:
    """SAME, CLOSE (day and month swapped), TYPO (one digit of DDMMYYYY off), DIFFERENT."""
    if x is None or y is None:
        return MISSING
    if x == y:
        return SAME
    if x.year == y.year and x.day == y.month and x.month == y.day:
        return CLOSE
    a, b = _digits(x), _digits(y)
    differing = sum((a // 10**k) % 10 != (b // 10**k) % 10 for k in range(8))
    return TYPO if differing == 1 else DIFFERENT


def _set_level(x: Sequence[str], y: Sequence[str]) -> int:
    xs, ys = {v for v in x if v}, {v for v in y if v}
    if not xs or not ys:
        return MISSING
    return SAME if xs & ys else DIFFERENT


# --- one pair ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Names:
    first: str
    last: str
    middle: str

    @classmethod
    def of(cls, person: Person) -> _Names:
        return cls(
            skeleton(person.first_name), skeleton(person.last_name), skeleton(person.middle_name)
        )


def _name_weights(first: int, last: int, shared: bool) -> float:
    w_last = W_LAST[last]
    if shared:
        w_last = min(w_last, HOUSEHOLD_CAP)
    return W_FIRST[first] + w_last


_FIRST_DETAIL = ("missing", "same", "diminutive", "one typo", "different")
_LAST_DETAIL = ("missing", "same", "other gender form of one family", "one typo", "different")
_MIDDLE_DETAIL = ("missing", "same", "initial", "one typo", "different")
_BIRTHDAY_DETAIL = ("missing", "same", "day and month swapped", "one digit off", "different")


def compare(a: Person, b: Person) -> Match:
    """The score of two cards and the evidence for it, field by field (symmetric)."""
    if b.id < a.id:
        a, b = b, a
    na, nb = _Names.of(a), _Names.of(b)
    phone = _set_level(a.phones, b.phones)
    email = _set_level(a.emails, b.emails)
    shared = phone == SAME or email == SAME
    w_email = SECOND_CONTACT if phone == SAME and email == SAME else W_EMAIL[email]
    first, last = first_level(na.first, nb.first), last_level(na.last, nb.last)
    swapped = ""  # "", "a" (a's names were typed the other way round) or "b"
    w_names = _name_weights(first, last, shared)
    if not (first == SAME and last == SAME):
        # Crosswise: either card may be the swapped one, which says which pair are first names.
        for card, f, la in (
            ("b", first_level(na.first, nb.last), last_level(na.last, nb.first)),
            ("a", first_level(na.last, nb.first), last_level(na.first, nb.last)),
        ):
            w_swapped = _name_weights(f, la, shared) - SWAP_PENALTY
            if w_swapped > w_names:
                first, last, swapped, w_names = f, la, card, w_swapped
    middle = middle_level(na.middle, nb.middle)
    w_middle = min(W_MIDDLE[middle], HOUSEHOLD_CAP) if shared else W_MIDDLE[middle]
    birthday = birthday_level(a.birthday, b.birthday)
    gender = _set_level(_gender(a), _gender(b))

    w_last = W_LAST[last] if not shared else min(W_LAST[last], HOUSEHOLD_CAP)
    names = {
        "": (a.first_name, b.first_name, a.last_name, b.last_name),
        "a": (a.last_name, b.first_name, a.first_name, b.last_name),
        "b": (a.first_name, b.last_name, a.last_name, b.first_name),
    }
    a_first, b_first, a_last, b_last = names[swapped]
    swap_note = " (first and last name swapped)" if swapped else ""
    evidence = (
        Evidence("phone", _VERDICTS[phone], _contact_detail(a.phones, b.phones), W_PHONE[phone]),
        Evidence("email", _VERDICTS[email], _contact_detail(a.emails, b.emails), w_email),
        Evidence("name", _VERDICTS[first],
                 f"first name: {a_first} ~ {b_first} ({_FIRST_DETAIL[first]}){swap_note}",
                 W_FIRST[first] - (SWAP_PENALTY if swapped else 0.0)),
        Evidence("name", _VERDICTS[last],
                 f"last name: {a_last} ~ {b_last} ({_LAST_DETAIL[last]})"
                 + (" (household: counted once)" if shared and W_LAST[last] > w_last else ""),
                 w_last),
        Evidence("middle_name", _VERDICTS[middle],
                 f"{a.middle_name or '—'} ~ {b.middle_name or '—'} ({_MIDDLE_DETAIL[middle]})",
                 w_middle),
        Evidence("birthday", _VERDICTS[birthday],
                 f"{a.birthday or '—'} ~ {b.birthday or '—'} ({_BIRTHDAY_DETAIL[birthday]})",
                 W_BIRTHDAY[birthday]),
        Evidence("gender", _VERDICTS[gender], f"{a.gender or '—'} ~ {b.gender or '—'}",
                 W_GENDER[gender]),
    )  # fmt: skip
    bits = (
        PRIOR_BITS
        + W_PHONE[phone]
        + w_email
        + w_names
        + w_middle
        + W_BIRTHDAY[birthday]
        + W_GENDER[gender]
    )
    return Match(a.id, b.id, probability(bits), evidence)


def _gender(person: Person) -> tuple[str, ...]:
    return (person.gender,) if person.gender in ("f", "m") else ()


def _contact_detail(x: Sequence[str], y: Sequence[str]) -> str:
    shared = sorted(set(x) & set(y))
    if shared:
        return ", ".join(shared)
    return f"{', '.join(x) or '—'} ~ {', '.join(y) or '—'}"


# --- blocking ---------------------------------------------------------------------------------


def _tokens(name_skeleton_: str) -> frozenset[str]:
    if not name_skeleton_:
        return frozenset()
    return skeleton_keys(name_skeleton_) | {family_key(name_skeleton_)}


def blocking_keys(person: Person) -> frozenset[str]:
    """The keys that put a card in a block; two cards are compared only if they share one."""
    names = _Names.of(person)
    keys = {f"p:{phone}" for phone in person.phones}
    keys |= {f"e:{email}" for email in person.emails}
    if person.birthday is not None:
        day = person.birthday.toordinal()
        keys |= {f"b:{day}:{token}" for token in _tokens(names.first) | _tokens(names.last)}
    if names.middle:
        for first, last in ((names.first, names.last), (names.last, names.first)):
            if first and last:
                family = family_key(last)
                keys |= {f"m:{key}:{family}:{names.middle}" for key in skeleton_keys(first)}
    return frozenset(keys)


# --- many cards -------------------------------------------------------------------------------

FRAME_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "first_name": pl.String(),
    "last_name": pl.String(),
    "middle_name": pl.String(),
    "birthday": pl.Date(),
    "phones": pl.List(pl.String),
    "emails": pl.List(pl.String),
    "gender": pl.String(),
}


def people_frame(people: Iterable[Person]) -> pl.DataFrame:
    """Cards as the columns ``find_duplicates_frame`` reads (``FRAME_SCHEMA``)."""
    cards = list(people)
    scalar: dict[str, list[Any]] = {
        "id": [p.id for p in cards],
        "first_name": [p.first_name for p in cards],
        "last_name": [p.last_name for p in cards],
        "middle_name": [p.middle_name for p in cards],
        "birthday": [p.birthday for p in cards],
    }
    frame = pl.DataFrame(scalar, schema={k: FRAME_SCHEMA[k] for k in scalar})
    # List columns built from flat (row, value) pairs: far faster than from Python lists.
    for column in ("phones", "emails"):
        rows, values = [], []
        for row, person in enumerate(cards):
            for value in getattr(person, column):
                rows.append(row)
                values.append(value)
        lists = (
            pl.DataFrame({"row": rows, "v": values}, schema={"row": pl.Int64, "v": pl.String})
            .group_by("row")
            .agg(pl.col("v").alias(column))
        )
        frame = (
            frame.with_row_index("row")
            .with_columns(pl.col("row").cast(pl.Int64))
            .join(lists, on="row", how="left")
            .sort("row")
            .drop("row")
            .with_columns(pl.col(column).fill_null(pl.lit([], dtype=pl.List(pl.String))))
        )
    frame = frame.with_columns(pl.Series("gender", [p.gender for p in cards], dtype=pl.String))
    return frame.select(list(FRAME_SCHEMA))


class _Vocabulary:
    """Strings to dense ids, in order of first sight."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def id(self, text: str) -> int:
        found = self.ids.get(text)
        if found is None:
            found = self.ids[text] = len(self.ids)
        return found


def _csr(lists: Sequence[Iterable[int]]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    flat: list[int] = []
    for i, items in enumerate(lists):
        flat.extend(items)
        offsets[i + 1] = len(flat)
    return offsets, np.asarray(flat, dtype=np.int64)


def _gather(codes: np.ndarray, offsets: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each row i and each value v of the list ``codes[i]`` points at: (i, v)."""
    counts = offsets[codes + 1] - offsets[codes]
    rows = np.repeat(np.arange(codes.size, dtype=np.int64), counts)
    starts = np.repeat(offsets[codes] - (np.cumsum(counts) - counts), counts)
    return rows, values[starts + np.arange(rows.size, dtype=np.int64)]


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _mix(*parts: np.ndarray) -> np.ndarray:
    """A 64-bit hash of integer tuples (collisions only propose an extra pair to compare)."""
    out = np.full(parts[0].shape, 0x243F6A8885A308D3, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for part in parts:
            out = (out ^ part.astype(np.uint64)) * _MIX
            out ^= out >> np.uint64(29)
    return out


def _pairs_in_blocks(keys: np.ndarray, rows: np.ndarray, max_block: int) -> np.ndarray:
    """Every pair of rows sharing a key, as ``row_a << 32 | row_b`` (row_a < row_b), unique."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.uint64)
    frame = pl.DataFrame({"k": keys.astype(np.uint64), "r": rows.astype(np.uint32)}).unique()
    sizes = frame.group_by("k").len()
    keep = sizes.filter((pl.col("len") >= 2) & (pl.col("len") <= max_block)).select("k")
    frame = frame.join(keep, on="k", how="semi")
    joined = frame.join(frame, on="k", suffix="_b").filter(pl.col("r") < pl.col("r_b"))
    codes = joined.select(
        (pl.col("r").cast(pl.UInt64) * (1 << 32) + pl.col("r_b").cast(pl.UInt64)).alias("c")
    )["c"].to_numpy()
    return np.unique(codes)


def _pair_levels(
    xa: np.ndarray, xb: np.ndarray, strings: Sequence[str], level: Callable[[str, str], int]
) -> np.ndarray:
    """``level`` for each pair of string ids, computed once per distinct (unordered) pair."""
    lo, hi = np.minimum(xa, xb), np.maximum(xa, xb)
    combined = lo.astype(np.int64) * np.int64(len(strings) + 1) + hi
    distinct, inverse = np.unique(combined, return_inverse=True)
    width = len(strings) + 1
    levels = np.fromiter(
        (level(strings[int(c // width)], strings[int(c % width)]) for c in distinct),
        dtype=np.int8,
        count=distinct.size,
    )
    return levels[inverse]


def find_duplicates_frame(
    frame: pl.DataFrame,
    *,
    settings: MatchSettings = MatchSettings(),
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pl.DataFrame, int]:
    """Pairs of cards scoring at least ``settings.review``, by columns.

    ``frame`` has the columns of ``FRAME_SCHEMA``: ``id`` (unique), ``first_name``,
    ``last_name``, ``middle_name`` (as typed; "" when unknown), ``birthday`` (date or null),
    ``phones`` and ``emails`` (lists of normalised strings), ``gender`` ("f", "m" or "").
    Returns a frame ``a``, ``b`` (ids, a < b), ``score``, sorted by score descending, and the
    number of pairs compared. Scores equal ``compare``'s exactly. ``progress(step, 6)`` is
    called after each of the six steps.
    """
    steps = 6

    def tick(step: int) -> None:
        if progress is not None:
            progress(step, steps)

    frame = frame.select(
        pl.col("id").cast(pl.Int64),
        *(pl.col(c).fill_null("").cast(pl.String) for c in ("first_name", "last_name",
                                                            "middle_name", "gender")),
        pl.col("birthday").cast(pl.Date),
        *(pl.col(c).fill_null([]).list.eval(pl.element().filter(pl.element() != ""))
          for c in ("phones", "emails")),
    )  # fmt: skip
    n = frame.height
    ids = frame["id"].to_numpy()
    if n < 2:
        tick(steps)
        return pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64, "score": pl.Float64}), 0

    # Names: one skeleton per distinct spelling, then dense ids of skeletons.
    names = _Vocabulary()
    names.id("")  # id 0 is the empty name
    name_codes: dict[str, np.ndarray] = {}
    for column in ("first_name", "last_name", "middle_name"):
        series = frame[column]
        distinct = series.unique().to_list()
        mapped = [names.id(skeleton(text)) for text in distinct]
        name_codes[column] = series.replace_strict(
            distinct, mapped, return_dtype=pl.Int64
        ).to_numpy()
    strings = list(names.ids)
    first, last, middle = (name_codes[c] for c in ("first_name", "last_name", "middle_name"))
    tick(1)

    # Blocking keys: kind-tagged so that no two kinds collide.
    tokens = _Vocabulary()
    name_tokens = _csr([[tokens.id(t) for t in sorted(_tokens(s))] for s in strings])
    name_keys = _csr([[tokens.id(k) for k in sorted(skeleton_keys(s))] for s in strings])
    family = np.asarray([tokens.id(family_key(s)) if s else -1 for s in strings], dtype=np.int64)

    contact_rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for column in ("phones", "emails"):
        exploded = (
            frame.select(pl.int_range(n, dtype=pl.Int64).alias("r"), pl.col(column).alias("v"))
            .explode("v")
            .drop_nulls("v")
            .unique()
        )
        dense = exploded.select(pl.col("v").rank("dense").cast(pl.Int64))["v"].to_numpy()
        contact_rows[column] = (dense, exploded["r"].to_numpy())
    phone_pairs = _pairs_in_blocks(*contact_rows["phones"], settings.max_block)
    email_pairs = _pairs_in_blocks(*contact_rows["emails"], settings.max_block)

    birthday = frame["birthday"].cast(pl.Int32).fill_null(-(1 << 30)).to_numpy().astype(np.int64)
    has_birthday = frame["birthday"].is_not_null().to_numpy()
    born = np.flatnonzero(has_birthday)
    key_parts, row_parts = [], []
    for codes in (first[born], last[born]):
        rows, token = _gather(codes, *name_tokens)
        key_parts.append(_mix(np.full(rows.size, 1), birthday[born][rows], token))
        row_parts.append(born[rows])
    with_middle = np.flatnonzero(middle != 0)
    for a_codes, b_codes in ((first, last), (last, first)):
        candidates = with_middle[(a_codes[with_middle] != 0) & (b_codes[with_middle] != 0)]
        rows, key = _gather(a_codes[candidates], *name_keys)
        chosen = candidates[rows]
        key_parts.append(_mix(np.full(rows.size, 2), key, family[b_codes[chosen]], middle[chosen]))
        row_parts.append(chosen)
    other_pairs = _pairs_in_blocks(
        np.concatenate(key_parts), np.concatenate(row_parts), settings.max_block
    )
    pairs = np.union1d(np.union1d(phone_pairs, email_pairs), other_pairs)
    tick(2)

    ra = (pairs >> np.uint64(32)).astype(np.int64)
    rb = (pairs & np.uint64(0xFFFFFFFF)).astype(np.int64)
    # Phone and e-mail levels: shared means the pair met in a phone (e-mail) block.
    phone_count = frame["phones"].list.len().to_numpy()
    email_count = frame["emails"].list.len().to_numpy()
    phone = _contact_levels(pairs, phone_pairs, phone_count[ra], phone_count[rb])
    email = _contact_levels(pairs, email_pairs, email_count[ra], email_count[rb])
    shared = (phone == SAME) | (email == SAME)
    tick(3)

    # Names, straight and crosswise.
    w_first, w_last, w_middle = (np.asarray(w) for w in (W_FIRST, W_LAST, W_MIDDLE))
    f_lv = _pair_levels(first[ra], first[rb], strings, first_level)
    l_lv = _pair_levels(last[ra], last[rb], strings, last_level)
    w_names = w_first[f_lv] + np.where(
        shared, np.minimum(w_last[l_lv], HOUSEHOLD_CAP), w_last[l_lv]
    )
    cross = np.flatnonzero(~((f_lv == SAME) & (l_lv == SAME)))
    ca, cb = ra[cross], rb[cross]
    for f_a, l_a in ((first, last), (last, first)):  # b typed the other way round, then a
        sf = _pair_levels(f_a[ca], l_a[cb], strings, first_level)
        sl = _pair_levels(l_a[ca], f_a[cb], strings, last_level)
        w_swapped = (
            w_first[sf]
            + np.where(shared[cross], np.minimum(w_last[sl], HOUSEHOLD_CAP), w_last[sl])
            - SWAP_PENALTY
        )
        w_names[cross] = np.maximum(w_names[cross], w_swapped)
    m_lv = _pair_levels(middle[ra], middle[rb], strings, middle_level)
    w_mid = np.where(shared, np.minimum(w_middle[m_lv], HOUSEHOLD_CAP), w_middle[m_lv])
    tick(4)

    # Birthday and gender.
    b_lv = _birthday_levels(frame["birthday"], ra, rb, has_birthday)
    gender_codes = (
        frame["gender"]
        .replace_strict(["f", "m"], [1, 2], default=0, return_dtype=pl.Int8)
        .to_numpy()
    )
    ga, gb = gender_codes[ra], gender_codes[rb]
    g_lv = np.where((ga == 0) | (gb == 0), MISSING, np.where(ga == gb, SAME, DIFFERENT))
    tick(5)

    bits = (
        PRIOR_BITS
        + np.asarray(W_PHONE)[phone]
        + np.where((phone == SAME) & (email == SAME), SECOND_CONTACT, np.asarray(W_EMAIL)[email])
        + w_names
        + w_mid
        + np.asarray(W_BIRTHDAY)[b_lv]
        + np.asarray(W_GENDER)[g_lv]
    )
    # Scores through the scalar ``probability`` (bits take few distinct values): the same
    # floating-point result as ``compare``.
    distinct_bits, inverse = np.unique(bits, return_inverse=True)
    score = np.asarray([probability(float(b)) for b in distinct_bits], dtype=np.float64)[inverse]
    keep = score >= settings.review
    id_a, id_b = ids[ra[keep]], ids[rb[keep]]
    result = pl.DataFrame(
        {"a": np.minimum(id_a, id_b), "b": np.maximum(id_a, id_b), "score": score[keep]},
        schema={"a": pl.Int64, "b": pl.Int64, "score": pl.Float64},
    )
    result = result.sort(["score", "a", "b"], descending=[True, False, False])
    tick(6)
    return result, int(pairs.size)


def _contact_levels(
    pairs: np.ndarray, shared_pairs: np.ndarray, count_a: np.ndarray, count_b: np.ndarray
) -> np.ndarray:
    both = (count_a > 0) & (count_b > 0)
    level = np.where(both, DIFFERENT, MISSING).astype(np.int8)
    level[np.isin(pairs, shared_pairs, assume_unique=True)] = SAME
    return level


def _birthday_levels(
    column: pl.Series, ra: np.ndarray, rb: np.ndarray, has_birthday: np.ndarray
) -> np.ndarray:
    year = column.dt.year().fill_null(0).to_numpy().astype(np.int64)
    month = column.dt.month().fill_null(0).to_numpy().astype(np.int64)
    day = column.dt.day().fill_null(0).to_numpy().astype(np.int64)
    digits = year * 10_000 + month * 100 + day
    da, db = digits[ra], digits[rb]
    differing = np.zeros(ra.size, dtype=np.int64)
    for k in range(8):
        power = 10**k
        differing += (da // power) % 10 != (db // power) % 10
    swapped = (year[ra] == year[rb]) & (day[ra] == month[rb]) & (month[ra] == day[rb])
    level = np.full(ra.size, DIFFERENT, dtype=np.int8)
    level[differing == 1] = TYPO
    level[swapped & (differing != 0)] = CLOSE
    level[differing == 0] = SAME
    level[~(has_birthday[ra] & has_birthday[rb])] = MISSING
    return level


def find_duplicates(
    people: Iterable[Person],
    *,
    settings: MatchSettings = MatchSettings(),
    progress: Callable[[int, int], None] | None = None,
) -> list[Match]:
    """Pairs of cards scoring at least ``settings.review``, each pair once, best first, with
    their evidence (``compare`` of the pair)."""
    return find_duplicates_counted(people, settings=settings, progress=progress)[0]


def find_duplicates_counted(
    people: Iterable[Person],
    *,
    settings: MatchSettings = MatchSettings(),
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Match], int]:
    """``find_duplicates`` and the number of pairs the blocking proposed (compared)."""
    cards = {person.id: person for person in people}
    found, compared = find_duplicates_frame(
        people_frame(cards.values()), settings=settings, progress=progress
    )
    matches = [
        compare(cards[a], cards[b])
        for a, b in zip(found["a"].to_list(), found["b"].to_list(), strict=True)
    ]
    matches = [match for match in matches if match.score >= settings.review]
    matches.sort(key=lambda m: (-m.score, m.a, m.b))
    return matches, compared


def clusters(matches: Iterable[Match], *, threshold: float) -> list[tuple[int, ...]]:
    """Connected components of the pairs scoring at least ``threshold`` (cards that are one
    person if the pairs are right), each sorted, the list sorted; lone cards are left out."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for match in matches:
        if match.score >= threshold:
            ra, rb = root(match.a), root(match.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in parent:
        groups.setdefault(root(x), []).append(x)
    return sorted(tuple(sorted(group)) for group in groups.values())
