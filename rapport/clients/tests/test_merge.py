"""Merging two cards and undoing it: nothing is lost, and an undo puts every row back exactly."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone, translation

from rapport.clients.choices import (
    Channel,
    ConsentSource,
    ConsentStatus,
    ContactKind,
    KeyDateKind,
    PreferenceKind,
    Relation,
    TimelineKind,
)
from rapport.clients.models import (
    Client,
    ClientMerge,
    Consent,
    ContactPoint,
    KeyDate,
    Note,
    Preference,
    Relative,
    TimelineEvent,
)
from rapport.clients.selectors import client_get_for, client_search, clients_for
from rapport.clients.services import (
    client_merge,
    client_merge_undo,
    client_update,
    consent_set,
    contact_point_add,
    key_date_add,
    note_add,
    preference_add,
    relative_add,
)
from rapport.insights.models import ClientScore
from rapport.outreach.choices import Outcome, TouchpointStatus
from rapport.outreach.models import Contact, Touchpoint
from rapport.outreach.services import contact_log, touchpoint_add
from rapport.sales.models import Purchase, Return, Visit
from rapport.sales.services import LineInput, purchase_record, return_record, visit_record
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db

CARD_MODELS: list[type[models.Model]] = [
    ContactPoint,
    Consent,
    Preference,
    Relative,
    KeyDate,
    Note,
    TimelineEvent,
    Purchase,
    Return,
    Visit,
    Contact,
    Touchpoint,
]
MERGE_KINDS = {TimelineKind.MERGED, TimelineKind.MERGE_UNDONE}


def fields(obj: models.Model) -> dict[str, Any]:
    return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields}


def cards_state(*clients: Client) -> dict[str, Any]:
    """Both cards field by field, with every row that hangs off them (ids and foreign keys)."""
    ids = [c.pk for c in clients]
    state: dict[str, Any] = {
        "clients": {c.pk: fields(c) for c in Client.objects.filter(pk__in=ids)},
        "scores": {s.pk: fields(s) for s in ClientScore.objects.filter(pk__in=ids)},
    }
    for model in CARD_MODELS:
        rows = model._default_manager.filter(client_id__in=ids)
        if model is TimelineEvent:
            rows = rows.exclude(kind__in=MERGE_KINDS)
        state[model.__name__] = {row.pk: fields(row) for row in rows}
    return state


def rich_card(world: World, client: Client, *, tag: str, phone: str, email: str) -> Client:
    """A card with something of everything: addresses, consents, a relative and their date,
    preferences, a note, a purchase, a visit, a hand-made touchpoint."""
    actor = world.owner
    contact_point_add(actor=actor, client=client, kind=ContactKind.PHONE, value=phone)
    contact_point_add(actor=actor, client=client, kind=ContactKind.EMAIL, value=email)
    consent_set(
        actor=actor,
        client=client,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.VERBAL,
    )
    relative = relative_add(
        actor=actor,
        client=client,
        name=f"Мария {tag}",
        relation=Relation.CHILD,
        birthday=date(2015, 3, 4),
    )
    key_date_add(
        actor=actor,
        client=client,
        kind=KeyDateKind.ANNIVERSARY,
        date=date(2010, 6, 7),
        relative=relative,
        label=f"годовщина {tag}",
    )
    preference_add(actor=actor, client=client, kind=PreferenceKind.BRAND, value="Cartier")
    preference_add(actor=actor, client=client, kind=PreferenceKind.SIZE, value=f"17 {tag}")
    note_add(actor=actor, client=client, text=f"заметка {tag}", is_pinned=True)
    purchase_record(
        actor=actor,
        client=client,
        lines=[LineInput(f"кольцо {tag}", 1, Decimal("1000.50"))],
        purchased_at=timezone.now() - timedelta(days=40),
    )
    visit_record(actor=actor, client=client, purpose="fitting", looked_at=f"серьги {tag}")
    touchpoint_add(
        actor=actor,
        client=client,
        due_on=timezone.localdate() + timedelta(days=3),
        channel=Channel.WHATSAPP,
        text=f"позвонить {tag}",
    )
    return Client.objects.get(pk=client.pk)


@pytest.fixture
def pair(world: World) -> tuple[Client, Client]:
    rich_card(world, world.client, tag="A", phone="+7 916 555-00-01", email="anna.work@example.ru")
    second = make_client(
        world.owner,
        world.store,
        first_name="Анна",
        last_name="Иванова",
        phone="+7 916 123-45-67",  # the same phone as the first card
        birthday=date(1985, 5, 17),
    )
    second = rich_card(world, second, tag="B", phone="+7 916 555-00-02", email="anna@home.ru")
    # A contact that happened: the touchpoint waits for a reply.
    point = Touchpoint.objects.get(client=second, is_manual=True)
    contact_log(actor=world.owner, touchpoint=point, outcome=Outcome.SENT, text="Здравствуйте")
    consent_set(
        actor=world.owner,
        client=second,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.WITHDRAWN,
        source=ConsentSource.MESSAGE,
    )
    consent_set(
        actor=world.owner,
        client=second,
        channel=Channel.EMAIL,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.WEB,
    )
    purchase = Purchase.objects.filter(client=second).get()
    return_record(
        actor=world.owner,
        purchase=purchase,
        quantities={purchase.lines.get().pk: 1},
        reason="не подошло",
    )
    return Client.objects.get(pk=world.client.pk), Client.objects.get(pk=second.pk)


def test_merge_keeps_everything_and_undo_restores_both_cards_field_by_field(
    world: World, pair: tuple[Client, Client]
) -> None:
    # given two cards of the same person, each with its own history
    survivor, other = pair
    before = cards_state(survivor, other)
    for client in (survivor, other):
        planned = [
            t
            for t in before["Touchpoint"].values()
            if t["client_id"] == client.pk and not t["is_manual"]
        ]
        assert planned, "both cards have a plan of their own"
    assert before["Contact"] and before["Return"]

    # when a manager merges them
    merge = client_merge(actor=world.manager, survivor=survivor, other=other)

    # then every row of the second card is on the first one, nothing is lost
    survivor.refresh_from_db()
    other.refresh_from_db()
    assert other.merged_into_id == survivor.pk
    for model in (Relative, KeyDate, Note, Purchase, Return, Visit, Contact):
        assert not model._default_manager.filter(client=other).exists()
        assert model._default_manager.filter(client=survivor).count() == len(before[model.__name__])
    assert survivor.purchase_count == 2
    phones = ContactPoint.objects.filter(client=survivor, kind=ContactKind.PHONE)
    assert sorted(phones.values_list("value", flat=True)) == [
        "+79161234567",
        "+79165550001",
        "+79165550002",
    ]
    assert phones.filter(is_primary=True).count() == 1
    assert sorted(Preference.objects.filter(client=survivor).values_list("value", flat=True)) == [
        "17 A",
        "17 B",
        "Cartier",
    ]
    assert set(Consent.objects.filter(client=survivor).values_list("channel", "status")) == {
        (Channel.WHATSAPP, ConsentStatus.WITHDRAWN),  # the most restrictive wins
        (Channel.EMAIL, ConsentStatus.GRANTED),
    }
    assert survivor.birthday == date(1985, 5, 17)  # learnt from the other card
    assert not Touchpoint.objects.filter(client=other).exists()
    kinds = TimelineEvent.objects.filter(client=survivor, kind=TimelineKind.MERGED)
    assert kinds.get().data["other"] == other.pk
    assert merge.merged_by == world.manager and not merge.automatic
    # and the merged card is gone from every list
    assert not clients_for(user=world.manager).filter(pk=other.pk).exists()
    with pytest.raises(Http404):
        client_get_for(user=world.manager, pk=other.pk)
    assert [c.pk for c in client_search(user=world.owner, text="Иванова")] == [survivor.pk]

    # when the merge is undone
    client_merge_undo(actor=world.manager, merge=merge)

    # then both cards and every row are exactly as before, field by field
    after = cards_state(survivor, other)
    for key in before:
        assert after[key] == before[key], key
    merge.refresh_from_db()
    assert merge.undone_by == world.manager and merge.undone_at is not None
    for client in (survivor, other):
        assert TimelineEvent.objects.filter(client=client, kind=TimelineKind.MERGE_UNDONE).count()


def test_merge_is_for_managers_of_the_store(world: World, pair: tuple[Client, Client]) -> None:
    survivor, other = pair
    for persona in (world.owner, world.colleague):
        with pytest.raises(PermissionDenied):
            client_merge(actor=persona, survivor=survivor, other=other)
    with pytest.raises(Http404):
        client_merge(actor=world.stranger, survivor=survivor, other=other)
    assert not ClientMerge.objects.exists()
    client_merge(actor=world.admin, survivor=survivor, other=other)
    assert ClientMerge.objects.count() == 1


def test_cards_of_different_stores_or_the_same_card_are_not_merged(world: World) -> None:
    elsewhere = make_client(world.stranger, world.other_store)
    with pytest.raises((ValidationError, Http404)):
        client_merge(actor=world.admin, survivor=world.client, other=elsewhere)
    with pytest.raises(ValidationError):
        client_merge(actor=world.admin, survivor=world.client, other=world.client)


def test_a_merged_card_cannot_be_merged_again(world: World) -> None:
    other = make_client(world.owner, world.store, first_name="Анна")
    third = make_client(world.owner, world.store, first_name="Анна")
    client_merge(actor=world.manager, survivor=world.client, other=other)
    with pytest.raises(ValidationError):
        client_merge(actor=world.manager, survivor=third, other=other)


def test_consent_withdrawn_on_the_survivor_beats_a_grant_on_the_other(world: World) -> None:
    other = make_client(world.owner, world.store, first_name="Анна", phone="+7 916 000-11-22")
    for client, status in ((world.client, ConsentStatus.WITHDRAWN), (other, ConsentStatus.GRANTED)):
        consent_set(
            actor=world.owner,
            client=client,
            channel=Channel.SMS,
            status=status,
            source=ConsentSource.VERBAL,
        )
    kept = Consent.objects.get(client=world.client)
    client_merge(actor=world.manager, survivor=world.client, other=other)
    assert list(Consent.objects.filter(client=world.client).values_list("pk", "status")) == [
        (kept.pk, ConsentStatus.WITHDRAWN)
    ]


def test_undo_is_refused_when_the_card_changed_after_the_merge(
    world: World, pair: tuple[Client, Client]
) -> None:
    survivor, other = pair
    merge = client_merge(actor=world.manager, survivor=survivor, other=other)
    client_update(actor=world.manager, client=survivor, first_name="Анечка")
    with pytest.raises(ValidationError) as error, translation.override("en"):
        client_merge_undo(actor=world.manager, merge=merge)
    assert "changed after the merge" in str(error.value)
    assert Client.objects.get(pk=other.pk).merged_into_id == survivor.pk


def test_undo_waits_for_a_later_merge_into_the_same_card(world: World) -> None:
    second = make_client(world.owner, world.store, first_name="Анна")
    third = make_client(world.owner, world.store, first_name="Анна")
    first_merge = client_merge(actor=world.manager, survivor=world.client, other=second)
    later = client_merge(actor=world.manager, survivor=world.client, other=third)
    with pytest.raises(ValidationError) as error, translation.override("en"):
        client_merge_undo(actor=world.manager, merge=first_merge)
    assert "later" in str(error.value)
    client_merge_undo(actor=world.manager, merge=later)
    client_merge_undo(actor=world.manager, merge=first_merge)
    assert not Client.objects.filter(merged_into__isnull=False).exists()
    with pytest.raises(ValidationError):
        client_merge_undo(actor=world.manager, merge=first_merge)  # done already


def test_a_purchase_after_the_merge_stays_on_the_survivor_when_undone(world: World) -> None:
    other = make_client(world.owner, world.store, first_name="Анна")
    merge = client_merge(actor=world.manager, survivor=world.client, other=other)
    purchase_record(
        actor=world.owner, client=world.client, lines=[LineInput("брошь", 1, Decimal(5))]
    )
    client_merge_undo(actor=world.manager, merge=merge)
    assert Purchase.objects.get().client_id == world.client.pk
    assert Client.objects.get(pk=world.client.pk).purchase_count == 1
    assert Client.objects.get(pk=other.pk).merged_into_id is None


def test_undo_is_for_managers(world: World) -> None:
    other = make_client(world.owner, world.store, first_name="Анна")
    merge = client_merge(actor=world.manager, survivor=world.client, other=other)
    with pytest.raises(PermissionDenied):
        client_merge_undo(actor=world.owner, merge=merge)
    with pytest.raises(Http404):
        client_merge_undo(actor=world.stranger, merge=merge)


def test_blacklist_of_the_merged_card_is_kept(world: World) -> None:
    from rapport.clients.services import client_blacklist

    other = make_client(world.owner, world.store, first_name="Анна")
    client_blacklist(actor=world.manager, client=other, reason="угрозы персоналу")
    client_merge(actor=world.manager, survivor=world.client, other=other)
    survivor = Client.objects.get(pk=world.client.pk)
    assert survivor.is_blacklisted and survivor.blacklist_reason == "угрозы персоналу"


def test_open_touchpoints_of_the_merged_card_go_to_the_survivors_consultant(
    world: World,
) -> None:
    other = make_client(world.colleague, world.store, first_name="Анна", phone="+7 916 000-11-22")
    consent_set(
        actor=world.colleague,
        client=other,
        channel=Channel.SMS,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.VERBAL,
    )
    point = touchpoint_add(
        actor=world.colleague,
        client=other,
        due_on=timezone.localdate() + timedelta(days=2),
        channel=Channel.SMS,
    )
    merge = client_merge(actor=world.manager, survivor=world.client, other=other)
    point.refresh_from_db()
    assert (point.client_id, point.assignee_id, point.status) == (
        world.client.pk,
        world.owner.pk,
        TouchpointStatus.PLANNED,
    )
    client_merge_undo(actor=world.manager, merge=merge)
    point.refresh_from_db()
    assert (point.client_id, point.assignee_id) == (other.pk, world.colleague.pk)
