"""Writes for contact plans: the plan is rebuilt whenever what it depends on changes."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from time import perf_counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.clients.choices import Channel, ConsentSource, ConsentStatus, TimelineKind
from rapport.clients.models import Client
from rapport.clients.timeline import timeline_record
from rapport.core import planner
from rapport.outreach.choices import AWAITING, Category, Occasion, Outcome, TouchpointStatus
from rapport.outreach.models import Contact, PlanDigest, Touchpoint
from rapport.outreach.planning import (
    CHUNK,
    PlanStats,
    among_ids,
    reachable,
    replan_chunk,
    standard_for,
)


@transaction.atomic
def plan_rebuild(*, client: Client, today: date | None = None) -> PlanStats:
    """Re-plan a client's future from what really happened; hand-made touchpoints stay.

    Saved as a diff: unchanged touchpoints keep their rows (and drafts). The rows are always
    compared, whatever the plan's digest says: this follows a change made by hand, and one
    client's rows cost nothing to read."""
    today = today or timezone.localdate()
    _lock_clients([client.pk])
    return replan_chunk([client.pk], today, trust_digests=False)


def plans_rebuild(
    *,
    client_ids: Iterable[int],
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> PlanStats:
    """Re-plan many clients in chunks of ``CHUNK``, one transaction per chunk (a million
    clients must not sit in one transaction); ``progress`` gets each chunk's size when done.
    Cards merged into another are skipped: the merge already cleared their plan. A client whose
    plan comes out as its stored digest says is left alone, its rows unread."""
    today = today or timezone.localdate()
    started = perf_counter()
    total = PlanStats()
    standards: dict[int, planner.Standard] = {}
    for chunk in itertools.batched(sorted(set(client_ids)), CHUNK):
        with transaction.atomic():
            total.add(replan_chunk(_lock_clients(chunk, active=True), today, standards))
        if progress is not None:
            progress(len(chunk))
    total.seconds = perf_counter() - started
    return total


def active_client_ids(
    store_id: int | None = None,
    *,
    first: int | None = None,
    last: int | None = None,
    due_on: date | None = None,
) -> list[int]:
    """Every client's id (of a store; from ``first`` to ``last``; whose plan may change on
    ``due_on``), merged cards left out: they are empty shells."""
    clients = Client.objects.filter(merged_into__isnull=True)
    if due_on is not None:
        clients = clients.exclude(
            Exists(PlanDigest.objects.filter(client=OuterRef("pk"), stable_until__gt=due_on,
                                             planned_on__lte=due_on))
        )  # fmt: skip
    if store_id is not None:
        clients = clients.filter(store_id=store_id)
    if first is not None:
        clients = clients.filter(pk__gte=first)
    if last is not None:
        clients = clients.filter(pk__lte=last)
    return list(clients.order_by("pk").values_list("pk", flat=True))


PROCESS_SLICE = 20_000  # clients per task when a re-plan runs in several processes


def plans_rebuild_in_processes(
    *,
    client_ids: Iterable[int],
    processes: int,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> PlanStats:
    """:func:`plans_rebuild` spread over ``processes`` forked processes, each taking slices of
    ``PROCESS_SLICE`` consecutive clients with its own connection (PostgreSQL: SQLite has one
    writer, so more than one process is refused). The chunks' row locks keep two processes off
    the same client. ``progress`` gets each slice's size when it is done."""
    import multiprocessing

    if processes <= 1:
        return plans_rebuild(client_ids=client_ids, today=today, progress=progress)
    if connection.vendor != "postgresql":
        raise ValueError("Re-planning in several processes needs PostgreSQL.")
    today = today or timezone.localdate()
    ids = sorted(set(client_ids))
    slices = [(ids[at : at + PROCESS_SLICE], today.isoformat())
              for at in range(0, len(ids), PROCESS_SLICE)]  # fmt: skip
    started = perf_counter()
    total = PlanStats()
    connections.close_all()  # a forked child must not share the parent's connection
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for size, stats in pool.imap_unordered(_plans_rebuild_slice, slices):
            total.add(stats)
            if progress is not None:
                progress(size)
    total.seconds = perf_counter() - started
    return total


def _plans_rebuild_slice(job: tuple[list[int], str]) -> tuple[int, PlanStats]:
    ids, day = job
    return len(ids), plans_rebuild(client_ids=ids, today=date.fromisoformat(day))


def _lock_clients(client_ids: Iterable[int], *, active: bool = False) -> list[int]:
    """Lock the clients' rows in primary-key order (two re-plans of a client never interleave);
    ``active``: only the cards not merged into another."""
    clients = Client.objects.select_for_update().filter(among_ids("id", list(client_ids)))
    if active:
        clients = clients.filter(merged_into__isnull=True)
    return list(clients.order_by("pk").values_list("pk", flat=True))


# --- working the plan: drafts, outcomes, snoozes, moves -----------------------------------------

DRAFT_MAX = 2000
SNOOZE_DAYS = (1, 3, 7)
OPEN = (TouchpointStatus.PLANNED, TouchpointStatus.WAITING)


def _check_works_on(actor: User, point: Touchpoint) -> None:
    from rapport.clients.selectors import can_manage_client

    if not can_manage_client(user=actor, client=point.client):
        raise PermissionDenied(_("Only the client's consultant or a manager can do this."))


def _check_open(point: Touchpoint) -> None:
    if point.status not in OPEN:
        raise ValidationError(_("This contact is already closed."), code="closed")


def reachable_channels(client: Client) -> frozenset[str]:
    """Channels the client agreed to and the card has an address for (uses prefetched rows)."""
    return reachable(
        (c.channel for c in client.consents.all() if c.status == ConsentStatus.GRANTED),
        {point.kind for point in client.contact_points.all()},
    )


def _check_channel(client: Client, channel: str) -> None:
    if channel not in reachable_channels(client):
        label = Channel(channel).label if channel in Channel.values else channel
        raise ValidationError(
            {
                "channel": _(
                    "%(channel)s: the client has not agreed to be contacted this way, "
                    "or the card has no address for it."
                )
                % {"channel": label}
            },
            code="no_consent",
        )


@transaction.atomic
def draft_save(*, actor: User, touchpoint: Touchpoint, text: str) -> Touchpoint:
    """Keep the consultant's own wording of a touchpoint's message."""
    _check_works_on(actor, touchpoint)
    _check_open(touchpoint)
    text = text.strip()
    if len(text) > DRAFT_MAX:
        raise ValidationError(
            {"text": _("At most %(n)s characters.") % {"n": DRAFT_MAX}}, code="too_long"
        )
    touchpoint.draft = text
    touchpoint.save(update_fields=["draft"])
    return touchpoint


@transaction.atomic
def contact_log(
    *,
    actor: User,
    touchpoint: Touchpoint,
    outcome: str,
    text: str = "",
    channel: str = "",
    at: datetime | None = None,
) -> Contact:
    """Log what came of a touchpoint; the plan then restarts from this contact.

    «Sent» leaves the touchpoint waiting for a reply; a later outcome completes the same contact.
    «Opted out» withdraws the client's consent for the channel.
    """
    from rapport.clients.services import consent_set

    _check_works_on(actor, touchpoint)
    _check_open(touchpoint)
    outcome = Outcome(outcome)
    at = at or timezone.now()
    client = touchpoint.client
    contact = (
        Contact.objects.filter(touchpoint=touchpoint).order_by("-at", "-pk").first()
        if touchpoint.status == TouchpointStatus.WAITING
        else None
    )
    if contact is not None:
        if outcome == Outcome.SENT:
            raise ValidationError(_("This message was already sent."), code="already_sent")
        contact.outcome, contact.outcome_at = outcome, at
        contact.save(update_fields=["outcome", "outcome_at"])
    else:
        channel = channel or touchpoint.channel
        if outcome != Outcome.OPTED_OUT:
            _check_channel(client, channel)
        contact = Contact.objects.create(
            client=client,
            touchpoint=touchpoint,
            user=actor,
            channel=channel,
            outcome=outcome,
            occasion=touchpoint.occasion,
            category=touchpoint.category,
            text=(text or touchpoint.draft).strip()[:DRAFT_MAX],
            at=at,
            outcome_at=at,
        )
    touchpoint.status = TouchpointStatus.WAITING if outcome in AWAITING else TouchpointStatus.DONE
    touchpoint.done_at = touchpoint.done_at or at
    touchpoint.save(update_fields=["status", "done_at"])
    timeline_record(
        client=client,
        kind=TimelineKind.CONTACTED,
        actor=actor,
        data={"outcome": outcome, "channel": contact.channel, "occasion": touchpoint.occasion},
        contact=contact,
        touchpoint=touchpoint,
    )
    if outcome == Outcome.OPTED_OUT:
        consent_set(
            actor=actor,
            client=client,
            channel=contact.channel,
            status=ConsentStatus.WITHDRAWN,
            source=ConsentSource.MESSAGE,
            note=_("Asked not to be contacted this way."),
        )  # re-plans
    else:
        plan_rebuild(client=client)
    return contact


def _hand_place(point: Touchpoint, due_on: date) -> None:
    """Put a touchpoint on a date chosen by hand: from now on re-planning keeps it there."""
    if point.moved_from is None and point.due_on != due_on:
        point.moved_from = point.due_on
    point.due_on = due_on
    point.is_manual = True
    point.may_break_min_gap = True


@transaction.atomic
def touchpoint_snooze(*, actor: User, touchpoint: Touchpoint, days: int) -> Touchpoint:
    """Remind later: tomorrow, in 3 days or in a week. A fixed date cannot leave its window."""
    _check_works_on(actor, touchpoint)
    _check_open(touchpoint)
    if days not in SNOOZE_DAYS:
        raise ValidationError({"days": _("Choose 1, 3 or 7 days.")}, code="invalid")
    when = timezone.localdate() + timedelta(days=days)
    if when > touchpoint.window_end:
        if touchpoint.is_fixed:
            raise ValidationError(
                {
                    "days": _(
                        "This contact is tied to a date: it has to happen by %(date)s. "
                        "Pick an earlier day or cancel it."
                    )
                    % {"date": formats.date_format(touchpoint.window_end, "j E")}
                },
                code="outside_window",
            )
        touchpoint.window_end = when
    _hand_place(touchpoint, when)
    touchpoint.status = TouchpointStatus.PLANNED
    touchpoint.save()
    _plan_changed(actor, touchpoint, "snoozed")
    return touchpoint


@transaction.atomic
def touchpoint_move(
    *, actor: User, touchpoint: Touchpoint, due_on: date, channel: str = ""
) -> Touchpoint:
    """Move a planned touchpoint to another day inside its window, or to another channel."""
    _check_works_on(actor, touchpoint)
    if touchpoint.status != TouchpointStatus.PLANNED:
        raise ValidationError(_("Only a planned contact can be moved."), code="closed")
    today = timezone.localdate()
    if due_on < today:
        raise ValidationError({"due_on": _("Pick today or a later day.")}, code="past")
    if not touchpoint.window_start <= due_on <= touchpoint.window_end:
        raise ValidationError(
            {
                "due_on": _(
                    "This contact makes sense between %(start)s and %(end)s; "
                    "to reach the client at another time, add a new contact."
                )
                % {
                    "start": formats.date_format(max(touchpoint.window_start, today), "j E"),
                    "end": formats.date_format(touchpoint.window_end, "j E"),
                }
            },
            code="outside_window",
        )
    if channel and channel != touchpoint.channel:
        _check_channel(touchpoint.client, channel)
        touchpoint.channel = channel
    _hand_place(touchpoint, due_on)
    touchpoint.save()
    _plan_changed(actor, touchpoint, "moved")
    return touchpoint


@transaction.atomic
def touchpoint_cancel(*, actor: User, touchpoint: Touchpoint) -> Touchpoint:
    """Drop a planned touchpoint; re-planning will not bring it back."""
    _check_works_on(actor, touchpoint)
    if touchpoint.status != TouchpointStatus.PLANNED:
        raise ValidationError(_("Only a planned contact can be cancelled."), code="closed")
    touchpoint.status = TouchpointStatus.CANCELLED
    touchpoint.is_manual = True
    touchpoint.save(update_fields=["status", "is_manual"])
    _plan_changed(actor, touchpoint, "cancelled")
    return touchpoint


@transaction.atomic
def touchpoint_add(
    *,
    actor: User,
    client: Client,
    due_on: date,
    channel: str,
    occasion: str = Occasion.MANUAL,
    category: str = Category.PERSONAL,
    text: str = "",
) -> Touchpoint:
    """Plan a contact by hand (or one the client agreed to); it survives re-planning."""
    from rapport.clients.selectors import can_manage_client

    if not can_manage_client(user=actor, client=client):
        raise PermissionDenied(_("Only the client's consultant or a manager can do this."))
    today = timezone.localdate()
    horizon = standard_for(client.store).horizon_days
    if not today <= due_on <= today + timedelta(days=horizon):
        raise ValidationError(
            {"due_on": _("Pick a day within the next %(n)s days.") % {"n": horizon}},
            code="outside_horizon",
        )
    _check_channel(client, channel)
    if len(text.strip()) > DRAFT_MAX:
        raise ValidationError({"text": _("At most %(n)s characters.") % {"n": DRAFT_MAX}})
    point = Touchpoint.objects.create(
        client=client,
        store_id=client.store_id,
        assignee_id=client.owner_id,
        due_on=due_on,
        window_start=due_on,
        window_end=due_on + timedelta(days=2),
        occasion=Occasion(occasion),
        category=Category(category),
        channel=channel,
        is_manual=True,
        may_break_min_gap=True,
        priority=planner.PRIORITY["manual"],
        draft=text.strip(),
    )
    _plan_changed(actor, point, "added")
    return point


def _plan_changed(actor: User, point: Touchpoint, change: str) -> None:
    timeline_record(
        client=point.client,
        kind=TimelineKind.PLAN_CHANGED,
        actor=actor,
        data={"change": change, "occasion": point.occasion, "due_on": point.due_on.isoformat()},
        touchpoint=point,
    )
    plan_rebuild(client=point.client)


def email_send(*, actor: User, touchpoint: Touchpoint, text: str = "") -> None:
    """Have the system e-mail the message from a background job, after this transaction."""
    from rapport.outreach.jobs import touchpoint_email_send
    from rapport.outreach.selectors import addresses_for, day_rules_for

    _check_works_on(actor, touchpoint)
    _check_open(touchpoint)
    _check_channel(touchpoint.client, Channel.EMAIL)
    if touchpoint.email_claimed_at is not None:
        raise ValidationError(_("This e-mail has already been sent."), code="already_sent")
    address = addresses_for([touchpoint.client_id]).get(touchpoint.client_id)
    if address is None or not address.email:
        raise ValidationError(_("The card has no e-mail address."), code="no_address")
    if text.strip():
        draft_save(actor=actor, touchpoint=touchpoint, text=text)
    from rapport.outreach.selectors import Drafter

    body = text.strip() or Drafter(touchpoint.store).text(touchpoint, actor)
    point_id, to, subject, actor_id = touchpoint.pk, address.email, touchpoint.store.name, actor.pk
    # In the store's quiet hours the e-mail waits for the morning.
    later = day_rules_for(touchpoint.store).quiet_until_at(timezone.now())
    task = touchpoint_email_send.using(run_after=later) if later else touchpoint_email_send
    transaction.on_commit(
        lambda: task.enqueue(
            touchpoint_id=point_id, to=to, subject=subject, text=body, actor_id=actor_id
        )
    )
