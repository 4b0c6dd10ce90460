"""How the token authentication looks in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IntegrationTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """``Authorization: Bearer <key>`` (``Token <key>`` works as well)."""

    target_class = "rapport.api.authentication.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration key: `Authorization: Bearer rpt_…` "
            "(or `Token rpt_…`). Created by a company admin at /api/tokens/ "
            "or with `rapport token create`.",
        }
