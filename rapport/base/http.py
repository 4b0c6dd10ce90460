"""Request types for views behind ``login_required``."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from rapport.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request from a logged-in user (what ``login_required`` guarantees)."""

    user: User  # type: ignore[assignment]
    htmx: HtmxDetails
