"""The row work of merging two cards and of undoing a merge (called by the services only).

A merge moves every row of the merged card (purchases, returns, visits, contacts, touchpoints,
notes, relatives, dates, preferences, addresses, consents, timeline …: every model with a foreign
key to the client) to the survivor, and writes into a JSON snapshot what each row was before:

- ``moved``: ``{model: {pk: {field: old value}}}`` for rows re-pointed (and the fields changed);
- ``deleted``: ``{model: [row]}`` for rows dropped as duplicates (the same address or
  preference on both cards, the less restrictive consent of a channel), whole;
- ``planned``: the whole future automatically planned touchpoints of both cards (the re-plan
  after the merge replaces them), and ``nulled``: links set to NULL when they went;
- ``survivor`` / ``other``: both cards' own rows before; ``survivor_after`` and
  ``consents_after``: what the merge left, so an undo can tell whether someone changed it since;
- ``scores``: both cards' numbers before.

Rows are dumped field by field (``attname`` → JSON) and loaded back with each field's
``to_python``, so dates, datetimes (with microseconds) and decimals come back exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.apps import apps
from django.db import models
from django.db.models import Q

from rapport.clients.choices import ConsentStatus
from rapport.clients.models import (
    Client,
    ClientMerge,
    Consent,
    ContactPoint,
    Preference,
)

SNAPSHOT_VERSION = 1
# Rows that are not the card's content: they stay where they are.
_NOT_MOVED = {"clients.client", "clients.duplicatecandidate", "clients.clientmerge"}
# The survivor's fields an undo puts back only if nobody changed them after the merge.
GUARDED_FIELDS = (
    "first_name",
    "last_name",
    "middle_name",
    "gender",
    "birthday",
    "language",
    "preferred_channel",
    "owner_id",
    "is_blacklisted",
    "blacklist_reason",
)
# Empty on the survivor, known on the merged card: the survivor learns it.
FILLED_FIELDS = (
    "last_name",
    "middle_name",
    "gender",
    "birthday",
    "preferred_channel",
    "external_id",
)
_BLACKLIST_FIELDS = ("is_blacklisted", "blacklist_reason", "blacklisted_at", "blacklisted_by_id")


# --- rows as JSON -------------------------------------------------------------------------------


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def row_dump(obj: models.Model) -> dict[str, Any]:
    """Every concrete field of a row by ``attname``, as JSON values."""
    return {f.attname: _to_json(f.value_from_object(obj)) for f in obj._meta.concrete_fields}


def _from_json(field: models.Field, value: Any) -> Any:  # type: ignore[type-arg]
    if value is None or isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


def row_values(model: type[models.Model], data: dict[str, Any]) -> dict[str, Any]:
    """A dumped row's values as Python, by ``attname`` (only the fields the model still has)."""
    return {
        f.attname: _from_json(f, data[f.attname])
        for f in model._meta.concrete_fields
        if f.attname in data
    }


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


# --- what a card owns ---------------------------------------------------------------------------


def movable_relations() -> Iterator[tuple[type[models.Model], str]]:
    """Every (model, client column) holding rows of a card: one foreign key to the client."""
    for rel in Client._meta.related_objects:
        model = rel.related_model
        if rel.one_to_one or rel.many_to_many or model._meta.label_lower in _NOT_MOVED:
            continue
        yield model, rel.field.attname  # type: ignore[union-attr]


def _future_planned(client_ids: list[int], today: date) -> models.QuerySet[Any]:
    from rapport.outreach.choices import TouchpointStatus
    from rapport.outreach.models import Touchpoint

    return Touchpoint.objects.filter(
        client_id__in=client_ids,
        status=TouchpointStatus.PLANNED,
        is_manual=False,
        due_on__gte=today,
    )


def _nullable_links(model: type[models.Model]) -> Iterator[tuple[type[models.Model], str]]:
    """(model, column) of every link to ``model`` that is set to NULL when its row goes."""
    for rel in model._meta.related_objects:
        if rel.on_delete is models.SET_NULL and not rel.many_to_many:
            yield rel.related_model, rel.field.attname  # type: ignore[union-attr]


