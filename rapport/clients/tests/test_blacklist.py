"""The blacklist: a flagged client gets no planned contacts, is flagged at the till, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from rapport.clients.choices import Channel, ConsentSource, ConsentStatus, TimelineKind
from rapport.clients.models import Client, TimelineEvent
from rapport.clients.services import client_blacklist, client_unblacklist, consent_set
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import Touchpoint
from rapport.outreach.planning import plan_input_for
from rapport.outreach.services import plan_rebuild, touchpoint_add
from rapport.testing import World

pytestmark = pytest.mark.django_db


def browser_for(user) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser()
    browser.force_login(user)
    return browser


@pytest.fixture
def reachable(world: World) -> Client:
    consent_set(
        actor=world.owner,
        client=world.client,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.VERBAL,
    )
    return world.client


def test_a_blacklisted_client_gets_no_touchpoints_and_the_flag_is_audited(
    world: World, reachable: Client
) -> None:
    # given a client with a plan and a contact planned by hand
    assert Touchpoint.objects.filter(client=reachable, is_manual=False).exists()
    manual = touchpoint_add(
        actor=world.owner,
        client=reachable,
        due_on=timezone.localdate() + timedelta(days=5),
        channel=Channel.WHATSAPP,
    )

    # when a manager blacklists the client
    client_blacklist(actor=world.manager, client=reachable, reason="  Угрожал консультанту ")

    # then nothing is planned, the hand-made contact is cancelled, and the timeline says who/why
    client = Client.objects.get(pk=reachable.pk)
    assert (client.is_blacklisted, client.blacklist_reason, client.blacklisted_by) == (
        True,
        "Угрожал консультанту",
        world.manager,
    )
    assert client.blacklisted_at is not None
    assert not Touchpoint.objects.filter(client=client, status=TouchpointStatus.PLANNED).exists()
    manual.refresh_from_db()
    assert manual.status == TouchpointStatus.CANCELLED
    assert plan_input_for(client, today=timezone.localdate()).is_blacklisted
    plan_rebuild(client=client)
    assert not Touchpoint.objects.filter(client=client, status=TouchpointStatus.PLANNED).exists()
    event = TimelineEvent.objects.get(client=client, kind=TimelineKind.BLACKLISTED)
    assert (event.actor, event.data) == (
        world.manager,
        {"reason": "Угрожал консультанту", "cancelled": 1},
    )

    # when the manager takes the client off the list, the plan comes back and that is audited too
    client_unblacklist(actor=world.manager, client=client)
    client.refresh_from_db()
    assert not client.is_blacklisted and client.blacklist_reason == ""
    assert Touchpoint.objects.filter(client=client, status=TouchpointStatus.PLANNED).exists()
    event = TimelineEvent.objects.get(client=client, kind=TimelineKind.UNBLACKLISTED)
    assert event.data["reason"] == "Угрожал консультанту"


def test_a_reason_is_required(world: World) -> None:
    with pytest.raises(ValidationError):
        client_blacklist(actor=world.manager, client=world.client, reason="  ")


@pytest.mark.parametrize(
    ("persona", "error"),
    [("owner", PermissionDenied), ("colleague", PermissionDenied), ("stranger", Http404)],
)
def test_only_a_manager_of_the_store_blacklists(world: World, persona: str, error: type) -> None:
    with pytest.raises(error):
        client_blacklist(actor=getattr(world, persona), client=world.client, reason="причина")
    client_blacklist(actor=world.manager, client=world.client, reason="причина")
    with pytest.raises(error):
        client_unblacklist(actor=getattr(world, persona), client=world.client)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 403), ("colleague", 403), ("stranger", 404), ("manager", 200), ("admin", 200)],
)
def test_blacklist_page_is_for_managers(world: World, persona: str, status: int) -> None:
    response = browser_for(getattr(world, persona)).get(
        reverse("clients:blacklist", args=[world.client.pk])
    )
    assert response.status_code == status


def test_the_manager_blacklists_from_the_card_and_everyone_sees_the_badge(world: World) -> None:
    manager = browser_for(world.manager)
    url = reverse("clients:blacklist", args=[world.client.pk])
    response = manager.post(url, {"reason": "Не оплатил заказ"})
    assert response.status_code == 302
    assert Client.objects.get(pk=world.client.pk).is_blacklisted

    colleague = browser_for(world.colleague)
    card = colleague.get(reverse("clients:card", args=[world.client.pk])).content.decode()
    assert "Не оплатил заказ" in card and "blacklisted" in card
    assert url not in card  # the toggle is for managers
    found = colleague.get(reverse("clients:book"), {"q": "Иванова"}).content.decode()
    assert "badge overdue blacklisted" in found

    response = manager.post(url)  # the same page takes the client off the list
    assert response.status_code == 302
    assert not Client.objects.get(pk=world.client.pk).is_blacklisted
