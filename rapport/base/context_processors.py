from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from rapport.accounts.models import Store
from rapport.accounts.selectors import home_store_for, scope_for

_NOT_READ = object()


def rapport(request: HttpRequest) -> dict[str, Any]:
    """The acting user's reach and home store, for the layout and the formatting filters (the
    store read only by a template that shows it: an htmx fragment does not)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"scope": scope_for(user), "home_store": SimpleLazyObject(lambda: _home_store(request))}


def home_store_known(request: HttpRequest, store: Store | None) -> None:
    """Hand the layout the user's home store a view has already read (one query fewer)."""
    request._rapport_home_store = store  # type: ignore[attr-defined]


def _home_store(request: HttpRequest) -> Any:
    cached = getattr(request, "_rapport_home_store", _NOT_READ)
    if cached is _NOT_READ:
        cached = home_store_for(user=request.user)  # type: ignore[arg-type]
        request._rapport_home_store = cached  # type: ignore[attr-defined]
    return cached
