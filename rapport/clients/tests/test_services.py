"""Writes to a client card: what each service stores, writes on the timeline, and refuses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from rapport.accounts.choices import Role
from rapport.accounts.models import User
from rapport.clients.choices import (
    Channel,
    ConsentSource,
    ConsentStatus,
    KeyDateKind,
    PreferenceKind,
    Recurrence,
    TimelineKind,
)
from rapport.clients.models import (
    Client,
    Consent,
    ContactPoint,
    KeyDate,
    Note,
    Preference,
    Relative,
    TimelineEvent,
)
from rapport.clients.services import (
    client_create,
    client_reassign,
    client_update,
    consent_set,
    contact_point_add,
    contact_point_remove,
    key_date_add,
    key_date_remove,
    note_add,
    note_pin,
    preference_add,
    preference_remove,
    relative_add,
    relative_remove,
    relative_update,
)
from rapport.testing import World, make_client, make_user

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "stranger", "manager", "admin"]
# Who may change the card, and what the others get.
CARD_EDIT = {
    "owner": None,
    "colleague": PermissionDenied,
    "stranger": Http404,
    "manager": None,
    "admin": None,
}
# Who may record what happened (notes, consents): anyone serving the client.
STORE_WORK = {
    "owner": None,
    "colleague": None,
    "stranger": Http404,
    "manager": None,
    "admin": None,
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def events(client: Client) -> list[tuple[str, int | None, dict]]:
    """The client's timeline, oldest first, as (kind, actor id, data)."""
    return [
        (event.kind, event.actor_id, event.data)
        for event in TimelineEvent.objects.filter(client=client).order_by("at", "pk")
    ]


def contacts(client: Client) -> list[tuple[str, str, str, bool]]:
    return [
        (point.kind, point.value, point.suffix_key, point.is_primary)
        for point in ContactPoint.objects.filter(client=client).order_by("pk")
    ]


def counts() -> dict[str, int]:
    return {
        "clients": Client.objects.count(),
        "contacts": ContactPoint.objects.count(),
        "consents": Consent.objects.count(),
        "events": TimelineEvent.objects.count(),
    }


def persona(world: World, name: str) -> User:
    return getattr(world, name)


def outcome(expected: type[Exception] | None) -> AbstractContextManager[object]:
    """``pytest.raises(expected)``, or a context that expects nothing to go wrong."""
    return nullcontext() if expected is None else pytest.raises(expected)


# --- client_create ----------------------------------------------------------------------------


def test_client_create_with_a_name_and_a_phone(world: World) -> None:
    # given a consultant at the till
    # when they create a card with only a name and a phone typed the national way
    client = client_create(
        actor=world.colleague,
        store=world.store,
        first_name="  юлия ",
        last_name="ЩУКИНА",
        phone="8 (916) 765-43-21",
    )
    # then the card is theirs, in the store, named cleanly, with search keys
    client.refresh_from_db()
    assert (client.store_id, client.owner_id, client.status) == (
        world.store.pk,
        world.colleague.pk,
        "new",
    )
    assert (client.first_name, client.last_name, client.middle_name) == ("Юлия", "Щукина", "")
    assert (client.first_name_key, client.last_name_key) == ("iulia", "shukina")
    assert (client.purchase_count, client.last_purchase_at) == (0, None)
    # and the phone is stored in E.164 as the primary phone
    assert contacts(client) == [("phone", "+79167654321", "1234567619", True)]
    # and the timeline says the card was created, by whom, with what
    assert events(client) == [
        ("created", world.colleague.pk, {"contacts": ["+79167654321"], "consents": []})
    ]
    assert Consent.objects.filter(client=client).count() == 0


