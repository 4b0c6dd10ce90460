"""The dashboard: who sees what, the numbers it shows for a hand-made store, and its cost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from rapport.accounts.models import User
from rapport.clients.models import Client
from rapport.insights.models import ScoreSettings
from rapport.insights.selectors import dashboard_for, dashboard_scope_for
from rapport.outreach.models import Contact, Touchpoint
from rapport.sales.models import Purchase
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def at(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=timezone.get_current_timezone())


def sale(client: Client, days_ago: int, amount: int, by: User | None = None) -> None:
    Purchase.objects.create(
        client=client,
        store=client.store,
        consultant=by,
        purchased_at=at(TODAY - timedelta(days=days_ago)),
        total=Decimal(amount),
    )


def browser_for(user: User) -> Browser:
    browser = Browser(headers={"accept-language": "en"})
    browser.force_login(user)
    return browser


@pytest.fixture
def shop(world: World) -> World:
    """Anna (Olga's) buys three times, Boris (Irina's) once inside the last 30 days, Vera (the
    other store's) once; Olga contacted Anna 5 days before her latest purchase."""
    anna = world.client
    boris = make_client(world.colleague, world.store, first_name="Борис", last_name="Петров")
    vera = make_client(world.stranger, world.other_store, first_name="Вера", last_name="Орлова")
    sale(anna, 400, 10_000, world.owner)
    sale(anna, 100, 20_000, world.owner)
    sale(anna, 10, 30_000, world.owner)
    sale(boris, 20, 5_000, world.colleague)
    sale(vera, 3, 7_000, world.stranger)
    Contact.objects.create(
        client=anna, user=world.owner, channel="whatsapp", outcome="replied",
        category="selling", at=at(TODAY - timedelta(days=15)),
    )  # fmt: skip
    for due_days_ago, done_days_ago in ((15, 15), (12, None)):
        Touchpoint.objects.create(
            client=anna, store=world.store, assignee=world.owner,
            due_on=TODAY - timedelta(days=due_days_ago),
            window_start=TODAY - timedelta(days=due_days_ago),
            window_end=TODAY - timedelta(days=due_days_ago - 3),
            occasion="new_arrivals", category="selling", channel="whatsapp",
            status="done" if done_days_ago else "planned",
            done_at=at(TODAY - timedelta(days=done_days_ago)) if done_days_ago else None,
        )  # fmt: skip
    return world


def tiles(board: object) -> dict[str, object]:
    return {t.key: t.value for t in board.tiles}  # type: ignore[attr-defined]


def test_the_manager_sees_the_stores_numbers(shop: World) -> None:
    scope = dashboard_scope_for(user=shop.manager, today=TODAY, period="30d")
    board = dashboard_for(scope)
    values = tiles(board)

    assert values["revenue"] == 35_000.0  # Anna's 30,000 and Boris's 5,000; not Vera's store
    assert values["buyers"] == 2
    assert values["repeat"] == 50.0  # Anna bought on 3 days, Boris once
    assert values["outreach_return"] == 100.0  # the one contact, followed by a purchase in 14 days
    assert values["outreach_revenue"] == 30_000.0
    assert values["adherence"] == 50.0  # one of two due contacts made in its window
    assert board.funnel is not None
    assert (board.funnel.planned, board.funnel.done, board.funnel.replied, board.funnel.bought) == (
        2, 1, 1, 1,
    )  # fmt: skip
    assert [c.full_name for c, _ in board.concentration] == ["Анна Иванова"]  # 86 % of revenue


def test_a_consultant_sees_only_their_own_book(shop: World) -> None:
    scope = dashboard_scope_for(user=shop.colleague, today=TODAY, period="30d")
    board = dashboard_for(scope)

    assert scope.consultant == shop.colleague and not scope.is_manager
    assert tiles(board)["revenue"] == 5_000.0  # Boris only
    with pytest.raises(Http404):
        dashboard_scope_for(user=shop.colleague, today=TODAY, consultant_id=shop.owner.pk)
    with pytest.raises(Http404):
        dashboard_scope_for(user=shop.colleague, today=TODAY, store_id=shop.store.pk)


def test_a_manager_cannot_open_another_stores_dashboard(shop: World) -> None:
    with pytest.raises(Http404):
        dashboard_scope_for(user=shop.manager, today=TODAY, store_id=shop.other_store.pk)
    with pytest.raises(Http404):
        dashboard_scope_for(user=shop.manager, today=TODAY, consultant_id=shop.stranger.pk)
    admin = dashboard_scope_for(user=shop.admin, today=TODAY, period="30d")
    assert tiles(dashboard_for(admin))["revenue"] == 42_000.0  # the whole company


def test_the_page_draws_the_charts_with_a_fixed_number_of_queries(shop: World) -> None:
    browser = browser_for(shop.manager)
    url = reverse("insights:dashboard") + "?period=365d"
    browser.get(url)  # warm the session and the scope

    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<svg") == 4  # funnel, revenue, regular share, cohorts
    assert "Revenue: new and returning clients" in page
    assert "One client brings 91 % of the revenue: Анна Иванова" in page  # 50,000 of 55,000
    assert len(queries) == 15


def test_the_consultants_page_is_their_own(shop: World) -> None:
    page = browser_for(shop.owner).get(reverse("insights:dashboard")).content.decode()
    assert "My numbers" in page
    assert "Whole team" not in page


def test_only_a_manager_changes_the_thresholds(shop: World) -> None:
    url = reverse("insights:settings") + f"?store={shop.store.pk}"
    data = {
        "regular_purchases": "4", "vip_revenue": "300000", "dormant_ratio": "2.5",
        "dormant_days": "150", "former_days": "400", "unanswered_streak": "3",
        "clv_months": "24", "annual_discount": "10", "attribution_days": "21",
    }  # fmt: skip

    assert browser_for(shop.owner).post(url, data).status_code == 403
    assert not ScoreSettings.objects.exists()
    response = browser_for(shop.manager).post(url, data)

    assert response.status_code == 302
    saved = ScoreSettings.objects.get(store=shop.store)
    assert (saved.regular_purchases, saved.clv_months, saved.attribution_days) == (4, 24, 21)
    bad = browser_for(shop.manager).post(url, data | {"regular_purchases": "1"})
    assert bad.status_code == 200
    assert "Ensure this value is greater than or equal to 2." in bad.content.decode()
