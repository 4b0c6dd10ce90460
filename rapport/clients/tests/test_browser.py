"""A consultant's till flow on a phone, in a real browser."""

from __future__ import annotations

import re
from datetime import date

import pytest

from rapport.clients.models import Client
from rapport.testing import World, log_in, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_world(transactional_db: None) -> World:
    return make_world()


def test_consultant_finds_a_client_adds_a_child_and_records_a_purchase(
    live_world: World,
    phone_page,  # type: ignore[no-untyped-def]
) -> None:
    page = phone_page
    log_in(page, live_world.owner.username)
    page.get_by_role("navigation").get_by_role("link", name="Клиенты").click()
    page.wait_for_url(re.compile(r"/clients/$"))

    # The number was stored as +7 916 123-45-67; she types it the way it is written on a receipt.
    page.get_by_role("searchbox").fill("8 (916) 123 45 67")
    page.get_by_role("link", name=re.compile("Иванова Анна")).click()
    page.wait_for_url(re.compile(rf"/clients/{live_world.client.pk}/$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Анна")

    page.get_by_role("link", name=re.compile("Партнёр, ребёнок")).click()
    page.get_by_label("Имя", exact=True).fill("Маша")
    page.get_by_label("Кто это").select_option("child")
    page.get_by_label(re.compile("^День рождения")).fill("2019-05-14")
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_url(re.compile(r"#relatives$"))

    page.get_by_role("link", name="Покупка").first.click()
    page.get_by_label("Товар").first.fill("Серьги, белое золото")
    page.get_by_label("Цена").first.fill("48000")
    page.get_by_role("button", name="Провести покупку").click()
    page.wait_for_url(re.compile(r"#timeline$"))

    timeline = page.locator("#timeline").inner_text().replace("\xa0", " ")
    assert "Покупка" in timeline
    assert "48 000 ₽ · Серьги, белое золото" in timeline
    assert "Маша (ребёнок) · день рождения 14 мая 2019" in timeline
    client = Client.objects.get(pk=live_world.client.pk)
    assert client.purchase_count == 1
    assert [(r.name, r.birthday) for r in client.relatives.all()] == [("Маша", date(2019, 5, 14))]
    page.screenshot(path="test-results/card-after-purchase.png", full_page=True)
