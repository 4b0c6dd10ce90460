"""Glue between forms and services."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError


def call_service[T](form: forms.BaseForm, call: Callable[[], T]) -> T | None:
    """Run a service; show its ``ValidationError`` on the form's fields instead of failing."""
    try:
        return call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, exc.messages)
        return None
