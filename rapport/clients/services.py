"""Every write to a client card: one function per business verb, each writing its timeline entry."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import scope_for
from rapport.clients.choices import (
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
    Consent,
    ContactPoint,
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


def _set_name_keys(client: Client) -> None:
    client.first_name_key = name_skeleton(client.first_name)[:80]
    client.last_name_key = name_skeleton(client.last_name)[:80]


def _check_owner(owner: User | None, store: Store) -> None:
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
    owner: User | None = None,
    consent_channels: Iterable[str] = (),
    consent_source: str = ConsentSource.IN_STORE_FORM,
) -> Client:
    """Create a card at the till: a name and a phone are enough, the rest can come later."""
    if not scope_for(actor).sees_store(store.pk):
        raise PermissionDenied(_("You do not work in this store."))
    errors: dict[str, Any] = {}
    client = Client(
        store=store,
        owner=owner if owner is not None else actor,
        first_name=clean_name(first_name),
        last_name=clean_name(last_name),
        middle_name=clean_name(middle_name),
        birthday=birthday,
        gender=gender,
        language=language,
        preferred_channel=preferred_channel,
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
        _check_owner(client.owner, store)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    _set_name_keys(client)
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
            diff[name] = [_plain(old), _plain(value)]
            setattr(client, name, value)
    if not diff:
        return client
    _set_name_keys(client)
    client.full_clean()
    client.save(update_fields=[*diff, "first_name_key", "last_name_key", "updated_at"])
    timeline_record(client=client, kind=TimelineKind.EDITED, actor=actor, data={"changes": diff})
    plan_rebuild(client=client)
    return client


def _plain(value: Any) -> str:
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
            "birthday": _plain(birthday),
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
            diff[key] = [_plain(getattr(relative, key)), _plain(value)]
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
