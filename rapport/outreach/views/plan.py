"""Changing a client's plan by hand: move, cancel or add a touchpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.base.http import AuthedRequest
from rapport.clients.selectors import client_get_for
from rapport.outreach import services
from rapport.outreach.forms import AddForm, MoveForm
from rapport.outreach.selectors import touchpoint_get_for


def _back(client_pk: int) -> HttpResponse:
    return redirect(reverse("clients:card", args=[client_pk]) + "#plan")


def _report(request: AuthedRequest, errors: ValidationError | Mapping[str, Any]) -> None:
    if isinstance(errors, ValidationError):
        text = " ".join(errors.messages)
    else:
        text = " ".join(str(m) for messages_ in errors.values() for m in messages_)
    messages.error(request, text)


@login_required
@require_POST
def touchpoint_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move a touchpoint to another day in its window (or another channel)."""
    point = touchpoint_get_for(user=request.user, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        _report(request, form.errors)
        return _back(point.client_id)
    try:
        services.touchpoint_move(
            actor=request.user,
            touchpoint=point,
            due_on=form.cleaned_data["due_on"],
            channel=form.cleaned_data["channel"],
        )
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Contact moved."))
    return _back(point.client_id)


@login_required
@require_POST
def touchpoint_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    """Drop a planned touchpoint."""
    point = touchpoint_get_for(user=request.user, pk=pk)
    try:
        services.touchpoint_cancel(actor=request.user, touchpoint=point)
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Contact cancelled."))
    return _back(point.client_id)


@login_required
@require_POST
def touchpoint_add(request: AuthedRequest, pk: int) -> HttpResponse:
    """Plan a contact by hand."""
    client = client_get_for(user=request.user, pk=pk)
    form = AddForm(request.POST)
    if not form.is_valid():
        _report(request, form.errors)
        return _back(client.pk)
    try:
        services.touchpoint_add(
            actor=request.user,
            client=client,
            due_on=form.cleaned_data["due_on"],
            channel=form.cleaned_data["channel"],
            category=form.cleaned_data["category"],
            text=form.cleaned_data["text"],
        )
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Contact planned."))
    return _back(client.pk)
