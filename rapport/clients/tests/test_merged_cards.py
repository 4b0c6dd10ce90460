"""A card merged into another counts nowhere: not scored, not planned, not on Today, not on the
dashboard, not in the jobs and commands that go through every client."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rapport.clients.choices import Channel, ClientStatus, ConsentSource, ConsentStatus
from rapport.clients.models import Client
from rapport.clients.services import client_merge, consent_set
from rapport.insights.models import ClientScore
from rapport.insights.selectors import dashboard_for, dashboard_scope_for
from rapport.insights.services import scores_refresh
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.jobs import replan_all, replan_store
from rapport.outreach.models import Touchpoint
from rapport.outreach.selectors import agenda_for, calendar_points_for
from rapport.outreach.services import plans_rebuild
from rapport.sales.services import LineInput, purchase_record
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def merged(world: World) -> Client:
    """A second card of Anna, with a purchase, a consent and a score, merged into the first."""
    other = make_client(world.owner, world.store, first_name="Анна", phone="+7 916 555-00-02")
    consent_set(
        actor=world.owner,
        client=other,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.IN_STORE_FORM,
    )
    purchase_record(
        actor=world.owner,
        client=other,
        lines=[LineInput("Кольцо", 1, Decimal("40000.00"))],
        purchased_at=timezone.now() - timedelta(days=200),
    )
    assert ClientScore.objects.filter(client=other).exists()  # scored at the till
    client_merge(actor=world.manager, survivor=world.client, other=other)
    other.refresh_from_db()
    assert other.merged_into_id == world.client.pk
    return other


def stray_touchpoint(world: World, client: Client) -> Touchpoint:
    """A touchpoint left on a merged card (the merge moves them all; this one slipped through)."""
    return Touchpoint.objects.create(
        client=client, store=world.store, assignee=world.owner, due_on=TODAY,
        window_start=TODAY, window_end=TODAY + timedelta(days=3), occasion="manual",
        category="personal", channel=Channel.WHATSAPP, is_manual=True,
    )  # fmt: skip


def test_a_merged_card_is_not_scored(world: World, merged: Client) -> None:
    stale = ClientScore.objects.get(client=merged).computed_on

    everyone = scores_refresh(today=TODAY + timedelta(days=1))
    asked = scores_refresh(client_ids=[merged.pk], today=TODAY + timedelta(days=2))

    assert everyone.clients == 1  # the survivor alone
    assert asked.clients == 0
    assert ClientScore.objects.get(client=merged).computed_on == stale  # kept for the undo
    assert ClientScore.objects.get(client=world.client).computed_on == TODAY + timedelta(days=1)


def test_the_score_command_leaves_a_merged_card_out(world: World, merged: Client) -> None:
    summary = json.loads(run("score", "--json"))
    assert summary["clients"] == 1
    with pytest.raises(CommandError, match=f"client {merged.pk} has been merged into client"):
        run("score", "--client", str(merged.pk))


def test_a_merged_card_is_not_planned(world: World, merged: Client) -> None:
    stats = plans_rebuild(client_ids=[world.client.pk, merged.pk], today=TODAY)
    by_job = replan_all.call()
    by_store = replan_store.call(store_id=world.store.pk)

    assert stats.clients == by_job["clients"] == by_store["clients"] == 1
    assert not Touchpoint.objects.filter(client=merged).exists()
    assert Touchpoint.objects.filter(client=world.client).exists()  # the survivor is planned


def test_the_replan_command_leaves_a_merged_card_out(world: World, merged: Client) -> None:
    assert json.loads(run("replan", "--all", "--json"))["clients"] == 1
    assert json.loads(run("replan", "--store", str(world.store.pk), "--json"))["clients"] == 1
    with pytest.raises(CommandError, match=f"client {merged.pk} has been merged into client"):
        run("replan", "--client", str(merged.pk))


def test_a_merged_card_is_not_on_today_nor_in_the_calendar(world: World, merged: Client) -> None:
    stray = stray_touchpoint(world, merged)

    page = agenda_for(user=world.owner, day=TODAY)
    shown = {item.touchpoint.pk for item in [*page.items, *page.later, *page.moved]}

    assert stray.pk not in shown
    assert page.counts["today"] == sum(1 for i in page.items if i.touchpoint.due_on == TODAY)
    assert not calendar_points_for(user=world.owner, today=TODAY).filter(pk=stray.pk).exists()
    stray.status = TouchpointStatus.WAITING
    stray.save(update_fields=["status"])
    assert agenda_for(user=world.owner, day=TODAY).waiting == []


def test_a_merged_card_is_not_counted_on_the_dashboard(world: World, merged: Client) -> None:
    # given both cards with numbers that put them among the clients at risk
    ClientScore.objects.filter(client__in=[world.client, merged]).update(p_alive=0.2, priority=9)
    Client.objects.filter(pk__in=[world.client.pk, merged.pk]).update(status=ClientStatus.REGULAR)

    scope = dashboard_scope_for(user=world.manager, today=TODAY, period="365d")
    board = dashboard_for(scope)

    assert [score.client_id for score in board.at_risk] == [world.client.pk]
    buyers = {t.key: t.value for t in board.tiles}["buyers"]
    assert buyers == 1  # the purchase moved to the survivor


def test_the_handover_does_not_count_a_merged_card(world: World, merged: Client) -> None:
    from django.test import Client as Browser
    from django.urls import reverse

    browser = Browser()
    browser.force_login(world.manager)
    page = browser.get(reverse("clients:handover"), {"from": world.owner.pk})

    assert page.context["chosen"].size == 1