def _scores_dump(client_ids: list[int]) -> dict[str, Any]:
    from rapport.insights.models import ClientScore

    found = {row.pk: row_dump(row) for row in ClientScore.objects.filter(pk__in=client_ids)}
    return {str(pk): found.get(pk) for pk in client_ids}


# --- merge --------------------------------------------------------------------------------------


def _consent_wins(mine: Consent, theirs: Consent) -> bool:
    """Whether ``theirs`` beats ``mine``: a refusal beats a consent; else the newer one speaks."""
    if mine.status != theirs.status:
        return theirs.status == ConsentStatus.WITHDRAWN
    return theirs.changed_at > mine.changed_at


def merge_apply(survivor: Client, other: Client, *, today: date) -> dict[str, Any]:
    """Move everything of ``other`` to ``survivor`` and return the snapshot (rows locked)."""
    from rapport.outreach.choices import TouchpointStatus
    from rapport.outreach.models import Touchpoint

    ids = [survivor.pk, other.pk]
    moved: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    deleted: dict[str, list[dict[str, Any]]] = defaultdict(list)
    snapshot: dict[str, Any] = {
        "version": SNAPSHOT_VERSION,
        "today": today.isoformat(),
        "survivor": row_dump(survivor),
        "other": row_dump(other),
        "scores": _scores_dump(ids),
    }

    # Future planned touchpoints: both cards' plans are replaced by the survivor's re-plan.
    planned = list(_future_planned(ids, today).order_by("pk"))
    planned_ids = [p.pk for p in planned]
    snapshot["planned"] = [row_dump(p) for p in planned]
    nulled = []
    for model, column in _nullable_links(Touchpoint):
        links = model._default_manager.filter(**{f"{column}__in": planned_ids})
        for pk, value in links.values_list("pk", column):
            nulled.append([model._meta.label_lower, pk, column, value])
    snapshot["nulled"] = nulled
    _future_planned([other.pk], today).delete()

    def drop(row: models.Model) -> None:
        deleted[row._meta.label_lower].append(row_dump(row))
        row.delete()

    def move(model: type[models.Model], pk: int, old: dict[str, Any], new: dict[str, Any]) -> None:
        moved[model._meta.label_lower][str(pk)] = {k: _to_json(v) for k, v in old.items()}
        model._default_manager.filter(pk=pk).update(**new)

    # Addresses: the same one on both cards is kept once; the survivor's main one stays main.
    mine_points = list(ContactPoint.objects.filter(client=survivor))
    have = {(p.kind, p.value) for p in mine_points}
    primary_kinds = {p.kind for p in mine_points if p.is_primary}
    for point in ContactPoint.objects.filter(client=other).order_by("pk"):
        if (point.kind, point.value) in have:
            drop(point)
            continue
        old: dict[str, Any] = {"client_id": other.pk}
        new: dict[str, Any] = {"client_id": survivor.pk}
        if point.is_primary and point.kind in primary_kinds:
            old["is_primary"], new["is_primary"] = True, False
        move(ContactPoint, point.pk, old, new)

    # Consents: per channel the most restrictive wins (withdrawn beats granted).
    mine_consents = {c.channel: c for c in Consent.objects.filter(client=survivor)}
    for consent in Consent.objects.filter(client=other).order_by("pk"):
        mine = mine_consents.get(consent.channel)
        if mine is not None:
            if not _consent_wins(mine, consent):
                drop(consent)
                continue
            drop(mine)
        move(Consent, consent.pk, {"client_id": other.pk}, {"client_id": survivor.pk})

    # Preferences: the same one twice is kept once.
    def key(p: Preference) -> tuple[str, str, str]:
        return p.kind, p.value.casefold(), p.detail.casefold()

    known = {key(p) for p in Preference.objects.filter(client=survivor)}
    for preference in Preference.objects.filter(client=other).order_by("pk"):
        if key(preference) in known:
            drop(preference)
        else:
            known.add(key(preference))
            move(Preference, preference.pk, {"client_id": other.pk}, {"client_id": survivor.pk})

    # Open touchpoints now belong to the survivor's consultant.
    open_status = (TouchpointStatus.PLANNED, TouchpointStatus.WAITING)
    for pk, assignee_id, status in (
        Touchpoint.objects.filter(client=other)
        .order_by("pk")
        .values_list("pk", "assignee_id", "status")
    ):
        old, new = {"client_id": other.pk}, {"client_id": survivor.pk}
        if status in open_status and assignee_id != survivor.owner_id:
            old["assignee_id"], new["assignee_id"] = assignee_id, survivor.owner_id
        move(Touchpoint, pk, old, new)

    # Everything else moves as it is, one UPDATE per model.
    done = {ContactPoint, Consent, Preference, Touchpoint}
    for model, column in movable_relations():
        if model in done:
            continue
        pks = list(model._default_manager.filter(**{column: other.pk}).values_list("pk", flat=True))
        if pks:
            moved[model._meta.label_lower].update({str(pk): {column: other.pk} for pk in pks})
            model._default_manager.filter(pk__in=pks).update(**{column: survivor.pk})

    # The survivor's own fields: it learns what it did not know.
    for name in FILLED_FIELDS:
        if not getattr(survivor, name) and getattr(other, name):
            setattr(survivor, name, getattr(other, name))
    if survivor.owner_id is None and other.owner_id is not None:
        survivor.owner_id = other.owner_id
    survivor.created_at = min(survivor.created_at, other.created_at)
    if other.is_blacklisted and not survivor.is_blacklisted:  # the most restrictive wins
        for name in _BLACKLIST_FIELDS:
            setattr(survivor, name, getattr(other, name))
    snapshot["moved"], snapshot["deleted"] = dict(moved), dict(deleted)
    return snapshot


