"""Every write to a client card: one function per business verb, each writing its timeline entry."""

from __future__ import annotations

import enum
import itertools
import time as clock
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import scope_for
from rapport.clients import merging
from rapport.clients.choices import (
    CandidateStatus,
    Channel,
    ConsentSource,
    ConsentStatus,
    ContactKind,
    KeyDateKind,
    PreferenceKind,
    Recurrence,
    Relation,
    TimelineKind,
)
from rapport.clients.models import (
    Client,
    ClientMerge,
    Consent,
    ContactPoint,
    DedupeSettings,
    DuplicateCandidate,
    KeyDate,
    Note,
    Preference,
    Relative,
)
from rapport.clients.timeline import timeline_record
from rapport.core import planner
from rapport.core.normalize import (
    InvalidEmail,
    InvalidHandle,
    InvalidPhone,
    clean_name,
    name_skeleton,
    normalize_email,
    normalize_phone,
    normalize_telegram,
    phone_suffix_key,
)
from rapport.outreach.choices import Category, Occasion, TouchpointStatus
from rapport.outreach.models import Touchpoint
from rapport.outreach.planning import plan_inputs_for
from rapport.outreach.services import plan_rebuild

if TYPE_CHECKING:
    from rapport.core.identity import Match, MatchSettings, Person


def phone_error(reason: str) -> str:
    """The user-facing message for an invalid phone number, in the active language."""
    messages = {
        "empty": _("Enter a phone number."),
        "too_short": _("This phone number is too short."),
        "too_long": _("This phone number is too long."),
        "invalid": _("No operator uses this number: check the digits and the country code."),
        "unreadable": _("This does not look like a phone number."),
    }
    return messages.get(reason, messages["unreadable"])


def contact_value_normalize(*, kind: str, raw: str, region: str) -> tuple[str, str]:
    """The stored form of a phone/e-mail/handle and its suffix key; ``ValidationError`` if bad."""
    try:
        if kind == ContactKind.PHONE:
            value = normalize_phone(raw, region)
            return value, phone_suffix_key(value)
        if kind == ContactKind.EMAIL:
            return normalize_email(raw), ""
        if kind == ContactKind.TELEGRAM:
            return normalize_telegram(raw), ""
    except InvalidPhone as exc:
        raise ValidationError({"value": phone_error(exc.reason)}) from exc
    except InvalidEmail as exc:
        raise ValidationError({"value": _("Enter a valid e-mail address.")}) from exc
    except InvalidHandle as exc:
        raise ValidationError(
            {"value": _("A Telegram user name has 5–32 letters, digits or underscores.")}
        ) from exc
    raise ValidationError({"kind": _("Unknown contact type.")})


def set_name_keys(client: Client) -> None:
    """The card's search keys from its names (see ``rapport.core.normalize.name_skeleton``)."""
    client.first_name_key = name_skeleton(client.first_name)[:80]
    client.last_name_key = name_skeleton(client.last_name)[:80]


def check_owner(owner: User | None, store: Store) -> None:
    """Refuse a consultant who does not work in the store (as a form error on ``owner``)."""
    if owner is None:
        return
    scope = scope_for(owner)
    if not scope.sees_store(store.pk):
        raise ValidationError({"owner": _("This consultant does not work in the client's store.")})


def _check_manage(actor: User, client: Client) -> None:
    from rapport.clients.selectors import can_manage_client

    if not scope_for(actor).sees_store(client.store_id):
        raise Http404("No such client")  # as the selectors do: a stranger learns nothing
    if not can_manage_client(user=actor, client=client):
        raise PermissionDenied(_("Only the client's consultant or a manager can change this."))


class Default(enum.Enum):
    """An argument left out, where ``None`` means something of its own."""

    ACTOR = "actor"


ACTOR = Default.ACTOR  # client_create's owner unless told: whoever creates the card


