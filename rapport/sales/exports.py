"""What the export pages write: the user's clients, or the receipt lines of those clients.

Rows are plain values (text, numbers, dates); :mod:`rapport.core.tabular` turns them into CSV
or XLSX and makes sure no cell is ever read as a formula.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.clients.choices import ContactKind
from rapport.clients.models import ContactPoint
from rapport.clients.selectors import book_for
from rapport.sales.models import PurchaseLine

CHUNK = 2_000


def table_for(*, user: User, what: str) -> tuple[list[str], Iterator[Sequence[Any]]]:
    """The header and rows of an export, restricted to the clients the user's book holds."""
    if what == "clients":
        return _clients(user)
    return _purchases(user)


def _clients(user: User) -> tuple[list[str], Iterator[Sequence[Any]]]:
    header = [_("Client id"), _("External id"), _("Last name"), _("First name"), _("Patronymic"),
              _("Birthday"), _("Phone"), _("E-mail"), _("Status"), _("Consultant"),
              _("Purchases"), _("Last purchase")]  # fmt: skip
    clients = (
        book_for(user=user)
        .prefetch_related(
            Prefetch("contact_points", queryset=ContactPoint.objects.order_by("-is_primary", "pk"))
        )
        .order_by("pk")
    )

    def rows() -> Iterator[Sequence[Any]]:
        for client in clients.iterator(chunk_size=CHUNK):
            points = list(client.contact_points.all())
            phone = next((p.value for p in points if p.kind == ContactKind.PHONE), "")
            email = next((p.value for p in points if p.kind == ContactKind.EMAIL), "")
            yield (
                client.pk, client.external_id, client.last_name, client.first_name,
                client.middle_name, client.birthday, phone, email, client.get_status_display(),
                str(client.owner) if client.owner else "", client.purchase_count,
                client.last_purchase_at.date() if client.last_purchase_at else None,
            )  # fmt: skip

    return header, rows()


def _purchases(user: User) -> tuple[list[str], Iterator[Sequence[Any]]]:
    header = [_("Receipt"), _("Date"), _("Client id"), _("Client"), _("Article"), _("Item"),
              _("Qty"), _("Price"), _("Discount"), _("Returned")]  # fmt: skip
    lines = (
        PurchaseLine.objects.filter(purchase__client__in=book_for(user=user).values("pk"))
        .select_related("purchase__client", "product")
        .order_by("purchase__purchased_at", "purchase_id", "pk")
    )

    def rows() -> Iterator[Sequence[Any]]:
        for line in lines.iterator(chunk_size=CHUNK):
            purchase = line.purchase
            yield (
                purchase.receipt_number or str(purchase.pk), purchase.purchased_at.date(),
                purchase.client_id, purchase.client.full_name,
                line.product.sku if line.product else "", line.description, line.quantity,
                line.unit_price, line.discount, line.returned_quantity,
            )  # fmt: skip

    return header, rows()
