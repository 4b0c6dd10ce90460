"""``Authorization: Token <key>`` (or ``Bearer <key>``): the integration's key identifies it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from rapport.api.selectors import token_for_key
from rapport.api.services import token_touch

KEYWORDS = (b"token", b"bearer")
MAX_KEY_LENGTH = 200


class IntegrationTokenAuthentication(BaseAuthentication):
    """Authenticates a request as the token's acting user; ``request.auth`` is the token."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2 or len(parts[1]) > MAX_KEY_LENGTH:
            raise AuthenticationFailed(_("Invalid token header."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed(_("Invalid token header.")) from exc
        token = token_for_key(key)
        if token is None:
            raise AuthenticationFailed(_("Invalid or revoked token."))
        token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'
