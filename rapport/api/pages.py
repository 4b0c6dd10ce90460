"""The company admin's page of API keys, and the CSP of the API docs page."""

from __future__ import annotations

from collections.abc import Collection
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.accounts.selectors import scope_for, stores_for
from rapport.api.forms import TokenForm
from rapport.api.selectors import tokens_for
from rapport.api.services import token_create, token_revoke
from rapport.base.forms import call_service
from rapport.base.http import AuthedRequest

# Swagger UI runs from the app's own files (drf-spectacular-sidecar): the app's policy, plus the
# inline style attributes the React UI writes into its markup.
_APP_CSP = cast(dict[str, list[str]], settings.SECURE_CSP)
DOCS_CSP: dict[str, Collection[str] | str] = {
    **_APP_CSP,
    "style-src": [*_APP_CSP.get("style-src", []), "'unsafe-inline'"],
}


def _check_admin(request: AuthedRequest) -> None:
    if not scope_for(request.user).all_stores:
        raise PermissionDenied(_("Only the company's owner or admin manages API keys."))


@login_required
def token_list(request: AuthedRequest) -> HttpResponse:
    """The API keys, and a form for a new one whose key is shown once, on this answer only."""
    _check_admin(request)
    form = TokenForm(request.POST or None, stores=stores_for(user=request.user))
    new_key = ""
    if request.method == "POST" and form.is_valid():
        created = call_service(
            form,
            lambda: token_create(
                actor=request.user,
                store=form.cleaned_data["store"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            ),
        )
        if created is not None:
            new_key = created[1]
            form = TokenForm(stores=stores_for(user=request.user))
    response = render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens_for(user=request.user), "new_key": new_key},
    )
    if new_key:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Stop a key working."""
    _check_admin(request)
    token = get_object_or_404(tokens_for(user=request.user), pk=pk)
    token_revoke(actor=request.user, token=token)
    messages.success(request, _("The key “%(name)s” no longer works.") % {"name": token.name})
    return redirect("api:tokens")
