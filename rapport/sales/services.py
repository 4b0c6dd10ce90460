"""Writes about sales: purchases, returns and visits recorded at the till."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import User
from rapport.clients.choices import TimelineKind
from rapport.clients.models import Client
from rapport.clients.selectors import client_get_for
from rapport.clients.timeline import timeline_record
from rapport.insights.services import client_score_refresh
from rapport.outreach.services import plan_rebuild
from rapport.sales.choices import VisitPurpose
from rapport.sales.models import Product, Purchase, PurchaseLine, Return, ReturnLine, Visit

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class LineInput:
    """One receipt line as typed at the till: a known article or a free description."""

    description: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal("0")
    sku: str = ""


def _validated_lines(lines: list[LineInput]) -> list[PurchaseLine]:
    if not lines:
        raise ValidationError({"lines": _("Add at least one item.")})
    products = {
        p.sku: p for p in Product.objects.filter(sku__in=[ln.sku for ln in lines if ln.sku])
    }
    result, errors = [], []
    for number, line in enumerate(lines, start=1):
        product = products.get(line.sku) if line.sku else None
        if line.sku and product is None:
            errors.append(
                _("Line %(n)s: no product with article %(sku)s.") % {"n": number, "sku": line.sku}
            )
        description = line.description.strip() or (product.name if product else "")
        if not description:
            errors.append(_("Line %(n)s: say what was sold.") % {"n": number})
        if line.quantity < 1:
            errors.append(_("Line %(n)s: the quantity must be at least 1.") % {"n": number})
        if line.unit_price < 0:
            errors.append(_("Line %(n)s: the price cannot be negative.") % {"n": number})
        if line.discount < 0 or line.discount > max(line.unit_price, Decimal("0")) * max(
            line.quantity, 0
        ):
            errors.append(
                _("Line %(n)s: the discount must be between 0 and the line's amount.")
                % {"n": number}
            )
        result.append(
            PurchaseLine(
                product=product,
                description=description[:200],
                quantity=line.quantity,
                unit_price=line.unit_price.quantize(CENT),
                discount=line.discount.quantize(CENT),
            )
        )
    if errors:
        raise ValidationError({"lines": errors})
    return result


@transaction.atomic
def purchase_record(
    *,
    actor: User,
    client: Client,
    lines: list[LineInput],
    purchased_at: datetime | None = None,
    receipt_number: str = "",
) -> Purchase:
    """Record a receipt for a client; the same receipt number in a store is recorded once."""
    client = client_get_for(user=actor, pk=client.pk)
    receipt_number = receipt_number.strip()
    if receipt_number:
        existing = Purchase.objects.filter(
            store=client.store, receipt_number=receipt_number
        ).first()
        if existing is not None:
            if existing.client_id != client.pk:
                raise ValidationError(
                    {"receipt_number": _("This receipt is already recorded for another client.")}
                )
            return existing
    purchased_at = purchased_at or timezone.now()
    if purchased_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"purchased_at": _("A purchase cannot be in the future.")})
    line_objects = _validated_lines(lines)
    purchase = Purchase.objects.create(
        client=client,
        store=client.store,
        consultant=actor,
        receipt_number=receipt_number,
        purchased_at=purchased_at,
        total=sum((ln.amount for ln in line_objects), Decimal("0")),
        discount_total=sum((ln.discount for ln in line_objects), Decimal("0")),
    )
    for line in line_objects:
        line.purchase = purchase
    PurchaseLine.objects.bulk_create(line_objects)
    _client_summary_refresh(client)
    timeline_record(
        client=client,
        kind=TimelineKind.PURCHASE,
        actor=actor,
        at=purchased_at,
        purchase=purchase,
        data={
            "total": str(purchase.total),
            "items": [ln.description for ln in line_objects][:10],
        },
    )
    plan_rebuild(client=client)
    return purchase


def _client_summary_refresh(client: Client) -> None:
    purchases = Purchase.objects.filter(client=client)
    client.purchase_count = purchases.count()
    last = purchases.order_by("-purchased_at").values_list("purchased_at", flat=True).first()
    client.last_purchase_at = last
    client.save(update_fields=["purchase_count", "last_purchase_at", "updated_at"])
    client_score_refresh(client=client)  # numbers and status, before the plan reads the status


@transaction.atomic
def return_record(
    *,
    actor: User,
    purchase: Purchase,
    quantities: dict[int, int],
    reason: str = "",
    returned_at: datetime | None = None,
) -> Return:
    """Take goods back from a purchase, per line: never more than was bought and kept."""
    client_get_for(user=actor, pk=purchase.client_id)
    lines = {
        line.pk: line
        for line in PurchaseLine.objects.select_for_update()
        .filter(purchase=purchase)
        .order_by("pk")
    }
    errors, taken = [], []
    for line_id, quantity in sorted(quantities.items()):
        if quantity == 0:
            continue
        line = lines.get(line_id)
        if line is None:
            errors.append(_("That item is not on this receipt."))
            continue
        left = line.quantity - line.returned_quantity
        if quantity < 0 or quantity > left:
            errors.append(
                _("%(item)s: you can return at most %(left)s.")
                % {"item": line.description, "left": left}
            )
            continue
        taken.append((line, quantity))
    if errors:
        raise ValidationError({"lines": errors})
    if not taken:
        raise ValidationError({"lines": _("Choose what the client brings back.")})
    sale_return = Return.objects.create(
        purchase=purchase,
        client_id=purchase.client_id,
        returned_at=returned_at or timezone.now(),
        reason=reason.strip(),
        amount=Decimal("0"),
        recorded_by=actor,
    )
    total = Decimal("0")
    for line, quantity in taken:
        # refunded so far and after this return, each rounded: the parts always add up to the line
        before = (line.amount * line.returned_quantity / line.quantity).quantize(CENT)
        after = (line.amount * (line.returned_quantity + quantity) / line.quantity).quantize(CENT)
        amount = after - before
        ReturnLine.objects.create(
            sale_return=sale_return, purchase_line=line, quantity=quantity, amount=amount
        )
        PurchaseLine.objects.filter(pk=line.pk).update(
            returned_quantity=F("returned_quantity") + quantity
        )
        total += amount
    sale_return.amount = total
    sale_return.save(update_fields=["amount"])
    Purchase.objects.filter(pk=purchase.pk).update(returned_total=F("returned_total") + total)
    timeline_record(
        client=purchase.client,
        kind=TimelineKind.RETURN,
        actor=actor,
        at=sale_return.returned_at,
        sale_return=sale_return,
        purchase=purchase,
        data={
            "amount": str(total),
            "reason": sale_return.reason,
            "items": [line.description for line, _ in taken],
        },
    )
    client_score_refresh(client=purchase.client)
    plan_rebuild(client=purchase.client)
    return sale_return


@transaction.atomic
def visit_record(
    *,
    actor: User,
    client: Client,
    purpose: str,
    looked_at: str = "",
    note: str = "",
    visited_at: datetime | None = None,
) -> Visit:
    """Record a visit without a purchase: a fitting, a look around, a service drop-off."""
    client = client_get_for(user=actor, pk=client.pk)
    visit = Visit(
        client=client,
        store=client.store,
        consultant=actor,
        purpose=VisitPurpose(purpose),
        looked_at=looked_at.strip(),
        note=note.strip(),
        visited_at=visited_at or timezone.now(),
    )
    visit.full_clean()
    visit.save()
    timeline_record(
        client=client,
        kind=TimelineKind.VISIT,
        actor=actor,
        at=visit.visited_at,
        visit=visit,
        data={"purpose": visit.purpose, "looked_at": visit.looked_at},
    )
    client_score_refresh(client=client)
    plan_rebuild(client=client)
    return visit
