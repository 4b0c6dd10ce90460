"""Formatting for the dashboard's numbers."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from rapport.insights import presenters
from rapport.insights.presenters import money

register = template.Library()


@register.filter
def kpi_value(tile: Any, currency: str = "") -> str:
    """A tile's value: "82.5 %", "1 250 000 RUB", "34", or "—" when it cannot be computed."""
    return _formatted(tile, tile.value, currency)


@register.filter
def kpi_before(tile: Any, currency: str = "") -> str:
    """The tile's value in the previous period, formatted alike."""
    return _formatted(tile, tile.previous, currency)


def _formatted(tile: Any, value: float | None, currency: str) -> str:
    if value is None:
        return "—"
    if tile.percent:
        return f"{formats.number_format(value, 1)} %"
    if tile.money:
        return money(value, currency)
    return presenters.grouped(value)


@register.filter
def change_pct(change: float | None) -> str:
    """A relative change as "+12 %" / "−8 %" (empty when there is nothing to compare)."""
    if change is None:
        return ""
    pct = round(change)  # kpi.change is already a percentage
    sign = "+" if pct > 0 else ("−" if pct < 0 else "±")
    return f"{sign}{abs(pct)} %"


@register.filter
def grouped(value: float | None) -> str:
    """A whole number with thousands grouped in the user's locale."""
    return "—" if value is None else presenters.grouped(value)


@register.filter
def pct(value: float | None) -> str:
    return "—" if value is None else f"{formats.number_format(value, 0)} %"


@register.filter
def compact(value: float | None) -> str:
    """An axis label short enough for a phone: "80 M", "250 k", "7" (ru: "80 млн", "250 тыс.")."""
    if value is None:
        return ""
    if abs(value) >= 1_000_000:
        return _("%(n)s M") % {"n": _short(value / 1_000_000)}
    if abs(value) >= 1_000:
        return _("%(n)s k") % {"n": _short(value / 1_000)}
    return formats.number_format(value, 0)


def _short(value: float) -> str:
    return formats.number_format(value, 0 if value == int(value) else 1)
