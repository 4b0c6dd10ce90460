"""Normalisation of what people type about a client: names, phone numbers, e-mails, handles.

Pure functions, no Django: the client card, the search box, imports and the duplicate matcher all
use the same rules, so a number typed as ``8 (916) 123-45-67`` at the till finds the card whose
number was imported as ``+7 916 123 45 67``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

# --- names ------------------------------------------------------------------------------------

_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "ch", "ш": "sh", "щ": "sh",
    "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i", "ї": "i", "є": "e",
}  # fmt: skip
# Latin spellings of Russian names vary by scheme (GOST, ICAO, passports of different years,
# English habits). Each alternation below folds the variants into one spelling of the skeleton.
_LATIN_FOLDS = [
    ("shch", "sh"), ("sch", "sh"), ("tch", "ch"), ("kh", "h"), ("ts", "c"), ("tz", "c"),
    ("yu", "iu"), ("ju", "iu"), ("ya", "ia"), ("ja", "ia"), ("yo", "e"), ("jo", "e"),
    ("ye", "e"), ("je", "e"), ("ph", "f"), ("x", "ks"), ("w", "v"), ("q", "k"), ("y", "i"),
    ("j", "i"),
]  # fmt: skip
_LATIN_FOLD_RE = re.compile("|".join(re.escape(src) for src, _ in _LATIN_FOLDS))
_LATIN_FOLD_MAP = dict(_LATIN_FOLDS)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_REPEATED_I = re.compile(r"i{2,}")
_SPACES = re.compile(r"\s+")


def name_skeleton(text: str) -> str:
    """One spelling-independent key for a name in Cyrillic or Latin letters, in any case.

    ``Юлия``, ``юлия``, ``Yulia``, ``Julia`` and ``Iuliia`` all give ``iulia``;
    ``Фёдор`` and ``Fyodor`` give ``fedor``. Used for search and matching, never shown.
    """
    lowered = unicodedata.normalize("NFKC", text).casefold()
    latin = "".join(_CYR_TO_LAT.get(char, char) for char in lowered)
    latin = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode("ascii")
    latin = _NOT_ALNUM.sub("", latin)
    folded = _LATIN_FOLD_RE.sub(lambda match: _LATIN_FOLD_MAP[match.group(0)], latin)
    return _REPEATED_I.sub("i", folded)


def clean_name(text: str) -> str:
    """A name as it should be shown: trimmed, single-spaced, each part capitalised.

    ``  анна-мария  ИВАНОВА `` becomes ``Анна-Мария Иванова``. A name typed with mixed case on
    purpose (``McDonald``, ``deMarco``) is kept as typed.
    """
    text = _SPACES.sub(" ", text).strip()
    return "-".join(
        " ".join(_clean_word(word) for word in part.split(" ")) for part in text.split("-")
    )


def _clean_word(word: str) -> str:
    if word != word.lower() and word != word.upper():
        return word
    return word[:1].upper() + word[1:].lower()


# --- phones -----------------------------------------------------------------------------------


class InvalidPhone(ValueError):
    """A phone number that cannot be a real number; ``reason`` is a short machine code."""

    def __init__(self, reason: str, raw: str) -> None:
        super().__init__(f"{reason}: {raw!r}")
        self.reason = reason
        self.raw = raw


def normalize_phone(raw: str, region: str) -> str:
    """The number in E.164 (``+79161234567``), reading national formats by the store's region.

    Raises ``InvalidPhone`` with reason ``empty``, ``unreadable``, ``too_short``, ``too_long`` or
    ``invalid`` (a number no operator uses).
    """
    text = raw.strip()
    if not text:
        raise InvalidPhone("empty", raw)
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as exc:
        reasons = {
            phonenumbers.NumberParseException.TOO_SHORT_NSN: "too_short",
            phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
            phonenumbers.NumberParseException.TOO_LONG: "too_long",
        }
        raise InvalidPhone(reasons.get(exc.error_type, "unreadable"), raw) from exc
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible == phonenumbers.ValidationResult.TOO_SHORT:
        raise InvalidPhone("too_short", raw)
    if possible == phonenumbers.ValidationResult.TOO_LONG:
        raise InvalidPhone("too_long", raw)
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("invalid", raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str, region: str) -> str:
    """A stored number for people: national format at home, international abroad."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if phonenumbers.region_code_for_number(number) == region.upper():
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_digits(text: str) -> str:
    """Only the digits of what was typed."""
    return "".join(char for char in text if char.isdigit())


def phone_suffix_key(e164: str) -> str:
    """The national digits reversed: a prefix search on it finds a number by its last digits."""
    number = phonenumbers.parse(e164, None)
    return str(number.national_number)[::-1]


# --- e-mail and handles -----------------------------------------------------------------------

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidEmail(ValueError):
    """An e-mail address that cannot be delivered to."""


def normalize_email(raw: str) -> str:
    """An e-mail address trimmed and lower-cased (mail servers treat case as insignificant)."""
    text = raw.strip().lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    if not _EMAIL_RE.match(text) or ".." in text:
        raise InvalidEmail(raw)
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.encode('idna').decode('ascii') if not domain.isascii() else domain}"


_TELEGRAM_RE = re.compile(r"^[a-z][a-z0-9_]{4,31}$")


class InvalidHandle(ValueError):
    """A messenger user name that the messenger would not accept."""


def normalize_telegram(raw: str) -> str:
    """A Telegram user name without ``@`` or the ``t.me/`` link around it, lower-cased."""
    text = raw.strip()
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    for prefix in ("t.me/", "telegram.me/", "@"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :]
    text = text.strip("/").lower()
    if not _TELEGRAM_RE.match(text):
        raise InvalidHandle(raw)
    return text


# --- search queries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a search box text means: a phone (full or a run of digits), an e-mail, or a name."""

    kind: str  # "phone", "phone_digits", "email", "name" or "empty"
    value: str = ""
    words: tuple[str, ...] = ()


def parse_search(text: str, region: str) -> SearchQuery:
    """Decide how to search for what a consultant typed into the search box."""
    text = text.strip()
    if not text:
        return SearchQuery("empty")
    if "@" in text and " " not in text:
        try:
            return SearchQuery("email", normalize_email(text))  # the form the cards store
        except InvalidEmail:
            return SearchQuery("email", text.lower())
    digits = phone_digits(text)
    letters = [char for char in text if char.isalpha()]
    if digits and not letters:
        if len(digits) >= 10:
            try:
                return SearchQuery("phone", normalize_phone(text, region))
            except InvalidPhone:
                pass
        return SearchQuery("phone_digits", digits)
    words = tuple(skeleton for part in text.split() if (skeleton := name_skeleton(part)))
    if not words:
        return SearchQuery("empty")
    return SearchQuery("name", " ".join(words), words)