def test_client_create_with_email_and_consents(world: World) -> None:
    client = client_create(
        actor=world.owner,
        store=world.store,
        first_name="Наталья",
        phone="+7 903 111-22-33",
        email="Natalia@Example.RU",
        consent_channels=["whatsapp", "email"],
        consent_source=ConsentSource.VERBAL,
    )
    assert contacts(client) == [
        ("phone", "+79031112233", "3322111309", True),
        ("email", "natalia@example.ru", "", True),
    ]
    assert sorted(
        Consent.objects.filter(client=client).values_list(
            "channel", "status", "source", "changed_by_id"
        )
    ) == [
        ("email", "granted", "verbal", world.owner.pk),
        ("whatsapp", "granted", "verbal", world.owner.pk),
    ]
    assert events(client) == [
        (
            "created",
            world.owner.pk,
            {"contacts": ["+79031112233", "natalia@example.ru"], "consents": ["whatsapp", "email"]},
        )
    ]


def test_client_create_with_an_invalid_phone_saves_nothing(world: World) -> None:
    # given the database as it is
    before = counts()
    # when the phone has a digit missing
    with pytest.raises(ValidationError) as caught:
        client_create(
            actor=world.owner, store=world.store, first_name="Анна", phone="+7 916 123-45-6"
        )
    # then the phone field says why, and nothing was written
    assert caught.value.message_dict == {"phone": ["This phone number is too short."]}
    assert counts() == before


def test_client_create_reports_every_field_error_at_once(world: World) -> None:
    before = counts()
    with pytest.raises(ValidationError) as caught:
        client_create(
            actor=world.owner,
            store=world.store,
            first_name="   ",
            phone="+7 000 000 00 00",
            email="anna@example",
            birthday=date(2999, 1, 1),
        )
    assert caught.value.message_dict == {
        "first_name": ["Enter the client's first name."],
        "birthday": ["A birthday cannot be in the future."],
        "phone": ["No operator uses this number: check the digits and the country code."],
        "email": ["Enter a valid e-mail address."],
    }
    assert counts() == before


def test_client_create_refuses_an_owner_from_another_store(world: World) -> None:
    before = counts()
    with pytest.raises(ValidationError) as caught:
        client_create(
            actor=world.manager, store=world.store, first_name="Анна", owner=world.stranger
        )
    assert caught.value.message_dict == {
        "owner": ["This consultant does not work in the client's store."]
    }
    assert counts() == before


def test_client_create_by_someone_outside_the_store_is_refused(world: World) -> None:
    before = counts()
    with pytest.raises(PermissionDenied):
        client_create(actor=world.stranger, store=world.store, first_name="Анна")
    assert counts() == before


def test_admin_creates_a_card_for_a_consultant(world: World) -> None:
    client = client_create(
        actor=world.admin, store=world.store, first_name="Фёдор", owner=world.colleague
    )
    assert (client.owner_id, client.first_name_key) == (world.colleague.pk, "fedor")
    assert events(client) == [("created", world.admin.pk, {"contacts": [], "consents": []})]


# --- client_update ----------------------------------------------------------------------------


def test_client_update_writes_the_diff_on_the_timeline(world: World) -> None:
    # given Anna Ivanova's card
    client = world.client
    # when her consultant corrects the first name and adds a birthday (the last name unchanged)
    client_update(
        actor=world.owner,
        client=client,
        first_name="юлия",
        last_name="Иванова",
        birthday=date(1990, 5, 17),
    )
    # then the card has the new values and keys
    client.refresh_from_db()
    assert (client.first_name, client.birthday, client.first_name_key) == (
        "Юлия",
        date(1990, 5, 17),
        "iulia",
    )
    # and the timeline keeps only what changed, from what to what
    assert events(client)[1:] == [
        (
            "edited",
            world.owner.pk,
            {"changes": {"first_name": ["Анна", "Юлия"], "birthday": ["", "1990-05-17"]}},
        )
    ]


def test_client_update_without_a_change_writes_nothing(world: World) -> None:
    client_update(actor=world.owner, client=world.client, first_name="анна", status="new")
    assert [kind for kind, _, _ in events(world.client)] == ["created"]


