"""Logging in, being locked out after repeated failures, and switching the language."""

from __future__ import annotations

import pytest
from django.test import Client as Browser
from django.urls import reverse

from rapport.testing import PASSWORD, World

pytestmark = pytest.mark.django_db


def test_a_consultant_logs_in_and_lands_on_today(world: World) -> None:
    browser = Browser()
    response = browser.post(
        reverse("login"), {"username": "olga", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain == [("/", 302), (reverse("outreach:today"), 302)]
    assert response.context["user"] == world.owner


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(world: World) -> None:
    browser = Browser()
    for _ in range(5):
        browser.post(reverse("login"), {"username": "olga", "password": "wrong"})
    response = browser.post(reverse("login"), {"username": "olga", "password": PASSWORD})
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]


def test_the_language_choice_is_kept_on_the_user(world: World) -> None:
    browser = Browser()
    browser.force_login(world.owner)
    response = browser.post(
        reverse("language_set"), {"language": "en", "next": reverse("clients:book")}
    )
    assert response["Location"] == reverse("clients:book")
    world.owner.refresh_from_db()
    assert world.owner.language == "en"
    page = browser.get(reverse("clients:book"))
    assert '<html lang="en">' in page.content.decode()


def test_the_language_switch_refuses_foreign_redirects(world: World) -> None:
    response = Browser().post(
        reverse("language_set"), {"language": "ru", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_pages_carry_a_content_security_policy_with_a_nonce(world: World) -> None:
    browser = Browser()
    browser.force_login(world.owner)
    response = browser.get(reverse("clients:book"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.content.decode()
