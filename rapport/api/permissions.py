"""Scopes: each endpoint names the scope a method needs; the token must carry it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from rapport.api.models import IntegrationToken


class TokenHasScope(BasePermission):
    """Allows a request made with a live token that has the scope the view asks for."""

    message = ""

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, IntegrationToken):
            return False  # DRF answers 401: no credentials
        method = "GET" if request.method == "HEAD" else request.method
        required: dict[str, str] = getattr(view, "required_scopes", {})
        needed = required.get(method or "")
        if needed is None:
            # a method the view lacks gets its 405; a handler without a scope stays closed
            return method == "OPTIONS" or not hasattr(view, (method or "").lower())
        if needed not in token.scopes:
            self.message = _("This token does not have the “%(scope)s” scope.") % {"scope": needed}
            return False
        return True
