"""A manager reviews likely duplicates on a phone, in a real browser: compare, merge, undo."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import dateformat, timezone, translation
from django.utils.translation import ngettext

from rapport.clients.choices import CandidateStatus
from rapport.clients.models import Client, ClientMerge, DuplicateCandidate
from rapport.clients.services import contact_point_add, duplicate_candidates_refresh
from rapport.clients.views import evidence_sentence
from rapport.sales.services import LineInput, purchase_record
from rapport.testing import World, log_in, make_client, make_world, ru

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIRTHDAY = date(1990, 5, 17)


def purchases_ru(n: int) -> str:
    with translation.override("ru"):
        return ngettext("%(n)s purchase", "%(n)s purchases", n) % {"n": n}


def ru_date(moment: datetime) -> str:
    """A moment as the pages write it in Russian: «17 мая 2026»."""
    with translation.override("ru"):
        return dateformat.format(timezone.localtime(moment), "j E Y")


@pytest.fixture
def live_world(transactional_db: None) -> World:
    """Sasha at the till one day, Alexandra another: one person, two cards, one phone."""
    world = make_world()
    sasha = make_client(
        world.owner,
        world.store,
        first_name="Саша",
        last_name="Петрова",
        phone="+7 916 111-22-33",
        birthday=BIRTHDAY,
    )
    alexandra = make_client(
        world.colleague,
        world.store,
        first_name="Александра",
        last_name="Петрова",
        phone="8 916 111 22 33",
        email="alexandra@example.ru",
        birthday=BIRTHDAY,
    )
    contact_point_add(
        actor=world.colleague, client=alexandra, kind="phone", value="+7 903 222-33-44"
    )
    purchase_record(
        actor=world.colleague,
        client=alexandra,
        lines=[LineInput("Серьги «Капля»", 1, Decimal("32000"))],
        purchased_at=datetime.combine(
            timezone.localdate() - timedelta(days=20), time(15), timezone.get_current_timezone()
        ),
        receipt_number="R-77",
    )
    assert (sasha.pk, alexandra.pk) == tuple(sorted((sasha.pk, alexandra.pk)))
    return world


def test_manager_merges_two_cards_of_one_person_and_undoes_it(
    live_world: World,
    phone_page,  # type: ignore[no-untyped-def]
) -> None:
    page = phone_page
    store = live_world.store
    sasha = Client.objects.get(store=store, first_name="Саша")
    alexandra = Client.objects.get(store=store, first_name="Александра")
    stats = duplicate_candidates_refresh(store=store)
    assert (stats.clients, stats.created, stats.auto_merged) == (3, 1, 0)
    candidate = DuplicateCandidate.objects.get()
    assert (candidate.client_a_id, candidate.client_b_id) == (sasha.pk, alexandra.pk)
    assert {item["field"] for item in candidate.evidence} >= {"phone", "name", "birthday"}

    log_in(page, live_world.manager.username)

    # The menu leads to the queue.
    page.locator("nav.tabbar details.menu summary").click()
    link = page.locator("nav.tabbar .menu-panel a[href='/clients/duplicates/']")
    assert link.inner_text() == "Возможные дубликаты"
    link.click()
    page.wait_for_url(re.compile(r"/clients/duplicates/$"))

    # Both cards side by side, and why they look like one person.
    pair = page.locator(f"#pair-{candidate.pk}")
    percent = round(candidate.score * 100)
    assert pair.locator("h2").inner_text() == ru("%(percent)s%% alike") % {"percent": percent}
    sides = pair.locator(".side")
    assert sides.locator("h3").all_inner_texts() == ["Петрова Саша", "Петрова Александра"]
    bought = f"1 · {ru('last')} {ru_date(alexandra.purchases.get().purchased_at)}"
    assert [side.locator("dd").all_inner_texts()[:4] for side in sides.all()] == [
        ["8 (916) 111-22-33", "", "17 мая 1990", "0"],
        ["8 (916) 111-22-33, 8 (903) 222-33-44", "alexandra@example.ru", "17 мая 1990", bought],
    ]
    with translation.override("ru"):
        evidence = [evidence_sentence(item) for item in candidate.evidence]
    assert pair.locator("ul.evidence li").all_inner_texts() == evidence
    assert any("Саша" in sentence and "Александра" in sentence for sentence in evidence)
    # The card with the purchase is proposed to stay; the manager keeps Sasha's instead.
    assert pair.locator(f"input[name=survivor][value='{alexandra.pk}']").is_checked()
    survivor = pair.get_by_label(f"Саша Петрова ({purchases_ru(0)})")
    survivor.check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pair.get_by_role("button", name=ru("Merge"), exact=True).click()
    page.wait_for_url(re.compile(r"/clients/duplicates/$"))
    assert page.locator(".messages").inner_text() == ru(
        "%(other)s is merged into %(name)s. You can undo it in the merge history."
    ) % {"other": "Александра Петрова", "name": "Саша Петрова"}
    assert page.locator("p.empty").inner_text() == ru("No possible duplicates to review.")
    merge = ClientMerge.objects.get()
    assert (merge.survivor_id, merge.merged_id, merge.merged_by) == (
        sasha.pk,
        alexandra.pk,
        live_world.manager,
    )

    # Sasha's card now holds both phones, the e-mail and Alexandra's purchase.
    page.goto(f"/clients/{sasha.pk}/")
    contacts = page.locator("#contacts")
    assert sorted(contacts.locator("a[href^='tel:']").all_inner_texts()) == [
        "8 (903) 222-33-44",
        "8 (916) 111-22-33",
    ]
    assert contacts.locator("a[href^='mailto:']").inner_text() == "alexandra@example.ru"
    purchases = page.locator("#purchases")
    assert "№ R-77" in purchases.inner_text()
    assert "Серьги «Капля» × 1" in purchases.inner_text()
    assert purchases_ru(1) in page.locator("#top").inner_text()
    # An old link to Alexandra's card leads to the card she was merged into.
    page.goto(f"/clients/{alexandra.pk}/")
    page.wait_for_url(re.compile(rf"/clients/{sasha.pk}/$"))

    # The merge history, and the undo.
    page.goto("/clients/duplicates/")
    page.get_by_role("link", name=ru("Merge history")).click()
    page.wait_for_url(re.compile(r"/clients/merges/$"))
    item = page.locator(f"#merge-{merge.pk}")
    assert item.locator("strong").inner_text() == "Александра Петрова"
    assert item.locator("a").inner_text() == "Саша Петрова"
    assert item.locator("a").get_attribute("href") == f"/clients/{sasha.pk}/"
    item.get_by_role("button", name=ru("Undo"), exact=True).click()
    page.wait_for_url(re.compile(r"/clients/merges/$"))
    assert page.locator(".messages").inner_text() == ru(
        "The merge is undone: %(a)s and %(b)s are two cards again."
    ) % {"a": "Саша Петрова", "b": "Александра Петрова"}
    assert item.locator("form").count() == 0
    merge.refresh_from_db()
    assert merge.undone_at is not None
    assert item.locator(".badge").inner_text() == ru("undone on %(when)s by %(who)s") % {
        "when": ru_date(merge.undone_at),
        "who": "Марина Тестова",
    }
    assert merge.undone_by == live_world.manager
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DISMISSED

    # Both cards are back as they were.
    page.goto(f"/clients/{alexandra.pk}/")
    page.wait_for_url(re.compile(rf"/clients/{alexandra.pk}/$"))
    assert page.locator("h1").inner_text() == "Александра Петрова"
    assert sorted(page.locator("#contacts a[href^='tel:']").all_inner_texts()) == [
        "8 (903) 222-33-44",
        "8 (916) 111-22-33",
    ]
    assert "№ R-77" in page.locator("#purchases").inner_text()
    page.goto(f"/clients/{sasha.pk}/")
    assert page.locator("h1").inner_text() == "Саша Петрова"
    assert page.locator("#contacts a[href^='tel:']").all_inner_texts() == ["8 (916) 111-22-33"]
    assert page.locator("#contacts a[href^='mailto:']").count() == 0
    assert page.locator("#purchases").inner_text().count("R-77") == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert Client.objects.filter(store=store, merged_into__isnull=False).count() == 0
