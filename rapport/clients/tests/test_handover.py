"""Handing a consultant's book over: who may, what moves, and what the new consultant is given."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.choices import Role
from rapport.accounts.models import User
from rapport.clients.choices import Channel
from rapport.clients.models import Client
from rapport.clients.services import client_reassign
from rapport.outreach.choices import Category, Occasion, TouchpointStatus
from rapport.outreach.models import Touchpoint
from rapport.outreach.services import plan_rebuild
from rapport.testing import World, grant_consent, make_client, make_user

pytestmark = pytest.mark.django_db

OPEN = (TouchpointStatus.PLANNED, TouchpointStatus.WAITING)


def browser_for(user: User) -> Browser:
    browser = Browser(headers={"accept-language": "en"})
    browser.force_login(user)
    return browser


def consented(client: Client, channel: Channel) -> Client:
    return grant_consent(client, channel)


def olgas_book(world: World) -> list[Client]:
    """Olga's three clients: on WhatsApp, on e-mail only, and one who agreed to nothing."""
    anna = consented(world.client, Channel.WHATSAPP)
    vera = consented(
        make_client(
            world.owner, world.store, first_name="Вера", last_name="Белова", email="vera@example.ru"
        ),
        Channel.EMAIL,
    )
    yan = make_client(
        world.owner, world.store, first_name="Ян", last_name="Яковлев", phone="+79160000001"
    )
    return [anna, vera, yan]


def introductions() -> list[tuple]:  # type: ignore[type-arg]
    return list(
        Touchpoint.objects.filter(occasion=Occasion.INTRODUCTION)
        .order_by("client_id", "pk")
        .values_list("client_id", "status", "assignee_id")
    )


def hand_over(browser: Browser, **data: object) -> object:
    return browser.post(reverse("clients:handover"), data)


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "colleague", "stranger"])
def test_a_consultant_is_refused_the_page_and_the_handover(world: World, who: str) -> None:
    browser = browser_for(getattr(world, who))
    assert browser.get(reverse("clients:handover")).status_code == 403
    response = hand_over(browser, source=world.owner.pk, extent="all", owner=world.colleague.pk)
    assert response.status_code == 403  # type: ignore[attr-defined]
    world.client.refresh_from_db()
    assert world.client.owner_id == world.owner.pk


def test_a_manager_of_another_store_neither_sees_nor_hands_over_this_store(world: World) -> None:
    # given a manager of the other store, with one client there
    other_manager = make_user(world.other_store, Role.MANAGER, username="gleb", first_name="Глеб")
    make_client(world.stranger, world.other_store, first_name="Ия", last_name="Котова")
    browser = browser_for(other_manager)
    # when he opens Olga's book by its address
    page = browser.get(reverse("clients:handover"), {"from": world.owner.pk})
    # then he sees only his store's books, and no form for Olga's
    assert [(b.key, b.name, b.size) for b in page.context["books"]] == [
        (str(world.stranger.pk), "Павел Тестова", 1)
    ]
    assert page.context["chosen"] is None
    assert "form" not in page.context
    # and handing her book over, whole or by ticking her client, changes nothing
    for extra in ({"extent": "all"}, {"extent": "selected", "clients": [world.client.pk]}):
        response = hand_over(browser, source=world.owner.pk, owner=world.stranger.pk, **extra)
        assert response.status_code == 200  # type: ignore[attr-defined]
    world.client.refresh_from_db()
    assert world.client.owner_id == world.owner.pk
    assert introductions() == []


# --- what moves ---------------------------------------------------------------------------------


