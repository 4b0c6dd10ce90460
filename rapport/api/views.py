"""The v1 endpoints: parse → access check (token scope, then the services' rules) → one call.

Every view acts as the token's technical user, in the token's store.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rapport.accounts.models import Store, User
from rapport.api import selectors, services
from rapport.api.choices import TokenScope
from rapport.api.models import IntegrationToken
from rapport.api.serializers import (
    ClientCreateSerializer,
    ClientListSerializer,
    ClientLookupSerializer,
    ClientMatchSerializer,
    ClientSerializer,
    ClientUpdateSerializer,
    ErrorSerializer,
    FieldErrorsSerializer,
    ProductSerializer,
    PurchaseCreateSerializer,
    PurchaseSerializer,
    ReturnCreateSerializer,
    ReturnSerializer,
)
from rapport.sales.services import LineInput

MAX_ID = 2**63 - 1
MAX_KEY = 64

ERRORS = {
    400: OpenApiResponse(FieldErrorsSerializer, description="Invalid input, per field."),
    401: OpenApiResponse(ErrorSerializer, description="No key, or an invalid or revoked key."),
    403: OpenApiResponse(ErrorSerializer, description="The token lacks the scope."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests: see Retry-After."),
}
NOT_FOUND = {404: OpenApiResponse(ErrorSerializer, description="Not in the token's store.")}
CONFLICT = {
    409: OpenApiResponse(
        FieldErrorsSerializer, description="The key was used before for something else."
    )
}


class IntegrationView(APIView):
    """A view acting for the token: its technical user in its store."""

    required_scopes: dict[str, str] = {}

    @property
    def token(self) -> IntegrationToken:
        return cast(IntegrationToken, self.request.auth)

    @property
    def actor(self) -> User:
        return cast(User, self.request.user)

    @property
    def store(self) -> Store:
        return self.token.store


def _valid_key(value: str) -> str:
    """A receipt number or an article from the path: too long or blank is simply not found."""
    if not value or len(value) > MAX_KEY or value != value.strip() or "\x00" in value:
        raise Http404("No such key")
    return value


class ClientLookupView(IntegrationView):
    """Cards of the store found by phone or e-mail."""

    required_scopes = {"GET": TokenScope.CLIENTS_READ}

    @extend_schema(
        operation_id="clients_lookup",
        parameters=[ClientLookupSerializer],
        responses={200: ClientListSerializer, **ERRORS},
        summary="Find the store's cards by phone or e-mail",
        description="The phone is read in the store's country, as the search box reads it "
        "(`8 916 123-45-67`, `+7 (916) 1234567` and `79161234567` are the same number). "
        "Only exact matches are returned.",
    )
    def get(self, request: Request) -> Response:
        query = ClientLookupSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        phone, email = services.contacts_normalize(
            store=self.store,
            phone=query.validated_data.get("phone", ""),
            email=query.validated_data.get("email", ""),
        )
        clients = selectors.clients_matching(
            user=self.actor, store=self.store, phone=phone, email=email
        )
        return Response(
            {"count": len(clients), "results": ClientSerializer(clients, many=True).data}
        )


class ClientListView(IntegrationView):
    """Create a card."""

    required_scopes = {"POST": TokenScope.CLIENTS_WRITE}

    @extend_schema(
        operation_id="clients_create",
        request=ClientCreateSerializer,
        responses={
            201: OpenApiResponse(ClientMatchSerializer, description="A new card."),
            200: OpenApiResponse(
                ClientMatchSerializer,
                description="A card with this phone, e-mail or external id exists: that card, "
                "unchanged, with `matched: true`.",
            ),
            **ERRORS,
        },
        summary="Create a card, or find the existing one",
    )
    def post(self, request: Request) -> Response:
        data = ClientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        client, created = services.client_match_or_create(
            actor=self.actor,
            store=self.store,
            owner_username=values.pop("owner", ""),
            **values,
        )
        client = selectors.api_client_get(user=self.actor, store=self.store, pk=client.pk)
        client.matched = not created  # type: ignore[attr-defined]
        return Response(
            ClientMatchSerializer(client).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ClientDetailView(IntegrationView):
    """One card: read it, change it."""

    required_scopes = {"GET": TokenScope.CLIENTS_READ, "PATCH": TokenScope.CLIENTS_WRITE}

    def _client(self, pk: int) -> Any:
        if pk > MAX_ID:
            raise Http404("No such client")
        return selectors.api_client_get(user=self.actor, store=self.store, pk=pk)

    @extend_schema(
        operation_id="clients_retrieve",
        responses={200: ClientSerializer, **ERRORS, **NOT_FOUND},
        summary="One card of the store",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ClientSerializer(self._client(pk)).data)

    @extend_schema(
        operation_id="clients_update",
        request=ClientUpdateSerializer,
        responses={200: ClientSerializer, **ERRORS, **NOT_FOUND},
        summary="Change the card's own fields (only those sent), add a phone or e-mail",
    )
    def patch(self, request: Request, pk: int) -> Response:
        client = self._client(pk)
        data = ClientUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.client_change(actor=self.actor, client=client, **data.validated_data)
        return Response(ClientSerializer(self._client(pk)).data)


class PurchaseListView(IntegrationView):
    """Record receipts."""

    required_scopes = {"POST": TokenScope.PURCHASES_WRITE}

    @extend_schema(
        operation_id="purchases_create",
        request=PurchaseCreateSerializer,
        responses={
            201: OpenApiResponse(PurchaseSerializer, description="Recorded."),
            200: OpenApiResponse(
                PurchaseSerializer, description="This receipt was recorded before: that receipt."
            ),
            **ERRORS,
            **CONFLICT,
        },
        summary="Record a receipt (idempotent by receipt number)",
        description="The client is `client_id`, or `client` found by external id, phone or "
        "e-mail in the store (created when none matches). A line's `sku` links the product "
        "when the catalogue knows it; otherwise the line is kept by its description. Posting "
        "the same receipt again returns it with 200; the same receipt number with another "
        "client or other lines is a 409.",
    )
    def post(self, request: Request) -> Response:
        data = PurchaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ref = services.ClientRef(client_id=values.get("client_id"), **values.get("client", {}))
        lines = [
            LineInput(
                description=line.get("description", ""),
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                discount=line.get("discount", Decimal("0")),
                sku=line.get("sku", ""),
            )
            for line in values["lines"]
        ]
        purchase, created = services.purchase_post(
            actor=self.actor,
            store=self.store,
            receipt_number=values["receipt_number"],
            client=ref,
            lines=lines,
            purchased_at=values.get("purchased_at"),
        )
        recorded = selectors.purchase_by_receipt(
            user=self.actor, store=self.store, receipt_number=purchase.receipt_number
        )
        return Response(
            PurchaseSerializer(recorded).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ReturnListView(IntegrationView):
    """Returns against a receipt."""

    required_scopes = {"POST": TokenScope.PURCHASES_WRITE}

    @extend_schema(
        operation_id="purchases_returns_create",
        request=ReturnCreateSerializer,
        responses={
            201: OpenApiResponse(ReturnSerializer, description="Recorded."),
            200: OpenApiResponse(
                ReturnSerializer, description="This return_id was recorded before: that return."
            ),
            **ERRORS,
            **NOT_FOUND,
            **CONFLICT,
        },
        summary="Take goods back from a receipt",
        description="Lines by their number on the receipt (from 1, as in the purchase's "
        "`lines[].number`) or by article. Never more than was bought and not yet returned. "
        "With `return_id` the same return posted again is recorded once (200); without it "
        "every call records a return.",
    )
    def post(self, request: Request, receipt_number: str) -> Response:
        receipt_number = _valid_key(receipt_number)
        data = ReturnCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        sale_return, created = services.return_post(
            actor=self.actor,
            store=self.store,
            receipt_number=receipt_number,
            lines=[services.ReturnLineRef(**line) for line in values["lines"]],
            return_id=values.get("return_id", ""),
            reason=values.get("reason", ""),
            returned_at=values.get("returned_at"),
        )
        return Response(
            ReturnSerializer(selectors.return_with_lines(pk=sale_return.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


PRODUCT_DEFAULTS: dict[str, Any] = {
    "brand": "",
    "category": "",
    "material": "",
    "colour": "",
    "price": Decimal("0"),
    "is_service": False,
    "is_active": True,
}


class ProductDetailView(IntegrationView):
    """The catalogue, by article."""

    required_scopes = {"GET": TokenScope.PRODUCTS_READ, "PUT": TokenScope.PRODUCTS_WRITE}

    @extend_schema(
        operation_id="products_retrieve",
        responses={200: ProductSerializer, **ERRORS, **NOT_FOUND},
        summary="A product by its article",
    )
    def get(self, request: Request, sku: str) -> Response:
        return Response(ProductSerializer(selectors.product_get(sku=_valid_key(sku))).data)

    @extend_schema(
        operation_id="products_upsert",
        request=ProductSerializer,
        responses={
            201: OpenApiResponse(ProductSerializer, description="Created."),
            200: OpenApiResponse(ProductSerializer, description="Updated."),
            **ERRORS,
            **NOT_FOUND,
        },
        parameters=[OpenApiParameter("sku", str, OpenApiParameter.PATH, description="Article")],
        summary="Create or replace a product by its article",
    )
    def put(self, request: Request, sku: str) -> Response:
        sku = _valid_key(sku)
        data = ProductSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product, created = services.product_upsert(
            actor=self.actor, sku=sku, **{**PRODUCT_DEFAULTS, **data.validated_data}
        )
        return Response(
            ProductSerializer(product).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
