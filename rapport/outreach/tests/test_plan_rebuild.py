"""The contact plan is rebuilt by the services that change what it depends on."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from rapport.clients.choices import Channel, ConsentSource, ConsentStatus, Relation
from rapport.clients.services import (
    client_update,
    consent_set,
    relative_add,
    relative_remove,
)
from rapport.outreach.choices import Occasion, TouchpointStatus
from rapport.outreach.models import Touchpoint
from rapport.outreach.services import plan_rebuild
from rapport.sales.services import LineInput, purchase_record, visit_record
from rapport.testing import World, grant_consent

pytestmark = pytest.mark.django_db


def planned(world: World) -> list[Touchpoint]:
    return list(Touchpoint.objects.filter(client=world.client, status=TouchpointStatus.PLANNED))


def grant_whatsapp(world: World) -> None:
    grant_consent(world.client, actor=world.owner)


def test_without_consent_nothing_is_planned(world: World) -> None:
    assert planned(world) == []


def test_consent_on_a_reachable_channel_gives_a_plan_on_that_channel(world: World) -> None:
    grant_whatsapp(world)
    points = planned(world)
    assert points
    assert {p.channel for p in points} == {"whatsapp"}
    today = timezone.localdate()
    assert all(today <= p.due_on <= today + timedelta(days=365) for p in points)


def test_consent_on_a_channel_without_an_address_plans_nothing(world: World) -> None:
    world.client.contact_points.filter(kind="email").delete()
    consent_set(
        actor=world.owner,
        client=world.client,
        channel=Channel.EMAIL,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.WEB,
    )
    assert planned(world) == []


def test_withdrawing_consent_clears_the_plan(world: World) -> None:
    grant_whatsapp(world)
    consent_set(
        actor=world.owner,
        client=world.client,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.WITHDRAWN,
        source=ConsentSource.MESSAGE,
    )
    assert planned(world) == []


def test_a_childs_birthday_brings_a_gift_idea_and_removing_the_child_takes_it_away(
    world: World,
) -> None:
    client_update(actor=world.owner, client=world.client, status="regular")
    grant_whatsapp(world)
    today = timezone.localdate()
    birthday = today.replace(year=today.year - 7) + timedelta(days=40)
    child = relative_add(
        actor=world.owner,
        client=world.client,
        name="Маша",
        relation=Relation.CHILD,
        birthday=birthday,
    )
    about_masha = [p for p in planned(world) if p.relative_id == child.pk]
    assert [p.occasion for p in about_masha][:1] == [Occasion.RELATIVE_BIRTHDAY_GIFT]
    assert about_masha[0].due_on == today + timedelta(days=30)
    assert about_masha[0].reason["relative_name"] == "Маша"

    relative_remove(actor=world.owner, relative=child, reason="")
    remaining = planned(world)
    assert remaining
    assert all("Маша" not in str(p.reason) for p in remaining)


def test_a_visit_replans_from_what_really_happened(world: World) -> None:
    grant_whatsapp(world)
    visit_record(actor=world.owner, client=world.client, purpose="fitting")
    today = timezone.localdate()
    points = planned(world)
    assert points[0].occasion == Occasion.FEEDBACK
    assert points[0].due_on == today + timedelta(days=2)
    flexible = [p for p in points if not p.is_fixed and not p.may_break_min_gap]
    assert all(p.due_on >= today + timedelta(days=21) for p in flexible)


def test_a_purchase_replans_and_old_planned_rows_are_replaced(world: World) -> None:
    grant_whatsapp(world)
    purchase_record(
        actor=world.owner,
        client=world.client,
        lines=[LineInput(description="Кольцо", quantity=1, unit_price=Decimal("50000"))],
    )
    occasions = [p.occasion for p in planned(world)]
    assert occasions[0] == Occasion.THANK_YOU
    assert Occasion.CARE_TIPS in occasions
    before = Touchpoint.objects.count()
    plan_rebuild(client=world.client)
    assert Touchpoint.objects.count() == before


def test_the_card_shows_the_next_contacts(world: World) -> None:
    grant_whatsapp(world)
    browser = Browser()
    browser.force_login(world.owner)
    page = browser.get(reverse("clients:card", args=[world.client.pk]))
    shown = [p for month in page.context["plan_months"] for p in month.touchpoints]
    assert shown == [
        p
        for p in planned(world)
        if p.due_on < page.context["plan_months"][-1].start + timedelta(days=31)
    ]
    assert 'id="plan"' in page.content.decode()


def test_a_window_that_opened_earlier_is_offered_from_today_on_the_card(world: World) -> None:
    # Plans keep a window's start once it has passed (ADR 0003); the move form starts at today.
    grant_whatsapp(world)
    today = timezone.localdate()
    point = Touchpoint.objects.create(
        client=world.client, store=world.store, assignee=world.owner, occasion="service_due",
        category="useful", channel="whatsapp", due_on=today + timedelta(days=3),
        window_start=today - timedelta(days=4), window_end=today + timedelta(days=10),
    )  # fmt: skip
    browser = Browser()
    browser.force_login(world.owner)
    html = browser.get(reverse("clients:card", args=[world.client.pk])).content.decode()
    assert f'id="move-{point.pk}" name="due_on"' in html
    assert f'min="{today.isoformat()}" max="{(today + timedelta(days=10)).isoformat()}"' in html


def test_a_rebuild_for_a_past_day_keeps_done_touchpoints(world: World) -> None:
    grant_whatsapp(world)
    done = planned(world)[0]
    done.status = TouchpointStatus.DONE
    done.save()
    plan_rebuild(client=world.client, today=date.today())
    assert Touchpoint.objects.filter(pk=done.pk, status=TouchpointStatus.DONE).exists()
