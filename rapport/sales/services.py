"""Writes about sales: purchases, returns and visits recorded at the till."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import scope_for
from rapport.clients.choices import TimelineKind
from rapport.clients.models import Client
from rapport.clients.selectors import client_get_for
from rapport.clients.services import check_owner
from rapport.clients.timeline import timeline_record
from rapport.core import tabular
from rapport.insights.services import client_score_refresh
from rapport.outreach.services import plan_rebuild
from rapport.sales import importing
from rapport.sales.choices import ImportKind, ImportStatus, VisitPurpose
from rapport.sales.models import (
    ImportRun,
    Product,
    Purchase,
    PurchaseLine,
    Return,
    ReturnLine,
    Visit,
)

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


# --- imports ------------------------------------------------------------------------------------

MAX_UPLOAD = 1024 * 1024 * 1024  # 1 GiB: about 15 million receipt lines as CSV
PREVIEW_ROWS = 10


def _check_import(actor: User | None, store: Store) -> None:
    """Managers of the store and the company's admins import; ``None`` is the command line."""
    if actor is not None and not scope_for(actor).manages_store(store.pk):
        raise PermissionDenied(_("Only the store's manager or the company's admin can import."))


@transaction.atomic
def import_upload(
    *,
    actor: User | None,
    store: Store,
    kind: str,
    filename: str,
    data: bytes,
    owner: User | None = None,
) -> ImportRun:
    """Keep an uploaded file and read its header: the run waits for its columns to be checked.

    Refuses a file the reader cannot read (the reason in the user's language) before anything
    is kept.
    """
    _check_import(actor, store)
    if kind not in ImportKind.values:
        raise ValidationError({"kind": _("Choose what the file holds.")})
    if len(data) > MAX_UPLOAD:
        raise ValidationError({"file": _("The file is larger than 1 GB: split it in parts.")})
    if owner is not None:
        check_owner(owner, store)
    try:
        head = tabular.read_table(data, filename=filename, max_rows=PREVIEW_ROWS)
    except tabular.TableError as exc:
        raise ValidationError({"file": table_error_message(exc)}) from exc
    headers = [name for name in head.columns if name != importing.LINE]
    digest = hashlib.sha256(data).hexdigest()
    folder = settings.VAR_DIR / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest[:16]}{Path(filename).suffix.lower()[:8]}"
    if not path.exists():
        path.write_bytes(data)
    return ImportRun.objects.create(
        store=store,
        kind=kind,
        created_by=actor,
        filename=Path(filename).name[:255],
        size=len(data),
        sha256=digest,
        path=str(path),
        headers=headers,
        mapping=tabular.guess_mapping(headers, kind),  # type: ignore[arg-type]
        owner=owner,
    )


def table_error_message(exc: Exception) -> str:
    """Why a whole file could not be read, in the user's language."""
    reason = getattr(exc, "reason", "")
    messages = {
        "empty": _("The file is empty."),
        "no_header": _("The first line must name the columns."),
        "too_large": _("The file is too large."),
        "sheet_missing": _("The workbook has no such sheet."),
    }
    return messages.get(
        reason, _("This is not a table Rapport can read: save it as CSV or XLSX and try again.")
    )


@transaction.atomic
def import_start(
    *,
    actor: User | None,
    run: ImportRun,
    mapping: dict[str, str | None],
    dry_run: bool,
    queue: bool = True,
) -> ImportRun:
    """Check the mapping and queue the run for the worker (a dry run writes nothing); with
    ``queue=False`` the caller runs it itself (``rapport import``)."""
    _check_import(actor, run.store)
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        raise ValidationError(_("This import is already running."))
    fields = {spec.name: spec for spec in tabular.FIELDS[run.kind]}  # type: ignore[index]
    chosen = [field for field in mapping.values() if field]
    errors = []
    unknown = [header for header in mapping if header not in run.headers]
    if unknown:
        errors.append(_("The file has no column “%(name)s”.") % {"name": unknown[0]})
    if any(field not in fields for field in chosen):
        errors.append(_("Choose fields from the list."))
    twice = sorted({field for field in chosen if chosen.count(field) > 1})
    if twice:
        errors.append(
            _("“%(field)s” is chosen for more than one column.")
            % {"field": field_label(fields[twice[0]].label)}
        )
    missing = [spec for spec in fields.values() if spec.required and spec.name not in chosen]
    if missing:
        errors.append(
            _("Choose a column for: %(fields)s.")
            % {"fields": ", ".join(field_label(spec.label) for spec in missing)}
        )
    if errors:
        raise ValidationError(errors)
    run.mapping = {header: mapping.get(header) or None for header in run.headers}
    run.dry_run = dry_run
    run.status = ImportStatus.QUEUED
    run.done_lines = run.created = run.updated = run.unchanged = run.rejected = 0
    run.reasons, run.sample_rejects, run.error = {}, [], ""
    run.started_at = run.finished_at = None
    run.save()
    if queue:
        transaction.on_commit(lambda: _enqueue_import(run.pk))
    return run


