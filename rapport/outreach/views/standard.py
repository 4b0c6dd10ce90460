"""The store standard and the occasion catalogue: a manager edits them, consultants read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from rapport.accounts.models import Store
from rapport.base.forms import call_service
from rapport.base.http import AuthedRequest, store_choices_for, store_for_request
from rapport.core import drafts
from rapport.outreach import standards
from rapport.outreach.choices import Occasion
from rapport.outreach.forms import OccasionForm, StandardForm


@login_required
def standard_edit(request: AuthedRequest) -> HttpResponse:
    """The store's contact standard: spacing, horizon, capacity, quiet hours, greeted holidays."""
    store = store_for_request(request)
    standard = standards.standard_get_for(user=request.user, store=store)
    can_edit = standards.can_edit_standard(user=request.user, store=store)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Only the store's manager can change its standard."))
    initial = {name: getattr(standard, name) for name in standards.EDITABLE}
    form = StandardForm(request.POST or None, initial=initial, read_only=not can_edit)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form,
            lambda: standards.standard_update(actor=request.user, store=store, **form.changes()),
        )
        if saved is not None:
            messages.success(request, _("The standard is saved; plans follow the new rules."))
            return redirect(request.get_full_path())
    return render(
        request,
        "outreach/standard.html",
        {
            "store": store,
            "stores": store_choices_for(request),
            "form": form,
            "can_edit": can_edit,
        },
    )


@dataclass(frozen=True, slots=True)
class _Row:
    """One occasion on the page: what the store has, and its form."""

    entry: standards.CatalogueEntry
    form: OccasionForm
    previews: dict[str, str]


@login_required
def templates_edit(request: AuthedRequest) -> HttpResponse:
    """The occasion catalogue: switch occasions on or off and write their texts in each language."""
    store = store_for_request(request)
    catalogue = standards.catalogue_for(user=request.user, store=store)
    can_edit = standards.can_edit_standard(user=request.user, store=store)
    posted: OccasionForm | None = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only the store's manager can change the messages."))
        occasion = request.POST.get("occasion", "")
        entry = next((e for e in catalogue if e.occasion == occasion), None)
        if entry is None:
            raise Http404("No such occasion")
        posted = OccasionForm(
            request.POST, auto_id=f"id_{occasion}_%s", can_disable=entry.can_disable
        )
        if posted.is_valid():
            data = posted.cleaned_data
            call_service(
                posted,
                lambda: standards.occasion_update(
                    actor=request.user,
                    store=store,
                    occasion=occasion,
                    enabled=data["enabled"],
                    texts={language: data[f"text_{language}"] for language in drafts.LANGUAGES},
                ),
            )
            if not posted.errors:
                messages.success(
                    request, _("Saved: %(occasion)s.") % {"occasion": Occasion(occasion).label}
                )
                return redirect(f"{request.get_full_path()}#occasion-{occasion}")
    rows = [_row(request, store, entry, posted, can_edit) for entry in catalogue]
    return render(
        request,
        "outreach/templates.html",
        {
            "store": store,
            "stores": store_choices_for(request),
            "rows": rows,
            "can_edit": can_edit,
            "placeholders": sorted(drafts.PLACEHOLDERS.items()),
        },
    )


def _row(
    request: AuthedRequest,
    store: Store,
    entry: standards.CatalogueEntry,
    posted: OccasionForm | None,
    can_edit: bool,
) -> _Row:
    form = posted if posted is not None and posted["occasion"].value() == entry.occasion else None
    if form is None:
        initial: dict[str, Any] = {"occasion": entry.occasion, "enabled": entry.enabled}
        initial |= {f"text_{language}": text for language, text in entry.texts.items()}
        form = OccasionForm(
            initial=initial,
            auto_id=f"id_{entry.occasion}_%s",
            read_only=not can_edit,
            can_disable=entry.can_disable,
        )
    previews = {
        language: standards.template_preview(
            text=text,
            language=language,
            consultant_name=request.user.first_name or request.user.username,
            store_name=store.name,
        )
        for language, text in entry.texts.items()
    }
    return _Row(entry=entry, form=form, previews=previews)
