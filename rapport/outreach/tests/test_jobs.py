"""Background re-plans through the real task backend (django-tasks-db) and ``rapport worker``."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rapport.outreach.jobs import (
    nightly_enqueue,
    replan_all,
    replan_clients,
    replan_range,
    replan_slices,
)
from rapport.outreach.models import NightlyRun, Touchpoint
from rapport.testing import World, grant_consent, make_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_signals() -> Iterator[None]:
    """``db_worker`` installs its own SIGINT/SIGTERM handlers: put pytest's back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def run_worker() -> None:
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def with_consent(world: World) -> None:
    grant_consent(world.client, actor=world.owner)
    Touchpoint.objects.all().delete()  # as if the client had never been planned


def at(hour: int, minute: int) -> datetime:
    today = timezone.localdate()
    return datetime.combine(today, time(hour, minute), tzinfo=timezone.get_current_timezone())


def test_the_nightly_re_plan_is_queued_once_after_three_and_the_worker_runs_it(
    world: World, worker_signals: None
) -> None:
    with_consent(world)

    assert nightly_enqueue(at(2, 59)) is False
    assert DBTaskResult.objects.count() == 0
    assert nightly_enqueue(at(3, 1)) is True
    assert nightly_enqueue(at(4, 30)) is False  # another worker, or the next minute
    run = NightlyRun.objects.get()
    assert (run.job, run.on) == ("nightly", timezone.localdate())
    queued = DBTaskResult.objects.get()
    assert (str(queued.id), queued.task_path) == (run.task_id, "rapport.outreach.jobs.nightly")

    run_worker()  # runs the nightly job, then the re-plan slice it queued

    queued.refresh_from_db()
    planned = Touchpoint.objects.filter(client=world.client).count()
    assert planned > 0
    assert queued.status == "SUCCESSFUL"
    assert (queued.return_value or {})["scores"]["clients"] == 1  # scored before it was planned
    assert (queued.return_value or {})["plans"] == {"slices": 1}
    # the worker's own check found tonight's row, so the slice is the only other job
    part = DBTaskResult.objects.exclude(pk=queued.pk).get()
    assert (part.task_path, part.status, part.args_kwargs["args"]) == (
        "rapport.outreach.jobs.replan_range", "SUCCESSFUL",
        [world.client.pk, world.client.pk, timezone.localdate().isoformat()],
    )  # fmt: skip
    summary = part.return_value or {}
    assert {k: summary[k] for k in ("clients", "inserted", "deleted", "kept")} == {
        "clients": 1, "inserted": planned, "deleted": 0, "kept": 0,
    }  # fmt: skip


def test_the_nightly_re_plan_is_cut_into_slices_of_consecutive_ids() -> None:
    ids = [3, 4, 7, 9, 10, 12, 20]

    assert replan_slices(ids, size=3) == [(3, 7), (9, 12), (20, 20)]
    assert replan_slices(ids, size=7) == [(3, 20)]
    assert replan_slices([], size=3) == []


def test_a_slice_re_plans_the_active_clients_between_its_ids(
    world: World, worker_signals: None
) -> None:
    with_consent(world)
    NightlyRun.objects.create(job="nightly", on=timezone.localdate())  # tonight's is done
    other = make_client(world.owner, world.store, first_name="Ольга", phone="+79161234567")
    grant_consent(other, actor=world.owner)
    Touchpoint.objects.all().delete()

    replan_range.enqueue(other.pk, other.pk + 10)
    run_worker()

    assert Touchpoint.objects.filter(client=world.client).count() == 0  # before the slice
    assert Touchpoint.objects.filter(client=other).exists()


def test_the_next_night_is_queued_again(world: World) -> None:
    assert nightly_enqueue(at(3, 0)) is True
    assert nightly_enqueue(at(3, 0) + timedelta(days=1)) is True
    assert sorted(NightlyRun.objects.values_list("on", flat=True)) == [
        timezone.localdate(),
        timezone.localdate() + timedelta(days=1),
    ]


def test_replan_clients_through_the_queue_is_idempotent(world: World, worker_signals: None) -> None:
    with_consent(world)
    NightlyRun.objects.create(job="nightly", on=timezone.localdate())  # tonight's is done
    replan_clients.enqueue([world.client.pk, 999_999])
    run_worker()
    first = set(Touchpoint.objects.values_list("pk", flat=True))
    replan_all.enqueue()
    run_worker()

    results = [r.return_value or {} for r in DBTaskResult.objects.order_by("enqueued_at")]
    assert first
    assert set(Touchpoint.objects.values_list("pk", flat=True)) == first
    assert [(r["clients"], r["inserted"], r["kept"]) for r in results] == [
        (1, len(first), 0),
        (1, 0, len(first)),
    ]
