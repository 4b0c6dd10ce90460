"""Looking up, creating and changing cards through the API."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from rapport.clients.choices import ConsentStatus, TimelineKind
from rapport.clients.models import Client, Consent, TimelineEvent
from rapport.outreach.models import Touchpoint
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "phone",
    ["+7 916 123-45-67", "8 (916) 123-45-67", "89161234567", "79161234567", "+79161234567"],
)
def test_lookup_reads_the_phone_in_the_stores_country(
    world: World, api: APIClient, phone: str
) -> None:
    response = api.get("/api/v1/clients/lookup/", {"phone": phone})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    card = body["results"][0]
    assert card["id"] == world.client.pk
    assert card["phones"] == ["+79161234567"]
    assert card["emails"] == ["anna@example.ru"]
    assert card["owner"] == "olga"
    assert card["store"] == world.store.pk


def test_lookup_by_email_ignores_case(world: World, api: APIClient) -> None:
    response = api.get("/api/v1/clients/lookup/", {"email": " Anna@Example.RU "})
    assert [c["id"] for c in response.json()["results"]] == [world.client.pk]


def test_lookup_by_the_last_digits_finds_nothing(world: World, api: APIClient) -> None:
    # the API matches whole numbers only: four digits would reveal other people's cards
    response = api.get("/api/v1/clients/lookup/", {"phone": "4567"})
    assert response.status_code == 400
    assert response.json() == {"phone": ["This phone number is too short."]}


def test_lookup_needs_a_phone_or_an_email(world: World, api: APIClient) -> None:
    response = api.get("/api/v1/clients/lookup/")
    assert response.status_code == 400
    assert response.json() == {"phone": ["Give a phone number or an e-mail address."]}


def test_lookup_of_a_bad_email_is_a_field_error(world: World, api: APIClient) -> None:
    response = api.get("/api/v1/clients/lookup/", {"email": "not-an-address"})
    assert response.status_code == 400
    assert response.json() == {"email": ["Enter a valid e-mail address."]}


def test_lookup_query_count_does_not_grow_with_matches(
    world: World,
    api: APIClient,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for number in range(5):  # five more cards with the same phone (duplicates to merge later)
        make_client(world.owner, world.store, first_name=f"Anna{number}", phone="+79161234567")
    api.get("/api/v1/clients/lookup/", {"phone": "+79161234567"})  # last_used_at written once
    # token, membership, contact points, clients, their contacts
    with django_assert_max_num_queries(5):
        response = api.get("/api/v1/clients/lookup/", {"phone": "+79161234567"})
    assert response.json()["count"] == 6


def test_card_query_count_is_fixed(
    world: World,
    api: APIClient,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    api.get(f"/api/v1/clients/{world.client.pk}/")
    with django_assert_max_num_queries(4):  # token, membership, client, its contacts
        response = api.get(f"/api/v1/clients/{world.client.pk}/")
    assert response.status_code == 200


def test_create_makes_an_unassigned_card(world: World, api: APIClient) -> None:
    response = api.post(
        "/api/v1/clients/",
        {
            "first_name": "  вера ",
            "last_name": "петрова",
            "phone": "8 903 555-00-00",
            "email": "Vera@Example.ru",
            "external_id": "SHOP-42",
            "consent_channels": ["email"],
            "consent_source": "web",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["matched"] is False
    assert (body["first_name"], body["last_name"]) == ("Вера", "Петрова")
    assert body["phones"] == ["+79035550000"]
    assert body["emails"] == ["vera@example.ru"]
    assert body["external_id"] == "SHOP-42"
    assert body["owner"] is None
    client = Client.objects.get(pk=body["id"])
    assert client.store == world.store and client.owner is None
    assert Consent.objects.get(client=client).status == ConsentStatus.GRANTED
    assert list(TimelineEvent.objects.filter(client=client).values_list("kind", flat=True)) == [
        TimelineKind.CREATED  # and no "reassigned" from the integration's user to nobody
    ]
    planned = Touchpoint.objects.filter(client=client)
    assert planned.exists() and set(planned.values_list("assignee_id", flat=True)) == {None}


def test_create_can_name_the_consultant(world: World, api: APIClient) -> None:
    response = api.post("/api/v1/clients/", {"first_name": "Вера", "owner": "irina"})
    assert response.status_code == 201
    assert response.json()["owner"] == "irina"
    stranger = api.post("/api/v1/clients/", {"first_name": "Вера", "owner": "pavel"})
    assert stranger.status_code == 400
    assert stranger.json() == {"owner": ["This consultant does not work in the client's store."]}


@pytest.mark.parametrize(
    "known", [{"phone": "8-916-123-45-67"}, {"email": "ANNA@example.ru"}, {"phone": "+79161234567"}]
)
def test_create_with_a_known_contact_returns_the_card(
    world: World, api: APIClient, known: dict[str, str]
) -> None:
    response = api.post("/api/v1/clients/", {"first_name": "Анна", **known})
    assert response.status_code == 200
    assert response.json()["id"] == world.client.pk
    assert response.json()["matched"] is True
    assert Client.objects.count() == 1


def test_create_in_another_store_does_not_match(world: World, make_api) -> None:  # type: ignore[no-untyped-def]
    other = make_api(world.other_store)
    response = other.post("/api/v1/clients/", {"first_name": "Анна", "phone": "+79161234567"})
    assert response.status_code == 201
    assert response.json()["store"] == world.other_store.pk


def test_create_errors_are_per_field(world: World, api: APIClient) -> None:
    response = api.post(
        "/api/v1/clients/",
        {"first_name": "", "phone": "123", "birthday": "2999-01-01", "gender": "x"},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"first_name", "gender"}
    bad_phone = api.post("/api/v1/clients/", {"first_name": "Вера", "phone": "123"})
    assert bad_phone.json() == {"phone": ["This phone number is too short."]}
    future = api.post("/api/v1/clients/", {"first_name": "Вера", "birthday": "2100-01-01"})
    assert future.json() == {"birthday": ["A birthday cannot be in the future."]}


def test_consent_needs_its_source(world: World, api: APIClient) -> None:
    response = api.post("/api/v1/clients/", {"first_name": "Вера", "consent_channels": ["sms"]})
    assert response.status_code == 400
    assert response.json() == {"consent_source": ["Say how the client gave the consent."]}


def test_patch_changes_only_what_is_sent(world: World, api: APIClient) -> None:
    url = f"/api/v1/clients/{world.client.pk}/"
    response = api.patch(url, {"last_name": "смирнова", "birthday": "1990-05-01"})
    assert response.status_code == 200
    body = response.json()
    assert (body["first_name"], body["last_name"], body["birthday"]) == (
        "Анна",
        "Смирнова",
        "1990-05-01",
    )
    assert TimelineEvent.objects.filter(client=world.client, kind=TimelineKind.EDITED).count() == 1


def test_patch_adds_a_new_phone_and_email_and_keeps_the_old(world: World, api: APIClient) -> None:
    url = f"/api/v1/clients/{world.client.pk}/"
    response = api.patch(url, {"phone": "8 (903) 555-12-34", "email": "Anna.S@Example.RU"})
    assert response.status_code == 200
    body = response.json()
    assert body["phones"] == ["+79161234567", "+79035551234"]
    assert body["emails"] == ["anna@example.ru", "anna.s@example.ru"]
    added = TimelineEvent.objects.filter(client=world.client, kind=TimelineKind.CONTACT_ADDED)
    assert added.count() == 2
    again = api.patch(url, {"phone": "+7 903 555 12 34"})  # already on the card: nothing new
    assert again.status_code == 200 and again.json()["phones"] == body["phones"]
    assert added.count() == 2


def test_patch_with_a_bad_phone_changes_nothing(world: World, api: APIClient) -> None:
    url = f"/api/v1/clients/{world.client.pk}/"
    response = api.patch(url, {"last_name": "Петрова", "phone": "12"})
    assert response.status_code == 400
    assert list(response.json()) == ["phone"]
    world.client.refresh_from_db()
    assert world.client.last_name != "Петрова"


def test_patch_errors_are_per_field(world: World, api: APIClient) -> None:
    response = api.patch(f"/api/v1/clients/{world.client.pk}/", {"first_name": " "})
    assert response.status_code == 400
    assert response.json() == {"first_name": ["This field may not be blank."]}


def test_an_unknown_or_huge_id_is_404(world: World, api: APIClient) -> None:
    assert api.get("/api/v1/clients/999999/").status_code == 404
    assert api.get(f"/api/v1/clients/{2**70}/").status_code == 404
