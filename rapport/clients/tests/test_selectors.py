"""Reads of clients on behalf of each persona: who sees which cards, search, pinned query counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.http import Http404

from rapport.accounts.models import User
from rapport.clients.models import Client
from rapport.clients.selectors import (
    book_for,
    client_card,
    client_get_for,
    client_search,
    clients_for,
)
from rapport.clients.services import (
    client_reassign,
    client_update,
    consent_set,
    key_date_add,
    note_add,
    preference_add,
    relative_add,
)
from rapport.sales.services import LineInput, purchase_record, visit_record
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "stranger", "manager", "admin"]


@dataclass
class Cards:
    """The clients around the world's personas, named so the default ordering is obvious."""

    ivanova: Client  # Анна Иванова, Olga's, store
    shchukina: Client  # Юлия Щукина, Irina's, store
    yolkina: Client  # Алёна Ёлкина, nobody's, store
    abroad: Client  # Вера Котова, Pavel's, other store


@pytest.fixture
def cards(world: World) -> Cards:
    shchukina = make_client(
        world.colleague,
        world.store,
        first_name="Юлия",
        last_name="Щукина",
        phone="8 (903) 111-22-33",
    )
    yolkina = make_client(
        world.owner, world.store, first_name="Алёна", last_name="Ёлкина", email="alena@почта.рф"
    )
    client_reassign(actor=world.manager, clients=[yolkina], owner=None)
    abroad = make_client(
        world.stranger,
        world.other_store,
        first_name="Вера",
        last_name="Котова",
        phone="+7 926 000-45-67",
    )
    return Cards(world.client, shchukina, yolkina, abroad)


def fresh(user: User) -> User:
    """The user as a new request sees them: no scope cached yet."""
    return User.objects.get(pk=user.pk)


def primary(client: Client) -> list[str]:
    """The values of the primary contacts that ``book_for``/``client_search`` prefetch."""
    return [point.value for point in client.primary_contacts]  # type: ignore[attr-defined]


def name(user: User | None) -> str:
    return user.username if user else ""


def pks(clients: object) -> list[int]:
    return [client.pk for client in clients]  # type: ignore[attr-defined]


def expected(cards: Cards, names: str) -> list[int]:
    return [getattr(cards, name).pk for name in names.split()]


# Default ordering: last name, first name → Ёлкина, Иванова, Котова, Щукина.
VISIBLE = {
    "owner": "yolkina ivanova shchukina",
    "colleague": "yolkina ivanova shchukina",
    "stranger": "abroad",
    "manager": "yolkina ivanova shchukina",
    "admin": "yolkina ivanova abroad shchukina",
}
BOOK = {
    "owner": "ivanova",
    "colleague": "shchukina",
    "stranger": "abroad",
    "manager": "yolkina ivanova shchukina",
    "admin": "yolkina ivanova abroad shchukina",
}


@pytest.mark.parametrize("who", PERSONAS)
def test_clients_for_each_persona(world: World, cards: Cards, who: str) -> None:
    assert pks(clients_for(user=getattr(world, who))) == expected(cards, VISIBLE[who])


@pytest.mark.parametrize("who", PERSONAS)
def test_book_for_each_persona(world: World, cards: Cards, who: str) -> None:
    assert pks(book_for(user=getattr(world, who))) == expected(cards, BOOK[who])


def test_book_filters_for_a_manager(world: World, cards: Cards) -> None:
    client_update(actor=world.manager, client=cards.shchukina, status="vip")
    assert pks(book_for(user=world.manager, unassigned=True)) == [cards.yolkina.pk]
    assert pks(book_for(user=world.manager, owner_id=world.colleague.pk)) == [cards.shchukina.pk]
    assert pks(book_for(user=world.manager, status="vip")) == [cards.shchukina.pk]
    assert pks(book_for(user=world.manager, status="new")) == expected(cards, "yolkina ivanova")
    # a manager's filters never reach beyond their store
    assert pks(book_for(user=world.manager, owner_id=world.stranger.pk)) == []


def test_book_rows_carry_their_primary_contacts(world: World, cards: Cards) -> None:
    rows = {client.pk: client for client in book_for(user=world.admin)}
    assert {pk: primary(client) for pk, client in rows.items()} == {
        # primary first, then by kind: "email" sorts before "phone"
        cards.ivanova.pk: ["anna@example.ru", "+79161234567"],
        cards.shchukina.pk: ["+79031112233"],
        cards.yolkina.pk: ["alena@xn--80a1acny.xn--p1ai"],
        cards.abroad.pk: ["+79260004567"],
    }


def test_an_inactive_membership_hides_the_store(world: World, cards: Cards) -> None:
    world.owner.memberships.update(is_active=False)
    assert pks(clients_for(user=fresh(world.owner))) == []
    assert pks(book_for(user=fresh(world.owner))) == []


