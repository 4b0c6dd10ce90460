"""Formatting in the store's locale: money in its currency, phones in its national format."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from django import template
from django.utils import translation

from rapport.core.normalize import format_phone

register = template.Library()

_BABEL_LOCALES = {"ru": "ru_RU", "en": "en_GB"}


def babel_locale() -> str:
    return _BABEL_LOCALES.get((translation.get_language() or "ru")[:2], "ru_RU")


@register.filter
def money(amount: Decimal | int | float | None, currency: str = "RUB") -> str:
    """``12 500 ₽`` in Russian, ``12,500 RUB`` in English; kopecks only when there are some."""
    if amount is None or amount == "":
        return ""
    value = Decimal(amount)
    fmt = "#,##0 ¤" if value == value.to_integral_value() else "#,##0.00 ¤"
    return format_currency(
        value, currency or "RUB", format=fmt, locale=babel_locale(), currency_digits=False
    )


@register.filter
def phone(e164: str, region: str = "RU") -> str:
    """A stored E.164 number as people write it in the store's country."""
    return format_phone(e164, region or "RU")


@register.filter
def age_on(birthday: date | None, today: date | None = None) -> int | None:
    """Full years of age on a day (today by default)."""
    if birthday is None:
        return None
    today = today or date.today()
    years = today.year - birthday.year
    if (today.month, today.day) < (birthday.month, birthday.day):
        years -= 1
    return years


@register.simple_tag(takes_context=True)
def query_replace(context: dict[str, Any], **kwargs: Any) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()
