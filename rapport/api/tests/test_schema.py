"""The OpenAPI schema is valid, the docs page works offline, and no input makes the API fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client as PageClient
from django.test import override_settings
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error

from rapport.api.choices import TokenScope
from rapport.testing import World
from rapport.wsgi import application

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_3(db: None) -> None:
    response = PageClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert sorted(schema["paths"]) == [
        "/api/v1/clients/",
        "/api/v1/clients/lookup/",
        "/api/v1/clients/{id}/",
        "/api/v1/products/{sku}/",
        "/api/v1/purchases/",
        "/api/v1/purchases/{receipt_number}/returns/",
    ]
    assert schema["components"]["securitySchemes"]["integrationToken"]["scheme"] == "bearer"


def test_the_docs_page_uses_only_the_apps_own_assets(db: None) -> None:
    page = PageClient().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html and "<script>" not in html
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "cdn" not in policy
    script = PageClient().get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_the_browsable_api_is_off(world: World, api: APIClient) -> None:
    response = api.get(f"/api/v1/clients/{world.client.pk}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406


# Loaded through the app itself (the schema view needs no database); tests then call the app.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def _keep_the_test_connection() -> Iterator[None]:
    """Calling the WSGI app directly fires the request signals that close the database
    connection, and with it the test's transaction (Django's test client disconnects them too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_header(world: World, make_api: Callable[..., APIClient]) -> dict[str, str]:
    return {"Authorization": f"Token {make_api(world.store, list(TokenScope.values)).key}"}  # type: ignore[attr-defined]


@pytest.mark.slow  # about 30 s: schemathesis's coverage phase sends hundreds of requests
@schema.parametrize()
@hypothesis.settings(
    max_examples=10,
    deadline=None,
    # one key for every generated request is what we want: it is not state to reset
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@override_settings(RAPPORT_API_RATE="100000/min")
@pytest.mark.usefixtures("_keep_the_test_connection")
def test_no_input_makes_the_api_fail(case: Any, auth_header: dict[str, str]) -> None:
    case.call_and_validate(headers=auth_header, checks=[not_a_server_error])