def test_the_whole_book_moves_and_each_reachable_client_gets_one_introduction(
    world: World,
) -> None:
    # given Olga's book of three, one of them without any consent
    anna, vera, yan = olgas_book(world)
    eva = make_client(world.colleague, world.store, first_name="Ева", last_name="Орлова")
    today = timezone.localdate()
    # when the manager hands all of Olga's clients to Irina
    response = hand_over(
        browser_for(world.manager), source=world.owner.pk, extent="all", owner=world.colleague.pk
    )
    # then she lands on Irina's book, told how many moved
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == f"{reverse('clients:book')}?owner={world.colleague.pk}"  # type: ignore[index]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [  # type: ignore[attr-defined]
        "Clients handed to Ирина Тестова: 3."
    ]
    assert set(Client.objects.filter(owner=world.owner)) == set()
    assert {c.pk for c in Client.objects.filter(owner=world.colleague)} == {
        anna.pk,
        vera.pk,
        yan.pk,
        eva.pk,
    }
    # and exactly one introduction each for the two who can be reached, on their channel
    tomorrow = today + timedelta(days=1)
    assert list(
        Touchpoint.objects.filter(occasion=Occasion.INTRODUCTION)
        .order_by("client_id")
        .values_list(
            "client_id",
            "store_id",
            "assignee_id",
            "due_on",
            "window_start",
            "window_end",
            "category",
            "channel",
            "status",
            "is_manual",
            "may_break_min_gap",
            "is_fixed",
            "priority",
            "reason",
            "draft",
        )
    ) == [
        (
            client.pk,
            world.store.pk,
            world.colleague.pk,
            tomorrow,
            tomorrow,
            tomorrow + timedelta(days=7),
            Category.PERSONAL,
            channel,
            TouchpointStatus.PLANNED,
            True,
            True,
            False,
            100,
            {"previous": "Ольга Тестова", "consultant": "Ирина Тестова"},
            "",
        )
        for client, channel in ((anna, Channel.WHATSAPP), (vera, Channel.EMAIL))
    ]


def test_every_open_touchpoint_follows_the_client_and_history_stays(world: World) -> None:
    # given Anna's plan, a contact Olga made, one she is waiting on and one she planned by hand
    anna = consented(world.client, Channel.WHATSAPP)
    today = timezone.localdate()

    def touchpoint(status: TouchpointStatus, days: int, **extra: object) -> int:
        return Touchpoint.objects.create(
            client=anna,
            store=world.store,
            assignee=world.owner,
            due_on=today + timedelta(days=days),
            window_start=today + timedelta(days=days),
            window_end=today + timedelta(days=days + 3),
            occasion=Occasion.PERSONAL_CHECKIN,
            category=Category.PERSONAL,
            status=status,
            **extra,
        ).pk

    done = touchpoint(TouchpointStatus.DONE, -10, done_at=timezone.now())
    cancelled = touchpoint(TouchpointStatus.CANCELLED, 5)
    touchpoint(TouchpointStatus.WAITING, -2)
    touchpoint(TouchpointStatus.PLANNED, 30, is_manual=True)
    open_before = Touchpoint.objects.filter(client=anna, status__in=OPEN).count()
    assert open_before >= 3
    # when the manager hands Anna to Irina
    assert client_reassign(actor=world.manager, clients=[anna], owner=world.colleague) == 1
    # then every open touchpoint is Irina's (her introduction too); closed ones stay Olga's
    assignees = dict(Touchpoint.objects.filter(client=anna).values_list("pk", "assignee_id"))
    assert (assignees.pop(done), assignees.pop(cancelled)) == (world.owner.pk, world.owner.pk)
    assert set(assignees.values()) == {world.colleague.pk}
    assert Touchpoint.objects.filter(client=anna, status__in=OPEN).count() == open_before + 1


def test_re_planning_keeps_the_introduction(world: World) -> None:
    anna = consented(world.client, Channel.WHATSAPP)
    client_reassign(actor=world.manager, clients=[anna], owner=world.colleague)
    introduction = Touchpoint.objects.get(client=anna, occasion=Occasion.INTRODUCTION)
    anna.refresh_from_db()
    plan_rebuild(client=anna)
    assert list(
        Touchpoint.objects.filter(client=anna, occasion=Occasion.INTRODUCTION).values_list(
            "pk", "status", "assignee_id"
        )
    ) == [(introduction.pk, TouchpointStatus.PLANNED, world.colleague.pk)]
    assert set(
        Touchpoint.objects.filter(client=anna, status__in=OPEN).values_list(
            "assignee_id", flat=True
        )
    ) == {world.colleague.pk}


def test_a_second_handover_cancels_the_first_introduction(world: World) -> None:
    # given Anna handed to Irina, who has not introduced herself yet
    anna = consented(world.client, Channel.WHATSAPP)
    client_reassign(actor=world.manager, clients=[anna], owner=world.colleague)
    # when she is handed on to Marina
    client_reassign(actor=world.manager, clients=[anna], owner=world.manager)
    # then Irina's introduction is cancelled and Marina's is the only one to make
    assert introductions() == [
        (anna.pk, TouchpointStatus.CANCELLED, world.colleague.pk),
        (anna.pk, TouchpointStatus.PLANNED, world.manager.pk),
    ]
    assert Touchpoint.objects.get(
        occasion=Occasion.INTRODUCTION, status=TouchpointStatus.PLANNED
    ).reason == {"previous": "Ирина Тестова", "consultant": "Марина Тестова"}


