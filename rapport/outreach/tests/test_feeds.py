"""The calendar feed (the token is the login) and the client's vCard, with their scopes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import icalendar
import pytest
from django.http import Http404
from django.test import Client as Browser
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import User
from rapport.accounts.services import calendar_token_reset
from rapport.clients.models import Client
from rapport.clients.services import contact_point_add
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Touchpoint
from rapport.outreach.views.feeds import calendar_feed
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def point(client: Client, assignee: User | None, due_on: date, **extra: Any) -> Touchpoint:
    fields: dict[str, Any] = {
        "occasion": "client_birthday",
        "category": "personal",
        "channel": "whatsapp",
        "priority": 90,
        "is_fixed": True,
        "reason": {"age": 30, "first_name": client.first_name},
        **extra,
    }
    return Touchpoint.objects.create(
        client=client,
        store=client.store,
        assignee=assignee,
        due_on=due_on,
        window_start=due_on,
        window_end=due_on + timedelta(days=1),
        **fields,
    )


def logged_in(user: User) -> Browser:
    browser = Browser()
    browser.force_login(user)
    return browser


def feed_url(user: User) -> str:
    return reverse("outreach:calendar_feed", kwargs={"token": user.calendar_token})


def uids(body: str) -> list[str]:
    calendar = icalendar.Calendar.from_ical(body)
    return [str(event["UID"]) for event in calendar.walk("VEVENT")]


def english(user: User) -> None:
    user.language = "en"
    user.save(update_fields=["language"])


def test_settings_first_offer_to_create_the_address_then_show_it(world: World) -> None:
    browser = logged_in(world.owner)
    url = reverse("outreach:calendar_settings")
    page = browser.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["feed_url"] == ""
    assert b"webcal://" not in page.content

    response = browser.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == url
    world.owner.refresh_from_db()
    assert len(world.owner.calendar_token) == 43

    page = browser.get(url, HTTP_ACCEPT_LANGUAGE="en")
    expected = f"http://testserver/calendar/{world.owner.calendar_token}.ics"
    assert page.context["feed_url"] == expected
    assert (
        page.context["webcal_url"]
        == f"webcal://testserver/calendar/{world.owner.calendar_token}.ics"
    )
    assert f'value="{expected}"'.encode() in page.content
    assert f'href="webcal://testserver/calendar/{world.owner.calendar_token}.ics"'.encode() in (
        page.content
    )


def test_settings_need_a_login(world: World) -> None:
    response = Browser().get(reverse("outreach:calendar_settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_feed_lists_only_the_consultants_planned_contacts_in_the_window(
    world: World, django_assert_num_queries: Any
) -> None:
    today = timezone.localdate()
    calendar_token_reset(user=world.owner)
    english(world.owner)
    mine = point(world.client, world.owner, today + timedelta(days=2))
    first = point(world.client, world.owner, today - timedelta(days=7), occasion="feedback",
                  category="useful", reason={"visit_date": "2026-05-01"})  # fmt: skip
    last = point(world.client, world.owner, today + timedelta(days=90))
    point(world.client, world.owner, today - timedelta(days=8))
    point(world.client, world.owner, today + timedelta(days=91))
    point(world.client, world.owner, today, status=TouchpointStatus.DONE)
    point(world.client, world.owner, today, status=TouchpointStatus.CANCELLED)
    theirs = make_client(world.colleague, world.store, first_name="Вера", last_name="Петрова")
    point(theirs, world.colleague, today + timedelta(days=1))
    point(world.client, None, today + timedelta(days=1))

    with django_assert_num_queries(3):
        response = Browser().get(feed_url(world.owner))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    body = response.content.decode()
    assert uids(body) == [f"touchpoint-{p.pk}@rapport" for p in (first, mine, last)]
    card = f"http://testserver/clients/{world.client.pk}/"
    event: Any = icalendar.Calendar.from_ical(body).walk("VEVENT")[1]
    assert str(event["SUMMARY"]) == "Анна Иванова — Birthday"
    day = today + timedelta(days=2)
    when = f"{day.day} {MONTHS[day.month - 1]}"
    assert str(event["DESCRIPTION"]) == f"Turns 30 on {when}\n{card}"
    assert str(event["URL"]) == card
    assert event["CATEGORIES"].cats == ["Personal"]
    assert event["DTSTART"].dt == day
    assert event["DTEND"].dt == day + timedelta(days=1)
    assert "X-WR-CALNAME:Rapport: my contacts\r\n" in body


def test_a_colleagues_token_shows_only_the_colleagues_contacts(world: World) -> None:
    today = timezone.localdate()
    calendar_token_reset(user=world.colleague)
    point(world.client, world.owner, today)
    theirs = make_client(world.colleague, world.store, first_name="Вера", last_name="Петрова")
    their_point = point(theirs, world.colleague, today)
    body = Browser().get(feed_url(world.colleague)).content.decode()
    assert uids(body) == [f"touchpoint-{their_point.pk}@rapport"]
    assert "Анна" not in body


def test_contacts_left_in_a_store_the_consultant_no_longer_works_in_are_not_listed(
    world: World,
) -> None:
    calendar_token_reset(user=world.stranger)
    point(world.client, world.stranger, timezone.localdate())
    body = Browser().get(feed_url(world.stranger)).content.decode()
    assert uids(body) == []


def test_resetting_the_token_retires_the_old_address(world: World) -> None:
    old = calendar_token_reset(user=world.owner)
    old_url = feed_url(world.owner)
    assert Browser().get(old_url).status_code == 200
    new = calendar_token_reset(user=world.owner)
    assert new != old
    assert Browser().get(old_url).status_code == 404
    assert Browser().get(feed_url(world.owner)).status_code == 200


def test_unknown_blank_and_deactivated_tokens_open_nothing(world: World) -> None:
    assert Browser().get("/calendar/nonsense.ics").status_code == 404
    request = RequestFactory().get("/calendar/.ics")
    with pytest.raises(Http404):
        calendar_feed(request, "")
    calendar_token_reset(user=world.owner)
    url = feed_url(world.owner)
    world.owner.is_active = False
    world.owner.save(update_fields=["is_active"])
    assert Browser().get(url).status_code == 404


def test_the_feed_is_read_only(world: World) -> None:
    calendar_token_reset(user=world.owner)
    assert Browser().post(feed_url(world.owner)).status_code == 405


def test_the_vcard_of_a_client(world: World) -> None:
    client = world.client
    client.middle_name = "Сергеевна"
    client.birthday = date(1990, 5, 14)
    client.save(update_fields=["middle_name", "birthday"])
    contact_point_add(actor=world.owner, client=client, kind="phone", value="+7 495 123-45-67")
    response = logged_in(world.owner).get(reverse("outreach:client_vcard", args=[client.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D0%90%D0%BD%D0%BD%D0%B0%20"
        "%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%B0.vcf"
    )
    assert response.content.decode() == (
        "BEGIN:VCARD\r\n"
        "VERSION:3.0\r\n"
        "N:Иванова;Анна;Сергеевна;;\r\n"
        "FN:Анна Сергеевна Иванова\r\n"
        "TEL;TYPE=CELL:+79161234567\r\n"
        "TEL;TYPE=CELL:+74951234567\r\n"
        "EMAIL;TYPE=INTERNET:anna@example.ru\r\n"
        "BDAY:1990-05-14\r\n"
        f"NOTE:http://testserver/clients/{client.pk}/\r\n"
        "END:VCARD\r\n"
    )


def test_the_vcard_follows_the_client_scope(world: World) -> None:
    url = reverse("outreach:client_vcard", args=[world.client.pk])
    assert logged_in(world.colleague).get(url).status_code == 200
    assert logged_in(world.manager).get(url).status_code == 200
    assert logged_in(world.admin).get(url).status_code == 200
    assert logged_in(world.stranger).get(url).status_code == 404
    anonymous = Browser().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