def merge_after(snapshot: dict[str, Any], survivor: Client) -> None:
    """Note what the merge left on the survivor (after its re-score), for the undo's checks."""
    snapshot["survivor_after"] = row_dump(survivor)
    snapshot["consents_after"] = sorted(
        [pk, channel, status, _to_json(at)]
        for pk, channel, status, at in Consent.objects.filter(client=survivor).values_list(
            "pk", "channel", "status", "changed_at"
        )
    )


# --- undo ---------------------------------------------------------------------------------------


def undo_blockers(merge: ClientMerge, survivor: Client, other: Client) -> list[str]:
    """Why the merge cannot be undone exactly (empty when it can), in the reader's language."""
    from django.utils.translation import gettext as _

    snap = merge.snapshot
    if merge.undone_at is not None:
        return [_("This merge has already been undone.")]
    if snap.get("version") != SNAPSHOT_VERSION:
        return [_("This merge was recorded by an older version and cannot be undone.")]
    reasons = []
    if other.merged_into_id != survivor.pk:
        reasons.append(_("The merged card is no longer part of this card."))
    if survivor.merged_into_id is not None:
        reasons.append(_("This card was itself merged into another one since: undo that first."))
    later = ClientMerge.objects.filter(
        Q(survivor=survivor) | Q(merged=survivor), undone_at__isnull=True, pk__gt=merge.pk
    )
    if later.exists():
        reasons.append(_("Another card was merged into this one later: undo that merge first."))
    after = snap.get("survivor_after", {})
    now = row_dump(survivor)
    changed = [name for name in GUARDED_FIELDS if now.get(name) != after.get(name)]
    if changed:
        labels = ", ".join(
            str(getattr(Client._meta.get_field(n.removesuffix("_id")), "verbose_name", n))
            for n in changed
        )
        reasons.append(_("The card was changed after the merge (%(fields)s).") % {"fields": labels})
    consents = sorted(
        [pk, channel, status, _to_json(at)]
        for pk, channel, status, at in Consent.objects.filter(client=survivor).values_list(
            "pk", "channel", "status", "changed_at"
        )
    )
    if consents != snap.get("consents_after"):
        reasons.append(_("A consent was recorded after the merge."))
    for label, rows in snap.get("moved", {}).items():
        if label == "outreach.touchpoint" or not rows:
            continue  # touchpoints come and go with the plan; the rest must all be there
        model = _model(label)
        column = next(iter(next(iter(rows.values()))))  # the client column comes first
        still = model._default_manager.filter(
            pk__in=[int(pk) for pk in rows], **{column: survivor.pk}
        ).count()
        if still != len(rows):
            reasons.append(
                _("Some %(what)s of the merged card were removed or moved since the merge.")
                % {"what": model._meta.verbose_name_plural}
            )
    return reasons