def test_client_update_status_and_clearing_a_birthday(world: World) -> None:
    client = world.client
    client_update(actor=world.manager, client=client, birthday=date(1985, 2, 3))
    client_update(actor=world.manager, client=client, birthday=None, status="vip")
    client.refresh_from_db()
    assert (client.birthday, client.status) == (None, "vip")
    assert [data for kind, _, data in events(client) if kind == "edited"] == [
        {"changes": {"birthday": ["", "1985-02-03"]}},
        {"changes": {"birthday": ["1985-02-03", ""], "status": ["new", "vip"]}},
    ]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"first_name": "  "}, {"first_name": ["Enter the client's first name."]}),
        ({"birthday": date(2999, 1, 1)}, {"birthday": ["A birthday cannot be in the future."]}),
        ({"status": "royal"}, {"status": ["Value 'royal' is not a valid choice."]}),
    ],
)
def test_client_update_refusals_change_nothing(world: World, changes: dict, errors: dict) -> None:
    with pytest.raises(ValidationError) as caught:
        client_update(actor=world.owner, client=world.client, **changes)
    assert caught.value.message_dict == errors
    stored = Client.objects.get(pk=world.client.pk)
    assert (stored.first_name, stored.birthday, stored.status) == ("Анна", None, "new")
    assert len(events(world.client)) == 1


def test_client_update_refuses_fields_it_does_not_own(world: World) -> None:
    with pytest.raises(TypeError, match=r"not editable here: \['owner', 'store'\]"):
        client_update(actor=world.owner, client=world.client, owner=None, store=None)


@pytest.mark.parametrize("who", PERSONAS)
def test_client_update_permissions(world: World, who: str) -> None:
    with outcome(CARD_EDIT[who]):
        client_update(actor=persona(world, who), client=world.client, last_name="Петрова")
    stored = Client.objects.get(pk=world.client.pk)
    assert stored.last_name == ("Иванова" if CARD_EDIT[who] else "Петрова")


# --- contact points ---------------------------------------------------------------------------


def test_contact_point_add_normalises_and_keeps_the_primary(world: World) -> None:
    # given a card with a primary phone and e-mail
    # when a second phone is typed the national way, and a Telegram link is pasted
    phone = contact_point_add(
        actor=world.owner,
        client=world.client,
        kind="phone",
        value="8 903 111-22-33",
        label=" work ",
    )
    handle = contact_point_add(
        actor=world.owner, client=world.client, kind="telegram", value="https://t.me/Anna_K"
    )
    # then both are stored normalised; the new phone is not primary, the first handle is
    assert (phone.value, phone.suffix_key, phone.is_primary, phone.label) == (
        "+79031112233",
        "3322111309",
        False,
        "work",
    )
    assert contacts(world.client) == [
        ("phone", "+79161234567", "7654321619", True),
        ("email", "anna@example.ru", "", True),
        ("phone", "+79031112233", "3322111309", False),
        ("telegram", "anna_k", "", True),
    ]
    assert handle.is_primary is True
    assert events(world.client)[1:] == [
        ("contact_added", world.owner.pk, {"kind": "phone", "value": "+79031112233"}),
        ("contact_added", world.owner.pk, {"kind": "telegram", "value": "anna_k"}),
    ]


def test_contact_point_add_as_primary_demotes_the_old_one(world: World) -> None:
    contact_point_add(
        actor=world.owner, client=world.client, kind="phone", value="9031112233", is_primary=True
    )
    assert [
        (value, primary) for kind, value, _, primary in contacts(world.client) if kind == "phone"
    ] == [("+79161234567", False), ("+79031112233", True)]