@transaction.atomic
def client_create(
    *,
    actor: User,
    store: Store,
    first_name: str,
    last_name: str = "",
    middle_name: str = "",
    phone: str = "",
    email: str = "",
    birthday: date | None = None,
    gender: str = "",
    language: str = "ru",
    preferred_channel: str = "",
    owner: User | Literal[Default.ACTOR] | None = ACTOR,
    consent_channels: Iterable[str] = (),
    consent_source: str = ConsentSource.IN_STORE_FORM,
    external_id: str = "",
) -> Client:
    """Create a card at the till: a name and a phone are enough, the rest can come later.
    The card is the actor's unless ``owner`` says whose, or ``None``: nobody's."""
    if not scope_for(actor).sees_store(store.pk):
        raise PermissionDenied(_("You do not work in this store."))
    errors: dict[str, Any] = {}
    client = Client(
        store=store,
        owner=actor if owner is ACTOR else owner,
        first_name=clean_name(first_name),
        last_name=clean_name(last_name),
        middle_name=clean_name(middle_name),
        birthday=birthday,
        gender=gender,
        language=language,
        preferred_channel=preferred_channel,
        external_id=external_id.strip(),
    )
    if not client.first_name:
        errors["first_name"] = _("Enter the client's first name.")
    if birthday and birthday > timezone.localdate():
        errors["birthday"] = _("A birthday cannot be in the future.")
    contacts: list[tuple[str, str, str]] = []
    for kind, raw, field in (
        (ContactKind.PHONE, phone, "phone"),
        (ContactKind.EMAIL, email, "email"),
    ):
        if raw.strip():
            try:
                value, suffix = contact_value_normalize(kind=kind, raw=raw, region=store.country)
                contacts.append((kind, value, suffix))
            except ValidationError as exc:
                errors[field] = exc.message_dict["value"]
    try:
        check_owner(client.owner, store)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    set_name_keys(client)
    client.full_clean()
    client.save()
    ContactPoint.objects.bulk_create(
        ContactPoint(client=client, kind=kind, value=value, suffix_key=suffix, is_primary=True)
        for kind, value, suffix in contacts
    )
    now = timezone.now()
    Consent.objects.bulk_create(
        Consent(
            client=client,
            channel=Channel(channel),
            status=ConsentStatus.GRANTED,
            source=consent_source,
            changed_at=now,
            changed_by=actor,
        )
        for channel in consent_channels
    )
    timeline_record(
        client=client,
        kind=TimelineKind.CREATED,
        actor=actor,
        data={"contacts": [value for _, value, _ in contacts], "consents": list(consent_channels)},
    )
    plan_rebuild(client=client)
    return client


EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "middle_name",
    "gender",
    "birthday",
    "language",
    "preferred_channel",
    "status",
)


@transaction.atomic
def client_update(*, actor: User, client: Client, **changes: Any) -> Client:
    """Change the card's own fields; the timeline keeps what was changed from what to what."""
    _check_manage(actor, client)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    for name in ("first_name", "last_name", "middle_name"):
        if name in changes:
            changes[name] = clean_name(changes[name] or "")
    if "first_name" in changes and not changes["first_name"]:
        raise ValidationError({"first_name": _("Enter the client's first name.")})
    birthday = changes.get("birthday")
    if birthday and birthday > timezone.localdate():
        raise ValidationError({"birthday": _("A birthday cannot be in the future.")})
    diff: dict[str, list[str]] = {}
    for name, value in changes.items():
        old = getattr(client, name)
        if old != value:
            diff[name] = [plain_value(old), plain_value(value)]
            setattr(client, name, value)
    if not diff:
        return client
    set_name_keys(client)
    client.full_clean()
    client.save(update_fields=[*diff, "first_name_key", "last_name_key", "updated_at"])
    timeline_record(client=client, kind=TimelineKind.EDITED, actor=actor, data={"changes": diff})
    plan_rebuild(client=client)
    return client


def plain_value(value: Any) -> str:
    """A field value as the timeline keeps it in a diff: text, dates in ISO form."""
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)


@transaction.atomic
def contact_point_add(
    *, actor: User, client: Client, kind: str, value: str, is_primary: bool = False, label: str = ""
) -> ContactPoint:
    """Add a phone, e-mail or Telegram handle, stored in its normalised form."""
    _check_manage(actor, client)
    normalized, suffix = contact_value_normalize(kind=kind, raw=value, region=client.store.country)
    if ContactPoint.objects.filter(client=client, kind=kind, value=normalized).exists():
        raise ValidationError({"value": _("The card already has this contact.")})
    has_primary = ContactPoint.objects.filter(client=client, kind=kind, is_primary=True)
    if is_primary:
        has_primary.update(is_primary=False)
    point = ContactPoint.objects.create(
        client=client,
        kind=kind,
        value=normalized,
        suffix_key=suffix,
        is_primary=is_primary or not has_primary.exists(),
        label=label.strip(),
    )
    timeline_record(
        client=client,
        kind=TimelineKind.CONTACT_ADDED,
        actor=actor,
        data={"kind": kind, "value": normalized},
    )
    plan_rebuild(client=client)
    return point