def merge_revert(merge: ClientMerge, survivor: Client, other: Client) -> bool:
    """Put every row back as the snapshot says; returns whether the survivor has had purchases
    or returns since the merge (then its numbers must be counted again, not restored)."""
    from rapport.insights.models import ClientScore
    from rapport.outreach.models import Touchpoint

    snap = merge.snapshot
    day = date.fromisoformat(snap["today"])
    ids = [survivor.pk, other.pk]
    # The plan made after the merge goes; the plans from before come back.
    planned = {row["id"]: row for row in snap["planned"]}
    still_open = set(_future_planned(ids, day).values_list("pk", flat=True))
    worked_on = set(
        Touchpoint.objects.filter(pk__in=list(planned))
        .exclude(pk__in=still_open)
        .values_list("pk", flat=True)
    )
    moved_points = {int(pk) for pk in snap["moved"].get("outreach.touchpoint", {})}
    _future_planned(ids, day).exclude(pk__in=moved_points).delete()
    Touchpoint.objects.bulk_create(
        Touchpoint(**row_values(Touchpoint, row))
        for pk, row in planned.items()
        if pk not in worked_on
    )
    for pk in worked_on:  # done since the merge: it stays done, on its own card
        Touchpoint.objects.filter(pk=pk).update(client_id=planned[pk]["client_id"])
    for label, pk, column, value in snap["nulled"]:
        _model(label)._default_manager.filter(pk=pk, **{f"{column}__isnull": True}).update(
            **{column: value}
        )

    # Moved rows go back, grouped by the values they go back to (one UPDATE per group).
    for label, rows in snap["moved"].items():
        model = _model(label)
        groups: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
        for pk, old in rows.items():
            groups[tuple(sorted(old.items()))].append(int(pk))
        for old_items, pks in groups.items():
            values = row_values(model, dict(old_items))
            model._default_manager.filter(pk__in=pks).update(**values)
    for label, rows in snap["deleted"].items():
        model = _model(label)
        model._default_manager.bulk_create(model(**row_values(model, row)) for row in rows)

    # The cards themselves.
    fresh = any(
        row_dump(survivor).get(name) != snap["survivor_after"].get(name)
        for name in ("purchase_count", "last_purchase_at")
    )
    restore_other = row_values(Client, snap["other"])
    restore_other.pop("id")
    Client.objects.filter(pk=other.pk).update(**restore_other)
    restore_survivor = row_values(Client, snap["survivor"])
    restore_survivor.pop("id")
    Client.objects.filter(pk=survivor.pk).update(**restore_survivor)
    for pk, row in snap["scores"].items():
        if fresh and int(pk) == survivor.pk:
            continue
        ClientScore.objects.filter(pk=int(pk)).delete()
        if row is not None:
            ClientScore.objects.create(**row_values(ClientScore, row))
    return fresh


def merge_counts(snapshot: dict[str, Any]) -> dict[str, int]:
    """How many rows of each kind a merge moved (for the timeline)."""
    return {label: len(rows) for label, rows in snapshot.get("moved", {}).items()}
