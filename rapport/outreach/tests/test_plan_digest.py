"""Plan digests: a full re-plan leaves an unchanged plan alone without reading its rows, and no
write to a client's touchpoints, by any path, can leave a digest that no longer describes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.clients.choices import Channel, ConsentSource, ConsentStatus, Relation, TimelineKind
from rapport.clients.models import Client, TimelineEvent
from rapport.clients.services import (
    client_blacklist,
    client_merge,
    client_merge_undo,
    client_reassign,
    client_unblacklist,
    client_update,
    consent_set,
    relative_add,
    relative_remove,
    relative_update,
)
from rapport.clients.timeline import timeline_record
from rapport.outreach import services
from rapport.outreach.choices import Outcome, TouchpointStatus
from rapport.outreach.mailing import touchpoint_email_deliver
from rapport.outreach.models import Contact, PlanDigest, Touchpoint
from rapport.outreach.planning import plan_digest, plan_inputs_for, replan_chunk
from rapport.sales.services import LineInput, purchase_record
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db


def planned_client(world: World, client: Client | None = None) -> Client:
    """A regular client with a birthday, a child and a purchase: a plan of a dozen rows."""
    client = client or world.client
    consent_set(
        actor=world.owner,
        client=client,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.IN_STORE_FORM,
    )
    relative_add(
        actor=world.owner,
        client=client,
        name="Маша",
        relation=Relation.CHILD,
        birthday=date(2018, 3, 2),
        greet_directly=True,
    )
    purchase_record(
        actor=world.owner,
        client=client,
        lines=[LineInput(description="Кольцо", quantity=1, unit_price=Decimal("42000"))],
    )
    client_update(actor=world.owner, client=client, status="regular", birthday=date(1990, 5, 17))
    return client


def rows(client: Client) -> list[tuple[object, ...]]:
    return sorted(
        Touchpoint.objects.filter(client=client).values_list(
            "due_on", "occasion", "status", "is_manual", "assignee_id", "reason"
        ),
        key=repr,
    )


def planned(client: Client) -> Touchpoint:
    return Touchpoint.objects.filter(
        client=client, status=TouchpointStatus.PLANNED, is_manual=False
    ).earliest("due_on", "pk")


def bulk_replan(*clients: Client, today: date | None = None) -> services.PlanStats:
    return services.plans_rebuild(client_ids=[c.pk for c in clients], today=today)


def nothing_left_to_fix(client: Client, today: date | None = None) -> None:
    """Comparing every row, as if no digest existed, finds the rows already right."""
    with transaction.atomic():
        stats = replan_chunk([client.pk], today or timezone.localdate(), trust_digests=False)
    assert (stats.inserted, stats.deleted) == (0, 0)


def test_an_unchanged_plan_is_left_alone_without_reading_its_rows(world: World) -> None:
    client = planned_client(world)
    before = rows(client)
    assert PlanDigest.objects.filter(client=client).exists()

    with CaptureQueriesContext(connection) as queries:
        stats = bulk_replan(client)

    kept = Touchpoint.objects.filter(client=client, is_manual=False).count()
    assert (stats.unchanged, stats.kept, stats.inserted, stats.deleted) == (1, kept, 0, 0)
    # (the loader reads only what was folded into handled touchpoints out of ``reason``)
    read_rows = ('"outreach_touchpoint"."draft"', '"outreach_touchpoint"."merged_occasions"')
    assert not [q for q in queries if any(column in q["sql"] for column in read_rows)]
    assert rows(client) == before


def test_the_digest_covers_the_rows_the_plan_stores_and_where_they_go(world: World) -> None:
    client = planned_client(world)
    today = timezone.localdate()
    plan_input = plan_inputs_for([client.pk], today)[client.pk]
    stored = PlanDigest.objects.get(client=client)
    from rapport.core import planner
    from rapport.outreach.planning import Owner, standard_for

    plan = planner.build_plan(plan_input, standard_for(world.store), today)
    assert stored.digest == plan_digest(plan, Owner(world.store.pk, world.owner.pk))
    assert stored.planned_on == today
    assert plan_digest(plan, Owner(world.store.pk, world.colleague.pk)) != stored.digest
    assert plan_digest(plan[1:], Owner(world.store.pk, world.owner.pk)) != stored.digest


def test_every_write_to_a_clients_touchpoints_forgets_its_digest(world: World) -> None:
    client = planned_client(world)
    other = planned_client(world, make_client(world.owner, world.store, phone="+7 916 000-00-01"))

    def remembered() -> set[int]:
        return set(PlanDigest.objects.values_list("client_id", flat=True))

    assert remembered() == {client.pk, other.pk}
    Touchpoint.objects.filter(pk=planned(client).pk).update(draft="Анна, добрый день!")
    assert remembered() == {other.pk}

    services.plan_rebuild(client=client)
    assert remembered() == {client.pk, other.pk}
    Touchpoint.objects.filter(pk=planned(client).pk).delete()
    assert remembered() == {other.pk}

    services.plan_rebuild(client=client)
    Touchpoint.objects.create(
        client=client, store=world.store, due_on=timezone.localdate(),
        window_start=timezone.localdate(), window_end=timezone.localdate(),
        occasion="manual", category="personal", is_manual=True,
    )  # fmt: skip
    assert remembered() == {other.pk}

    services.plan_rebuild(client=client)
    Touchpoint.objects.filter(pk=planned(client).pk).update(client=other)  # both lose theirs
    assert remembered() == set()

    bulk_replan(client, other)
    assert remembered() == {client.pk, other.pk}
    Touchpoint.objects.all().delete()
    assert remembered() == set()


def test_truncating_the_touchpoints_forgets_every_digest(world: World) -> None:
    planned_client(world)
    table = connection.ops.quote_name(Touchpoint._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks block TRUNCATE
            cursor.execute(f"TRUNCATE {table} CASCADE")
        else:
            cursor.execute(f"DELETE FROM {table}")
    assert not PlanDigest.objects.exists()

    stats = bulk_replan(world.client)

    assert stats.unchanged == 0 and stats.inserted > 5


def _raw_delete(world: World, client: Client) -> None:
    Touchpoint.objects.filter(pk=planned(client).pk).delete()


def _raw_move(world: World, client: Client) -> None:
    Touchpoint.objects.filter(pk=planned(client).pk).update(due_on=F("due_on") + timedelta(1))


def _raw_reassign(world: World, client: Client) -> None:
    Touchpoint.objects.filter(client=client).update(assignee=world.colleague)


def _bulk_done(world: World, client: Client) -> None:
    point = planned(client)
    point.status, point.done_at = TouchpointStatus.DONE, timezone.now()
    Touchpoint.objects.bulk_update([point], ["status", "done_at"])


def _handover(world: World, client: Client) -> None:
    client_reassign(actor=world.manager, clients=[client], owner=world.colleague)


def _move(world: World, client: Client) -> None:
    point = planned(client)
    services.touchpoint_move(actor=world.owner, touchpoint=point, due_on=point.window_end)


def _cancel(world: World, client: Client) -> None:
    services.touchpoint_cancel(actor=world.owner, touchpoint=planned(client))


def _add(world: World, client: Client) -> None:
    services.touchpoint_add(
        actor=world.owner,
        client=client,
        due_on=timezone.localdate() + timedelta(days=3),
        channel=Channel.WHATSAPP,
    )


def _snooze(world: World, client: Client) -> None:
    point = Touchpoint.objects.filter(client=client, is_fixed=False).earliest("due_on", "pk")
    services.touchpoint_snooze(actor=world.owner, touchpoint=point, days=3)


def _outcome(world: World, client: Client) -> None:
    point = planned(client)
    services.contact_log(actor=world.owner, touchpoint=point, outcome=Outcome.SENT)
    services.contact_log(actor=world.owner, touchpoint=point, outcome=Outcome.REPLIED)


def _draft(world: World, client: Client) -> None:
    services.draft_save(actor=world.owner, touchpoint=planned(client), text="Анна, добрый день!")


def _email_job(world: World, client: Client) -> None:
    point = planned(client)
    touchpoint_email_deliver(
        touchpoint_id=point.pk, to="anna@example.ru", subject="Бутик", text="Добрый день",
        actor_id=world.owner.pk,
    )  # fmt: skip


def _relative_renamed(world: World, client: Client) -> None:
    relative = client.relatives.get()
    relative_update(actor=world.owner, relative=relative, name="Мария")


def _relative_removed(world: World, client: Client) -> None:
    relative_remove(actor=world.owner, relative=client.relatives.get())


def _blacklisted_and_back(world: World, client: Client) -> None:
    client_blacklist(actor=world.manager, client=client, reason="Грубил продавцам")
    client_unblacklist(actor=world.manager, client=client)


def _merged_and_undone(world: World, client: Client) -> None:
    twin = planned_client(world, make_client(world.owner, world.store, phone="+7 916 000-00-02"))
    merge = client_merge(actor=world.manager, survivor=client, other=twin)
    client_merge_undo(actor=world.manager, merge=merge)


CHANGES: dict[str, Callable[[World, Client], None]] = {
    "a row deleted by hand": _raw_delete,
    "a row's day changed by hand": _raw_move,
    "rows handed over by hand": _raw_reassign,
    "a row done through bulk_update": _bulk_done,
    "the client handed over": _handover,
    "a touchpoint moved": _move,
    "a touchpoint cancelled": _cancel,
    "a touchpoint added": _add,
    "a touchpoint snoozed": _snooze,
    "an outcome logged": _outcome,
    "a draft saved": _draft,
    "the e-mail job": _email_job,
    "a relative renamed": _relative_renamed,
    "a relative removed": _relative_removed,
    "blacklisted and taken off": _blacklisted_and_back,
    "merged and the merge undone": _merged_and_undone,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_after_any_change_the_nightly_re_plan_leaves_the_rows_right(
    world: World, change: Callable[[World, Client], None]
) -> None:
    client = planned_client(world)
    tomorrow = timezone.localdate() + timedelta(days=1)

    change(world, client)

    bulk_replan(client)
    nothing_left_to_fix(client)
    bulk_replan(client, today=tomorrow)
    nothing_left_to_fix(client, tomorrow)


def test_a_row_deleted_by_hand_comes_back_the_next_night(world: World) -> None:
    client = planned_client(world)
    gone = planned(client)
    before = rows(client)
    Touchpoint.objects.filter(pk=gone.pk).delete()

    stats = bulk_replan(client)

    assert (stats.unchanged, stats.inserted) == (0, 1)
    assert rows(client) == before


def test_a_digest_saved_for_a_later_day_is_not_trusted_for_an_earlier_one(world: World) -> None:
    client = planned_client(world)
    today = timezone.localdate()
    bulk_replan(client, today=today + timedelta(days=30))
    assert PlanDigest.objects.get(client=client).planned_on == today + timedelta(days=30)

    stats = bulk_replan(client, today=today)

    assert stats.unchanged == 0
    nothing_left_to_fix(client)


def test_one_clients_re_plan_always_compares_the_rows(world: World) -> None:
    client = planned_client(world)

    stats = services.plan_rebuild(client=client)

    assert stats.unchanged == 0
    assert stats.kept == Touchpoint.objects.filter(client=client, is_manual=False).count()


def test_a_replaced_row_that_history_points_at_is_unlinked_not_lost(world: World) -> None:
    client = planned_client(world)
    gift = Touchpoint.objects.get(
        client=client, occasion="relative_birthday_gift", status=TouchpointStatus.PLANNED
    )
    contact = Contact.objects.create(
        client=client, touchpoint=gift, user=world.owner, channel=Channel.WHATSAPP,
        outcome=Outcome.SENT,
    )  # fmt: skip
    event = timeline_record(
        client=client, kind=TimelineKind.PLAN_CHANGED, actor=world.owner, touchpoint=gift
    )

    relative_update(actor=world.owner, relative=client.relatives.get(), name="Мария")

    assert not Touchpoint.objects.filter(pk=gift.pk).exists()
    assert Touchpoint.objects.filter(client=client, occasion="relative_birthday_gift").exists()
    contact.refresh_from_db()
    assert contact.touchpoint_id is None
    assert TimelineEvent.objects.get(pk=event.pk).touchpoint_id is None