@transaction.atomic
def contact_point_remove(*, actor: User, point: ContactPoint) -> None:
    """Remove a phone, e-mail or handle from the card."""
    client = point.client
    _check_manage(actor, client)
    data = {"kind": point.kind, "value": point.value}
    was_primary = point.is_primary
    point.delete()
    if was_primary:
        successor = ContactPoint.objects.filter(client=client, kind=data["kind"]).first()
        if successor:
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
    timeline_record(client=client, kind=TimelineKind.CONTACT_REMOVED, actor=actor, data=data)
    plan_rebuild(client=client)


@transaction.atomic
def consent_set(
    *,
    actor: User | None,
    client: Client,
    channel: str,
    status: str,
    source: str,
    note: str = "",
) -> Consent:
    """Record that the client granted or withdrew consent on a channel, with how and when."""
    if actor is not None:
        from rapport.clients.selectors import client_get_for

        client_get_for(user=actor, pk=client.pk)  # anyone serving the client may record it
    channel, status, source = Channel(channel), ConsentStatus(status), ConsentSource(source)
    consent, created = Consent.objects.get_or_create(
        client=client,
        channel=channel,
        defaults={"status": status, "source": source, "changed_by": actor, "note": note},
    )
    if not created:
        if consent.status == status:
            return consent
        consent.status, consent.source, consent.note = status, source, note
        consent.changed_at, consent.changed_by = timezone.now(), actor
        consent.save()
    timeline_record(
        client=client,
        kind=TimelineKind.CONSENT_CHANGED,
        actor=actor,
        data={"channel": channel, "status": status, "source": source},
    )
    plan_rebuild(client=client)
    return consent


@transaction.atomic
def preference_add(
    *, actor: User, client: Client, kind: str, value: str, detail: str = ""
) -> Preference:
    """Note a size, brand, category, style, colour, material, budget or dislike."""
    _check_manage(actor, client)
    value = value.strip()
    if not value:
        raise ValidationError({"value": _("Enter a value.")})
    preference = Preference(
        client=client, kind=PreferenceKind(kind), value=value, detail=detail.strip()
    )
    preference.full_clean()
    preference.save()
    timeline_record(
        client=client,
        kind=TimelineKind.PREFERENCE_ADDED,
        actor=actor,
        data={"kind": kind, "value": value, "detail": preference.detail},
    )
    plan_rebuild(client=client)
    return preference


@transaction.atomic
def preference_remove(*, actor: User, preference: Preference) -> None:
    """Forget a preference that no longer holds."""
    client = preference.client
    _check_manage(actor, client)
    data = {"kind": preference.kind, "value": preference.value, "detail": preference.detail}
    preference.delete()
    timeline_record(client=client, kind=TimelineKind.PREFERENCE_REMOVED, actor=actor, data=data)
    plan_rebuild(client=client)


