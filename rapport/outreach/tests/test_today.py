"""Today, outcomes, snoozes and hand changes to the plan, for each persona."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone, translation

from rapport.clients.choices import (
    Channel,
    ClientStatus,
    ConsentSource,
    ConsentStatus,
    TimelineKind,
)
from rapport.clients.models import Client, Consent, TimelineEvent
from rapport.clients.services import client_update
from rapport.outreach import services
from rapport.outreach.choices import Occasion, Outcome, TouchpointStatus
from rapport.outreach.mailing import touchpoint_email_deliver
from rapport.outreach.models import Contact, Touchpoint
from rapport.outreach.selectors import agenda_for
from rapport.testing import World, grant_consent, ru

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in English; the pages' own test reads them in Russian."""
    with translation.override("en"):
        yield


def grant(world: World, channel: str = Channel.WHATSAPP) -> None:
    grant_consent(world.client, channel, actor=world.owner)


def birthday_today(world: World) -> Touchpoint:
    """The client turns 30 today: a fixed-date touchpoint on Today."""
    today = timezone.localdate()
    grant(world)
    client_update(
        actor=world.owner, client=world.client, birthday=today.replace(year=today.year - 30)
    )
    return Touchpoint.objects.get(
        client=world.client, occasion=Occasion.CLIENT_BIRTHDAY, due_on=today
    )


def future(world: World) -> list[Touchpoint]:
    return list(
        Touchpoint.objects.filter(
            client=world.client,
            status=TouchpointStatus.PLANNED,
            due_on__gt=timezone.localdate(),
        )
    )


def test_today_lists_the_birthday_with_its_draft_and_a_whatsapp_link(world: World) -> None:
    point = birthday_today(world)
    page = agenda_for(user=world.owner, day=timezone.localdate())
    assert [item.touchpoint.pk for item in page.items] == [point.pk]
    item = page.items[0]
    assert "Анна" in item.text
    assert item.link == "https://wa.me/79161234567?text=" + quote(item.text, safe="")
    assert page.counts["today"] == 1
    assert page.counts["overdue"] == 0


def test_the_page_renders_for_the_consultant_and_is_the_home_page(world: World) -> None:
    point = birthday_today(world)
    browser = Browser()
    browser.force_login(world.owner)
    assert browser.get("/")["Location"] == reverse("outreach:today")
    html = browser.get(reverse("outreach:today")).content.decode()
    assert f'id="tp-{point.pk}"' in html
    assert "https://wa.me/79161234567?text=" in html


def test_a_colleague_does_not_see_it_and_cannot_open_the_owners_today(world: World) -> None:
    birthday_today(world)
    assert agenda_for(user=world.colleague, day=timezone.localdate()).items == []
    browser = Browser()
    browser.force_login(world.colleague)
    url = reverse("outreach:today") + f"?consultant={world.owner.pk}"
    assert browser.get(url).status_code == 404


def test_a_manager_opens_a_consultants_today_and_a_stranger_cannot(world: World) -> None:
    point = birthday_today(world)
    url = reverse("outreach:today") + f"?consultant={world.owner.pk}"
    browser = Browser()
    browser.force_login(world.manager)
    page = browser.get(url)
    assert [item.touchpoint.pk for item in page.context["page"].items] == [point.pk]
    browser.force_login(world.stranger)
    assert browser.get(url).status_code == 404


