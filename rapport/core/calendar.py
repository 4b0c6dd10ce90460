"""The consultant's contact plan as an iCalendar feed (RFC 5545) and a client as a vCard 3.0.

Pure functions, no Django. Both formats share the content-line rules: CRLF line ends, lines
folded at 75 octets (a continuation line starts with one space) without splitting a UTF-8
character, and text values escaped (backslash, semicolon, comma, new line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

CRLF = "\r\n"
LINE_OCTETS = 75
PRODID = "-//Rapport//Contact plan//EN"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class CalEvent:
    """One planned contact as an all-day calendar event."""

    id: int
    day: date
    summary: str
    description: str = ""
    url: str = ""
    category: str = ""


@dataclass(frozen=True, slots=True)
class VCardData:
    """What a phone's contact app needs to know about a client."""

    first_name: str
    last_name: str = ""
    middle_name: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    birthday: date | None = None
    note: str = ""
    org: str = ""


def escape_text(value: str) -> str:
    """A TEXT value: ``\\ ; ,`` escaped, any line break as ``\\n``, control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value.replace("\t", " "))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded into pieces of at most 75 octets, joined by CRLF + space."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1
        current.append(char)
        size += width
    pieces.append("".join(current))
    return (CRLF + " ").join(pieces)


def _lines(lines: Iterable[str]) -> str:
    return "".join(fold(line) + CRLF for line in lines)


def _utc_stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event_lines(event: CalEvent, stamp: str) -> list[str]:
    """The content lines of one all-day VEVENT."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:touchpoint-{event.id}@rapport",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{event.day + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        lines.append(f"URL:{_CONTROL.sub('', event.url).strip()}")
    if event.category:
        lines.append(f"CATEGORIES:{escape_text(event.category)}")
    lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    return lines


def ics_calendar(events: Iterable[CalEvent], *, name: str, now: datetime) -> str:
    """A VCALENDAR with one all-day VEVENT per event, in the order given."""
    stamp = _utc_stamp(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        lines += event_lines(event, stamp)
    lines.append("END:VCALENDAR")
    return _lines(lines)


def vcard(card: VCardData) -> str:
    """A vCard 3.0 (RFC 2426): what phones' contact apps import most reliably."""
    full_name = " ".join(p for p in (card.first_name, card.middle_name, card.last_name) if p)
    name_parts = (card.last_name, card.first_name, card.middle_name, "", "")
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "N:" + ";".join(escape_text(part) for part in name_parts),
        f"FN:{escape_text(full_name)}",
    ]
    if card.org:
        lines.append(f"ORG:{escape_text(card.org)}")
    lines += [f"TEL;TYPE=CELL:{escape_text(phone)}" for phone in card.phones if phone.strip()]
    lines += [f"EMAIL;TYPE=INTERNET:{escape_text(email)}" for email in card.emails if email.strip()]
    if card.birthday:
        lines.append(f"BDAY:{card.birthday:%Y-%m-%d}")
    if card.note:
        lines.append(f"NOTE:{escape_text(card.note)}")
    lines.append("END:VCARD")
    return _lines(lines)
