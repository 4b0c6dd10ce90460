"""Till pages: record a purchase, a visit or a return for a client."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from rapport.base.forms import call_service
from rapport.base.http import AuthedRequest
from rapport.clients.selectors import client_get_for
from rapport.sales import services
from rapport.sales.forms import PurchaseForm, PurchaseLineFormSet, ReturnForm, VisitForm
from rapport.sales.selectors import products_for_till, purchase_get_for


@login_required
def purchase_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """Record what the client bought, line by line."""
    client = client_get_for(user=request.user, pk=pk)
    form = PurchaseForm(request.POST or None)
    lines = PurchaseLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        inputs = [
            services.LineInput(
                sku=row["sku"].strip(),
                description=row["description"],
                quantity=row["quantity"],
                unit_price=row["unit_price"],
                discount=row["discount"] or Decimal("0"),
            )
            for row in lines.cleaned_data
            if row and not row.get("DELETE")
        ]
        purchase = call_service(
            form,
            lambda: services.purchase_record(
                actor=request.user,
                client=client,
                lines=inputs,
                purchased_at=form.cleaned_data["purchased_at"],
                receipt_number=form.cleaned_data["receipt_number"],
            ),
        )
        if purchase is not None:
            messages.success(request, _("Purchase recorded."))
            return redirect(reverse("clients:card", args=[client.pk]) + "#timeline")
    return render(
        request,
        "sales/purchase_form.html",
        {"client": client, "form": form, "lines": lines, "products": products_for_till()},
    )


@login_required
def visit_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """Record a visit without a purchase."""
    client = client_get_for(user=request.user, pk=pk)
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        visit = call_service(
            form,
            lambda: services.visit_record(
                actor=request.user,
                client=client,
                **form.cleaned_data,
            ),
        )
        if visit is not None:
            messages.success(request, _("Visit recorded."))
            return redirect(reverse("clients:card", args=[client.pk]) + "#timeline")
    return render(
        request, "clients/form.html", {"client": client, "form": form, "title": _("Record a visit")}
    )


@login_required
def return_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """Take goods back from one of the client's purchases."""
    purchase = purchase_get_for(user=request.user, pk=pk)
    lines = list(purchase.lines.all())
    if all(line.returned_quantity >= line.quantity for line in lines):
        raise Http404("Everything on this receipt has been returned")
    form = ReturnForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        sale_return = call_service(
            form,
            lambda: services.return_record(
                actor=request.user,
                purchase=purchase,
                quantities=form.quantities(),
                reason=form.cleaned_data["reason"],
            ),
        )
        if sale_return is not None:
            messages.success(request, _("Return recorded."))
            return redirect(reverse("clients:card", args=[purchase.client_id]) + "#timeline")
    return render(
        request,
        "clients/form.html",
        {
            "client": purchase.client,
            "form": form,
            "title": _("Return from receipt %(n)s") % {"n": purchase.receipt_number or purchase.pk},
        },
    )
