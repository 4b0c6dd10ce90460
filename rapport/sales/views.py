"""Till pages: record a purchase, a visit or a return for a client."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from rapport.accounts.selectors import consultants_for, scope_for
from rapport.base.forms import call_service
from rapport.base.http import AuthedRequest, store_choices_for, store_for_request
from rapport.clients.selectors import client_get_for
from rapport.core import tabular
from rapport.sales import exports, services
from rapport.sales.choices import ImportStatus
from rapport.sales.forms import (
    ImportMappingForm,
    ImportUploadForm,
    PurchaseForm,
    PurchaseLineFormSet,
    ReturnForm,
    VisitForm,
)
from rapport.sales.selectors import (
    import_run_get_for,
    import_runs_for,
    products_for_till,
    purchase_get_for,
)


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


# --- imports and exports ------------------------------------------------------------------------


def _manager_only(request: AuthedRequest) -> None:
    if not scope_for(request.user).is_manager:
        raise PermissionDenied(_("Imports are for the store's manager and the company's admin."))


@login_required
def imports(request: AuthedRequest) -> HttpResponse:
    """Upload a file to import, and the store's recent imports."""
    _manager_only(request)
    store = store_for_request(request)
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, consultants=consultants_for(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = call_service(
            form,
            lambda: services.import_upload(
                actor=request.user,
                store=store,
                kind=form.cleaned_data["kind"],
                filename=upload.name,
                data=upload.read(),
                owner=form.cleaned_data["owner"],
            ),
        )
        if run is not None:
            return redirect("sales:import_detail", pk=run.pk)
    runs = import_runs_for(user=request.user).filter(store=store)[:20]
    return render(
        request,
        "sales/imports.html",
        {"form": form, "runs": runs, "store": store, "stores": store_choices_for(request)},
    )


@login_required
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Check the columns and a preview, start a dry run or the import, then follow it."""
    run = import_run_get_for(user=request.user, pk=pk)
    specs = tabular.FIELDS[run.kind]  # type: ignore[index]
    choices = [(spec.name, services.field_label(spec.label)) for spec in specs]
    initial = {
        f"col{index}": run.mapping.get(header) or "" for index, header in enumerate(run.headers)
    }
    form = ImportMappingForm(
        request.POST or None, headers=run.headers, choices=choices, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        started = call_service(
            form,
            lambda: services.import_start(
                actor=request.user,
                run=run,
                mapping=form.mapping(),
                dry_run=request.POST.get("action") != "run",
            ),
        )
        if started is not None:
            return redirect("sales:import_detail", pk=run.pk)
    context: dict[str, Any] = {"run": run, "form": form, "labels": dict(choices)}
    if run.status in (ImportStatus.MAPPING, ImportStatus.DONE, ImportStatus.FAILED):
        mapping = form.mapping() if form.is_bound and form.is_valid() else run.mapping
        preview = services.import_preview(run=run, mapping=mapping)
        labels = dict(choices)
        context["preview"] = preview
        context["preview_labels"] = [labels.get(name, name) for name in preview.fields]
    if run.status == ImportStatus.DONE:
        context["reasons"] = [
            (services.reason_message(reason), count)
            for reason, count in sorted(run.reasons.items(), key=lambda item: -item[1])
        ]
        context["sample"] = [
            (row["line"], row["column"], services.reason_message(row["reason"]), row["value"])
            for row in run.sample_rejects
        ]
    if request.htmx:
        return render(request, "sales/partials/import_progress.html", context)
    return render(request, "sales/import_detail.html", context)


@login_required
def import_rejects(request: AuthedRequest, pk: int) -> HttpResponse:
    """Every refused line of an import as CSV: line, column, reason, value."""
    run = import_run_get_for(user=request.user, pk=pk)
    header = [_("Line"), _("Column"), _("Reason"), _("Value")]
    body = tabular.export_csv(header, services.import_rejects(run=run))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stem = run.filename.rsplit(".", 1)[0] or "import"
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}-rejects.csv")
    return response


EXPORTS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


@login_required
def export(request: AuthedRequest, what: str, fmt: str) -> HttpResponse:
    """The clients (or their receipt lines) the user may see, as CSV or XLSX."""
    if fmt not in EXPORTS or what not in ("clients", "purchases"):
        raise Http404("No such export")
    header, rows = exports.table_for(user=request.user, what=what)
    if fmt == "csv":
        body = tabular.export_csv(header, rows)
    else:
        body = tabular.export_xlsx(
            header, rows, sheet=str(_("Clients") if what == "clients" else _("Purchases"))
        )
    response = HttpResponse(body, content_type=EXPORTS[fmt])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="rapport-{what}-{stamp}.{fmt}"'
    return response
