from __future__ import annotations

import pytest

from rapport.testing import World, make_world


@pytest.fixture(autouse=True)
def _fast_passwords(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def world(db: None) -> World:
    """Two stores with an owner consultant, a colleague, a stranger, a manager and an admin."""
    return make_world()
