"""Receipts, returns and products through the API: idempotent, conflict-safe."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from rapport.clients.models import Client
from rapport.sales.models import Product, Purchase, PurchaseLine, Return
from rapport.testing import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.fixture
def ring(world: World) -> Product:
    return Product.objects.create(sku="RING-1", name="Кольцо", price=Decimal("500.00"))


def receipt(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "receipt_number": "R-100",
        "purchased_at": "2026-01-15T12:30:00+03:00",
        "client": {"phone": "8 916 123-45-67"},
        "lines": [
            {"sku": "RING-1", "quantity": 1, "unit_price": "500.00", "discount": "50.00"},
            {"sku": "NO-SUCH", "description": "Подарочная упаковка", "quantity": 2,
             "unit_price": "10.00"},
        ],
    }  # fmt: skip
    body.update(overrides)
    return body


def test_a_receipt_attaches_to_the_card_with_that_phone(
    world: World, api: APIClient, ring: Product
) -> None:
    response = api.post("/api/v1/purchases/", receipt())
    assert response.status_code == 201
    body = response.json()
    assert body["client_id"] == world.client.pk
    assert (body["total"], body["discount_total"]) == ("470.00", "50.00")
    assert [(ln["number"], ln["sku"], ln["description"], ln["amount"]) for ln in body["lines"]] == [
        (1, "RING-1", "Кольцо", "450.00"),
        (2, "", "Подарочная упаковка", "20.00"),
    ]
    purchase = Purchase.objects.get()
    assert purchase.store == world.store
    lines = list(PurchaseLine.objects.order_by("pk"))
    assert (lines[0].product, lines[1].product) == (ring, None)
    world.client.refresh_from_db()
    assert world.client.purchase_count == 1


def test_the_same_receipt_twice_is_recorded_once(
    world: World, api: APIClient, ring: Product
) -> None:
    first = api.post("/api/v1/purchases/", receipt())
    again = api.post("/api/v1/purchases/", receipt(client={"email": "ANNA@example.ru"}))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Purchase.objects.count() == 1
    assert PurchaseLine.objects.count() == 2


def test_the_same_receipt_for_another_client_is_409(
    world: World, api: APIClient, ring: Product
) -> None:
    api.post("/api/v1/purchases/", receipt())
    response = api.post(
        "/api/v1/purchases/", receipt(client={"phone": "+79035550000", "first_name": "Вера"})
    )
    assert response.status_code == 409
    assert response.json() == {
        "receipt_number": ["This receipt is already recorded for another client."]
    }
    assert Client.objects.count() == 1  # a conflicting retry creates nobody


def test_the_same_receipt_with_other_lines_is_409(
    world: World, api: APIClient, ring: Product
) -> None:
    api.post("/api/v1/purchases/", receipt())
    changed = receipt()
    changed["lines"][0]["quantity"] = 2
    response = api.post("/api/v1/purchases/", changed)
    assert response.status_code == 409
    assert response.json() == {
        "receipt_number": ["This receipt is already recorded with other lines."]
    }
    assert Purchase.objects.count() == 1


def test_an_unknown_buyer_gets_a_new_card(world: World, api: APIClient) -> None:
    response = api.post(
        "/api/v1/purchases/",
        receipt(
            client={"external_id": "C-7", "phone": "+79035550000", "first_name": "Вера"},
            lines=[{"description": "Шарф", "quantity": 1, "unit_price": "100"}],
        ),
    )
    assert response.status_code == 201
    card = Client.objects.get(pk=response.json()["client_id"])
    assert (card.first_name, card.external_id, card.store, card.owner) == (
        "Вера",
        "C-7",
        world.store,
        None,
    )
    # the next receipt finds the card by its external id alone
    next_one = api.post(
        "/api/v1/purchases/",
        receipt(
            receipt_number="R-101",
            client={"external_id": "C-7"},
            lines=[{"description": "Шарф", "quantity": 1, "unit_price": "100"}],
        ),
    )
    assert next_one.json()["client_id"] == card.pk


def test_a_new_buyer_needs_a_name(world: World, api: APIClient) -> None:
    response = api.post("/api/v1/purchases/", receipt(client={"phone": "+79035550000"}))
    assert response.status_code == 400
    assert response.json() == {"client": ["Enter the client's first name."]}
    assert Purchase.objects.count() == 0


def test_a_buyer_needs_a_key(world: World, api: APIClient) -> None:
    response = api.post("/api/v1/purchases/", receipt(client={"first_name": "Вера"}))
    assert response.status_code == 400
    assert response.json() == {
        "client": ["Give the client's id, or an external id, a phone or an e-mail."]
    }


def test_receipt_errors_are_per_field(world: World, api: APIClient) -> None:
    response = api.post(
        "/api/v1/purchases/",
        {"receipt_number": " R ", "client_id": world.client.pk, "lines": []},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"receipt_number", "lines"}
    no_text = api.post(
        "/api/v1/purchases/",
        receipt(lines=[{"sku": "NO-SUCH", "quantity": 1, "unit_price": "1"}]),
    )
    assert no_text.json() == {"lines": ["Line 1: say what was sold."]}
    future = api.post("/api/v1/purchases/", receipt(purchased_at="2999-01-01T00:00:00Z"))
    assert future.json() == {"purchased_at": ["A purchase cannot be in the future."]}
    both = api.post("/api/v1/purchases/", receipt(client_id=world.client.pk))
    assert both.json() == {"client": ["Give either client_id or client, not both and not neither."]}


def test_purchase_by_client_id(world: World, api: APIClient) -> None:
    body = receipt(lines=[{"description": "Шарф", "quantity": 3, "unit_price": "100"}])
    del body["client"]
    response = api.post("/api/v1/purchases/", {**body, "client_id": world.client.pk})
    assert response.status_code == 201
    assert response.json()["total"] == "300.00"


# --- returns ------------------------------------------------------------------------------------


def returns_url(number: str = "R-100") -> str:
    return f"/api/v1/purchases/{number}/returns/"


def test_a_return_by_line_number_and_by_article(
    world: World, api: APIClient, ring: Product
) -> None:
    api.post("/api/v1/purchases/", receipt())
    response = api.post(
        returns_url(),
        {"return_id": "RET-1", "reason": "не подошло", "lines": [
            {"sku": "RING-1", "quantity": 1}, {"line": 2, "quantity": 1}]},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert (body["return_id"], body["receipt_number"], body["amount"]) == (
        "RET-1",
        "R-100",
        "460.00",
    )
    assert [(ln["sku"], ln["quantity"], ln["amount"]) for ln in body["lines"]] == [
        ("RING-1", 1, "450.00"),
        ("", 1, "10.00"),
    ]
    assert Purchase.objects.get().returned_total == Decimal("460.00")


def test_the_same_return_id_twice_is_recorded_once(
    world: World, api: APIClient, ring: Product
) -> None:
    api.post("/api/v1/purchases/", receipt())
    body = {"return_id": "RET-1", "lines": [{"line": 2, "quantity": 1}]}
    first, again = api.post(returns_url(), body), api.post(returns_url(), body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Return.objects.count() == 1
    other = api.post(returns_url(), {"return_id": "RET-1", "lines": [{"line": 2, "quantity": 2}]})
    assert other.status_code == 409
    assert other.json() == {"return_id": ["This return id is already used for another return."]}


def test_a_return_never_takes_more_than_was_bought(
    world: World, api: APIClient, ring: Product
) -> None:
    api.post("/api/v1/purchases/", receipt())
    response = api.post(returns_url(), {"lines": [{"line": 1, "quantity": 2}]})
    assert response.status_code == 400
    assert response.json() == {"lines": ["Кольцо: you can return at most 1."]}
    missing = api.post(returns_url(), {"lines": [{"line": 3, "quantity": 1}]})
    assert missing.json() == {"lines": ["Line 3 is not on this receipt."]}
    assert (
        api.post(returns_url("R-404"), {"lines": [{"line": 1, "quantity": 1}]}).status_code == 404
    )


def test_another_stores_till_cannot_return(
    world: World, api: APIClient, make_api, ring: Product
) -> None:  # type: ignore[no-untyped-def]
    api.post("/api/v1/purchases/", receipt())
    other = make_api(world.other_store)
    assert other.post(returns_url(), {"lines": [{"line": 1, "quantity": 1}]}).status_code == 404


# --- products -----------------------------------------------------------------------------------


def test_product_upsert_twice_keeps_one_product(world: World, api: APIClient) -> None:
    first = api.put(
        "/api/v1/products/EAR-9/", {"name": "Серьги", "brand": "Rapport", "price": "990"}
    )
    assert first.status_code == 201
    second = api.put("/api/v1/products/EAR-9/", {"name": "Серьги с жемчугом", "price": "1290.50"})
    assert second.status_code == 200
    assert second.json() == {
        "sku": "EAR-9",
        "name": "Серьги с жемчугом",
        "brand": "",
        "category": "",
        "material": "",
        "colour": "",
        "price": "1290.50",
        "is_service": False,
        "is_active": True,
    }
    assert Product.objects.count() == 1
    assert api.get("/api/v1/products/EAR-9/").json()["name"] == "Серьги с жемчугом"


def test_product_errors(world: World, api: APIClient, make_api) -> None:  # type: ignore[no-untyped-def]
    response = api.put("/api/v1/products/EAR-9/", {"name": "", "price": "-1"})
    assert response.status_code == 400
    assert set(response.json()) == {"name", "price"}
    assert api.get("/api/v1/products/NOPE/").status_code == 404
    assert api.get(f"/api/v1/products/{'x' * 65}/").status_code == 404
    reader = make_api(world.store, ["products:read"])
    assert reader.put("/api/v1/products/EAR-9/", {"name": "X"}).status_code == 403