def test_the_same_number_in_another_format_is_a_duplicate(world: World) -> None:
    before = counts()
    with pytest.raises(ValidationError) as caught:
        contact_point_add(
            actor=world.owner, client=world.client, kind="phone", value="8 (916) 123 45 67"
        )
    assert caught.value.message_dict == {"value": ["The card already has this contact."]}
    with pytest.raises(ValidationError):
        contact_point_add(
            actor=world.owner, client=world.client, kind="email", value="ANNA@example.RU"
        )
    assert counts() == before


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("phone", "12", "This phone number is too short."),
        ("phone", "", "Enter a phone number."),
        ("phone", "звонить", "This does not look like a phone number."),
        ("email", "anna@", "Enter a valid e-mail address."),
        ("telegram", "@ann", "A Telegram user name has 5–32 letters, digits or underscores."),
    ],
)
def test_contact_point_add_refuses_bad_values(
    world: World, kind: str, value: str, message: str
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as caught:
        contact_point_add(actor=world.owner, client=world.client, kind=kind, value=value)
    assert caught.value.message_dict == {"value": [message]}
    assert counts() == before


def test_contact_point_add_refuses_an_unknown_kind(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        contact_point_add(actor=world.owner, client=world.client, kind="fax", value="123")
    assert caught.value.message_dict == {"kind": ["Unknown contact type."]}


def test_removing_the_primary_phone_promotes_the_oldest_other(world: World) -> None:
    # given three phones, the first primary
    second = contact_point_add(
        actor=world.owner, client=world.client, kind="phone", value="9031112233"
    )
    contact_point_add(actor=world.owner, client=world.client, kind="phone", value="9052223344")
    primary = ContactPoint.objects.get(client=world.client, kind="phone", is_primary=True)
    # when the primary is removed
    contact_point_remove(actor=world.manager, point=primary)
    # then the oldest remaining phone is primary, the e-mail is untouched
    assert contacts(world.client) == [
        ("email", "anna@example.ru", "", True),
        ("phone", "+79031112233", "3322111309", True),
        ("phone", "+79052223344", "4433222509", False),
    ]
    assert (
        second.pk == ContactPoint.objects.get(client=world.client, kind="phone", is_primary=True).pk
    )
    assert events(world.client)[-1] == (
        "contact_removed",
        world.manager.pk,
        {"kind": "phone", "value": "+79161234567"},
    )


def test_removing_a_secondary_contact_keeps_the_primary(world: World) -> None:
    other = contact_point_add(
        actor=world.owner, client=world.client, kind="phone", value="9031112233"
    )
    contact_point_remove(actor=world.owner, point=other)
    assert contacts(world.client) == [
        ("phone", "+79161234567", "7654321619", True),
        ("email", "anna@example.ru", "", True),
    ]


def test_removing_the_only_email_leaves_no_email(world: World) -> None:
    email = ContactPoint.objects.get(client=world.client, kind="email")
    contact_point_remove(actor=world.owner, point=email)
    assert contacts(world.client) == [("phone", "+79161234567", "7654321619", True)]


@pytest.mark.parametrize("who", PERSONAS)
def test_contact_point_permissions(world: World, who: str) -> None:
    with outcome(CARD_EDIT[who]):
        contact_point_add(
            actor=persona(world, who), client=world.client, kind="phone", value="9031112233"
        )
    point = ContactPoint.objects.get(client=world.client, kind="email")
    with outcome(CARD_EDIT[who]):
        contact_point_remove(actor=persona(world, who), point=point)
    assert [value for _, value, _, _ in contacts(world.client)] == (
        ["+79161234567", "anna@example.ru"] if CARD_EDIT[who] else ["+79161234567", "+79031112233"]
    )


# --- consents ---------------------------------------------------------------------------------


def test_consent_history_is_on_the_timeline(world: World) -> None:
    # given no consent yet
    # when the client agrees to WhatsApp at the till, then withdraws by replying to a message
    consent_set(
        actor=world.colleague,
        client=world.client,
        channel="whatsapp",
        status="granted",
        source="form",
    )
    consent = consent_set(
        actor=world.owner,
        client=world.client,
        channel="whatsapp",
        status="withdrawn",
        source="message",
        note="ответила СТОП",
    )
    # then the current state is the withdrawal, with how and by whom
    consent.refresh_from_db()
    assert (consent.status, consent.source, consent.note, consent.changed_by_id) == (
        "withdrawn",
        "message",
        "ответила СТОП",
        world.owner.pk,
    )
    assert Consent.objects.filter(client=world.client).count() == 1
    # and the timeline keeps both changes
    assert events(world.client)[1:] == [
        (
            "consent_changed",
            world.colleague.pk,
            {"channel": "whatsapp", "status": "granted", "source": "form"},
        ),
        (
            "consent_changed",
            world.owner.pk,
            {"channel": "whatsapp", "status": "withdrawn", "source": "message"},
        ),
    ]


def test_consent_set_to_the_same_status_writes_nothing(world: World) -> None:
    first = consent_set(
        actor=world.owner, client=world.client, channel="sms", status="granted", source="form"
    )
    again = consent_set(
        actor=world.manager, client=world.client, channel="sms", status="granted", source="web"
    )
    again.refresh_from_db()
    assert (again.pk, again.source, again.changed_by_id, again.changed_at) == (
        first.pk,
        "form",
        world.owner.pk,
        first.changed_at,
    )
    assert [kind for kind, _, _ in events(world.client)] == ["created", "consent_changed"]


def test_consent_set_without_an_actor_from_the_web(world: World) -> None:
    consent = consent_set(
        actor=None, client=world.client, channel="email", status="granted", source="web"
    )
    assert (consent.status, consent.changed_by_id) == ("granted", None)
    assert events(world.client)[-1] == (
        "consent_changed",
        None,
        {"channel": "email", "status": "granted", "source": "web"},
    )


def test_consent_set_refuses_unknown_values(world: World) -> None:
    with pytest.raises(ValueError):
        consent_set(
            actor=world.owner,
            client=world.client,
            channel="pigeon",
            status="granted",
            source="form",
        )
    assert Consent.objects.count() == 0


@pytest.mark.parametrize("who", PERSONAS)
def test_consent_permissions(world: World, who: str) -> None:
    with outcome(STORE_WORK[who]):
        consent_set(
            actor=persona(world, who),
            client=world.client,
            channel=Channel.CALL,
            status=ConsentStatus.GRANTED,
            source=ConsentSource.VERBAL,
        )
    assert Consent.objects.filter(client=world.client).count() == (0 if STORE_WORK[who] else 1)


# --- preferences ------------------------------------------------------------------------------


def test_preference_add_and_remove(world: World) -> None:
    size = preference_add(
        actor=world.owner, client=world.client, kind="size", value=" 38 ", detail=" обувь "
    )
    preference_add(
        actor=world.owner, client=world.client, kind=PreferenceKind.BRAND, value="Loro Piana"
    )
    preference_remove(actor=world.manager, preference=size)
    assert list(
        Preference.objects.filter(client=world.client).values_list("kind", "value", "detail")
    ) == [("brand", "Loro Piana", "")]
    assert events(world.client)[1:] == [
        ("preference_added", world.owner.pk, {"kind": "size", "value": "38", "detail": "обувь"}),
        (
            "preference_added",
            world.owner.pk,
            {"kind": "brand", "value": "Loro Piana", "detail": ""},
        ),
        (
            "preference_removed",
            world.manager.pk,
            {"kind": "size", "value": "38", "detail": "обувь"},
        ),
    ]


def test_preference_add_refuses_an_empty_value(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        preference_add(actor=world.owner, client=world.client, kind="colour", value="  ")
    assert caught.value.message_dict == {"value": ["Enter a value."]}
    assert Preference.objects.count() == 0


@pytest.mark.parametrize("who", PERSONAS)
def test_preference_permissions(world: World, who: str) -> None:
    with outcome(CARD_EDIT[who]):
        preference_add(actor=persona(world, who), client=world.client, kind="style", value="casual")
    assert Preference.objects.filter(client=world.client).count() == (0 if CARD_EDIT[who] else 1)


# --- relatives and key dates ------------------------------------------------------------------


def test_relative_add(world: World) -> None:
    relative = relative_add(
        actor=world.owner,
        client=world.client,
        name="  игорь ",
        relation="partner",
        birthday=date(1988, 9, 1),
        gender="m",
        greet_directly=True,
        note=" любит часы ",
    )
    relative.refresh_from_db()
    assert (
        relative.name,
        relative.relation,
        relative.birthday,
        relative.gender,
        relative.greet_directly,
        relative.note,
    ) == ("Игорь", "partner", date(1988, 9, 1), "m", True, "любит часы")
    assert events(world.client)[1:] == [
        (
            "relative_added",
            world.owner.pk,
            {"name": "Игорь", "relation": "partner", "birthday": "1988-09-01"},
        )
    ]


@pytest.mark.parametrize(
    ("name", "birthday", "errors"),
    [
        ("  ", None, {"name": ["Enter a name."]}),
        ("Маша", date(2999, 1, 1), {"birthday": ["A birthday cannot be in the future."]}),
    ],
)
def test_relative_add_refusals(
    world: World, name: str, birthday: date | None, errors: dict
) -> None:
    with pytest.raises(ValidationError) as caught:
        relative_add(
            actor=world.owner, client=world.client, name=name, relation="child", birthday=birthday
        )
    assert caught.value.message_dict == errors
    assert Relative.objects.count() == 0


def test_relative_update_writes_the_diff(world: World) -> None:
    relative = relative_add(actor=world.owner, client=world.client, name="Маша", relation="child")
    relative_update(
        actor=world.manager,
        relative=relative,
        name="мария",
        birthday=date(2015, 6, 1),
        relation="child",
    )
    relative.refresh_from_db()
    assert (relative.name, relative.birthday) == ("Мария", date(2015, 6, 1))
    assert events(world.client)[-1] == (
        "relative_edited",
        world.manager.pk,
        {
            "name": "Мария",
            "changes": {"name": ["Маша", "Мария"], "birthday": ["", "2015-06-01"]},
        },
    )


def test_relative_update_without_a_change_writes_nothing(world: World) -> None:
    relative = relative_add(actor=world.owner, client=world.client, name="Маша", relation="child")
    relative_update(actor=world.owner, relative=relative, name=" маша ", relation="child")
    assert [kind for kind, _, _ in events(world.client)] == ["created", "relative_added"]


def test_relative_update_refuses_other_fields(world: World) -> None:
    relative = relative_add(actor=world.owner, client=world.client, name="Маша", relation="child")
    with pytest.raises(TypeError, match=r"not editable here: \['client'\]"):
        relative_update(actor=world.owner, relative=relative, client=None)


def test_removing_a_partner_removes_their_dates_and_keeps_the_clients(world: World) -> None:
    # given the seeds' split couple: a partner with an anniversary, and the client's own date
    partner = relative_add(actor=world.owner, client=world.client, name="Игорь", relation="partner")
    key_date_add(
        actor=world.owner,
        client=world.client,
        kind=KeyDateKind.ANNIVERSARY,
        date=date(2019, 7, 14),
        label="Годовщина с Игорем",
        relative=partner,
    )
    own = key_date_add(
        actor=world.owner,
        client=world.client,
        kind=KeyDateKind.SERVICE_DUE,
        date=date(2026, 3, 1),
        recurrence=Recurrence.ONCE,
        label="Чистка часов",
    )
    child = relative_add(actor=world.owner, client=world.client, name="Маша", relation="child")
    # when they split up and the partner is removed
    relative_remove(actor=world.owner, relative=partner, reason=" расстались ")
    # then the partner and their anniversary are gone; the child and the client's date remain
    assert list(Relative.objects.filter(client=world.client).values_list("pk", flat=True)) == [
        child.pk
    ]
    assert list(KeyDate.objects.filter(client=world.client).values_list("pk", flat=True)) == [
        own.pk
    ]
    assert events(world.client)[-1] == (
        "relative_removed",
        world.owner.pk,
        {"name": "Игорь", "relation": "partner", "reason": "расстались"},
    )


def test_key_date_add_and_remove(world: World) -> None:
    key_date = key_date_add(
        actor=world.owner,
        client=world.client,
        kind="wedding",
        date=date(2012, 8, 18),
        label=" свадьба ",
    )
    assert (key_date.recurrence, key_date.label, key_date.relative_id) == (
        "yearly",
        "свадьба",
        None,
    )
    key_date_remove(actor=world.admin, key_date=key_date)
    assert KeyDate.objects.count() == 0
    assert events(world.client)[1:] == [
        (
            "date_added",
            world.owner.pk,
            {"kind": "wedding", "date": "2012-08-18", "label": "свадьба"},
        ),
        (
            "date_removed",
            world.admin.pk,
            {"kind": "wedding", "date": "2012-08-18", "label": "свадьба"},
        ),
    ]


def test_key_date_with_someone_elses_relative_is_refused(world: World) -> None:
    other = make_client(world.owner, world.store, first_name="Ольга", last_name="Смирнова")
    foreign = relative_add(actor=world.owner, client=other, name="Пётр", relation="spouse")
    with pytest.raises(ValidationError) as caught:
        key_date_add(
            actor=world.owner,
            client=world.client,
            kind="wedding",
            date=date(2012, 8, 18),
            relative=foreign,
        )
    assert caught.value.message_dict == {"relative": ["This person is not on the client's card."]}
    assert KeyDate.objects.count() == 0


@pytest.mark.parametrize("who", PERSONAS)
def test_relative_and_key_date_permissions(world: World, who: str) -> None:
    # given a relative and a date written by the owner
    relative = relative_add(actor=world.owner, client=world.client, name="Маша", relation="child")
    key_date = key_date_add(
        actor=world.owner, client=world.client, kind="custom", date=date(2020, 1, 1)
    )
    actor = persona(world, who)
    denied = CARD_EDIT[who]
    # when each persona tries every card edit about them
    with outcome(denied):
        relative_add(actor=actor, client=world.client, name="Петя", relation="child")
    with outcome(denied):
        relative_update(actor=actor, relative=relative, name="Мария")
    with outcome(denied):
        key_date_add(actor=actor, client=world.client, kind="custom", date=date(2021, 1, 1))
    with outcome(denied):
        key_date_remove(actor=actor, key_date=key_date)
    with outcome(denied):
        relative_remove(actor=actor, relative=relative)
    # then the card changed only for those allowed
    assert list(Relative.objects.values_list("name", flat=True)) == (
        ["Маша"] if denied else ["Петя"]
    )
    assert list(KeyDate.objects.values_list("date", flat=True)) == (
        [date(2020, 1, 1)] if denied else [date(2021, 1, 1)]
    )


# --- notes ------------------------------------------------------------------------------------


def test_a_colleague_writes_and_pins_a_note(world: World) -> None:
    first = note_add(actor=world.owner, client=world.client, text="Ищет подарок мужу")
    second = note_add(actor=world.colleague, client=world.client, text="  Заходила с дочкой  ")
    note_pin(actor=world.colleague, note=first, is_pinned=True)
    assert list(
        Note.objects.filter(client=world.client).values_list("pk", "text", "author_id", "is_pinned")
    ) == [
        (first.pk, "Ищет подарок мужу", world.owner.pk, True),
        (second.pk, "Заходила с дочкой", world.colleague.pk, False),
    ]
    added = TimelineEvent.objects.filter(client=world.client, kind=TimelineKind.NOTE_ADDED)
    assert sorted(added.values_list("note_id", "actor_id")) == sorted(
        [(first.pk, world.owner.pk), (second.pk, world.colleague.pk)]
    )
    note_pin(actor=world.owner, note=first, is_pinned=False)
    assert list(Note.objects.filter(client=world.client).values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]


def test_an_empty_note_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        note_add(actor=world.owner, client=world.client, text=" \n ")
    assert caught.value.message_dict == {"text": ["Write something first."]}
    assert Note.objects.count() == 0


@pytest.mark.parametrize("who", PERSONAS)
def test_note_permissions(world: World, who: str) -> None:
    actor = persona(world, who)
    with outcome(STORE_WORK[who]):
        note_add(actor=actor, client=world.client, text="Любит зелёный")
    mine = note_add(actor=world.owner, client=world.client, text="Размер 38")
    with outcome(STORE_WORK[who]):
        note_pin(actor=actor, note=mine, is_pinned=True)
    assert list(Note.objects.values_list("text", "is_pinned")) == (
        [("Размер 38", False)]
        if STORE_WORK[who]
        else [("Размер 38", True), ("Любит зелёный", False)]
    )


# --- reassignment -----------------------------------------------------------------------------


def test_manager_reassigns_clients_to_a_colleague(world: World) -> None:
    # given two of Olga's clients
    second = make_client(world.owner, world.store, first_name="Юлия", last_name="Щукина")
    # when the manager hands them to Irina
    moved = client_reassign(
        actor=world.manager, clients=[second, world.client], owner=world.colleague
    )
    # then both are Irina's, and each card says who had it before
    assert moved == 2
    assert list(
        Client.objects.filter(pk__in=[world.client.pk, second.pk]).values_list(
            "owner_id", flat=True
        )
    ) == [world.colleague.pk, world.colleague.pk]
    for client in (world.client, second):
        assert events(client)[-1] == (
            "reassigned",
            world.manager.pk,
            {"from": "Ольга Тестова", "to": "Ирина Тестова"},
        )


def test_reassigning_to_the_same_owner_moves_nothing(world: World) -> None:
    assert client_reassign(actor=world.manager, clients=[world.client], owner=world.owner) == 0
    assert [kind for kind, _, _ in events(world.client)] == ["created"]


def test_reassigning_to_nobody_leaves_the_client_unassigned(world: World) -> None:
    assert client_reassign(actor=world.admin, clients=[world.client], owner=None) == 1
    world.client.refresh_from_db()
    assert world.client.owner_id is None
    assert events(world.client)[-1] == (
        "reassigned",
        world.admin.pk,
        {"from": "Ольга Тестова", "to": ""},
    )


@pytest.mark.parametrize("who", ["owner", "colleague", "stranger"])
def test_consultants_cannot_reassign(world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        client_reassign(actor=persona(world, who), clients=[world.client], owner=world.colleague)
    world.client.refresh_from_db()
    assert world.client.owner_id == world.owner.pk
    assert len(events(world.client)) == 1


def test_the_new_owner_must_work_in_the_store(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        client_reassign(actor=world.manager, clients=[world.client], owner=world.stranger)
    assert caught.value.message_dict == {
        "owner": ["Павел Тестова does not work in the client's store."]
    }
    world.client.refresh_from_db()
    assert world.client.owner_id == world.owner.pk


def test_a_refused_reassignment_rolls_back_the_whole_batch(world: World) -> None:
    # given a client of this store (lower pk) and one of the other store
    abroad = make_client(world.stranger, world.other_store, first_name="Вера", last_name="Котова")
    # when the admin hands both to Irina, who works only in this store
    with pytest.raises(ValidationError):
        client_reassign(actor=world.admin, clients=[abroad, world.client], owner=world.colleague)
    # then even the first client, already processed, keeps its owner
    assert list(
        Client.objects.filter(pk__in=[world.client.pk, abroad.pk])
        .order_by("pk")
        .values_list("owner_id", flat=True)
    ) == [world.owner.pk, world.stranger.pk]
    assert TimelineEvent.objects.filter(kind=TimelineKind.REASSIGNED).count() == 0


def test_a_manager_of_another_store_cannot_reassign_here(world: World) -> None:
    other_manager = make_user(world.other_store, Role.MANAGER, username="gleb")
    with pytest.raises(PermissionDenied):
        client_reassign(actor=other_manager, clients=[world.client], owner=None)


def test_an_inactive_consultant_cannot_receive_clients(world: World) -> None:
    leaver = make_user(world.store, username="leaver")
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    leaver = User.objects.get(pk=leaver.pk)
    with pytest.raises(ValidationError):
        client_reassign(actor=world.manager, clients=[world.client], owner=leaver)


def test_client_create_for_nobody_only_when_the_caller_says_so(world: World) -> None:
    from rapport.clients.services import ACTOR

    mine = client_create(actor=world.manager, store=world.store, first_name="Вера")
    theirs = client_create(
        actor=world.manager, store=world.store, first_name="Вера", owner=world.colleague
    )
    nobodys = client_create(actor=world.manager, store=world.store, first_name="Вера", owner=None)
    default = client_create(actor=world.manager, store=world.store, first_name="Вера", owner=ACTOR)

    assert [c.owner_id for c in (mine, theirs, nobodys, default)] == [
        world.manager.pk,
        world.colleague.pk,
        None,
        world.manager.pk,
    ]
    assert events(nobodys) == [("created", world.manager.pk, {"contacts": [], "consents": []})]
