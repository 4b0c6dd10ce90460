"""``rapport plan`` and ``rapport replan``."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from rapport.clients.choices import Channel, ConsentSource, ConsentStatus
from rapport.clients.services import consent_set
from rapport.outreach import services
from rapport.outreach.choices import TouchpointStatus
from rapport.outreach.models import PlanDigest, Touchpoint
from rapport.testing import World, grant_consent, make_client

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def touchpoint(world: World, days: int, occasion: str, **fields: object) -> Touchpoint:
    today = timezone.localdate()
    due = today + timedelta(days=days)
    return Touchpoint.objects.create(
        client=world.client, store=world.store, assignee=world.owner, due_on=due,
        window_start=due, window_end=due, occasion=occasion, **fields,
    )  # fmt: skip


def test_plan_prints_the_stored_plan_from_today(world: World) -> None:
    today = timezone.localdate()
    reason = {"first_name": "Анна", "age": 30, "merged": [{"holiday": "new_year"}]}
    touchpoint(world, 30, "client_birthday", category="personal", channel="whatsapp",
               is_fixed=True, merged_occasions=["holiday_greeting"], reason=reason)  # fmt: skip
    touchpoint(world, 3, "manual", category="personal", channel="sms", is_manual=True)
    touchpoint(world, 50, "care_tips", category="useful", channel="whatsapp",
               reason={"items": ["Кольцо", "Цепочка"], "purchase_date": "2026-01-05"})  # fmt: skip
    touchpoint(world, -1, "feedback", category="useful")  # past: not shown
    touchpoint(world, 5, "complement", category="selling", status=TouchpointStatus.DONE)

    out, _ = run("plan", "--client", str(world.client.pk))

    d = [(today + timedelta(days=n)).isoformat() for n in (3, 30, 50)]
    assert out.splitlines() == [
        f"Анна Иванова (#{world.client.pk}): 3 planned contacts",
        f"{d[0]}  manual                                   personal  sms       manual",
        f"{d[1]}  client_birthday + holiday_greeting       personal  whatsapp  fixed    "
        "age=30 first_name=Анна",
        f"{d[2]}  care_tips                                useful    whatsapp  flexible "
        "items=Кольцо/Цепочка purchase_date=2026-01-05",
    ]
    lines, _ = run("plan", "--client", str(world.client.pk), "--json")
    assert [json.loads(line) for line in lines.splitlines()][1] == {
        "date": d[1], "occasion": "client_birthday", "category": "personal",
        "channel": "whatsapp", "status": "planned", "fixed": True, "manual": False,
        "merged": ["holiday_greeting"],
        "reason": {"first_name": "Анна", "age": 30, "merged": [{"holiday": "new_year"}]},
    }  # fmt: skip


def test_plan_refuses_an_unknown_client(world: World) -> None:
    with pytest.raises(CommandError, match="no client 999999"):
        run("plan", "--client", "999999")


def test_replan_one_client_then_the_store_with_a_json_summary(world: World) -> None:
    consent_set(
        actor=world.owner,
        client=world.client,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.IN_STORE_FORM,
    )
    rows = Touchpoint.objects.count()
    Touchpoint.objects.all().delete()

    out, err = run("replan", "--client", str(world.client.pk), "--json")
    first = json.loads(out)
    again, _ = run("replan", "--store", str(world.store.pk))
    nobody, _ = run("replan", "--store", str(world.other_store.pk), "--json")

    assert rows > 0
    assert err == ""  # no progress bar when stdout is not a terminal
    assert set(first) == {"clients", "inserted", "deleted", "kept", "seconds", "clients_per_s"}
    assert (first["clients"], first["inserted"], first["deleted"], first["kept"]) == (1, rows, 0, 0)
    assert re.fullmatch(
        rf"Re-planned 1 clients in [0-9.]+ s \([0-9.,]+ clients/s\): 0 touchpoints inserted, "
        rf"0 deleted, {rows} kept\.\n",
        again,
    )
    assert json.loads(nobody) == {
        "clients": 0, "inserted": 0, "deleted": 0, "kept": 0, "seconds": 0.0,
        "clients_per_s": 0.0,
    }  # fmt: skip


def test_replan_due_takes_only_the_clients_whose_plan_may_have_changed(world: World) -> None:
    grant_consent(world.client)  # (the service re-plans her: her digest is fresh)
    other = make_client(world.owner, world.store, first_name="Ольга")
    grant_consent(other)
    PlanDigest.objects.filter(client=other).delete()  # as a trigger does after an import
    today = timezone.localdate()

    out, _ = run("replan", "--due", "--date", today.isoformat(), "--json")
    again, _ = run("replan", "--due", "--date", today.isoformat(), "--json")
    digest = PlanDigest.objects.get(client=world.client)
    on_its_day, _ = run("replan", "--due", "--date", digest.stable_until.isoformat(), "--json")

    assert json.loads(out)["clients"] == 1  # Ольга only
    assert json.loads(again)["clients"] == 0
    assert json.loads(on_its_day)["clients"] >= 1


def test_replan_needs_exactly_one_target(world: World) -> None:
    with pytest.raises(CommandError):
        run("replan")
    with pytest.raises(CommandError, match="no client 999999"):
        run("replan", "--client", "999999")


@pytest.mark.django_db(transaction=True)
def test_replan_in_several_processes_saves_what_one_process_would(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("several processes re-plan on PostgreSQL only")
    clients = [world.client, *(
        make_client(world.owner, world.store, first_name=name, phone=f"+7916123456{n}")
        for n, name in enumerate(["Ольга", "Мария", "Елена"])
    )]  # fmt: skip
    for client in clients:
        grant_consent(client)
    rows = Touchpoint.objects.count()
    Touchpoint.objects.all().delete()
    monkeypatch.setattr(services, "PROCESS_SLICE", 1)  # four slices for the two processes

    out, _ = run("replan", "--all", "--processes", "2", "--json")
    again, _ = run("replan", "--all", "--json")  # one process: nothing left to change

    parallel, single = json.loads(out), json.loads(again)
    assert rows > 0
    assert (parallel["clients"], parallel["inserted"], parallel["deleted"]) == (4, rows, 0)
    assert (single["clients"], single["inserted"], single["deleted"], single["kept"]) == (
        4, 0, 0, rows,
    )  # fmt: skip
    assert Touchpoint.objects.count() == rows


def test_replan_refuses_several_processes_on_sqlite(world: World) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    with pytest.raises(CommandError, match="--processes needs PostgreSQL"):
        run("replan", "--all", "--processes", "2")
    with pytest.raises(CommandError, match="--processes must be at least 1"):
        run("replan", "--all", "--processes", "0")
