from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rapport.accounts.selectors import home_store_for, scope_for


def rapport(request: HttpRequest) -> dict[str, Any]:
    """The acting user's reach and home store, for the layout and the formatting filters."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"scope": scope_for(user), "home_store": _home_store(request)}


def _home_store(request: HttpRequest) -> Any:
    cached = getattr(request, "_rapport_home_store", None)
    if cached is None:
        cached = home_store_for(user=request.user)  # type: ignore[arg-type]
        request._rapport_home_store = cached  # type: ignore[attr-defined]
    return cached
