from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.sales.choices import ImportKind, ImportStatus, VisitPurpose


class Product(models.Model):
    """An item the company sells, identified by its article (SKU)."""

    sku = models.CharField(_("article"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    brand = models.CharField(_("brand"), max_length=80, blank=True)
    category = models.CharField(_("category"), max_length=80, blank=True)
    material = models.CharField(_("material"), max_length=80, blank=True)
    colour = models.CharField(_("colour"), max_length=40, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=Decimal("0"))
    is_active = models.BooleanField(_("on sale"), default=True)
    is_service = models.BooleanField(
        _("service"),
        default=False,
        help_text=_("Cleaning, repair, engraving, fitting, gift wrap: not goods."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Purchase(models.Model):
    """A receipt: what a client bought, when, where and from whom.

    Imports write millions of these, so every index counts: the client's lookups use
    ``purchase_client_idx`` (no second index on the client alone) and the consultant, unknown
    in most imported receipts, is indexed only where set.
    """

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="purchases", db_index=False
    )
    store = models.ForeignKey("accounts.Store", on_delete=models.PROTECT, related_name="+")
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    receipt_number = models.CharField(_("receipt"), max_length=64, blank=True)
    purchased_at = models.DateTimeField(_("date"), default=timezone.now)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    returned_total = models.DecimalField(
        _("returned"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-purchased_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "receipt_number"],
                condition=~Q(receipt_number=""),
                name="purchase_store_receipt_unique",
            )
        ]
        indexes = [
            models.Index(fields=["client", "-purchased_at"], name="purchase_client_idx"),
            models.Index(
                fields=["consultant"],
                condition=Q(consultant__isnull=False),
                name="purchase_consultant_idx",
            ),
        ]
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")

    def __str__(self) -> str:
        return f"{self.receipt_number or self.pk} {self.purchased_at:%Y-%m-%d}"


class PurchaseLine(models.Model):
    """One line of a receipt.

    Its links to the receipt and the article have no database constraint: an import writes a
    million lines in a few seconds, and checking each link row by row would cost it as much as
    writing the lines. The writers check instead (each line is written with its receipt, under a
    lock on it and on the article), and on PostgreSQL a trigger refuses to delete a receipt or an
    article that lines still refer to — see docs/adr/0006-data-in.md. The article is indexed only
    where known: imports often have none.
    """

    purchase = models.ForeignKey(
        Purchase, on_delete=models.CASCADE, related_name="lines", db_constraint=False
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    description = models.CharField(_("item"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(
        _("discount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    returned_quantity = models.PositiveIntegerField(_("returned"), default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=models.F("quantity")),
                name="purchaseline_returned_lte_quantity",
            )
        ]
        indexes = [
            models.Index(
                fields=["product"],
                condition=Q(product__isnull=False),
                name="purchaseline_product_idx",
            )
        ]
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity - self.discount


class Return(models.Model):
    """Goods a client brought back from one purchase."""

    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="returns")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="returns")
    returned_at = models.DateTimeField(_("date"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    amount = models.DecimalField(_("refund"), max_digits=12, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-returned_at", "-pk"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")

    def __str__(self) -> str:
        return f"{self.purchase} −{self.amount}"


class ReturnLine(models.Model):
    """How many of one receipt line came back."""

    sale_return = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    purchase_line = models.ForeignKey(PurchaseLine, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    amount = models.DecimalField(_("refund"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("returned line")
        verbose_name_plural = _("returned lines")

    def __str__(self) -> str:
        return f"{self.purchase_line_id} × {self.quantity}"


class Visit(models.Model):
    """A client came to the store and did not buy (a purchase is a visit of its own)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="visits")
    store = models.ForeignKey("accounts.Store", on_delete=models.PROTECT, related_name="+")
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visited_at = models.DateTimeField(_("date"), default=timezone.now)
    purpose = models.CharField(_("purpose"), max_length=16, choices=VisitPurpose.choices)
    looked_at = models.CharField(
        _("looked at"), max_length=300, blank=True, help_text=_("What they tried on or liked.")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-visited_at", "-pk"]
        indexes = [models.Index(fields=["client", "-visited_at"], name="visit_client_idx")]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"{self.client_id} {self.visited_at:%Y-%m-%d}"


class ImportRun(models.Model):
    """One file brought into a store (or tried as a dry run): its mapping, progress and report."""

    store = models.ForeignKey("accounts.Store", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("what"), max_length=16, choices=ImportKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    filename = models.CharField(_("file"), max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=500, help_text="Where the upload is kept (under VAR_DIR).")
    sheet = models.CharField(_("sheet"), max_length=120, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consultant for new clients"),
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.MAPPING
    )
    total_lines = models.PositiveIntegerField(default=0)
    done_lines = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    reasons = models.JSONField(default=dict, blank=True)  # reason code → lines
    sample_rejects = models.JSONField(default=list, blank=True)  # the first ones, for the page
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"

    @property
    def percent(self) -> int:
        if not self.total_lines:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, round(100 * self.done_lines / self.total_lines))

    @property
    def is_over(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
