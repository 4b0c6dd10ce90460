"""Re-planning only the clients whose plan may change (ADR 0007): the digest's ``stable_until``,
the triggers that forget a digest when anything the plan reads changes, and nights of such
re-plans ending exactly where full re-plans would."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.accounts.models import Store
from rapport.clients.choices import Relation
from rapport.clients.models import Client, Consent, ContactPoint, KeyDate, Preference, Relative
from rapport.clients.services import client_update, relative_add
from rapport.core import planner
from rapport.outreach.choices import Outcome
from rapport.outreach.jobs import replan_range
from rapport.outreach.models import Contact, PlanDigest, Standard
from rapport.outreach.planning import plan_input_for, replan_chunk, standard_for
from rapport.outreach.services import active_client_ids, plan_rebuild, plans_rebuild
from rapport.sales.models import Purchase, PurchaseLine, Visit
from rapport.sales.services import LineInput, purchase_record
from rapport.testing import World, grant_consent

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def digest_of(client: Client) -> PlanDigest | None:
    return PlanDigest.objects.filter(client=client).first()


def test_a_saved_plan_keeps_the_day_it_may_next_change(world: World) -> None:
    # Contacted on 1 December: nothing changes her plan before the next New Year's gift idea
    # enters her horizon, between 20 December and 2 January depending on her id.
    client_update(actor=world.owner, client=world.client, status="regular",
                  birthday=date(1985, 4, 10), gender="f")  # fmt: skip
    grant_consent(world.client)
    Contact.objects.create(client=world.client, channel="whatsapp", outcome=Outcome.SENT,
                           at=at(date(2026, 12, 1)))  # fmt: skip
    today = date(2026, 12, 6)
    plan_rebuild(client=world.client, today=today)
    digest = digest_of(world.client)
    assert digest is not None
    expected = planner.plan_stored(plan_input_for(world.client, today=today),
                                   standard_for(world.store), today).stable_until  # fmt: skip
    assert (digest.planned_on, digest.stable_until) == (today, expected)
    assert date(2026, 12, 20) <= expected <= date(2027, 1, 2)
    # due on that day, not the day before
    assert world.client.pk not in active_client_ids(due_on=expected - timedelta(days=1))
    assert world.client.pk in active_client_ids(due_on=expected)


def _changes(world: World) -> dict[str, Callable[[], object]]:
    """Changes made straight in the tables, as an import or a script would (the services would
    re-plan the client at once and hide whether the digest was forgotten)."""
    client, store = world.client, world.store
    mine = {"client": client}
    return {
        "status": lambda: Client.objects.filter(pk=client.pk).update(status="vip"),
        "consultant": lambda: Client.objects.filter(pk=client.pk).update(owner=world.colleague),
        "relative": lambda: Relative.objects.create(**mine, name="Маша", relation="child"),
        "relative's birthday": lambda: Relative.objects.filter(**mine).update(
            birthday=date(2018, 3, 2)),
        "key date": lambda: KeyDate.objects.create(**mine, kind="wedding", date=date(2015, 8, 8)),
        "consent": lambda: Consent.objects.create(**mine, channel="sms", status="granted",
                                                  source="in_store_form"),
        "consent withdrawn": lambda: Consent.objects.filter(**mine).update(status="withdrawn"),
        "address": lambda: ContactPoint.objects.create(**mine, kind="email",
                                                       value="anna@example.com"),
        "preference": lambda: Preference.objects.create(**mine, kind="brand", value="Pandora"),
        "purchase": lambda: Purchase.objects.create(**mine, store=store, total=Decimal("100"),
                                                    purchased_at=at(date(2026, 11, 20))),
        "purchase returned": lambda: Purchase.objects.filter(**mine).update(
            returned_total=Decimal("100")),
        "receipt line": lambda: PurchaseLine.objects.create(
            purchase=Purchase.objects.filter(**mine).earliest("pk"), description="Серьги",
            quantity=1, unit_price=Decimal("100")),
        "receipt line changed": lambda: PurchaseLine.objects.filter(
            purchase__client=client).update(description="Браслет"),
        "visit": lambda: Visit.objects.create(**mine, store=store, purpose="fitting",
                                              visited_at=at(date(2026, 12, 1))),
        "contact": lambda: Contact.objects.create(**mine, channel="whatsapp",
                                                  outcome=Outcome.SENT, at=at(date(2026, 12, 2))),
        "contact deleted": lambda: Contact.objects.filter(**mine).delete(),
        "relative deleted": lambda: Relative.objects.filter(**mine).delete(),
        "store's standard": lambda: Standard.objects.create(store=store, min_gap=14, max_gap=40),
        "store's standard changed": lambda: Standard.objects.filter(store=store).update(
            max_gap=50),
        "store's country": lambda: Store.objects.filter(pk=store.pk).update(country="KZ"),
    }  # fmt: skip


def test_anything_the_plan_reads_forgets_the_clients_digest(world: World) -> None:
    grant_consent(world.client)
    purchase_record(actor=world.owner, client=world.client, purchased_at=at(date(2026, 10, 1)),
                    lines=[LineInput(description="Кольцо", quantity=1,
                                     unit_price=Decimal("30000"))])  # fmt: skip
    today = date(2026, 12, 6)
    for name, change in _changes(world).items():
        plan_rebuild(client=world.client, today=today)
        assert digest_of(world.client) is not None, name
        change()
        assert digest_of(world.client) is None, name
    # what the plan does not read leaves it alone: the purchase figures, a search key
    plan_rebuild(client=world.client, today=today)
    Client.objects.filter(pk=world.client.pk).update(purchase_count=F("purchase_count") + 1,
                                                     last_name_key="x")  # fmt: skip
    assert digest_of(world.client) is not None
    # another client's changes leave hers alone
    other = Client.objects.create(store=world.store, owner=world.owner, first_name="Ольга")
    relative_add(actor=world.owner, client=other, name="Петя", relation=Relation.CHILD)
    client_update(actor=world.owner, client=other, status="vip")
    assert digest_of(world.client) is not None


def _tables(sql: str) -> set[str]:
    return {name for name in re.findall(r'"?\b([a-z]+_[a-z_]+)\b"?', sql)
            if name.split("_")[0] in {"clients", "sales", "outreach", "accounts"}}  # fmt: skip


def test_every_table_the_plan_reads_has_a_trigger_that_forgets_digests(world: World) -> None:
    # The guard on the rule above: a table added to what the loader reads without its trigger
    # would let the nightly re-plan keep a plan its input no longer gives.
    grant_consent(world.client)
    purchase_record(
        actor=world.owner,
        client=world.client,
        lines=[LineInput(description="Кольцо", quantity=1, unit_price=Decimal("1"))],
    )
    relative_add(actor=world.owner, client=world.client, name="Маша", relation=Relation.CHILD)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        replan_chunk([world.client.pk], date(2026, 12, 6), trust_digests=False)
    read = set().union(*(_tables(q["sql"]) for q in queries.captured_queries
                         if q["sql"].lstrip().upper().startswith("SELECT")))  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT DISTINCT event_object_table FROM information_schema.triggers "
                           "WHERE trigger_name LIKE %s", ["%forgets_plan%"])  # fmt: skip
        else:
            cursor.execute("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                           "AND name LIKE %s", ["%forgets_plan%"])  # fmt: skip
        guarded = {row[0] for row in cursor.fetchall()}
    assert {"clients_client", "sales_purchaseline", "outreach_touchpoint"} <= read
    assert read - {"outreach_plandigest"} <= guarded, read - guarded


def test_nights_of_due_only_replans_end_where_full_replans_do() -> None:
    # 150 generated clients with three years of history; re-planned in full once, then night
    # after night only those due (as the nightly job does), with purchases, contacts and a
    # status change slipped in between without their services (as an import or a script
    # would). Each night, re-planning everyone from scratch (nothing trusted) must find nothing
    # to change; most clients must have been left alone.
    from rapport.base.management.commands.bench import _load_history

    _load_history(clients=150, seed=3, marker="due test")
    ids = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    start = timezone.localdate()
    plans_rebuild(client_ids=ids, today=start)
    due_counts = []
    for night in range(1, 61):
        day = start + timedelta(days=night)
        if night % 7 == 0:  # between nights, changes that no service re-planned
            picked = ids[night % 5 :: 23]
            Purchase.objects.bulk_create([
                Purchase(client_id=pk, store_id=Client.objects.get(pk=pk).store_id,
                         purchased_at=at(day - timedelta(days=1)), total=Decimal("900"))
                for pk in picked
            ])  # fmt: skip
            Contact.objects.create(client_id=ids[night], channel="whatsapp",
                                   outcome=Outcome.SENT,
                                   at=at(day - timedelta(days=1)))  # fmt: skip
            Client.objects.filter(pk=ids[night + 1]).update(status="dormant")
        due = active_client_ids(first=ids[0], last=ids[-1], due_on=day)
        due_counts.append(len(due))
        result = replan_range.call(ids[0], ids[-1], day.isoformat())
        assert result["clients"] == len(due)
        with transaction.atomic():
            full = replan_chunk(ids, day, trust_digests=False)
            assert (night, full.inserted, full.deleted) == (night, 0, 0)
            transaction.set_rollback(True)
    print("DUE", due_counts)
    assert sum(due_counts) < 0.3 * len(ids) * len(due_counts), due_counts
