"""The client pages, for each persona: who sees and changes what, and how many queries it takes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.urls import reverse

from rapport.clients.choices import Relation, TimelineKind
from rapport.clients.models import Client, Relative
from rapport.clients.services import key_date_add, relative_add
from rapport.sales.services import LineInput, purchase_record
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db


def browser_for(user) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser()
    browser.force_login(user)
    return browser


def test_anonymous_visitor_is_sent_to_login(world: World) -> None:
    response = Browser().get(reverse("clients:card", args=[world.client.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("colleague", 200), ("manager", 200), ("admin", 200), ("stranger", 404)],
)
def test_card_is_visible_to_the_store_only(world: World, persona: str, status: int) -> None:
    response = browser_for(getattr(world, persona)).get(
        reverse("clients:card", args=[world.client.pk])
    )
    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("colleague", 403), ("manager", 200), ("admin", 200), ("stranger", 404)],
)
def test_card_edit_is_for_owner_and_managers(world: World, persona: str, status: int) -> None:
    response = browser_for(getattr(world, persona)).get(
        reverse("clients:edit", args=[world.client.pk])
    )
    assert response.status_code == status


def test_book_lists_own_clients_for_a_consultant_and_the_store_for_a_manager(world: World) -> None:
    colleagues_client = make_client(
        world.colleague, world.store, first_name="Вера", last_name="Белова"
    )
    make_client(world.stranger, world.other_store, first_name="Ян", last_name="Яковлев")
    owner_page = browser_for(world.owner).get(reverse("clients:book"))
    manager_page = browser_for(world.manager).get(reverse("clients:book"))
    assert [c.pk for c in owner_page.context["clients"]] == [world.client.pk]
    assert [c.pk for c in manager_page.context["clients"]] == [
        colleagues_client.pk,
        world.client.pk,
    ]


def test_book_query_count_does_not_grow_with_clients(
    world: World, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for index in range(12):
        make_client(
            world.owner, world.store, first_name=f"Клиент{index}", phone=f"+7916000{index:04d}"
        )
    browser = browser_for(world.manager)
    # session, user, scope, home store, count, page of clients, primary contacts, consultants
    with django_assert_num_queries(8):
        response = browser.get(reverse("clients:book"))
    assert len(response.context["clients"]) == 13


def test_search_finds_a_client_by_a_phone_typed_another_way(world: World) -> None:
    response = browser_for(world.colleague).get(reverse("clients:book"), {"q": "8 (916) 123 45 67"})
    assert [c.pk for c in response.context["clients"]] == [world.client.pk]
    assert "Иванова" in response.content.decode()


def test_search_by_a_stranger_finds_nothing(world: World) -> None:
    response = browser_for(world.stranger).get(reverse("clients:book"), {"q": "4567"})
    assert list(response.context["clients"]) == []


def test_htmx_search_returns_only_the_results(world: World) -> None:
    response = browser_for(world.owner).get(
        reverse("clients:book"), {"q": "Ivanova"}, headers={"HX-Request": "true"}
    )
    assert response.templates[0].name == "clients/partials/results.html"
    assert [c.pk for c in response.context["clients"]] == [world.client.pk]


def test_card_query_count_is_fixed(world: World, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    def add_history(index: int) -> None:
        relative = relative_add(
            actor=world.owner, client=world.client, name=f"Ребёнок {index}", relation=Relation.CHILD
        )
        key_date_add(
            actor=world.owner,
            client=world.client,
            kind="custom",
            date=date(2020, 1, index + 1),
            relative=relative,
        )
        purchase_record(
            actor=world.owner,
            client=world.client,
            lines=[LineInput(description=f"Кольцо {index}", quantity=1, unit_price=Decimal("100"))],
        )

    browser = browser_for(world.owner)
    url = reverse("clients:card", args=[world.client.pk])
    add_history(0)
    # session, user, scope, home store, client, 8 prefetches (dates' relatives, purchase lines),
    # timeline, the plan's contacts and touchpoints, the client's numbers
    with django_assert_num_queries(18):
        browser.get(url)
    for index in range(1, 4):
        add_history(index)
    with django_assert_num_queries(18):
        response = browser.get(url)
    assert response.status_code == 200


def test_creating_a_client_at_the_till(world: World) -> None:
    response = browser_for(world.colleague).post(
        reverse("clients:new"),
        {
            "first_name": "пётр",
            "last_name": "СИДОРОВ",
            "phone": "8 903 765-43-21",
            "consent_channels": ["whatsapp", "sms"],
        },
    )
    client = Client.objects.get(last_name="Сидоров")
    assert response["Location"] == reverse("clients:card", args=[client.pk])
    assert client.first_name == "Пётр"
    assert client.owner == world.colleague
    assert client.preferred_channel == "whatsapp"
    assert [p.value for p in client.contact_points.all()] == ["+79037654321"]
    assert sorted(client.consents.values_list("channel", flat=True)) == ["sms", "whatsapp"]


def test_an_invalid_phone_is_refused_with_the_reason_and_nothing_is_saved(world: World) -> None:
    world.owner.language = "en"
    world.owner.save()
    before = Client.objects.count()
    response = browser_for(world.owner).post(
        reverse("clients:new"), {"first_name": "Пётр", "phone": "8 000 11"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"phone": ["This phone number is too short."]}
    assert Client.objects.count() == before


def test_errors_are_shown_in_russian(world: World) -> None:
    world.owner.language = "ru"
    world.owner.save()
    response = browser_for(world.owner).post(
        reverse("clients:new"), {"first_name": "Пётр", "phone": "+7 000 000 00 00"}
    )
    assert response.context["form"].errors["phone"] == [
        "Такого номера нет ни у одного оператора: проверьте цифры и код страны."
    ]


def test_adding_a_child_shows_on_the_card_and_timeline(world: World) -> None:
    browser = browser_for(world.owner)
    response = browser.post(
        reverse("clients:relative_add", args=[world.client.pk]),
        {"name": "маша", "relation": "child", "birthday": "2019-05-14"},
    )
    assert response.status_code == 302
    relative = Relative.objects.get(client=world.client)
    assert (relative.name, relative.birthday) == ("Маша", date(2019, 5, 14))
    card = browser.get(reverse("clients:card", args=[world.client.pk]))
    assert card.context["card"].timeline[0].kind == TimelineKind.RELATIVE_ADDED
    assert "Маша" in card.content.decode()


def test_recording_a_purchase_from_the_till(world: World) -> None:
    browser = browser_for(world.colleague)
    response = browser.post(
        reverse("sales:purchase_new", args=[world.client.pk]),
        {
            "receipt_number": "A-1",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "50",
            "lines-0-description": "Серьги, белое золото",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "48000",
            "lines-0-discount": "3000",
            "lines-1-description": "Футляр",
            "lines-1-quantity": "2",
            "lines-1-unit_price": "1500.50",
        },
    )
    assert response.status_code == 302
    purchase = world.client.purchases.get()
    assert str(purchase.total) == "48001.00"
    assert purchase.consultant == world.colleague


def test_a_manager_hands_clients_to_a_colleague(world: World) -> None:
    response = browser_for(world.manager).post(
        reverse("clients:reassign"),
        {
            "clients": [world.client.pk],
            "owner": world.colleague.pk,
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("clients:book")
    world.client.refresh_from_db()
    assert world.client.owner == world.colleague


def test_a_consultant_cannot_reassign(world: World) -> None:
    response = browser_for(world.owner).post(
        reverse("clients:reassign"), {"clients": [world.client.pk], "owner": world.colleague.pk}
    )
    assert response.status_code == 403
    world.client.refresh_from_db()
    assert world.client.owner == world.owner


def test_the_back_office_is_for_admins_only(world: World) -> None:
    assert browser_for(world.manager).get("/admin/").status_code == 302
    assert browser_for(world.admin).get("/admin/clients/client/").status_code == 200


def test_a_manager_hands_a_client_over_from_the_card(world: World) -> None:
    browser = browser_for(world.manager)
    card_url = reverse("clients:card", args=[world.client.pk])
    card = browser.get(card_url)
    assert [u.username for u in card.context["owners"]] == ["irina", "marina", "olga"]
    response = browser.post(
        reverse("clients:reassign"),
        {"clients": [world.client.pk], "owner": world.colleague.pk, "next": card_url},
    )
    assert response["Location"] == card_url
    world.client.refresh_from_db()
    assert world.client.owner == world.colleague


def test_the_card_offers_no_handover_to_a_consultant(world: World) -> None:
    card = browser_for(world.owner).get(reverse("clients:card", args=[world.client.pk]))
    assert "owners" not in card.context
