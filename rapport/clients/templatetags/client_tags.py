"""How timeline entries read on the card, in the reader's language."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from rapport.base.templatetags.rapport import money
from rapport.clients.choices import (
    Channel,
    ClientStatus,
    ConsentSource,
    ConsentStatus,
    ContactKind,
    Gender,
    KeyDateKind,
    Language,
    PreferenceKind,
    Relation,
    TimelineKind,
)
from rapport.clients.models import Client, TimelineEvent
from rapport.sales.choices import VisitPurpose

register = template.Library()

FIELD_LABELS = {
    "first_name": Client._meta.get_field("first_name").verbose_name,
    "last_name": Client._meta.get_field("last_name").verbose_name,
    "middle_name": Client._meta.get_field("middle_name").verbose_name,
    "gender": Client._meta.get_field("gender").verbose_name,
    "birthday": Client._meta.get_field("birthday").verbose_name,
    "language": Client._meta.get_field("language").verbose_name,
    "preferred_channel": Client._meta.get_field("preferred_channel").verbose_name,
    "status": Client._meta.get_field("status").verbose_name,
}


CHOICE_FIELDS: dict[str, type] = {
    "gender": Gender,
    "status": ClientStatus,
    "language": Language,
    "preferred_channel": Channel,
    "relation": Relation,
}


def _shown(field: str, value: str) -> str:
    """A changed value as people read it: a choice's label, a date in words, a dash for empty."""
    if not value:
        return "—"
    if field in CHOICE_FIELDS:
        return _label(CHOICE_FIELDS[field], value)
    if field == "birthday":
        return _date(value)
    if value in ("True", "False"):
        return _("yes") if value == "True" else _("no")
    return value


def _date(iso: str) -> str:
    try:
        return formats.date_format(date.fromisoformat(iso), "j E Y")
    except ValueError:
        return iso


def _label(choices: type, value: str) -> str:
    try:
        return str(choices(value).label)  # type: ignore[call-arg]
    except ValueError:
        return value


@register.filter
def event_detail(event: TimelineEvent, currency: str = "RUB") -> str:
    """The specifics of a timeline entry: what was bought, who was added, what changed."""
    data = event.data or {}
    kind = event.kind
    if kind == TimelineKind.PURCHASE:
        items = ", ".join(data.get("items", []))
        return f"{money(data.get('total', 0), currency)} · {items}"
    if kind == TimelineKind.RETURN:
        items = ", ".join(data.get("items", []))
        reason = f" ({data['reason']})" if data.get("reason") else ""
        return f"−{money(data.get('amount', 0), currency)} · {items}{reason}"
    if kind == TimelineKind.VISIT:
        purpose = _label(VisitPurpose, data.get("purpose", ""))
        looked = f": {data['looked_at']}" if data.get("looked_at") else ""
        return f"{purpose}{looked}"
    if kind in (TimelineKind.RELATIVE_ADDED, TimelineKind.RELATIVE_REMOVED):
        text = f"{data.get('name', '')} ({_label(Relation, data.get('relation', '')).lower()})"
        if data.get("birthday"):
            text += " · " + _("birthday %(date)s") % {"date": _date(data["birthday"])}
        if data.get("reason"):
            text += f" · {data['reason']}"
        return text
    if kind == TimelineKind.CONSENT_CHANGED:
        return (
            f"{_label(Channel, data.get('channel', ''))}: "
            f"{_label(ConsentStatus, data.get('status', '')).lower()} · "
            f"{_label(ConsentSource, data.get('source', '')).lower()}"
        )
    if kind in (TimelineKind.CONTACT_ADDED, TimelineKind.CONTACT_REMOVED):
        return f"{_label(ContactKind, data.get('kind', ''))}: {data.get('value', '')}"
    if kind in (TimelineKind.PREFERENCE_ADDED, TimelineKind.PREFERENCE_REMOVED):
        detail = f" ({data['detail']})" if data.get("detail") else ""
        return f"{_label(PreferenceKind, data.get('kind', ''))}: {data.get('value', '')}{detail}"
    if kind in (TimelineKind.DATE_ADDED, TimelineKind.DATE_REMOVED):
        label = data.get("label") or _label(KeyDateKind, data.get("kind", ""))
        return f"{label}: {_date(data.get('date', ''))}"
    if kind in (TimelineKind.EDITED, TimelineKind.RELATIVE_EDITED):
        changes = data.get("changes", {})
        parts = [
            f"{FIELD_LABELS.get(name, name)}: {_shown(name, old)} → {_shown(name, new)}"
            for name, (old, new) in changes.items()
        ]
        prefix = f"{data['name']}: " if data.get("name") else ""
        return prefix + "; ".join(parts)
    if kind == TimelineKind.REASSIGNED:
        return f"{data.get('from') or '—'} → {data.get('to') or '—'}"
    if kind == TimelineKind.NOTE_ADDED and event.note is not None:
        return event.note.text[:200]
    return ""
