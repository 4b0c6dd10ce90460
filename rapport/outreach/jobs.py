"""Background jobs for contact plans (Django's tasks API; run by ``rapport worker``).

- ``nightly``: every client's numbers refreshed (:mod:`rapport.insights`), then the rolling-horizon
  re-plan (statuses first, so plans follow them), queued as ``replan_range`` slices of
  consecutive client ids so that every running worker takes a share: two workers on two cores
  re-plan about 1.7 times as fast as one. A slice re-plans only the clients whose plan may have
  changed: no plan digest (something it reads changed since) or its ``stable_until`` has come
  (``docs/adr/0007-incremental-replan.md``); the others' plans are already what a
  re-plan would give.
- ``replan_all``: the whole re-plan in one job.
- ``replan_clients`` / ``replan_store``: re-plan some clients, or a store's, off the request.
- ``touchpoint_email_send``: a touchpoint's system e-mail (:mod:`rapport.outreach.mailing`).

Every job is idempotent: a plan is saved as a diff, so running a job twice (a retry, or two
workers) leaves the same rows. :func:`nightly_enqueue` is what the worker calls to start
``nightly`` once a night; the date is claimed in the database, so two workers never both do.
"""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as day_time
from typing import Any

from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from rapport.outreach.models import NightlyRun
from rapport.outreach.services import active_client_ids, plans_rebuild

NIGHTLY_AFTER = day_time(3, 0)  # server time (settings.TIME_ZONE)
NIGHTLY_JOB = "nightly"
REPLAN_SLICE = 50_000  # clients per queued slice of the nightly re-plan


def _day(day: str | None) -> date:
    return date.fromisoformat(day) if day else timezone.localdate()


@task()
def replan_all(day: str | None = None) -> dict[str, Any]:
    """Re-plan every client for ``day`` (ISO date, default today), chunk by chunk."""
    ids = active_client_ids()
    return plans_rebuild(client_ids=ids, today=_day(day)).as_dict()


@task()
def nightly(day: str | None = None) -> dict[str, Any]:
    """Refresh every client's scores and status, then queue the re-plan of every client for
    ``day`` in slices (:func:`replan_range`), which the workers share."""
    from rapport.insights.services import scores_refresh

    today = _day(day)
    scored = scores_refresh(today=today)
    slices = replan_slices(active_client_ids())
    for first, last in slices:
        replan_range.enqueue(first, last, today.isoformat())
    return {"scores": scored.as_dict(), "plans": {"slices": len(slices)}}


def replan_slices(ids: list[int], size: int = REPLAN_SLICE) -> list[tuple[int, int]]:
    """First and last id of consecutive runs of ``size`` ids (sorted): a job's arguments stay
    two numbers however many clients it covers."""
    return [(ids[at], ids[min(at + size, len(ids)) - 1]) for at in range(0, len(ids), size)]


@task()
def replan_range(first: int, last: int, day: str | None = None) -> dict[str, Any]:
    """Re-plan the clients whose ids lie from ``first`` to ``last`` and whose plan may change,
    for ``day``."""
    today = _day(day)
    ids = active_client_ids(first=first, last=last, due_on=today)
    return plans_rebuild(client_ids=ids, today=today).as_dict()


@task()
def replan_clients(client_ids: list[int], day: str | None = None) -> dict[str, Any]:
    """Re-plan the given clients (missing ones are skipped)."""
    return plans_rebuild(client_ids=client_ids, today=_day(day)).as_dict()


@task()
def replan_store(store_id: int, day: str | None = None) -> dict[str, Any]:
    """Re-plan every client of a store (after its standard changed)."""
    ids = active_client_ids(store_id=store_id)
    return plans_rebuild(client_ids=ids, today=_day(day)).as_dict()


@task()
def touchpoint_email_send(
    *, touchpoint_id: int, to: str, subject: str, text: str, actor_id: int | None
) -> bool:
    """Send a touchpoint's e-mail once (claimed in the database); True if this run sent it."""
    from rapport.outreach.mailing import touchpoint_email_deliver

    return touchpoint_email_deliver(
        touchpoint_id=touchpoint_id, to=to, subject=subject, text=text, actor_id=actor_id
    )


def nightly_enqueue(now: datetime | None = None) -> bool:
    """Enqueue tonight's ``nightly`` pass if it is past 03:00 and no worker did for this date yet.

    The (job, date) row and the queued task are written in one transaction; a second worker
    trying the same date hits the unique constraint and backs off. True if this call enqueued.
    """
    local = timezone.localtime(now)
    if local.time() < NIGHTLY_AFTER:
        return False
    if NightlyRun.objects.filter(job=NIGHTLY_JOB, on=local.date()).exists():
        return False
    try:
        with transaction.atomic():
            run = NightlyRun.objects.create(job=NIGHTLY_JOB, on=local.date())
            result = nightly.enqueue(day=local.date().isoformat())
            run.task_id = str(result.id)
            run.save(update_fields=["task_id"])
    except IntegrityError:
        return False
    return True