def field_label(label: str) -> str:
    return _(label)


def _enqueue_import(run_id: int) -> None:
    from rapport.sales.jobs import import_run

    import_run.enqueue(run_id)


REJECTS_SHOWN = 200


def import_execute(
    *, run_id: int, progress: Callable[[int, int], None] | None = None
) -> importing.ImportStats | None:
    """Do a queued import (the worker's job, and ``rapport import``): claim it, load the file in
    chunks, keep the report, then refresh the numbers and plans of the clients it touched.

    Returns None when another worker already claimed the run.
    """
    claimed = ImportRun.objects.filter(
        pk=run_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, started_at=timezone.now(), done_lines=0)
    if not claimed:
        return None
    run = ImportRun.objects.select_related("store", "created_by", "owner").get(pk=run_id)
    job = importing.Job(
        store=run.store,
        kind=run.kind,
        actor=run.created_by,
        owner=run.owner,
        dry_run=run.dry_run,
        run_id=run.pk,
    )
    try:
        table = tabular.read_table(
            Path(run.path).read_bytes(), filename=run.filename, sheet=run.sheet or None
        )
        ImportRun.objects.filter(pk=run.pk).update(total_lines=table.height)
        done = 0

        def step(lines: int) -> None:
            nonlocal done
            done += lines
            ImportRun.objects.filter(pk=run.pk).update(done_lines=done)
            if progress is not None:
                progress(done, table.height)

        stats, rejects = importing.import_frame(job, table, run.mapping, progress=step)
    except Exception as exc:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.FAILED,
            error=table_error_message(exc) if isinstance(exc, tabular.TableError) else repr(exc),
            finished_at=timezone.now(),
        )
        raise
    report = importing.reject_report_path(settings.VAR_DIR, run.pk)
    report.parent.mkdir(parents=True, exist_ok=True)
    rejects.write_parquet(report)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.DONE,
        total_lines=stats.lines,
        done_lines=stats.lines,
        created=stats.created,
        updated=stats.updated,
        unchanged=stats.unchanged,
        rejected=stats.rejected,
        reasons=dict(stats.reasons),
        sample_rejects=rejects.head(REJECTS_SHOWN).to_dicts(),
        finished_at=timezone.now(),
    )
    if stats.client_ids and not run.dry_run:
        _after_import(sorted(stats.client_ids))
    return stats


def _after_import(client_ids: list[int]) -> None:
    """The touched clients' numbers and plans follow what was imported (off the request)."""
    from rapport.sales.jobs import clients_refresh

    clients_refresh.enqueue(client_ids)


def import_rejects(*, run: ImportRun) -> list[tuple[int, str, str, str]]:
    """Every refused line of a finished run: line, column, reason (in the user's words), value."""
    report = importing.reject_report_path(settings.VAR_DIR, run.pk)
    if not report.exists():
        return []
    frame = pl.read_parquet(report)
    return [
        (line, column, reason_message(reason), value or "")
        for line, column, reason, value in frame.select(
            "line", "column", "reason", "value"
        ).iter_rows()
    ]


def reason_message(reason: str) -> str:
    """A refused line's reason in the user's language."""
    own = {
        importing.UNKNOWN_CLIENT: _(
            "No client in the store has this external id, phone or e-mail."
        ),
        importing.RECEIPT_OTHER_CLIENT: _("This receipt belongs to another client."),
        importing.RECEIPT_HAS_RETURNS: _(
            "This receipt has returns recorded, so it is not rewritten."
        ),
    }
    if reason in own:
        return own[reason]
    return _(tabular.REASONS.get(reason, reason))


@dataclass(frozen=True)
class Preview:
    """The first lines of a file as they would be stored, and the ones that would be refused."""

    fields: list[str]
    rows: list[list[str]]
    rejects: list[tuple[int, str, str, str]]


def import_preview(*, run: ImportRun, mapping: dict[str, str | None]) -> Preview:
    """Parse the first lines with ``mapping`` (nothing is written)."""
    try:
        head = tabular.read_table(
            Path(run.path).read_bytes(),
            filename=run.filename,
            sheet=run.sheet or None,
            max_rows=PREVIEW_ROWS,
        )
        parsed = tabular.parse(
            head,
            {h: f for h, f in mapping.items() if h in head.columns},
            run.kind,  # type: ignore[arg-type]
            region=run.store.country,
            today=timezone.localdate(),
        )
    except (tabular.TableError, OSError) as exc:
        return Preview([], [], [(0, "", table_error_message(exc), "")])
    fields = [name for name in parsed.rows.columns if name != importing.LINE]
    rows = [
        [str(row[0]), *("" if value is None else str(value) for value in row[1:])]
        for row in parsed.rows.select(importing.LINE, *fields).iter_rows()
    ]
    rejects = [
        (line, column, reason_message(reason), value or "")
        for line, column, reason, value in parsed.rejects.select(
            "line", "column", "reason", "value"
        ).iter_rows()
    ]
    return Preview(fields, rows, rejects)
