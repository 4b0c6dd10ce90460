"""The iCalendar feed and the vCard: exact output, folding, escaping, and parsed back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import icalendar
import vobject
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.calendar import CalEvent, VCardData, escape_text, fold, ics_calendar, vcard

NOW = datetime(2026, 5, 14, 9, 50, 7, tzinfo=UTC)
EVENT = CalEvent(
    id=42,
    day=date(2026, 5, 16),
    summary="Анна Иванова — Birthday",
    description="Turns 30; likes white gold\nhttps://rapport.example/clients/7/",
    url="https://rapport.example/clients/7/",
    category="Personal",
)


def test_an_exact_calendar() -> None:
    text = ics_calendar([EVENT], name="Rapport: Olga", now=NOW)
    assert text == (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        "PRODID:-//Rapport//Contact plan//EN\r\n"
        "CALSCALE:GREGORIAN\r\n"
        "METHOD:PUBLISH\r\n"
        "X-WR-CALNAME:Rapport: Olga\r\n"
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"
        "X-PUBLISHED-TTL:PT1H\r\n"
        "BEGIN:VEVENT\r\n"
        "UID:touchpoint-42@rapport\r\n"
        "DTSTAMP:20260514T095007Z\r\n"
        "DTSTART;VALUE=DATE:20260516\r\n"
        "DTEND;VALUE=DATE:20260517\r\n"
        "SUMMARY:Анна Иванова — Birthday\r\n"
        "DESCRIPTION:Turns 30\\; likes white gold\\nhttps://rapport.example/clients/7/\r\n"
        "URL:https://rapport.example/clients/7/\r\n"
        "CATEGORIES:Personal\r\n"
        "TRANSP:TRANSPARENT\r\n"
        "END:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    assert len(text.split("\r\n")[14].encode()) == 75  # the longest line that needs no fold


def test_an_empty_calendar_and_a_stamp_in_utc() -> None:
    moscow = timezone(timedelta(hours=3))
    text = ics_calendar([], name="x", now=datetime(2026, 1, 1, 2, 0, tzinfo=moscow))
    assert "BEGIN:VEVENT" not in text
    assert text.endswith("X-PUBLISHED-TTL:PT1H\r\nEND:VCALENDAR\r\n")
    one = ics_calendar([EVENT], name="x", now=datetime(2026, 1, 1, 2, 0, tzinfo=moscow))
    assert "DTSTAMP:20251231T230000Z\r\n" in one


def test_escaping() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf\rg\th\x07") == "a\\\\b\\;c\\,d\\ne\\nf\\ng h"


def test_folding_counts_octets_and_never_splits_a_character() -> None:
    assert fold("A" * 75) == "A" * 75
    assert fold("A" * 76) == "A" * 75 + "\r\n A"
    assert fold("A" * 150) == "A" * 75 + "\r\n " + "A" * 74 + "\r\n A"
    # 37 Cyrillic letters are 74 octets; the 38th would make 76.
    assert fold("Я" * 38) == "Я" * 37 + "\r\n Я"
    assert fold("A" + "Я" * 37) == "A" + "Я" * 37  # exactly 75 octets


@given(st.text(max_size=400))
def test_every_folded_line_fits_and_unfolds_back(text: str) -> None:
    line = "DESCRIPTION:" + escape_text(text)
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert folded.replace("\r\n ", "") == line


def test_the_feed_parses_back_with_icalendar() -> None:
    events = [
        EVENT,
        CalEvent(7, date(2026, 12, 31), "Ivan, Petrov; VIP", "Line 1\nLine 2, \\ done " * 5),
    ]
    text = ics_calendar(events, name="Мой, план", now=NOW)
    assert "\r\nX-WR-CALNAME:Мой\\, план\r\n" in text
    parsed = icalendar.Calendar.from_ical(text)
    found: list[Any] = parsed.walk("VEVENT")
    assert [str(e["UID"]) for e in found] == ["touchpoint-42@rapport", "touchpoint-7@rapport"]
    assert found[0]["DTSTART"].dt == date(2026, 5, 16)
    assert found[0]["DTEND"].dt == date(2026, 5, 17)
    assert str(found[0]["DESCRIPTION"]) == EVENT.description
    assert found[0]["CATEGORIES"].cats == ["Personal"]
    assert str(found[1]["SUMMARY"]) == "Ivan, Petrov; VIP"
    assert str(found[1]["DESCRIPTION"]) == "Line 1\nLine 2, \\ done " * 5
    assert found[1]["DTEND"].dt == date(2027, 1, 1)
    assert "URL" not in found[1] and "CATEGORIES" not in found[1]


CARD = VCardData(
    first_name="Анна",
    last_name="Иванова-Петрова",
    middle_name="Сергеевна",
    phones=("+79161234567", "+74951234567"),
    emails=("anna@example.ru",),
    birthday=date(1990, 5, 14),
    note="Prefers white gold; size 17, no pearls\nhttps://rapport.example/clients/7/",
    org="",
)


def test_an_exact_vcard() -> None:
    assert vcard(CARD) == (
        "BEGIN:VCARD\r\n"
        "VERSION:3.0\r\n"
        "N:Иванова-Петрова;Анна;Сергеевна;;\r\n"
        "FN:Анна Сергеевна Иванова-Петрова\r\n"
        "TEL;TYPE=CELL:+79161234567\r\n"
        "TEL;TYPE=CELL:+74951234567\r\n"
        "EMAIL;TYPE=INTERNET:anna@example.ru\r\n"
        "BDAY:1990-05-14\r\n"
        "NOTE:Prefers white gold\\; size 17\\, no pearls\\nhttps://rapport.example/clie\r\n"
        " nts/7/\r\n"
        "END:VCARD\r\n"
    )


def test_a_minimal_vcard_with_an_organisation() -> None:
    assert vcard(VCardData(first_name="Anna", org="Shop, Ltd")) == (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;Anna;;;\r\nFN:Anna\r\nORG:Shop\\, Ltd\r\nEND:VCARD\r\n"
    )


def test_the_vcard_parses_back_with_vobject() -> None:
    card: Any = vobject.readOne(vcard(CARD))
    assert card.n.value.family == "Иванова-Петрова"
    assert card.n.value.given == "Анна"
    assert card.n.value.additional == "Сергеевна"
    assert card.fn.value == "Анна Сергеевна Иванова-Петрова"
    assert [tel.value for tel in card.tel_list] == ["+79161234567", "+74951234567"]
    assert card.tel.params["TYPE"] == ["CELL"]
    assert card.email.value == "anna@example.ru"
    assert card.bday.value == "1990-05-14"
    assert card.note.value == CARD.note
