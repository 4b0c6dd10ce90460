from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from rapport.accounts.models import Store
from rapport.api.choices import TokenScope
from rapport.api.services import token_create
from rapport.testing import World

ALL_SCOPES = list(TokenScope.values)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_api(db: None) -> Callable[..., APIClient]:
    """An API client holding a new key of ``store`` with ``scopes`` (all by default)."""

    def make(store: Store, scopes: list[str] | None = None, name: str = "Till 1") -> APIClient:
        token, key = token_create(
            actor=None, store=store, name=name, scopes=ALL_SCOPES if scopes is None else scopes
        )
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        client.token = token  # type: ignore[attr-defined]
        client.key = key  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def api(world: World, make_api: Callable[..., APIClient]) -> APIClient:
    """A till of the world's store with every scope."""
    return make_api(world.store)
