"""A touchpoint's reason in plain words, in the reader's language."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rapport.clients.choices import Channel, Relation
from rapport.outreach.choices import HOLIDAY_NAMES, Category, Occasion, Outcome
from rapport.outreach.models import Touchpoint

register = template.Library()

# value → label for the choices pages list by the dozen. Django's get_FOO_display hashes every
# (lazy) choice on each call: 88 calls cost 15 ms of a Today page; a dict lookup costs nothing.
_LABELS: dict[str, dict[str, Any]] = {
    "category": dict(Category.choices),
    "channel": dict(Channel.choices),
    "occasion": dict(Occasion.choices),
    "outcome": dict(Outcome.choices),
}


@functools.cache
def _url_pattern(name: str, prefix: str) -> tuple[str, str]:
    head, tail = reverse(name, args=[987654321]).split("987654321")
    return head, tail


@register.filter
def pk_url(pk: int, name: str) -> str:
    """``{% url name pk %}`` for the per-item links of long lists, without resolving each one
    (the pattern is reversed once per URL name and script prefix)."""
    head, tail = _url_pattern(name, get_script_prefix())
    return f"{head}{int(pk)}{tail}"


@register.filter
def label(value: str, kind: str) -> str:
    """The label of a category, channel, occasion or outcome code ("" for an empty one)."""
    return str(_LABELS[kind].get(value, value)) if value else ""


def _day(iso: Any) -> str:
    try:
        return day_month(date.fromisoformat(str(iso)))
    except ValueError:
        return ""


@functools.lru_cache(maxsize=4096)
def _day_month(day: date, language: str | None) -> str:
    return formats.date_format(day, "j E")


@register.filter
def day_month(day: date | None) -> str:
    """«14 мая» / "14 May" (Django's ``date:"j E"``, cached per day and language: a list of
    contacts repeats the same few dates, and each formatting costs ~50 µs)."""
    return _day_month(day, get_language()) if day else ""


def _items(items: Any) -> str:
    return ", ".join(items or ()) or _("their purchase")


@register.filter
def reason(point: Touchpoint) -> str:
    """Why this contact, e.g. «Маша (ребёнок) — 7 лет 14 мая: идея подарка»."""
    p: dict[str, Any] = point.reason or {}
    occasion = point.occasion
    if occasion == Occasion.CLIENT_BIRTHDAY:
        return _("Turns %(age)s on %(date)s") % {
            "age": p.get("age"),
            "date": _day(p.get("birthday") or point.window_start.isoformat()),
        }
    if occasion in (Occasion.RELATIVE_BIRTHDAY_GIFT, Occasion.RELATIVE_BIRTHDAY_GREETING):
        relation = Relation(p["relation"]).label if p.get("relation") in Relation.values else ""
        text = _("%(name)s (%(relation)s) turns %(age)s on %(date)s") % {
            "name": p.get("relative_name", ""),
            "relation": str(relation).lower(),
            "age": p.get("age"),
            "date": _day(p.get("birthday")),
        }
        if occasion == Occasion.RELATIVE_BIRTHDAY_GIFT:
            return text + ": " + _("a gift idea")
        return text
    if occasion == Occasion.ANNIVERSARY_GIFT:
        return _("Anniversary on %(date)s: a gift idea") % {"date": _day(p.get("date"))}
    if occasion == Occasion.SERVICE_DUE:
        return _("Service due on %(date)s") % {"date": _day(p.get("date"))}
    if occasion in (Occasion.HOLIDAY_GREETING, Occasion.HOLIDAY_GIFT_IDEAS):
        holiday = HOLIDAY_NAMES.get(p.get("holiday", ""), _day(p.get("holiday_date")))
        if occasion == Occasion.HOLIDAY_GIFT_IDEAS:
            return _("%(holiday)s is coming: gift ideas") % {"holiday": holiday}
        return _("%(holiday)s: a greeting") % {"holiday": holiday}
    if occasion == Occasion.PURCHASE_ANNIVERSARY:
        return _("A year with %(items)s") % {"items": _items(p.get("items"))}
    if occasion == Occasion.FEEDBACK:
        return _("Came in on %(date)s: ask how it went") % {"date": _day(p.get("visit_date"))}
    if occasion == Occasion.THANK_YOU:
        return _("First purchase: %(items)s") % {"items": _items(p.get("items"))}
    if occasion == Occasion.CARE_TIPS:
        return _("Care tips for %(items)s") % {"items": _items(p.get("items"))}
    if (
        occasion == Occasion.WIN_BACK
        and p.get("days_since_purchase")
        and p.get("typical_interval_days")
    ):
        return _("%(days)s days since the last purchase; usually buys every %(usual)s days") % {
            "days": p["days_since_purchase"],
            "usual": round(p["typical_interval_days"]),
        }
    return str(Occasion(occasion).label) if occasion in Occasion.values else occasion


@register.filter
def merged_labels(point: Touchpoint) -> str:
    """The occasions folded into this contact, e.g. «Новый год, Идеи подарков»."""
    return ", ".join(
        str(Occasion(code).label) for code in point.merged_occasions if code in Occasion.values
    )
