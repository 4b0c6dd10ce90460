"""A manager's evening on a phone, in a real browser: the card's numbers, then the dashboard."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rapport.outreach.models import Contact
from rapport.sales.services import LineInput, purchase_record
from rapport.testing import World, log_in, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """Anna bought every eight weeks, the last time twelve weeks ago; Olga wrote to her twice."""
    world = make_world()
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    for weeks_ago in (36, 28, 20, 12):
        purchase_record(
            actor=world.owner,
            client=world.client,
            lines=[LineInput("Кольцо «Капля»", 1, Decimal("85000"))],
            purchased_at=datetime.combine(today - timedelta(weeks=weeks_ago), time(13), tz),
        )
    for days_ago in (40, 30):
        Contact.objects.create(
            client=world.client,
            user=world.owner,
            channel="whatsapp",
            outcome="replied",
            category="useful",
            at=datetime.combine(today - timedelta(days=days_ago), time(11), tz),
        )
    return world


def test_manager_reads_a_clients_rhythm_and_the_stores_numbers(
    live_world: World,
    phone_page,  # type: ignore[no-untyped-def]
) -> None:
    page = phone_page
    log_in(page, live_world.manager.username)

    page.goto(f"/clients/{live_world.client.pk}/")
    numbers = page.locator("#numbers").inner_text().replace("\xa0", " ").replace("\u202f", " ")
    assert "Обычно покупает раз в 8 недель; сейчас прошло 12 недель." in numbers
    assert "Всего потратил(а) 340 000 RUB" in numbers
    assert "Покупает регулярно (покупок: 4, ровный ритм)." in numbers

    page.get_by_role("link", name="Показатели").click()
    page.wait_for_url(re.compile(r"/dashboard/"))
    tiles = page.locator(".tile")
    assert tiles.count() == 11
    # The funnel and the revenue chart are drawn; a tooltip carries each bar's value.
    assert page.locator("svg.funnel rect").count() == 5
    assert page.locator("section[aria-labelledby=revenue-title] svg rect").count() >= 12
    page.get_by_label("Период", exact=True).select_option("365d")
    page.wait_for_url(re.compile(r"period=365d"))
    revenue = page.locator(".tile").first.inner_text()
    assert "340 000 RUB" in revenue.replace("\xa0", " ").replace("\u202f", " ")
    page.locator("section[aria-labelledby=revenue-title] summary").click()
    table = page.locator("section[aria-labelledby=revenue-title] table")
    assert table.is_visible()
    # Nothing on the page is wider than the phone (the cohort grid scrolls inside its card).
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
