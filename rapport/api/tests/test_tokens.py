"""The admin's page of API keys and ``rapport token``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as PageClient
from django.utils import translation

from rapport.accounts.models import User
from rapport.api.keys import key_hash
from rapport.api.models import IntegrationToken
from rapport.testing import World

pytestmark = pytest.mark.django_db


def logged_in(username: str) -> PageClient:
    page = PageClient(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(User.objects.get(username=username))
    return page


def test_only_a_company_admin_sees_the_keys_page(world: World) -> None:
    assert logged_in("marina").get("/api/tokens/").status_code == 403
    assert PageClient().get("/api/tokens/").status_code == 302  # to the login page
    assert logged_in("boss").get("/api/tokens/").status_code == 200


def test_the_admin_creates_a_key_and_sees_it_once(world: World) -> None:
    page = logged_in("boss")
    response = page.post(
        "/api/tokens/",
        {"store": world.store.pk, "name": "Till 1", "scopes": ["clients:read", "purchases:write"]},
    )
    assert response.status_code == 200
    key = response.context["new_key"]
    token = IntegrationToken.objects.get()
    assert token.key_hash == key_hash(key)
    assert (token.name, token.store, token.scopes, token.created_by) == (
        "Till 1",
        world.store,
        ["clients:read", "purchases:write"],
        world.admin,
    )
    assert key in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    again = page.get("/api/tokens/").content.decode()
    assert key not in again and token.key_prefix in again


def test_the_admin_revokes_a_key(world: World) -> None:
    page = logged_in("boss")
    page.post(
        "/api/tokens/", {"store": world.store.pk, "name": "Till 1", "scopes": ["clients:read"]}
    )
    token = IntegrationToken.objects.get()
    assert logged_in("marina").post(f"/api/tokens/{token.pk}/revoke/").status_code == 403
    response = page.post(f"/api/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_form_error_is_shown_on_the_field(world: World) -> None:
    response = logged_in("boss").post("/api/tokens/", {"store": world.store.pk, "name": "X"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"scopes": ["This field is required."]}


def test_the_command_creates_lists_and_revokes(world: World) -> None:
    out = StringIO()
    call_command(
        "token",
        "create",
        "--store",
        world.store.name,
        "--name",
        "Web shop",
        "--scopes",
        "clients:read,clients:write",
        "--json",
        stdout=out,
    )
    created = json.loads(out.getvalue())
    token = IntegrationToken.objects.get(pk=created["id"])
    assert token.key_hash == key_hash(created["key"])
    assert created["scopes"] == ["clients:read", "clients:write"]
    listed = StringIO()
    call_command("token", "list", "--json", stdout=listed)
    row = json.loads(listed.getvalue())
    assert "key" not in row and row["key_prefix"] == token.key_prefix
    call_command("token", "revoke", str(token.pk), stdout=StringIO())
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_command_refuses_unknown_scopes(world: World) -> None:
    from django.core.management.base import CommandError

    with translation.override("en"), pytest.raises(CommandError, match="Unknown scopes: x:y"):
        call_command(
            "token", "create", "--store", world.store.name, "--name", "T", "--scopes", "x:y"
        )


def test_a_keys_technical_user_is_nobody_a_book_is_handed_to(world: World) -> None:
    from rapport.accounts.selectors import consultants_for
    from rapport.api.services import token_create

    token, _ = token_create(actor=None, store=world.store, name="Till 1", scopes=["clients:read"])
    people = set(consultants_for(user=world.admin).values_list("username", flat=True))
    assert token.user.username not in people
    assert {"olga", "marina"} <= people
    page = logged_in("marina").get(f"/clients/handover/?from={world.owner.pk}")
    assert "(API)" not in page.content.decode()
