"""Reads about sales, on behalf of a user: the client scope decides."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from rapport.accounts.models import User
from rapport.accounts.selectors import scope_for
from rapport.clients.selectors import clients_for
from rapport.sales.models import ImportRun, Product, Purchase

TILL_PRODUCTS = 500


def purchase_get_for(*, user: User, pk: int) -> Purchase:
    """One purchase of a client the user may see, or 404."""
    try:
        return (
            Purchase.objects.select_related("client", "store")
            .filter(client__in=clients_for(user=user))
            .get(pk=pk)
        )
    except Purchase.DoesNotExist as exc:
        raise Http404("No such purchase") from exc


def products_for_till() -> QuerySet[Product]:
    """Products offered as suggestions when typing an article at the till."""
    return Product.objects.filter(is_active=True).order_by("sku")[:TILL_PRODUCTS]


def import_runs_for(*, user: User) -> QuerySet[ImportRun]:
    """Imports into the stores the user manages (every store for an owner/admin)."""
    scope = scope_for(user)
    runs = ImportRun.objects.select_related("store", "created_by")
    return runs if scope.all_stores else runs.filter(store_id__in=scope.managed_store_ids)


def import_run_get_for(*, user: User, pk: int) -> ImportRun:
    """One import the user may see, or 404."""
    try:
        return import_runs_for(user=user).get(pk=pk)
    except ImportRun.DoesNotExist as exc:
        raise Http404("No such import") from exc


def purchases_for(*, user: User) -> QuerySet[Purchase]:
    """Receipts of the clients the user may see."""
    return Purchase.objects.filter(client__in=clients_for(user=user))
