"""Request types for views behind ``login_required``, and the store a page is about."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django_htmx.middleware import HtmxDetails

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import scope_for, stores_for


class AuthedRequest(HttpRequest):
    """A request from a logged-in user (what ``login_required`` guarantees)."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


def store_for_request(request: AuthedRequest) -> Store:
    """The store the page is about: ``?store=ID`` among the user's, else the first they manage."""
    stores = stores_for(user=request.user)
    raw = request.GET.get("store", "")
    if raw:
        store = stores.filter(pk=int(raw)).first() if raw.isdigit() else None
    else:
        managed = scope_for(request.user).managed_store_ids
        store = (stores.filter(pk__in=managed) if managed else stores).order_by("pk").first()
    if store is None:
        raise Http404("No such store")
    return store


def store_choices_for(request: AuthedRequest) -> list[Store]:
    """The other stores to switch to, for an admin or a manager of several stores."""
    scope = scope_for(request.user)
    if not scope.all_stores and len(scope.store_ids) < 2:
        return []
    return list(stores_for(user=request.user).order_by("name"))
