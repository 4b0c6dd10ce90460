"""Loading clients into the planner in chunks and saving plans as diffs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from rapport.clients.choices import Channel, ConsentSource, ConsentStatus, Relation
from rapport.clients.services import (
    client_update,
    consent_set,
    key_date_add,
    preference_add,
    relative_add,
    relative_update,
)
from rapport.core import planner
from rapport.outreach.choices import Outcome, TouchpointStatus
from rapport.outreach.models import Contact, Standard, Touchpoint
from rapport.outreach.planning import (
    PlanStats,
    plan_input_for,
    plan_inputs_for,
    standard_for,
    standards_for,
)
from rapport.outreach.services import plan_rebuild, plans_rebuild
from rapport.sales.services import LineInput, purchase_record, visit_record
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def regular_with_whatsapp(world: World) -> None:
    client_update(actor=world.owner, client=world.client, status="regular")
    consent_set(
        actor=world.owner,
        client=world.client,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.IN_STORE_FORM,
    )


def planned(world: World) -> list[Touchpoint]:
    return list(
        Touchpoint.objects.filter(client=world.client, status=TouchpointStatus.PLANNED).order_by(
            "pk"
        )
    )


def test_the_loader_reads_everything_the_planner_needs(world: World) -> None:
    today = timezone.localdate()
    regular_with_whatsapp(world)
    consent_set(  # e-mail is granted too, but SMS has no consent and Telegram no address
        actor=world.owner,
        client=world.client,
        channel=Channel.EMAIL,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.WEB,
    )
    client_update(actor=world.owner, client=world.client, birthday=date(1990, 5, 17), gender="f")
    masha = relative_add(
        actor=world.owner,
        client=world.client,
        name="Маша",
        relation=Relation.CHILD,
        birthday=date(2018, 3, 2),
        greet_directly=True,
    )
    wedding = key_date_add(
        actor=world.owner, client=world.client, kind="wedding", date=date(2015, 8, 8)
    )
    preference_add(actor=world.owner, client=world.client, kind="brand", value="Pandora")
    preference_add(actor=world.owner, client=world.client, kind="size", value="17")
    preference_add(actor=world.owner, client=world.client, kind="category", value="серьги")
    purchase_record(
        actor=world.owner,
        client=world.client,
        purchased_at=at(today - timedelta(days=40)),
        lines=[
            LineInput(description="Кольцо", quantity=1, unit_price=Decimal("30000")),
            LineInput(description="Цепочка", quantity=1, unit_price=Decimal("12000")),
        ],
    )
    purchase_record(  # neither of the last day nor of the last year: no plan mentions its lines
        actor=world.owner,
        client=world.client,
        purchased_at=at(today - timedelta(days=500)),
        lines=[LineInput(description="Серьги", quantity=1, unit_price=Decimal("8000"))],
    )
    purchase_record(  # older than three years: not read
        actor=world.owner,
        client=world.client,
        purchased_at=at(today - timedelta(days=4 * 365)),
        lines=[LineInput(description="Браслет", quantity=1, unit_price=Decimal("5000"))],
    )
    for days_ago in (30, 10, -2):  # the latest visit up to the plan's day, the next one after
        visit_record(
            actor=world.owner,
            client=world.client,
            purpose="fitting",
            visited_at=at(today - timedelta(days=days_ago)),
        )
    Contact.objects.create(
        client=world.client, channel="whatsapp", outcome=Outcome.NO_ANSWER, at=at(today, 1)
    )
    Contact.objects.create(
        client=world.client, channel="sms", outcome=Outcome.SENT, at=at(today - timedelta(days=3))
    )
    base = {"client": world.client, "store": world.store, "window_start": today}
    base["category"] = "personal"
    Touchpoint.objects.create(
        **base, due_on=today + timedelta(days=5), window_end=today + timedelta(days=9),
        occasion="manual", is_manual=True, channel="whatsapp",
    )  # fmt: skip
    Touchpoint.objects.create(
        **base, due_on=today, window_end=today + timedelta(days=1), occasion="client_birthday",
        status=TouchpointStatus.CANCELLED, is_manual=True,
    )  # fmt: skip
    client_update(actor=world.owner, client=world.client, status="vip")

    loaded = plan_input_for(world.client, today=today)

    assert loaded == planner.PlanClient(
        id=world.client.pk,
        status="vip",
        consented_channels=frozenset({"whatsapp", "email"}),
        preferred_channel=None,
        birthday=date(1990, 5, 17),
        language="ru",
        gender="f",
        first_name="Анна",
        relatives=(planner.PlanRelative(masha.pk, "Маша", "child", date(2018, 3, 2), True),),
        key_dates=(planner.PlanKeyDate(wedding.pk, "wedding", date(2015, 8, 8), True, None),),
        purchases=(
            planner.PlanPurchase(today - timedelta(days=500), 8000.0, ()),
            planner.PlanPurchase(today - timedelta(days=40), 42000.0, ("Кольцо", "Цепочка")),
        ),
        visits=(today - timedelta(days=10), today + timedelta(days=2)),
        last_contact=today,
        preferences=("Pandora", "серьги"),
        manual=(planner.PlanManual(today + timedelta(days=5), "manual", "personal", "whatsapp"),),
        handled=(
            planner.PlanHandled("client_birthday", None, today, today + timedelta(days=1), today),
            planner.PlanHandled(
                "manual", None, today, today + timedelta(days=9), today + timedelta(days=5)
            ),
        ),
    )


def test_a_chunk_loads_in_the_same_number_of_queries_as_one_client(
    world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    today = timezone.localdate()
    others = [make_client(world.owner, world.store, first_name=f"К{i}") for i in range(5)]
    purchase_record(
        actor=world.owner,
        client=others[0],
        lines=[LineInput(description="Серьги", quantity=1, unit_price=Decimal("9000"))],
    )
    # clients, purchases, receipt lines, relatives, key dates, touchpoints; elsewhere than on
    # PostgreSQL also the addresses/consents/preferences UNION and the digests
    queries = 6 if connection.vendor == "postgresql" else 8
    with django_assert_num_queries(queries):
        one = plan_inputs_for([others[0].pk], today)
    with django_assert_num_queries(queries):
        many = plan_inputs_for([world.client.pk] + [c.pk for c in others], today)
    assert sorted(many) == sorted([world.client.pk] + [c.pk for c in others])
    assert many[others[0].pk] == one[others[0].pk]
    with django_assert_num_queries(queries - 1):  # no purchases: no receipt lines to read
        plan_inputs_for([world.client.pk], today)


def test_the_standard_merges_greeted_dates_by_key_and_reads_switched_off_occasions(
    world: World,
) -> None:
    Standard.objects.create(
        store=world.store,
        min_gap=14,
        max_gap=40,
        greeted_dates=[
            {"key": "womens_day", "greet": "all", "gift_ideas": "none"},
            {"key": "store_day", "month": 9, "day": 1, "greet": "all", "gift_ideas": "none"},
            {"key": "broken", "greet": "all"},
        ],
        disabled_occasions=["complement", "no_such_occasion"],
    )
    standard = standard_for(world.store)
    by_key = {d.key: d for d in standard.greeted_dates}
    assert list(by_key) == [
        "new_year", "womens_day", "defenders_day", "valentines_day", "mothers_day", "store_day",
    ]  # fmt: skip
    assert (by_key["womens_day"].greet, by_key["womens_day"].gift_ideas) == ("all", "none")
    assert by_key["womens_day"].public_name == "Women's Day"
    assert (by_key["store_day"].month, by_key["store_day"].day) == (9, 1)
    assert (standard.min_gap, standard.max_gap, standard.country) == (14, 40, "RU")
    assert standard.disabled_occasions == frozenset({"complement"})
    assert standards_for([world.store.pk, world.other_store.pk]) == {
        world.store.pk: standard,
        world.other_store.pk: planner.Standard(country="RU"),
    }


def test_a_second_rebuild_changes_nothing_and_keeps_every_row(world: World) -> None:
    regular_with_whatsapp(world)
    before = [(p.pk, p.due_on, p.occasion) for p in planned(world)]
    assert len(before) > 5
    stats = plan_rebuild(client=world.client)
    assert (stats.clients, stats.inserted, stats.deleted, stats.kept) == (1, 0, 0, len(before))
    assert [(p.pk, p.due_on, p.occasion) for p in planned(world)] == before


def test_a_draft_moves_to_the_replacing_touchpoint(world: World) -> None:
    regular_with_whatsapp(world)
    today = timezone.localdate()
    masha = relative_add(
        actor=world.owner,
        client=world.client,
        name="Маша",
        relation=Relation.CHILD,
        birthday=today.replace(year=today.year - 7) + timedelta(days=40),
    )
    gift = Touchpoint.objects.get(client=world.client, relative=masha)
    gift.draft = "Анна, у Маши скоро день рождения!"
    gift.save(update_fields=["draft"])
    others = {p.pk for p in planned(world)} - {gift.pk}

    relative_update(actor=world.owner, relative=masha, name="Мария")

    replaced = Touchpoint.objects.get(client=world.client, relative=masha)
    assert replaced.pk != gift.pk
    assert replaced.reason["relative_name"] == "Мария"
    assert replaced.draft == "Анна, у Маши скоро день рождения!"
    assert {p.pk for p in planned(world)} - {replaced.pk} == others


def test_closed_hand_made_and_past_touchpoints_are_never_touched(world: World) -> None:
    regular_with_whatsapp(world)
    today = timezone.localdate()
    rows = planned(world)
    rows[0].status = TouchpointStatus.WAITING
    rows[1].status = TouchpointStatus.DONE
    rows[2].is_manual = True
    for row in rows[:3]:
        row.save()
    past = Touchpoint.objects.create(
        client=world.client, store=world.store, due_on=today - timedelta(days=3),
        window_start=today - timedelta(days=3), window_end=today - timedelta(days=1),
        occasion="personal_checkin", category="personal",
    )  # fmt: skip
    kept = {(r.pk, r.status, r.due_on, r.is_manual) for r in [*rows[:3], past]}

    client_update(actor=world.owner, client=world.client, status="vip")
    plan_rebuild(client=world.client, today=today + timedelta(days=30))

    after = Touchpoint.objects.filter(pk__in=[pk for pk, *_ in kept])
    assert {(r.pk, r.status, r.due_on, r.is_manual) for r in after} == kept


def test_many_clients_in_chunks_with_progress(world: World) -> None:
    today = timezone.localdate()
    clients = [world.client] + [
        make_client(world.owner, world.store, first_name=f"К{i}", phone=f"+7 916 000-00-0{i}")
        for i in range(4)
    ]
    for client in clients:
        consent_set(
            actor=world.owner,
            client=client,
            channel=Channel.SMS,
            status=ConsentStatus.GRANTED,
            source=ConsentSource.WEB,
        )
    Touchpoint.objects.all().delete()
    done: list[int] = []

    first = plans_rebuild(client_ids=[c.pk for c in clients], today=today, progress=done.append)
    again = plans_rebuild(client_ids=[c.pk for c in clients], today=today)

    rows = Touchpoint.objects.count()
    assert rows > 0
    assert (first.clients, first.inserted, first.deleted, first.kept) == (5, rows, 0, 0)
    assert (again.clients, again.inserted, again.deleted, again.kept) == (5, 0, 0, rows)
    assert done == [5]
    assert set(Touchpoint.objects.values_list("assignee_id", "store_id")) == {
        (world.owner.pk, world.store.pk)
    }


def test_plan_stats_summary() -> None:
    stats = PlanStats(clients=1000, inserted=20, deleted=10, kept=9000, seconds=0.5)
    assert stats.as_dict() == {
        "clients": 1000, "inserted": 20, "deleted": 10, "kept": 9000, "seconds": 0.5,
        "clients_per_s": 2000.0,
    }  # fmt: skip


def test_re_planning_some_clients_leaves_their_neighbours_alone(world: World) -> None:
    clients = [world.client] + [
        make_client(world.owner, world.store, first_name=f"К{i}", phone=f"+7 916 000-00-0{i}")
        for i in range(2)
    ]
    for client in clients:
        consent_set(
            actor=world.owner,
            client=client,
            channel=Channel.SMS,
            status=ConsentStatus.GRANTED,
            source=ConsentSource.WEB,
        )
    middle = Touchpoint.objects.filter(client=clients[1])
    before = sorted(middle.values_list("pk", "due_on"))
    Touchpoint.objects.exclude(client=clients[1]).delete()

    stats = plans_rebuild(client_ids=[clients[0].pk, clients[2].pk], today=timezone.localdate())

    assert stats.clients == 2 and stats.inserted > 0 and stats.deleted == 0
    assert sorted(middle.values_list("pk", "due_on")) == before
    assert plan_inputs_for([clients[0].pk, clients[2].pk], timezone.localdate()).keys() == {
        clients[0].pk,
        clients[2].pk,
    }


def test_the_loader_reads_the_latest_overdue_touchpoint_and_what_rows_carried(
    world: World,
) -> None:
    regular_with_whatsapp(world)
    today = timezone.localdate()

    def row(days_ago: int, status: str, **extra: object) -> Touchpoint:
        due = today - timedelta(days=days_ago)
        fields = {"occasion": "personal_checkin", "category": "personal", **extra}
        return Touchpoint.objects.create(
            client=world.client, store=world.store, due_on=due, window_start=due,
            window_end=due + timedelta(days=2), status=status, **fields,
        )  # fmt: skip

    row(20, TouchpointStatus.PLANNED)
    row(9, TouchpointStatus.PLANNED)  # the latest one still planned: overdue
    row(5, TouchpointStatus.DONE)  # sent: a contact, not an overdue touchpoint
    row(
        4, TouchpointStatus.CANCELLED, occasion="holiday_gift_ideas", category="selling",
        reason={"folded": [["relative_birthday_gift", None, "2026-02-01", "2026-02-04"]]},
    )  # fmt: skip
    row(70, TouchpointStatus.PLANNED)  # its window ended more than 60 days ago: not read

    loaded = plan_inputs_for([world.client.pk], today)[world.client.pk]
    assert loaded.last_overdue == today - timedelta(days=9)
    assert [(h.occasion, h.day, h.folded) for h in loaded.handled] == [
        ("personal_checkin", today - timedelta(days=20), ()),
        ("personal_checkin", today - timedelta(days=9), ()),
        ("personal_checkin", today - timedelta(days=5), ()),
        ("holiday_gift_ideas", today - timedelta(days=4),
         (("relative_birthday_gift", None, "2026-02-01", "2026-02-04"),)),
    ]  # fmt: skip
