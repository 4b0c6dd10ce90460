"""Reads for the API, always on behalf of the token's acting user."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import scope_for
from rapport.api.keys import key_hash
from rapport.api.models import IntegrationToken
from rapport.clients.choices import ContactKind
from rapport.clients.models import Client, ContactPoint
from rapport.clients.selectors import clients_for
from rapport.sales.models import Product, Purchase, PurchaseLine, Return, ReturnLine

LOOKUP_LIMIT = 20


def token_for_key(key: str) -> IntegrationToken | None:
    """The live token with this key (not revoked, its user and store active), or None."""
    return (
        IntegrationToken.objects.select_related("user", "store")
        .filter(
            key_hash=key_hash(key),
            revoked_at__isnull=True,
            user__is_active=True,
            store__is_active=True,
        )
        .first()
    )


def tokens_for(*, user: User) -> QuerySet[IntegrationToken]:
    """The tokens a company owner/admin manages (nobody else sees any)."""
    if not scope_for(user).all_stores:
        return IntegrationToken.objects.none()
    return IntegrationToken.objects.select_related("store", "user", "created_by")


def _with_contacts(clients: QuerySet[Client]) -> QuerySet[Client]:
    return clients.select_related("owner").prefetch_related(
        Prefetch("contact_points", queryset=ContactPoint.objects.order_by("-is_primary", "pk"))
    )


def store_clients_for(*, user: User, store: Store) -> QuerySet[Client]:
    """The store's clients as the user sees them (none if the user does not work there)."""
    return clients_for(user=user).filter(store=store)


def api_client_get(*, user: User, store: Store, pk: int) -> Client:
    """One client of the token's store, with contacts, or 404."""
    client = _with_contacts(store_clients_for(user=user, store=store)).filter(pk=pk).first()
    if client is None:
        raise Http404("No such client")
    return client


def clients_matching(
    *,
    user: User,
    store: Store,
    phone: str = "",
    email: str = "",
    external_id: str = "",
    limit: int = LOOKUP_LIMIT,
) -> list[Client]:
    """Cards of the store with this (normalised) phone or e-mail or external id, oldest first."""
    store_clients = store_clients_for(user=user, store=store)
    condition = Q()
    if phone:
        condition |= Q(kind=ContactKind.PHONE, value=phone)
    if email:
        condition |= Q(kind=ContactKind.EMAIL, value=email)
    ids: set[int] = set()
    if condition:
        ids |= set(
            ContactPoint.objects.filter(condition, client__store=store)
            .values_list("client_id", flat=True)
            .order_by("client_id")[: limit * 2]
        )
    if external_id:
        ids |= set(
            store_clients.filter(external_id=external_id).values_list("pk", flat=True)[:limit]
        )
    if not ids:
        return []
    return list(_with_contacts(store_clients.filter(pk__in=ids)).order_by("pk")[:limit])


def purchase_by_receipt(*, user: User, store: Store, receipt_number: str) -> Purchase | None:
    """The store's purchase with this receipt number, with its lines, or None."""
    if not scope_for(user).sees_store(store.pk):
        raise Http404("No such store")
    return (
        Purchase.objects.filter(store=store, receipt_number=receipt_number)
        .prefetch_related(
            Prefetch(
                "lines", queryset=PurchaseLine.objects.select_related("product").order_by("pk")
            )
        )
        .first()
    )


def return_with_lines(*, pk: int) -> Return:
    """A return with its lines and the receipt lines they came from, for the response."""
    return (
        Return.objects.select_related("purchase", "integration_key")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ReturnLine.objects.select_related("purchase_line__product").order_by(
                    "purchase_line_id"
                ),
            )
        )
        .get(pk=pk)
    )


def product_get(*, sku: str) -> Product:
    """A product by its article, or 404 (the catalogue is the company's, every store reads it)."""
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        raise Http404("No such product")
    return product