def test_touchpoint_actions_check_who_is_asking(world: World) -> None:
    point = birthday_today(world)
    url = reverse("outreach:outcome_log", args=[point.pk])
    browser = Browser()
    browser.force_login(world.stranger)
    assert browser.post(url, {"outcome": "sent"}).status_code == 404
    browser.force_login(world.colleague)
    assert browser.post(url, {"outcome": "sent"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.draft_save(actor=world.colleague, touchpoint=point, text="Привет")
    assert Touchpoint.objects.get(pk=point.pk).status == TouchpointStatus.PLANNED


def test_sent_then_replied_is_one_contact_and_the_plan_restarts_from_it(world: World) -> None:
    Client.objects.filter(pk=world.client.pk).update(status=ClientStatus.REGULAR)
    world.client.refresh_from_db()
    point = birthday_today(world)
    services.draft_save(actor=world.owner, touchpoint=point, text="Анна, с днём рождения!")
    sent = services.contact_log(actor=world.owner, touchpoint=point, outcome=Outcome.SENT)
    point.refresh_from_db()
    assert point.status == TouchpointStatus.WAITING
    assert (sent.channel, sent.text, sent.occasion) == (
        "whatsapp",
        "Анна, с днём рождения!",
        "client_birthday",
    )
    waiting = agenda_for(user=world.owner, day=timezone.localdate()).waiting
    assert [item.touchpoint.pk for item in waiting] == [point.pk]

    replied = services.contact_log(actor=world.owner, touchpoint=point, outcome=Outcome.REPLIED)
    point.refresh_from_db()
    assert replied.pk == sent.pk
    assert (replied.outcome, point.status) == (Outcome.REPLIED, TouchpointStatus.DONE)
    assert Contact.objects.filter(client=world.client).count() == 1
    assert (
        TimelineEvent.objects.filter(client=world.client, kind=TimelineKind.CONTACTED).count() == 2
    )
    today = timezone.localdate()
    flexible = [p for p in future(world) if not p.is_fixed and not p.may_break_min_gap]
    assert flexible
    assert min(p.due_on for p in flexible) >= today + timedelta(days=21)


def test_a_closed_touchpoint_refuses_another_outcome(world: World) -> None:
    point = birthday_today(world)
    services.contact_log(actor=world.owner, touchpoint=point, outcome=Outcome.REPLIED)
    point.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.contact_log(actor=world.owner, touchpoint=point, outcome=Outcome.SENT)
    assert refused.value.messages == ["This contact is already closed."]


def test_opted_out_withdraws_the_consent_and_empties_the_plan(world: World) -> None:
    point = birthday_today(world)
    services.contact_log(actor=world.owner, touchpoint=point, outcome=Outcome.OPTED_OUT)
    consent = Consent.objects.get(client=world.client, channel=Channel.WHATSAPP)
    assert (consent.status, consent.source) == (ConsentStatus.WITHDRAWN, ConsentSource.MESSAGE)
    assert future(world) == []


def test_snooze_inside_the_window_and_refused_past_a_fixed_date(world: World) -> None:
    point = birthday_today(world)
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.touchpoint_snooze(actor=world.owner, touchpoint=point, days=3)
    assert "has to happen by" in refused.value.messages[0]
    services.touchpoint_snooze(actor=world.owner, touchpoint=point, days=1)
    point.refresh_from_db()
    assert (point.due_on, point.moved_from, point.is_manual) == (
        tomorrow,
        timezone.localdate(),
        True,
    )
    birthdays = Touchpoint.objects.filter(
        client=world.client,
        occasion=Occasion.CLIENT_BIRTHDAY,
        status=TouchpointStatus.PLANNED,
        due_on__lte=tomorrow,
    )
    assert list(birthdays) == [point]  # re-planning did not put the birthday back on today


def test_a_move_outside_the_window_or_onto_a_channel_without_consent_is_refused(
    world: World,
) -> None:
    point = birthday_today(world)
    with pytest.raises(ValidationError) as outside:
        services.touchpoint_move(
            actor=world.owner, touchpoint=point, due_on=point.window_end + timedelta(days=5)
        )
    assert outside.value.message_dict["due_on"][0].startswith("This contact makes sense between")
    with pytest.raises(ValidationError) as channel:
        services.touchpoint_move(
            actor=world.owner, touchpoint=point, due_on=point.due_on, channel=Channel.SMS
        )
    assert channel.value.message_dict["channel"] == [
        "SMS: the client has not agreed to be contacted this way, "
        "or the card has no address for it."
    ]
    point.refresh_from_db()
    assert (point.due_on, point.channel) == (timezone.localdate(), "whatsapp")


def test_the_card_refuses_a_bad_move_with_the_reason(world: World) -> None:
    point = birthday_today(world)
    browser = Browser()
    browser.force_login(world.owner)
    response = browser.post(
        reverse("outreach:touchpoint_move", args=[point.pk]),
        {"due_on": (point.window_end + timedelta(days=9)).isoformat(), "channel": "whatsapp"},
        follow=True,
    )
    assert "Этот контакт уместен с" in response.content.decode()


def test_a_cancelled_touchpoint_does_not_come_back(world: World) -> None:
    point = birthday_today(world)
    services.touchpoint_cancel(actor=world.owner, touchpoint=point)
    services.plan_rebuild(client=world.client)
    alive = Touchpoint.objects.filter(
        client=world.client, occasion=Occasion.CLIENT_BIRTHDAY, due_on=timezone.localdate()
    ).exclude(status=TouchpointStatus.CANCELLED)
    assert not alive.exists()


def test_a_hand_planned_touchpoint_survives_re_planning(world: World) -> None:
    grant(world)
    when = timezone.localdate() + timedelta(days=10)
    point = services.touchpoint_add(
        actor=world.owner,
        client=world.client,
        due_on=when,
        channel=Channel.WHATSAPP,
        text="Зайдите на примерку",
    )
    services.plan_rebuild(client=world.client)
    point.refresh_from_db()
    assert (point.status, point.due_on, point.is_manual, point.draft) == (
        TouchpointStatus.PLANNED,
        when,
        True,
        "Зайдите на примерку",
    )
    with pytest.raises(ValidationError) as refused:
        services.touchpoint_add(
            actor=world.owner, client=world.client, due_on=when, channel=Channel.EMAIL
        )
    assert list(refused.value.message_dict) == ["channel"]


def test_a_system_e_mail_is_sent_once_however_often_the_job_runs(world: World) -> None:
    point = birthday_today(world)
    grant(world, Channel.EMAIL)
    args: dict[str, Any] = {
        "touchpoint_id": point.pk,
        "to": "anna@example.ru",
        "subject": "Бутик на Тверской",
        "text": "С днём рождения!",
        "actor_id": world.owner.pk,
    }
    assert touchpoint_email_deliver(**args) is True
    assert touchpoint_email_deliver(**args) is False
    assert [(m.to, m.body) for m in mail.outbox] == [(["anna@example.ru"], "С днём рождения!")]
    point.refresh_from_db()
    assert point.email_sent_at is not None
    assert point.status == TouchpointStatus.WAITING


def test_overflow_beyond_capacity_moves_inside_the_window(world: World) -> None:
    grant(world)
    today = timezone.localdate()
    from rapport.outreach.models import Standard

    Standard.objects.update_or_create(store=world.store, defaults={"daily_capacity": 1})
    made = [
        services.touchpoint_add(
            actor=world.owner, client=world.client, due_on=today, channel=Channel.WHATSAPP
        )
        for _ in range(3)
    ]
    Touchpoint.objects.filter(pk=made[2].pk).update(window_end=today)  # cannot move: "later"
    page = agenda_for(user=world.owner, day=today)
    assert len(page.items) == 1
    assert sorted(i.touchpoint.pk for i in (*page.items, *page.moved, *page.later)) == sorted(
        p.pk for p in made
    )
    assert all(item.moved_to == today + timedelta(days=1) for item in page.moved)
    assert [item.touchpoint.pk for item in page.later] == [made[2].pk]

    browser = Browser()
    browser.force_login(world.owner)
    html = browser.get(reverse("outreach:today")).content.decode()
    card = reverse("clients:card", args=[world.client.pk])
    assert html.count(f'<a href="{card}">Анна Иванова</a>') == 1  # moved to tomorrow
    assert html.count(f'<a href="{card}#plan">Анна Иванова</a>') == 1  # if you have time


def test_today_outside_the_users_reach_raises_404(world: World) -> None:
    from rapport.outreach.selectors import consultant_get_for

    with pytest.raises(Http404):
        consultant_get_for(user=world.stranger, pk=world.owner.pk)
    assert consultant_get_for(user=world.manager, pk=world.owner.pk) == world.owner
    assert consultant_get_for(user=world.owner, pk=None) == world.owner


def test_an_overdue_birthday_is_not_planned_a_second_time(world: World) -> None:
    grant(world)
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    client_update(
        actor=world.owner, client=world.client, birthday=yesterday.replace(year=yesterday.year - 30)
    )
    services.plan_rebuild(client=world.client, today=yesterday)
    services.plan_rebuild(client=world.client, today=today)
    open_birthdays = Touchpoint.objects.filter(
        client=world.client,
        occasion=Occasion.CLIENT_BIRTHDAY,
        status=TouchpointStatus.PLANNED,
        due_on__lte=today,
    )
    assert [p.due_on for p in open_birthdays] == [yesterday]
    page = agenda_for(user=world.owner, day=today)
    assert [(i.touchpoint.occasion, i.is_overdue) for i in page.items] == [
        (Occasion.CLIENT_BIRTHDAY, True)
    ]


def test_an_e_mail_asked_for_in_quiet_hours_waits_for_their_end(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from django_tasks_db.models import DBTaskResult

    from rapport.outreach.models import Standard

    point = birthday_today(world)
    grant(world, Channel.EMAIL)
    point = Touchpoint.objects.get(pk=point.pk)
    # Quiet all day long (00:00 → 23:59), so "now" is always inside.
    Standard.objects.update_or_create(
        store=world.store, defaults={"quiet_from": time(0, 0), "quiet_until": time(23, 59)}
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.email_send(actor=world.owner, touchpoint=point, text="С днём рождения!")
    job = DBTaskResult.objects.get()
    local_today = timezone.now().astimezone(ZoneInfo(world.store.time_zone)).date()
    assert job.run_after == datetime.combine(
        local_today, time(23, 59), tzinfo=ZoneInfo(world.store.time_zone)
    )


def test_today_costs_the_same_queries_for_one_or_many_contacts(
    world: World, django_assert_num_queries: Any
) -> None:
    grant(world)
    today = timezone.localdate()
    browser = Browser()
    browser.force_login(world.owner)
    url = reverse("outreach:today")

    def add() -> Touchpoint:
        return services.touchpoint_add(
            actor=world.owner, client=world.client, due_on=today, channel=Channel.WHATSAPP
        )

    add()
    # session, user, scope, home store with its standard, candidates, counters, shown rows,
    # addresses, templates, contacts made (the layout reuses the home store)
    with django_assert_num_queries(10):
        assert browser.get(url).status_code == 200
    for _ in range(3):
        add()
    with django_assert_num_queries(10):
        response = browser.get(url)
    assert len(response.context["page"].items) == 4
    # replies to wait for: one more query, for the list
    services.contact_log(actor=world.owner, touchpoint=add(), outcome=Outcome.SENT)
    with django_assert_num_queries(11):
        response = browser.get(url)
    assert len(response.context["page"].waiting) == 1


def test_the_more_menu_is_not_on_the_page_but_loads_when_opened(
    world: World, django_assert_num_queries: Any
) -> None:
    point = birthday_today(world)
    browser = Browser()
    browser.force_login(world.owner)
    menu_url = reverse("outreach:touchpoint_menu", args=[point.pk])
    snooze_url = reverse("outreach:snooze", args=[point.pk])

    page = browser.get(reverse("outreach:today")).content.decode()
    # session, user, scope, the touchpoint (a fragment: the layout's home store is not read)
    with django_assert_num_queries(4):
        menu = browser.get(menu_url, headers={"HX-Request": "true"})

    assert '<span class="store">Бутик на Тверской</span>' in page  # the layout's, no query
    assert f'hx-get="{menu_url}"' in page
    assert snooze_url not in page
    assert menu.status_code == 200
    html = menu.content.decode()
    assert "<article" not in html  # the menu alone, into the card's "More"
    assert f'action="{snooze_url}"' in html
    assert 'value="opted_out"' in html
    question = ru("The client will no longer be contacted on this channel. Continue?")
    assert f'hx-confirm="{question}"' in html  # the page speaks the user's language


def test_the_more_menu_answers_only_who_may_open_that_today(world: World) -> None:
    point = birthday_today(world)
    url = reverse("outreach:touchpoint_menu", args=[point.pk])
    browser = Browser()

    def status(user: Any) -> int:
        browser.force_login(user)
        return browser.get(url, headers={"HX-Request": "true"}).status_code

    assert (status(world.owner), status(world.manager), status(world.admin)) == (200, 200, 200)
    assert (status(world.colleague), status(world.stranger)) == (404, 404)
    assert browser.get(url).status_code == 404  # nor the page of its own, without JavaScript
    browser.logout()
    assert browser.get(url, headers={"HX-Request": "true"}).status_code == 302


def test_the_more_menu_of_a_client_without_a_consultant_is_the_managers(world: World) -> None:
    from rapport.clients.services import client_reassign

    point = birthday_today(world)
    client_reassign(actor=world.manager, clients=[world.client], owner=None)
    url = reverse("outreach:touchpoint_menu", args=[point.pk])
    browser = Browser()
    browser.force_login(world.manager)
    assert browser.get(url, headers={"HX-Request": "true"}).status_code == 200
    browser.force_login(world.owner)
    assert browser.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_the_more_menu_reaches_as_far_as_the_page(world: World) -> None:
    from rapport.outreach.selectors import agenda_touchpoints_for

    point = birthday_today(world)
    # whose Today shows it: the owner's own, the manager's and the admin's view of it
    sees = {
        user.username: agenda_touchpoints_for(user=user).filter(pk=point.pk).exists()
        for user in (world.owner, world.manager, world.admin, world.colleague, world.stranger)
    }
    assert sees == {"olga": True, "marina": True, "boss": True, "irina": False, "pavel": False}
    mine = Touchpoint.objects.filter(client=world.client)
    assert set(agenda_touchpoints_for(user=world.owner)) == set(mine)


def test_without_javascript_more_opens_the_contact_on_a_page_of_its_own(world: World) -> None:
    point = birthday_today(world)
    browser = Browser()
    browser.force_login(world.owner)

    html = browser.get(reverse("outreach:touchpoint_menu", args=[point.pk])).content.decode()
    snoozed = browser.post(reverse("outreach:snooze", args=[point.pk]), {"days": "1"})

    assert f'id="tp-{point.pk}"' in html
    assert '<details class="more" open>' in html
    assert f'action="{reverse("outreach:snooze", args=[point.pk])}"' in html
    assert 'name="text"' in html  # the draft and the send link are there too
    assert "https://wa.me/79161234567?text=" in html
    assert snoozed["Location"] == reverse("outreach:today")
    point.refresh_from_db()
    assert point.due_on == timezone.localdate() + timedelta(days=1)


def test_an_outcome_over_htmx_answers_with_the_card_again(world: World) -> None:
    point = birthday_today(world)
    browser = Browser()
    browser.force_login(world.owner)

    response = browser.post(
        reverse("outreach:outcome_log", args=[point.pk]),
        {"outcome": "sent", "text": "Анна, с днём рождения!"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert html.lstrip().startswith(
        f'<article class="agenda-item category-personal" id="tp-{point.pk}">'
    )
    assert f'<span class="badge waiting">{ru("waiting for a reply")}</span>' in html
    assert f'<p class="note" role="status">Анна Иванова: {ru("Sent").lower()}.</p>' in html
    assert 'value="replied"' in html
    assert Contact.objects.get(client=world.client).text == "Анна, с днём рождения!"


def test_a_draft_saved_over_htmx_keeps_the_text_and_its_link(world: World) -> None:
    point = birthday_today(world)
    browser = Browser()
    browser.force_login(world.owner)
    text = "Анна, с днём рождения & до встречи!"

    response = browser.post(
        reverse("outreach:draft_save", args=[point.pk]),
        {"text": text},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert "Анна, с днём рождения &amp; до встречи!</textarea>" in html
    assert 'href="https://wa.me/79161234567?text=' + quote(text, safe="") + '"' in html
    assert f'<p class="note" role="status">{ru("Message saved.")}</p>' in html


def test_a_card_escapes_what_people_typed(world: World) -> None:
    point = birthday_today(world)
    Client.objects.filter(pk=world.client.pk).update(first_name="<b>Анна</b>")
    services.draft_save(
        actor=world.owner, touchpoint=point, text='</textarea><script>alert("x")</script>'
    )
    browser = Browser()
    browser.force_login(world.owner)

    html = browser.get(reverse("outreach:today")).content.decode()

    assert "<script>alert" not in html and "<b>Анна" not in html
    assert "&lt;/textarea&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</textarea>" in html
    assert ">&lt;b&gt;Анна&lt;/b&gt; Иванова</a>" in html


def test_a_call_is_logged_as_talked_or_no_answer(world: World) -> None:
    grant(world, Channel.CALL)
    point = services.touchpoint_add(
        actor=world.owner, client=world.client, due_on=timezone.localdate(), channel=Channel.CALL
    )
    browser = Browser()
    browser.force_login(world.owner)

    html = browser.get(reverse("outreach:today")).content.decode()
    card = html[html.index(f'id="tp-{point.pk}"') :].split("</article>")[0]

    assert 'href="tel:+79161234567"' in card
    assert [value for value in ("sent", "replied", "no_answer") if f'value="{value}"' in card] == [
        "replied",
        "no_answer",
    ]


def test_a_closed_contact_keeps_its_card_without_actions(world: World) -> None:
    point = birthday_today(world)
    browser = Browser()
    browser.force_login(world.owner)

    response = browser.post(
        reverse("outreach:outcome_log", args=[point.pk]),
        {"outcome": "replied"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert f'class="agenda-item category-personal is-done" id="tp-{point.pk}"' in html
    assert f'<span class="badge done">✓ {ru("done")}</span>' in html
    assert "<form" not in html and "<details" not in html


def test_a_manager_sees_the_contacts_of_clients_without_a_consultant(world: World) -> None:
    from rapport.clients.services import client_reassign

    point = birthday_today(world)
    client_reassign(actor=world.manager, clients=[world.client], owner=None)
    assert Touchpoint.objects.get(pk=point.pk).assignee_id is None
    assert agenda_for(user=world.owner, day=timezone.localdate()).items == []
    page = agenda_for(user=world.manager, day=timezone.localdate(), unassigned=True)
    assert [item.touchpoint.pk for item in page.items] == [point.pk]

    url = reverse("outreach:today") + "?consultant=0"
    browser = Browser()
    browser.force_login(world.manager)
    assert f'id="tp-{point.pk}"' in browser.get(url).content.decode()
    browser.force_login(world.owner)
    assert browser.get(url).status_code == 404
    browser.force_login(world.stranger)
    assert agenda_for(user=world.stranger, day=timezone.localdate(), unassigned=True).items == []


def test_a_win_back_counts_the_days_since_the_purchase_on_the_day_it_is_shown() -> None:
    from rapport.outreach.templatetags.outreach_tags import reason

    today = timezone.localdate()
    planned = Touchpoint(
        occasion=Occasion.WIN_BACK,
        reason={"last_purchase_date": (today - timedelta(days=84)).isoformat(),
                "typical_interval_days": 49.0},
    )  # fmt: skip
    older = Touchpoint(  # as planned before the reason held the date
        occasion=Occasion.WIN_BACK,
        reason={"days_since_purchase": 70, "typical_interval_days": 49.0, "overdue_ratio": 1.43},
    )
    with translation.override("en"):
        assert reason(planned) == "84 days since the last purchase; usually buys every 49 days"
        assert reason(older) == "70 days since the last purchase; usually buys every 49 days"