def test_a_deactivated_user_sees_nothing(world: World, cards: Cards) -> None:
    world.admin.is_active = False
    world.admin.save(update_fields=["is_active"])
    assert pks(clients_for(user=fresh(world.admin))) == []


GET = {"owner": True, "colleague": True, "stranger": False, "manager": True, "admin": True}
CAN_MANAGE = {"owner": True, "colleague": False, "manager": True, "admin": True}


@pytest.mark.parametrize("who", PERSONAS)
def test_client_get_for_each_persona(world: World, cards: Cards, who: str) -> None:
    user = getattr(world, who)
    if GET[who]:
        assert client_get_for(user=user, pk=cards.ivanova.pk).pk == cards.ivanova.pk
    else:
        with pytest.raises(Http404):
            client_get_for(user=user, pk=cards.ivanova.pk)


def test_client_get_for_the_other_way_round(world: World, cards: Cards) -> None:
    assert client_get_for(user=world.stranger, pk=cards.abroad.pk).pk == cards.abroad.pk
    assert client_get_for(user=world.admin, pk=cards.abroad.pk).pk == cards.abroad.pk
    for who in ("owner", "colleague", "manager"):
        with pytest.raises(Http404):
            client_get_for(user=getattr(world, who), pk=cards.abroad.pk)
    with pytest.raises(Http404):
        client_get_for(user=world.admin, pk=10**9)


@pytest.mark.parametrize("who", PERSONAS)
def test_client_card_each_persona(world: World, cards: Cards, who: str) -> None:
    user = getattr(world, who)
    if not GET[who]:
        with pytest.raises(Http404):
            client_card(user=user, pk=cards.ivanova.pk)
        return
    card = client_card(user=user, pk=cards.ivanova.pk)
    assert (card.client.pk, card.can_manage) == (cards.ivanova.pk, CAN_MANAGE[who])
    assert [event.kind for event in card.timeline] == ["created"]


def test_the_unassigned_card_is_managed_by_the_manager_only(world: World, cards: Cards) -> None:
    assert {
        who: client_card(user=getattr(world, who), pk=cards.yolkina.pk).can_manage
        for who in ("owner", "colleague", "manager", "admin")
    } == {"owner": False, "colleague": False, "manager": True, "admin": True}


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        # the phone in three formats
        ("+7 916 123-45-67", "ivanova"),
        ("89161234567", "ivanova"),
        ("8 (916) 123 45 67", "ivanova"),
        ("9161234567", "ivanova"),
        # the last digits, as typed at the till
        ("4567", "ivanova"),
        ("45-67", "ivanova"),
        ("1-22-33", "shchukina"),
        # e-mail in capitals, and an internationalised domain as typed
        ("ANNA@EXAMPLE.RU", "ivanova"),
        ("Alena@Почта.РФ", "yolkina"),
        # names in Latin, Cyrillic, ё or е, any case, prefixes
        ("Ivanova", "ivanova"),
        ("иванова", "ivanova"),
        ("Ив", "ivanova"),
        ("Shchukina", "shchukina"),
        ("Julia", "shchukina"),
        ("ЕЛКИНА", "yolkina"),
        ("Yolkina", "yolkina"),
        ("Алена", "yolkina"),
        # two words in either order
        ("Иванова Анна", "ivanova"),
        ("анна иванова", "ivanova"),
        ("Yulia Shchukina", "shchukina"),
        ("Щукина Ю", "shchukina"),
        # nothing
        ("Иванова Юлия", ""),
        ("Котова", ""),  # another store's client
        ("+7 926 000-45-67", ""),  # another store's number
        ("anna@example.com", ""),
        ("", ""),
        ("   ", ""),
    ],
)
def test_search_as_a_consultant(world: World, cards: Cards, typed: str, names: str) -> None:
    found = client_search(user=world.owner, text=typed)
    assert pks(found) == (expected(cards, names) if names else [])


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("owner", "ivanova"),
        ("colleague", "ivanova"),
        ("manager", "ivanova"),
        ("stranger", "abroad"),
        # ordered by the reversed digits: …0004567 before …1234567
        ("admin", "abroad ivanova"),
    ],
)
def test_search_by_last_digits_stays_in_scope(
    world: World, cards: Cards, who: str, names: str
) -> None:
    assert pks(client_search(user=getattr(world, who), text="4567")) == expected(cards, names)


def test_search_results_carry_primary_contacts_and_owner(world: World, cards: Cards) -> None:
    [found] = client_search(user=world.colleague, text="Иванова")
    assert (primary(found), found.owner) == (
        ["anna@example.ru", "+79161234567"],
        world.owner,
    )


