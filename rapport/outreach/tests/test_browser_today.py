"""A consultant's morning on a phone, in a real browser: Today → WhatsApp → outcome → the plan."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from rapport.clients.choices import Channel, ConsentSource, ConsentStatus
from rapport.clients.services import client_update, consent_set
from rapport.outreach.choices import Occasion, Outcome, TouchpointStatus
from rapport.outreach.models import Contact, Touchpoint
from rapport.testing import World, log_in, make_world, ru

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_world(transactional_db: None) -> World:
    world = make_world()
    today = timezone.localdate()
    consent_set(
        actor=world.owner,
        client=world.client,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.IN_STORE_FORM,
    )
    client_update(
        actor=world.owner, client=world.client, birthday=today.replace(year=today.year - 30)
    )
    return world


def test_consultant_edits_a_draft_sends_it_on_whatsapp_and_logs_the_reply(
    live_world: World,
    phone_page,  # type: ignore[no-untyped-def]
) -> None:
    page = phone_page
    today = timezone.localdate()
    point = Touchpoint.objects.get(
        client=live_world.client, occasion=Occasion.CLIENT_BIRTHDAY, due_on=today
    )
    # wa.me is on the internet; the test answers for it so the tap has somewhere to go.
    page.context.route("https://wa.me/**", lambda route: route.fulfill(body="WhatsApp"))

    log_in(page, live_world.owner.username)

    item = page.locator(f"#tp-{point.pk}")
    assert "Анна Иванова" in item.inner_text()
    draft = item.locator("textarea")
    text = "Анна, с днём рождения! Ждём вас на бокал шампанского & новую коллекцию."
    draft.fill(text)
    link = item.locator("a[data-link-for]")
    expected = "https://wa.me/79161234567?text=" + quote(text, safe="")
    assert link.get_attribute("href") == expected
    with page.expect_popup() as popup_info:
        link.click()
    popup = popup_info.value
    assert popup.url == expected
    popup.close()

    item.locator("button[name=outcome][value=sent]").click()
    page.locator(f"#tp-{point.pk} .badge.waiting").wait_for()
    page.locator(f"#tp-{point.pk} button[name=outcome][value=replied]").first.click()
    page.locator(f"#tp-{point.pk} .badge.done").wait_for()

    contact = Contact.objects.get(client=live_world.client)
    assert (contact.outcome, contact.text, contact.channel) == (Outcome.REPLIED, text, "whatsapp")
    point.refresh_from_db()
    assert point.status == TouchpointStatus.DONE

    page.get_by_role("link", name="Анна Иванова").first.click()
    page.wait_for_url(re.compile(rf"/clients/{live_world.client.pk}/$"))
    plan = page.locator("#plan")
    past = plan.locator(".plan-dot.past")
    assert past.count() == 1
    assert "WhatsApp" in past.inner_text()
    upcoming = plan.locator(".plan-dot:not(.past)")
    first_next = Touchpoint.objects.filter(
        client=live_world.client, status=TouchpointStatus.PLANNED, due_on__gt=today
    ).order_by("due_on", "-priority", "pk")[0]
    assert upcoming.first.get_attribute("data-touchpoint") == str(first_next.pk)
    assert first_next.due_on >= today + timedelta(days=1)
    page.screenshot(path="test-results/card-plan-after-reply.png", full_page=True)


def test_consultant_opens_more_and_moves_the_contact_to_tomorrow(
    live_world: World,
    phone_page,  # type: ignore[no-untyped-def]
) -> None:
    page = phone_page
    today = timezone.localdate()
    point = Touchpoint.objects.get(
        client=live_world.client, occasion=Occasion.CLIENT_BIRTHDAY, due_on=today
    )
    log_in(page, live_world.owner.username)
    item = page.locator(f"#tp-{point.pk}")
    assert item.locator("button[name=days]").count() == 0  # loaded only when "More" opens

    item.locator("details.more summary").click()
    opt_out = item.get_by_role("button", name=ru("Asked not to be contacted"))
    asked = []

    def answer_no(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer_no)
    opt_out.click()  # "Continue?" — no
    item.get_by_role("button", name=ru("tomorrow")).click()
    page.locator(f"#tp-{point.pk} .note").wait_for()

    assert asked == [ru("The client will no longer be contacted on this channel. Continue?")]
    point.refresh_from_db()
    assert (point.status, point.due_on) == (TouchpointStatus.PLANNED, today + timedelta(days=1))
    assert not Contact.objects.filter(client=live_world.client).exists()
    assert page.locator(f"#tp-{point.pk} textarea").count() == 1  # the card, still to act on