def _validate_relative(name: str, birthday: date | None) -> str:
    name = clean_name(name)
    errors = {}
    if not name:
        errors["name"] = _("Enter a name.")
    if birthday and birthday > timezone.localdate():
        errors["birthday"] = _("A birthday cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    return name


@transaction.atomic
def relative_add(
    *,
    actor: User,
    client: Client,
    name: str,
    relation: str,
    birthday: date | None = None,
    gender: str = "",
    greet_directly: bool = False,
    note: str = "",
) -> Relative:
    """Add a partner, child, parent or other close person to the card."""
    _check_manage(actor, client)
    relative = Relative(
        client=client,
        name=_validate_relative(name, birthday),
        relation=Relation(relation),
        birthday=birthday,
        gender=gender,
        greet_directly=greet_directly,
        note=note.strip(),
    )
    relative.full_clean()
    relative.save()
    timeline_record(
        client=client,
        kind=TimelineKind.RELATIVE_ADDED,
        actor=actor,
        data={
            "name": relative.name,
            "relation": relative.relation,
            "birthday": plain_value(birthday),
        },
    )
    plan_rebuild(client=client)
    return relative


@transaction.atomic
def relative_update(*, actor: User, relative: Relative, **changes: Any) -> Relative:
    """Correct a relative's name, relation, birthday or greeting consent."""
    _check_manage(actor, relative.client)
    allowed = {"name", "relation", "birthday", "gender", "greet_directly", "note"}
    if set(changes) - allowed:
        raise TypeError(f"not editable here: {sorted(set(changes) - allowed)}")
    if "name" in changes or "birthday" in changes:
        changes["name"] = _validate_relative(
            changes.get("name", relative.name), changes.get("birthday", relative.birthday)
        )
    diff = {}
    for key, value in changes.items():
        if getattr(relative, key) != value:
            diff[key] = [plain_value(getattr(relative, key)), plain_value(value)]
            setattr(relative, key, value)
    if not diff:
        return relative
    relative.full_clean()
    relative.save()
    timeline_record(
        client=relative.client,
        kind=TimelineKind.RELATIVE_EDITED,
        actor=actor,
        data={"name": relative.name, "changes": diff},
    )
    plan_rebuild(client=relative.client)
    return relative


@transaction.atomic
def relative_remove(*, actor: User, relative: Relative, reason: str = "") -> None:
    """Remove a person from the card, with every date that belonged to them."""
    client = relative.client
    _check_manage(actor, client)
    data = {"name": relative.name, "relation": relative.relation, "reason": reason.strip()}
    relative.delete()  # cascades to the relative's key dates
    timeline_record(client=client, kind=TimelineKind.RELATIVE_REMOVED, actor=actor, data=data)
    plan_rebuild(client=client)


@transaction.atomic
def key_date_add(
    *,
    actor: User,
    client: Client,
    kind: str,
    date: date,
    recurrence: str = Recurrence.YEARLY,
    label: str = "",
    relative: Relative | None = None,
) -> KeyDate:
    """Add an anniversary, wedding, service-due or other date worth remembering."""
    _check_manage(actor, client)
    if relative is not None and relative.client_id != client.pk:
        raise ValidationError({"relative": _("This person is not on the client's card.")})
    key_date = KeyDate(
        client=client,
        kind=KeyDateKind(kind),
        date=date,
        recurrence=Recurrence(recurrence),
        label=label.strip(),
        relative=relative,
    )
    key_date.full_clean()
    key_date.save()
    timeline_record(
        client=client,
        kind=TimelineKind.DATE_ADDED,
        actor=actor,
        data={"kind": kind, "date": date.isoformat(), "label": key_date.label},
    )
    plan_rebuild(client=client)
    return key_date


@transaction.atomic
def key_date_remove(*, actor: User, key_date: KeyDate) -> None:
    """Remove a date that no longer matters."""
    client = key_date.client
    _check_manage(actor, client)
    data = {"kind": key_date.kind, "date": key_date.date.isoformat(), "label": key_date.label}
    key_date.delete()
    timeline_record(client=client, kind=TimelineKind.DATE_REMOVED, actor=actor, data=data)
    plan_rebuild(client=client)


@transaction.atomic
def note_add(*, actor: User, client: Client, text: str, is_pinned: bool = False) -> Note:
    """Write a note on the card; anyone in the store who serves the client may."""
    from rapport.clients.selectors import client_get_for

    client_get_for(user=actor, pk=client.pk)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write something first.")})
    note = Note.objects.create(client=client, author=actor, text=text, is_pinned=is_pinned)
    timeline_record(client=client, kind=TimelineKind.NOTE_ADDED, actor=actor, note=note)
    return note


@transaction.atomic
def note_pin(*, actor: User, note: Note, is_pinned: bool) -> Note:
    """Pin a note to the top of the card or unpin it."""
    from rapport.clients.selectors import client_get_for

    client_get_for(user=actor, pk=note.client_id)
    note.is_pinned = is_pinned
    note.save(update_fields=["is_pinned"])
    return note


# Open touchpoints are work still to do: whoever owns the client now does it.
_OPEN = (TouchpointStatus.PLANNED, TouchpointStatus.WAITING)
INTRODUCTION_WINDOW_DAYS = 7
INTRODUCTION_CHUNK = 1000


@transaction.atomic
def client_reassign(
    *,
    actor: User,
    clients: Iterable[Client],
    owner: User | None,
    today: date | None = None,
) -> int:
    """Hand clients to another consultant of their store (or leave them without one).

    Plans move intact: every open touchpoint follows the client to the new owner, who also gets
    an introduction to make tomorrow. Returns how many clients changed hands.
    """
    today = today or timezone.localdate()
    scope = scope_for(actor)
    new_owner_id = owner.pk if owner else None
    locked = (
        Client.objects.select_for_update(of=("self",))
        .filter(pk__in={client.pk for client in clients})
        .select_related("owner")
        .order_by("pk")
    )
    moved: list[tuple[Client, User | None]] = []
    for client in locked:
        if not scope.manages_store(client.store_id):
            raise PermissionDenied(_("Only a manager of the client's store can reassign clients."))
        if owner is not None and not scope_for(owner).sees_store(client.store_id):
            raise ValidationError(
                {"owner": _("%(name)s does not work in the client's store.") % {"name": owner}}
            )
        if client.owner_id == new_owner_id:
            continue
        previous = client.owner
        client.owner = owner
        client.save(update_fields=["owner", "updated_at"])
        timeline_record(
            client=client,
            kind=TimelineKind.REASSIGNED,
            actor=actor,
            data={"from": str(previous or ""), "to": str(owner or "")},
        )
        moved.append((client, previous))
    if moved:
        _touchpoints_hand_over(moved, owner=owner, today=today)
    return len(moved)


def _touchpoints_hand_over(
    moved: list[tuple[Client, User | None]], *, owner: User | None, today: date
) -> None:
    """Open touchpoints follow their clients; the new owner introduces themselves tomorrow."""
    ids = [client.pk for client, _previous in moved]
    # An introduction from an earlier handover speaks for someone who no longer has the client.
    Touchpoint.objects.filter(
        client_id__in=ids, occasion=Occasion.INTRODUCTION, status__in=_OPEN
    ).update(status=TouchpointStatus.CANCELLED)
    Touchpoint.objects.filter(client_id__in=ids, status__in=_OPEN).update(assignee=owner)
    if owner is None:
        return
    inputs: dict[int, planner.PlanClient] = {}
    for chunk in itertools.batched(ids, INTRODUCTION_CHUNK):
        inputs |= plan_inputs_for(chunk, today)  # the consented channels, a chunk at a time
    Touchpoint.objects.bulk_create(
        _introduction(client, channel, previous=previous, owner=owner, today=today)
        for client, previous in moved
        if (channel := _introduction_channel(inputs.get(client.pk)))
    )


def _introduction_channel(plan_client: planner.PlanClient | None) -> str | None:
    """The client's channel, as the planner would choose it; None where nothing may be planned."""
    if plan_client is None or plan_client.is_blacklisted or plan_client.is_erased:
        return None
    return planner.choose_channel(plan_client)


def _introduction(
    client: Client, channel: str, *, previous: User | None, owner: User, today: date
) -> Touchpoint:
    """The new consultant's first message to the client, tomorrow, on the client's channel."""
    due = today + timedelta(days=1)
    return Touchpoint(
        client=client,
        store_id=client.store_id,
        assignee=owner,
        due_on=due,
        window_start=due,
        window_end=due + timedelta(days=INTRODUCTION_WINDOW_DAYS),
        occasion=Occasion.INTRODUCTION,
        category=Category.PERSONAL,
        channel=channel,
        is_manual=True,  # a hand-made touchpoint: re-planning keeps it
        may_break_min_gap=True,
        priority=planner.PRIORITY["manual"],
        reason={"previous": str(previous or ""), "consultant": str(owner)},
    )


# --- blacklist ----------------------------------------------------------------------------------


def _check_store_manager(actor: User, client: Client, message: str) -> None:
    scope = scope_for(actor)
    if not scope.sees_store(client.store_id):
        raise Http404("No such client")
    if not scope.manages_store(client.store_id):
        raise PermissionDenied(message)


def _locked(client: Client) -> Client:
    return Client.objects.select_for_update().select_related("store").get(pk=client.pk)


_BLACKLIST_UPDATE = ["is_blacklisted", "blacklist_reason", "blacklisted_at", "blacklisted_by"]


@transaction.atomic
def client_blacklist(*, actor: User, client: Client, reason: str) -> Client:
    """Flag a client (a manager, with a reason): nothing is planned for them any more, open
    planned contacts are cancelled, and the till shows the flag."""
    _check_store_manager(actor, client, _("Only a manager can blacklist a client."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the client is blacklisted.")})
    client = _locked(client)
    if client.merged_into_id is not None:
        raise ValidationError(_("This card has been merged into another one."))
    if client.is_blacklisted and client.blacklist_reason == reason:
        return client
    client.is_blacklisted, client.blacklist_reason = True, reason[:300]
    client.blacklisted_at, client.blacklisted_by = timezone.now(), actor
    client.save(update_fields=[*_BLACKLIST_UPDATE, "updated_at"])
    planned = Touchpoint.objects.filter(client=client, status=TouchpointStatus.PLANNED)
    cancelled = planned.filter(is_manual=True).update(status=TouchpointStatus.CANCELLED)
    planned.filter(is_manual=False).delete()
    timeline_record(
        client=client,
        kind=TimelineKind.BLACKLISTED,
        actor=actor,
        data={"reason": client.blacklist_reason, "cancelled": cancelled},
    )
    plan_rebuild(client=client)
    return client


@transaction.atomic
def client_unblacklist(*, actor: User, client: Client, note: str = "") -> Client:
    """Take a client off the blacklist (a manager); their contact plan is built again."""
    _check_store_manager(actor, client, _("Only a manager can take a client off the blacklist."))
    client = _locked(client)
    if not client.is_blacklisted:
        return client
    reason = client.blacklist_reason
    client.is_blacklisted, client.blacklist_reason = False, ""
    client.blacklisted_at, client.blacklisted_by = None, None
    client.save(update_fields=[*_BLACKLIST_UPDATE, "updated_at"])
    timeline_record(
        client=client,
        kind=TimelineKind.UNBLACKLISTED,
        actor=actor,
        data={"reason": reason, "note": note.strip()},
    )
    plan_rebuild(client=client)
    return client


# --- merge and undo -----------------------------------------------------------------------------


def _check_merge_rights(actor: User, client: Client) -> None:
    _check_store_manager(actor, client, _("Only a manager can merge cards."))


def _purchase_summary(client: Client) -> None:
    """The card's purchase count and last purchase, counted from its receipts."""
    from rapport.sales.models import Purchase

    purchases = Purchase.objects.filter(client=client)
    client.purchase_count = purchases.count()
    client.last_purchase_at = (
        purchases.order_by("-purchased_at").values_list("purchased_at", flat=True).first()
    )


def _pair(a: int, b: int) -> dict[str, int]:
    return {"client_a_id": min(a, b), "client_b_id": max(a, b)}


@transaction.atomic
def client_merge(
    *,
    actor: User | None,
    survivor: Client,
    other: Client,
    automatic: bool = False,
    score: float | None = None,
    today: date | None = None,
) -> ClientMerge:
    """Merge ``other`` into ``survivor`` (a manager, or the automatic dedupe): every purchase,
    visit, contact, note, relative, date, preference, address and consent moves to the survivor
    (per channel the most restrictive consent wins); ``other`` is kept, empty, for the undo."""
    from rapport.insights.services import client_score_refresh

    if actor is None and not automatic:
        raise PermissionDenied(_("Only a manager can merge cards."))
    if actor is not None:
        _check_merge_rights(actor, survivor)
        _check_merge_rights(actor, other)
    if survivor.pk == other.pk:
        raise ValidationError(_("A card cannot be merged into itself."))
    today = today or timezone.localdate()
    locked = {
        c.pk: c
        for c in Client.objects.select_for_update()
        .filter(pk__in=[survivor.pk, other.pk])
        .order_by("pk")
    }
    survivor, other = locked[survivor.pk], locked[other.pk]
    if survivor.store_id != other.store_id:
        raise ValidationError(_("Only cards of the same store can be merged."))
    if survivor.merged_into_id is not None or other.merged_into_id is not None:
        raise ValidationError(_("One of these cards has already been merged into another."))
    snapshot = merging.merge_apply(survivor, other, today=today)
    set_name_keys(survivor)
    _purchase_summary(survivor)
    survivor.save()
    other.merged_into = survivor
    other.save(update_fields=["merged_into", "updated_at"])
    client_score_refresh(client=survivor, today=today)  # numbers and status before the plan
    plan_rebuild(client=survivor, today=today)
    plan_rebuild(client=other, today=today)
    merging.merge_after(snapshot, Client.objects.get(pk=survivor.pk))
    merge = ClientMerge.objects.create(
        store_id=survivor.store_id,
        survivor=survivor,
        merged=other,
        snapshot=snapshot,
        automatic=automatic,
        score=score,
        merged_by=actor,
    )
    DuplicateCandidate.objects.filter(**_pair(survivor.pk, other.pk)).update(
        status=CandidateStatus.AUTO_MERGED if automatic else CandidateStatus.MERGED,
        decided_by=actor,
        decided_at=merge.merged_at,
        merge=merge,
    )
    timeline_record(
        client=survivor,
        kind=TimelineKind.MERGED,
        actor=actor,
        data={
            "merge": merge.pk,
            "other": other.pk,
            "name": other.full_name,
            "automatic": automatic,
            "moved": merging.merge_counts(snapshot),
        },
    )
    timeline_record(
        client=other,
        kind=TimelineKind.MERGED,
        actor=actor,
        data={"merge": merge.pk, "into": survivor.pk, "name": survivor.full_name},
    )
    return merge


@transaction.atomic
def client_merge_undo(*, actor: User, merge: ClientMerge) -> ClientMerge:
    """Undo a merge (a manager): both cards come back exactly as they were before it; what
    happened to the survivor since stays on the survivor. Refused, with the reason, when a later
    change makes an exact undo impossible."""
    from rapport.insights.services import client_score_refresh

    survivor, other = merge.survivor, merge.merged
    _check_merge_rights(actor, survivor)
    locked = {
        c.pk: c
        for c in Client.objects.select_for_update()
        .filter(pk__in=[survivor.pk, other.pk])
        .order_by("pk")
    }
    survivor, other = locked[survivor.pk], locked[other.pk]
    merge = ClientMerge.objects.select_for_update().get(pk=merge.pk)
    reasons = merging.undo_blockers(merge, survivor, other)
    if reasons:
        raise ValidationError(reasons, code="undo_impossible")
    fresh = merging.merge_revert(merge, survivor, other)
    survivor.refresh_from_db()
    other.refresh_from_db()
    if fresh:  # bought or returned since the merge: count again rather than restore
        _purchase_summary(survivor)
        survivor.save(update_fields=["purchase_count", "last_purchase_at", "updated_at"])
        client_score_refresh(client=survivor)
    merge.undone_at, merge.undone_by = timezone.now(), actor
    merge.save(update_fields=["undone_at", "undone_by"])
    DuplicateCandidate.objects.filter(**_pair(survivor.pk, other.pk)).update(
        status=CandidateStatus.DISMISSED, decided_by=actor, decided_at=merge.undone_at
    )
    for client, counterpart in ((survivor, other), (other, survivor)):
        timeline_record(
            client=client,
            kind=TimelineKind.MERGE_UNDONE,
            actor=actor,
            data={"merge": merge.pk, "other": counterpart.pk, "name": counterpart.full_name},
        )
    plan_rebuild(client=survivor)
    plan_rebuild(client=other)
    return merge


# --- likely duplicates --------------------------------------------------------------------------

PEOPLE_CHUNK = 5_000


@dataclass(slots=True)
class DedupeStats:
    """What a duplicates pass did in a store."""

    store: str
    clients: int = 0
    candidates: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    auto_merged: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def match_settings_for(store: Store) -> MatchSettings:
    """The store's matching thresholds (the matcher's defaults until a manager sets them)."""
    from rapport.core.identity import MatchSettings

    row = DedupeSettings.objects.filter(store=store).first()
    if row is None:
        return MatchSettings()
    return MatchSettings(review=row.review_threshold, auto_merge=row.auto_merge_threshold)


DEDUPE_FIELDS = ("review_threshold", "auto_merge_threshold", "auto_merge_enabled")
THRESHOLD_RANGE = (0.5, 1.0)


def _dedupe_settings_check(settings: DedupeSettings) -> None:
    low, high = THRESHOLD_RANGE
    errors: dict[str, str] = {}
    for name in ("review_threshold", "auto_merge_threshold"):
        if not low <= getattr(settings, name) <= high:
            errors[name] = _("Enter a number from 0.5 to 1.")
    if not errors and settings.auto_merge_threshold < settings.review_threshold:
        errors["auto_merge_threshold"] = _(
            "Automatic merging cannot start below the review threshold."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def dedupe_settings_save(*, actor: User, store: Store, **values: Any) -> DedupeSettings:
    """Change a store's duplicate thresholds and automatic merging (its managers and the
    company's admins only); the next duplicates pass uses them."""
    if not scope_for(actor).manages_store(store.pk):
        raise PermissionDenied(_("Only the store's manager can change its settings."))
    unknown = set(values) - set(DEDUPE_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    settings, _created = DedupeSettings.objects.select_for_update().get_or_create(store=store)
    for name, value in values.items():
        setattr(settings, name, value)
    _dedupe_settings_check(settings)
    settings.save()
    return settings


def people_of(store: Store) -> list[Person]:
    """Every active card of the store as the matcher takes it: two queries per chunk."""
    from rapport.core.identity import Person

    people: list[Person] = []
    cards = Client.objects.filter(store=store, merged_into__isnull=True).order_by("pk")
    after = 0
    while True:
        rows = list(
            cards.filter(pk__gt=after).values_list(
                "pk", "first_name", "last_name", "middle_name", "birthday", "gender"
            )[:PEOPLE_CHUNK]
        )
        if not rows:
            return people
        first, last = rows[0][0], rows[-1][0]
        phones: dict[int, list[str]] = {}
        emails: dict[int, list[str]] = {}
        for client_id, kind, value in (
            ContactPoint.objects.filter(
                client_id__gte=first,
                client_id__lte=last,
                kind__in=[ContactKind.PHONE, ContactKind.EMAIL],
            )
            .order_by("client_id", "-is_primary", "pk")
            .values_list("client_id", "kind", "value")
        ):
            (phones if kind == ContactKind.PHONE else emails).setdefault(client_id, []).append(
                value
            )
        for pk, first_name, last_name, middle_name, birthday, gender in rows:
            people.append(
                Person(
                    id=pk,
                    first_name=first_name,
                    last_name=last_name,
                    middle_name=middle_name,
                    birthday=birthday,
                    phones=tuple(phones.get(pk, ())),
                    emails=tuple(emails.get(pk, ())),
                    gender=gender,
                )
            )
        after = last


def evidence_json(match: Match) -> list[dict[str, Any]]:
    """A match's evidence as stored on the candidate."""
    return [
        {"field": e.field, "verdict": e.verdict, "detail": e.detail, "weight": e.weight}
        for e in match.evidence
    ]


def duplicate_candidates_refresh(
    *, store: Store, progress: Callable[[int, int], None] | None = None
) -> DedupeStats:
    """Find the store's likely duplicates: new pairs become pending candidates, pending ones get
    the fresh score, decided ones stay decided; with the store's setting on, pairs scoring at
    least the auto-merge threshold are merged (reviewable afterwards)."""
    from rapport.core.identity import find_duplicates

    started = clock.perf_counter()
    stats = DedupeStats(store=store.name)
    settings = match_settings_for(store)
    people = people_of(store)
    stats.clients = len(people)
    matches = find_duplicates(people, settings=settings, progress=progress)
    stats.candidates = len(matches)
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (a, b): (pk, status)
            for pk, a, b, status in DuplicateCandidate.objects.filter(store=store).values_list(
                "pk", "client_a_id", "client_b_id", "status"
            )
        }
        seen: set[tuple[int, int]] = set()
        new: list[DuplicateCandidate] = []
        fresh: list[DuplicateCandidate] = []
        for match in matches:
            pair = (min(match.a, match.b), max(match.a, match.b))
            if pair in seen:
                continue
            seen.add(pair)
            known = existing.get(pair)
            row = DuplicateCandidate(
                store=store,
                client_a_id=pair[0],
                client_b_id=pair[1],
                score=match.score,
                evidence=evidence_json(match),
                found_at=now,
            )
            if known is None:
                new.append(row)
            elif known[1] == CandidateStatus.PENDING:
                row.pk = known[0]
                fresh.append(row)
        stale = [
            pk
            for pair, (pk, status) in existing.items()
            if status == CandidateStatus.PENDING and pair not in seen
        ]
        DuplicateCandidate.objects.filter(pk__in=stale).delete()
        DuplicateCandidate.objects.bulk_create(new, batch_size=1000)
        DuplicateCandidate.objects.bulk_update(fresh, ["score", "evidence"], batch_size=1000)
        stats.created, stats.updated, stats.removed = len(new), len(fresh), len(stale)
    if DedupeSettings.objects.filter(store=store, auto_merge_enabled=True).exists():
        stats.auto_merged = _auto_merge(store, matches, settings.auto_merge)
    stats.seconds = round(clock.perf_counter() - started, 3)
    return stats


def _auto_merge(store: Store, matches: list[Match], threshold: float) -> int:
    """Merge the sure pairs still pending, best first, each card at most once per pass."""
    pending = set(
        DuplicateCandidate.objects.filter(
            store=store, status=CandidateStatus.PENDING, score__gte=threshold
        ).values_list("client_a_id", "client_b_id")
    )
    touched: set[int] = set()
    merged = 0
    for match in matches:
        pair = (min(match.a, match.b), max(match.a, match.b))
        if match.score < threshold or pair not in pending or touched & set(pair):
            continue
        cards = sorted(
            Client.objects.filter(pk__in=pair, merged_into__isnull=True),
            key=lambda c: (-c.purchase_count, c.created_at, c.pk),  # the richer, older card stays
        )
        if len(cards) != 2:
            continue
        client_merge(
            actor=None, survivor=cards[0], other=cards[1], automatic=True, score=match.score
        )
        touched.update(pair)
        merged += 1
    return merged


@transaction.atomic
def duplicate_dismiss(*, actor: User, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """A manager says the two cards are different people: the pair leaves the queue for good."""
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    scope = scope_for(actor)
    if not scope.sees_store(candidate.store_id):
        raise Http404("No such pair")
    if not scope.manages_store(candidate.store_id):
        raise PermissionDenied(_("Only a manager can review duplicates."))
    if candidate.status != CandidateStatus.PENDING:
        raise ValidationError(_("This pair has already been reviewed."))
    candidate.status = CandidateStatus.DISMISSED
    candidate.decided_by, candidate.decided_at = actor, timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    return candidate