def test_search_orders_by_the_name_keys_and_respects_the_limit(world: World) -> None:
    # given three Smirnovas, created out of order
    ids = {
        first: make_client(world.owner, world.store, first_name=first, last_name="Смирнова").pk
        for first in ("Яна", "Анна", "Мария")
    }
    # when searched by the last name
    # then they are ordered by the spelling-independent first-name key (anna < iana < maria),
    # not by the Cyrillic alphabet, and the limit cuts the list
    assert pks(client_search(user=world.owner, text="смирнова")) == [
        ids["Анна"],
        ids["Яна"],
        ids["Мария"],
    ]
    assert pks(client_search(user=world.owner, text="Smirnova", limit=2)) == [
        ids["Анна"],
        ids["Яна"],
    ]


def test_one_word_matches_the_last_name_before_the_first_name(world: World) -> None:
    # given a client whose first name and another's last name share a prefix
    by_first = make_client(world.owner, world.store, first_name="Мария", last_name="Борисова")
    by_last = make_client(world.owner, world.store, first_name="Ольга", last_name="Марина")
    assert pks(client_search(user=world.owner, text="мари")) == [by_last.pk, by_first.pk]


# --- pinned query counts ----------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 4])
def test_book_for_a_manager_is_three_queries_however_long(
    world: World, django_assert_num_queries, extra: int
) -> None:
    # given the store with 1 or 5 clients, each with a phone and an e-mail
    for number in range(extra):
        make_client(
            world.owner,
            world.store,
            first_name=f"Клиент{number}",
            phone=f"+7 916 000-00-0{number}",
            email=f"c{number}@example.ru",
        )
    user = fresh(world.manager)
    # when the manager's book is listed with owner, store and primary contacts
    # then it costs the scope, the clients and their contacts: three queries
    with django_assert_num_queries(3):
        rows = [
            (name(client.owner), client.store.name, len(primary(client)))
            for client in book_for(user=user)
        ]
    assert rows == [("olga", "Бутик на Тверской", 2)] * (1 + extra)


def test_book_for_an_admin_needs_no_scope_query(world: World, django_assert_num_queries) -> None:
    user = fresh(world.admin)
    with django_assert_num_queries(2):
        rows = [(name(client.owner), len(primary(client))) for client in book_for(user=user)]
    assert rows == [("olga", 2)]


def _fill_card(world: World, client: Client, size: int) -> None:
    """A card with ``size`` of everything the card page shows."""
    for number in range(size):
        relative = relative_add(
            actor=world.owner, client=client, name=f"Ребёнок {number}", relation="child"
        )
        key_date_add(
            actor=world.owner,
            client=client,
            kind="custom",
            date=date(2020, 1, 1 + number),
            relative=relative,
        )
        preference_add(actor=world.owner, client=client, kind="brand", value=f"Бренд {number}")
        note_add(actor=world.colleague, client=client, text=f"Заметка {number}")
        purchase_record(
            actor=world.colleague,
            client=client,
            lines=[
                LineInput(description=f"Шарф {number}", quantity=1, unit_price=Decimal("100")),
                LineInput(description=f"Перчатки {number}", quantity=2, unit_price=Decimal("50")),
            ],
        )
        visit_record(actor=world.owner, client=client, purpose="fitting")
    for channel in ("whatsapp", "sms", "email", "call", "telegram")[:size]:
        consent_set(
            actor=world.owner, client=client, channel=channel, status="granted", source="form"
        )


@pytest.mark.parametrize("size", [1, 5])
def test_client_card_queries_do_not_grow_with_the_card(
    world: World, django_assert_num_queries, size: int
) -> None:
    # given a card with one, or five, of each thing
    _fill_card(world, world.client, size)
    user = fresh(world.owner)
    # when the card page is loaded and everything on it is read
    # then the number of queries is the same
    with django_assert_num_queries(12):
        card = client_card(user=user, pk=world.client.pk)
        client = card.client
        shown: dict[str, Any] = {
            "contacts": len(client.contact_points.all()),
            "consents": len(client.consents.all()),
            "preferences": len(client.preferences.all()),
            "relatives": len(client.relatives.all()),
            "dates": [kd.relative.name if kd.relative else "" for kd in client.key_dates.all()],
            "notes": [name(note.author) for note in client.notes.all()],
            "lines": sum(len(p.lines.all()) for p in client.purchases.all()),
            "consultants": {name(p.consultant) for p in client.purchases.all()},
            "timeline": [
                (name(event.actor), bool(event.note or event.purchase or event.visit))
                for event in card.timeline
            ],
            "store": client.store.name,
            "owner": name(client.owner),
        }
    assert shown["contacts"] == 2
    assert shown["consents"] == size
    assert shown["preferences"] == size
    assert shown["relatives"] == size
    assert shown["dates"] == [f"Ребёнок {n}" for n in range(size)]
    assert shown["notes"] == ["irina"] * size
    assert shown["lines"] == 2 * size
    assert shown["consultants"] == {"irina"}
    # created + per round: relative, date, preference, note, purchase, visit; + consents
    assert len(shown["timeline"]) == 1 + 6 * size + size
    assert (shown["store"], shown["owner"]) == ("Бутик на Тверской", "olga")