def test_handing_selected_clients_to_nobody(world: World) -> None:
    # given Olga's book of three
    anna, vera, yan = olgas_book(world)
    # when the manager leaves two of them without a consultant
    response = hand_over(
        browser_for(world.manager),
        source=world.owner.pk,
        extent="selected",
        clients=[anna.pk, yan.pk],
        owner="none",
    )
    assert response["Location"] == f"{reverse('clients:book')}?owner=none"  # type: ignore[index]
    # then they have no owner, nobody is assigned their open touchpoints, nobody introduces
    assert dict(Client.objects.values_list("pk", "owner_id")) == {
        anna.pk: None,
        vera.pk: world.owner.pk,
        yan.pk: None,
    }
    assert set(
        Touchpoint.objects.filter(client__in=[anna, yan], status__in=OPEN).values_list(
            "assignee_id", flat=True
        )
    ) == {None}
    assert set(
        Touchpoint.objects.filter(client=vera, status__in=OPEN).values_list(
            "assignee_id", flat=True
        )
    ) == {world.owner.pk}
    assert introductions() == []
    # and they are easy to find: on the book and on the handover page
    browser = browser_for(world.manager)
    book = browser.get(reverse("clients:book"))
    assert book.context["unassigned"] == 2
    assert "2 clients without a consultant" in book.content.decode()
    page = browser.get(reverse("clients:handover"))
    assert page.context["unassigned"] == 2
    assert [(b.key, b.size) for b in page.context["books"]] == [
        (str(world.owner.pk), 1),
        ("none", 2),
    ]
    assert '<a href="?from=none">2 clients without a consultant</a>' in page.content.decode()


def test_unassigned_clients_can_be_handed_to_a_consultant(world: World) -> None:
    anna = consented(world.client, Channel.WHATSAPP)
    client_reassign(actor=world.manager, clients=[anna], owner=None)
    response = hand_over(
        browser_for(world.manager), source="none", extent="all", owner=world.colleague.pk
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert list(
        Touchpoint.objects.filter(occasion=Occasion.INTRODUCTION).values_list("reason", flat=True)
    ) == [{"previous": "", "consultant": "Ирина Тестова"}]


# --- the form -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"extent": "selected", "owner": "COLLEAGUE"},
            {"clients": ["Tick at least one client, or hand over all of them."]},
        ),
        ({"extent": "all"}, {"owner": ["This field is required."]}),
        (
            {"extent": "all", "owner": "OWNER"},
            {"owner": ["Select a valid choice. OWNER is not one of the available choices."]},
        ),
    ],
)
def test_the_form_explains_what_is_missing(
    world: World, data: dict[str, str], errors: dict[str, list[str]]
) -> None:
    # the giver is not offered their own clients back
    people = {"OWNER": str(world.owner.pk), "COLLEAGUE": str(world.colleague.pk)}
    posted = {key: people.get(value, value) for key, value in data.items()}
    response = hand_over(browser_for(world.manager), source=world.owner.pk, **posted)
    assert response.status_code == 200  # type: ignore[attr-defined]
    expected = {
        field: [m.replace("OWNER", people["OWNER"]) for m in messages]
        for field, messages in errors.items()
    }
    assert response.context["form"].errors == expected  # type: ignore[attr-defined]
    world.client.refresh_from_db()
    assert world.client.owner_id == world.owner.pk


def test_leaving_unassigned_clients_to_nobody_is_refused(world: World) -> None:
    client_reassign(actor=world.manager, clients=[world.client], owner=None)
    response = hand_over(browser_for(world.manager), source="none", extent="all", owner="none")
    assert response.context["form"].errors == {  # type: ignore[attr-defined]
        "owner": ["These clients have no consultant already: choose who gets them."]
    }


def test_the_page_lists_the_chosen_book_with_a_fixed_number_of_queries(
    world: World,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    browser = browser_for(world.manager)
    url = reverse("clients:handover")
    # session, user, scope, home store, books with their sizes, consultants, the chosen book
    with django_assert_num_queries(7):
        response = browser.get(url, {"from": world.owner.pk})
    assert response.context["chosen"].size == 1
    for index in range(5):
        make_client(world.owner, world.store, first_name=f"Клиент{index}")
    make_client(world.colleague, world.store, first_name="Ева")
    with django_assert_num_queries(7):
        response = browser.get(url, {"from": world.owner.pk})
    assert response.context["chosen"].size == 6
    html = response.content.decode()
    assert html.count('name="clients"') == 6
    assert "All of them (6)" in html
