"""Keys, scopes, stores and rates: who may call what."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient

from rapport.api.choices import TokenScope
from rapport.api.keys import key_hash
from rapport.api.models import IntegrationToken
from rapport.api.services import token_create, token_revoke
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def card_url(world: World) -> str:
    return f"/api/v1/clients/{world.client.pk}/"


def test_the_key_is_stored_only_as_its_hash(world: World) -> None:
    token, key = token_create(actor=None, store=world.store, name="Till 1", scopes=["clients:read"])
    stored = IntegrationToken.objects.get(pk=token.pk)
    assert key.startswith("rpt_") and len(key) == 47
    assert stored.key_hash == key_hash(key)
    assert key not in (stored.key_hash, stored.key_prefix)
    assert stored.key_prefix == key[:12]


def test_without_a_key_the_answer_is_401(world: World) -> None:
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get(card_url(world))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize(
    "header",
    ["Token rpt_wrong", "Bearer rpt_wrong", "Token", "Token a b", "Token " + "x" * 300],
)
def test_an_invalid_key_is_401(world: World, header: str) -> None:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(card_url(world))
    assert response.status_code == 401
    assert "detail" in response.json()


def test_bearer_works_like_token(world: World, api: APIClient) -> None:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.key}")  # type: ignore[attr-defined]
    assert client.get(card_url(world)).status_code == 200


def test_a_revoked_key_is_401_and_its_user_leaves_the_store(world: World, api: APIClient) -> None:
    token = api.token  # type: ignore[attr-defined]
    token_revoke(actor=None, token=token)
    response = api.get(card_url(world))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked token."}
    token.user.refresh_from_db()
    assert token.user.is_active is False
    assert list(token.user.memberships.values_list("is_active", flat=True)) == [False]


def test_last_used_is_noted(world: World, api: APIClient) -> None:
    api.get(card_url(world))
    token = IntegrationToken.objects.get(pk=api.token.pk)  # type: ignore[attr-defined]
    assert token.last_used_at is not None


def test_a_missing_scope_is_403(world: World, make_api: Callable[..., APIClient]) -> None:
    reader = make_api(world.store, [TokenScope.CLIENTS_READ])
    response = reader.post("/api/v1/purchases/", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "This token does not have the “purchases:write” scope."}
    assert reader.get(card_url(world)).status_code == 200
    assert reader.patch(card_url(world), {"last_name": "X"}).status_code == 403


def test_a_token_of_another_store_does_not_see_the_client(
    world: World, make_api: Callable[..., APIClient]
) -> None:
    other = make_api(world.other_store)
    assert other.get(card_url(world)).status_code == 404
    assert other.patch(card_url(world), {"last_name": "X"}).status_code == 404
    found = other.get("/api/v1/clients/lookup/", {"phone": "+79161234567"})
    assert found.json() == {"count": 0, "results": []}
    bought = other.post(
        "/api/v1/purchases/",
        {
            "receipt_number": "R-1",
            "client_id": world.client.pk,
            "lines": [{"description": "Ring", "quantity": 1, "unit_price": "10.00"}],
        },
    )
    assert bought.status_code == 400
    assert bought.json() == {"client_id": ["No client with this id in the store."]}


def test_only_a_company_admin_creates_tokens(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        token_create(actor=world.manager, store=world.store, name="X", scopes=["clients:read"])
    token, _key = token_create(
        actor=world.admin, store=world.store, name="X", scopes=["clients:read"]
    )
    assert token.created_by == world.admin


def test_unknown_scopes_are_refused(world: World) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        token_create(actor=None, store=world.store, name="X", scopes=["clients:delete"])
    assert error.value.message_dict == {"scopes": ["Unknown scopes: clients:delete."]}


def test_requests_over_the_rate_are_429(world: World, api: APIClient) -> None:
    with override_settings(RAPPORT_API_RATE="2/min"):
        codes = [api.get(card_url(world)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert int(api.get(card_url(world))["Retry-After"]) > 0


def test_the_rate_is_counted_per_token(world: World, make_api: Callable[..., APIClient]) -> None:
    first, second = make_api(world.store), make_api(world.store, name="Web shop")
    with override_settings(RAPPORT_API_RATE="1/min"):
        assert first.get(card_url(world)).status_code == 200
        assert first.get(card_url(world)).status_code == 429
        assert second.get(card_url(world)).status_code == 200


def test_clients_made_through_the_api_pass_the_page_rules(world: World, api: APIClient) -> None:
    # the token's user is a member of the store: a card of the store made by a consultant
    mine = make_client(world.owner, world.store, first_name="Вера", phone="+79035550000")
    response = api.patch(f"/api/v1/clients/{mine.pk}/", {"last_name": "Петрова"})
    assert response.status_code == 200
    assert response.json()["last_name"] == "Петрова"
