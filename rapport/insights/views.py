"""The dashboard (a manager's, or a consultant's own) and a store's score settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.selectors import scope_for
from rapport.base.forms import call_service
from rapport.base.http import AuthedRequest, store_choices_for, store_for_request
from rapport.insights import selectors
from rapport.insights.forms import ScoreSettingsForm
from rapport.insights.models import ScoreSettings
from rapport.insights.presenters import dashboard_context
from rapport.insights.services import SETTING_FIELDS, score_settings_save


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """KPI tiles against the previous period, charts and the outreach table for the scope."""
    scope = selectors.dashboard_scope_for(
        user=request.user,
        today=timezone.localdate(),
        store_id=_int(request.GET.get("store")),
        consultant_id=_int(request.GET.get("consultant")),
        period=request.GET.get("period", selectors.DEFAULT_PERIOD),
    )
    board = selectors.dashboard_for(scope)
    return render(request, "insights/dashboard.html", dashboard_context(board))


@login_required
def settings_edit(request: AuthedRequest) -> HttpResponse:
    """A store's thresholds for statuses, lifetime value and outreach attribution."""
    store = store_for_request(request)
    can_edit = scope_for(request.user).manages_store(store.pk)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Only the store's manager can change its settings."))
    current = ScoreSettings.objects.filter(store=store).first() or ScoreSettings(store=store)
    form = ScoreSettingsForm(request.POST or None, instance=current, read_only=not can_edit)
    if request.method == "POST" and form.is_valid():
        values: dict[str, Any] = {name: form.cleaned_data[name] for name in SETTING_FIELDS}
        saved = call_service(
            form, lambda: score_settings_save(actor=request.user, store=store, **values)
        )
        if saved is not None:
            messages.success(
                request, _("Saved. Client numbers are being recounted with the new thresholds.")
            )
            return redirect(f"{request.path}?store={store.pk}")
    return render(
        request,
        "insights/settings.html",
        {
            "form": form,
            "store": store,
            "stores": store_choices_for(request),
            "can_edit": can_edit,
        },
    )
