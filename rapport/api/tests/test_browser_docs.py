"""The API's pages in a real browser: Swagger UI under the app's CSP, and the admin's keys."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from rapport.api.keys import key_hash
from rapport.api.models import IntegrationToken
from rapport.testing import World, log_in, make_world, ru

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every operation Swagger UI lists, as "METHOD path", in its order (by tag, then by path).
OPERATIONS = [
    "POST /api/v1/clients/",
    "GET /api/v1/clients/{id}/",
    "PATCH /api/v1/clients/{id}/",
    "GET /api/v1/clients/lookup/",
    "GET /api/v1/products/{sku}/",
    "PUT /api/v1/products/{sku}/",
    "POST /api/v1/purchases/",
    "POST /api/v1/purchases/{receipt_number}/returns/",
]


@pytest.fixture
def live_world(transactional_db: None) -> World:
    cache.clear()  # the API's throttle counts start from zero
    return make_world()


def test_swagger_ui_runs_from_the_apps_own_files_under_its_csp(
    live_world: World,
    live_server,  # type: ignore[no-untyped-def]
    phone_page,  # type: ignore[no-untyped-def]
) -> None:
    page = phone_page
    requested: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    # Violations are reported as events too, even those the console would not show.
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )

    response = page.goto("/api/docs/")
    assert response is not None and response.status == 200
    # The app's policy; only the inline style attributes Swagger UI writes are let in.
    assert response.headers["content-security-policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "object-src 'none'"
    )

    summaries = page.locator(".opblock .opblock-summary")
    summaries.first.wait_for()
    shown = [
        f"{summary.locator('.opblock-summary-method').inner_text()} "
        f"{summary.locator('.opblock-summary-path').get_attribute('data-path')}"
        for summary in summaries.all()
    ]
    assert shown == OPERATIONS
    assert page.locator(".info .title").inner_text() == "Rapport API\n 1 \nOAS 3.0"

    # The lookup opens with its description and its parameters.
    lookup = page.locator(".opblock", has=page.locator("[data-path='/api/v1/clients/lookup/']"))
    lookup.locator(".opblock-summary").click()
    assert "Only exact matches are returned." in lookup.locator(".opblock-description").inner_text()
    assert sorted(lookup.locator(".parameters .parameter__name").all_inner_texts()) == [
        "email",
        "phone",
    ]

    assert page.evaluate("window.__csp") == []
    assert [line for line in console if line.startswith(("error", "pageerror"))] == []
    assert not [line for line in console if "Content Security Policy" in line]
    # Nothing comes from a CDN: the page, its scripts, styles and the schema are the app's own.
    assert requested and all(url.startswith(live_server.url) for url in requested)
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in requested)
    assert any(url.startswith(f"{live_server.url}/api/schema/") for url in requested)


def test_company_admin_creates_a_key_sees_it_once_uses_it_and_revokes_it(
    live_world: World,
    phone_page,  # type: ignore[no-untyped-def]
) -> None:
    page = phone_page
    store = live_world.store
    log_in(page, live_world.admin.username)

    page.locator("nav.tabbar details.menu summary").click()
    link = page.locator("nav.tabbar .menu-panel a[href='/api/tokens/']")
    assert link.inner_text() == "Ключи API"
    link.click()
    page.wait_for_url(re.compile(r"/api/tokens/$"))
    assert page.locator("h1").inner_text() == ru("API keys")
    assert page.get_by_text(ru("No keys yet.")).is_visible()

    page.get_by_label(ru("Store")).select_option(label=store.name)
    page.get_by_label(ru("Name")).fill("Касса 1")
    page.get_by_label(ru("Look up and read client cards")).check()
    page.get_by_label(ru("Record purchases and returns")).check()
    with page.expect_response(re.compile(r"/api/tokens/$")) as answer:
        page.get_by_role("button", name=ru("Create the key")).click()
    assert answer.value.headers["cache-control"] == "no-store"

    token = IntegrationToken.objects.get()
    assert (token.name, token.store, token.scopes, token.created_by) == (
        "Касса 1",
        store,
        ["clients:read", "purchases:write"],
        live_world.admin,
    )
    shown = page.locator("section[role=status]")
    assert shown.locator("h2").inner_text() == ru("The new key")
    key = shown.locator("code").inner_text()
    assert key_hash(key) == token.key_hash and key.startswith(token.key_prefix)
    row = page.locator("table tbody tr")
    assert row.locator("td").all_inner_texts()[:5] == [
        "Касса 1",
        store.name,
        f"{token.key_prefix}…",
        "clients:read, purchases:write",
        ru("never"),
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The key works for a till, within its scopes.
    lookup = page.request.get(
        "/api/v1/clients/lookup/?phone=8%20916%20123-45-67",
        headers={"Authorization": f"Token {key}"},
    )
    assert lookup.status == 200
    assert [card["id"] for card in lookup.json()["results"]] == [live_world.client.pk]
    assert (
        page.request.put(
            "/api/v1/products/00123/",
            headers={"Authorization": f"Token {key}"},
            data={"name": "Кольцо"},
        ).status
        == 403
    )

    # Shown once: opened again, the page has only the key's beginning.
    page.goto("/api/tokens/")
    assert page.locator("section[role=status]").count() == 0
    assert key not in page.content()
    assert page.locator("table tbody tr td code").inner_text() == f"{token.key_prefix}…"

    page.get_by_role("button", name=ru("Revoke")).click()
    page.wait_for_url(re.compile(r"/api/tokens/$"))
    assert page.locator(".messages").inner_text() == ru("The key “%(name)s” no longer works.") % {
        "name": "Касса 1"
    }
    assert page.locator("table tbody tr td").last.inner_text() == ru("revoked")
    assert page.get_by_role("button", name=ru("Revoke")).count() == 0
    token.refresh_from_db()
    assert token.revoked_at is not None
    again = page.request.get(
        "/api/v1/clients/lookup/?phone=8%20916%20123-45-67",
        headers={"Authorization": f"Token {key}"},
    )
    assert again.status == 401
