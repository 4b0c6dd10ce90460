"""Per-token rate limits, with the rate read from settings (``RAPPORT_API_RATE``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from rapport.api.models import IntegrationToken


class TokenRateThrottle(SimpleRateThrottle):
    """Counts the requests of each token; over the rate the answer is 429 with Retry-After."""

    scope = "integration"

    def get_rate(self) -> str | None:
        return str(getattr(settings, "RAPPORT_API_RATE", "1200/min")) or None

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        token = request.auth
        if not isinstance(token, IntegrationToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
