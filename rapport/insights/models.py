from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.insights.choices import ClientKind


class ScoreSettings(models.Model):
    """A store's thresholds for statuses, lifetime value and outreach attribution."""

    store = models.OneToOneField(
        "accounts.Store", on_delete=models.CASCADE, related_name="score_settings"
    )
    regular_purchases = models.PositiveSmallIntegerField(
        _("purchases to become regular"), default=3, validators=[MinValueValidator(2)]
    )
    vip_revenue = models.DecimalField(
        _("VIP: spent in the last 12 months"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("2500000"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    dormant_ratio = models.DecimalField(
        _("dormant after this many of their usual intervals"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("1.1")), MaxValueValidator(Decimal("10"))],
    )
    dormant_days = models.PositiveSmallIntegerField(
        _("dormant after (days) without a rhythm"),
        default=180,
        validators=[MinValueValidator(30), MaxValueValidator(1000)],
    )
    former_days = models.PositiveSmallIntegerField(
        _("former after (days) without a purchase"),
        default=365,
        validators=[MinValueValidator(60), MaxValueValidator(2000)],
    )
    unanswered_streak = models.PositiveSmallIntegerField(
        _("unanswered contacts in a row that signal a problem"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    clv_months = models.PositiveSmallIntegerField(
        _("lifetime value horizon (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    annual_discount = models.DecimalField(
        _("discount rate per year (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("12.68"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("12.68 % a year is 1 % a month."),
    )
    attribution_days = models.PositiveSmallIntegerField(
        _("a purchase counts as a return after outreach within (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )

    class Meta:
        verbose_name = _("score settings")
        verbose_name_plural = _("score settings")

    def __str__(self) -> str:
        return f"{self.store_id}"


class ScoringRun(models.Model):
    """One pass of the scoring: when, how many clients, and the fitted model parameters."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    on = models.DateField()
    clients = models.PositiveIntegerField(default=0)
    bg_nbd = models.JSONField(default=dict, blank=True)  # r, alpha, a, b (days), log-likelihood
    gamma_gamma = models.JSONField(default=dict, blank=True)  # p, q, v, log-likelihood
    seconds = models.JSONField(default=dict, blank=True)  # load, fit, score, save

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")

    def __str__(self) -> str:
        return f"{self.on} ({self.clients})"


class ClientScore(models.Model):
    """A client's numbers (DESIGN §4), refreshed nightly and after each purchase or return."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    computed_on = models.DateField()
    purchases = models.PositiveIntegerField(default=0)
    first_purchase = models.DateField(null=True, blank=True)
    last_purchase = models.DateField(null=True, blank=True)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    revenue_year = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    average_ticket = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    discount_share = models.FloatField(default=0.0)
    return_share = models.FloatField(default=0.0)
    # The client's own rhythm (None below two purchase days).
    interval_days = models.FloatField(null=True, blank=True)
    interval_low = models.FloatField(null=True, blank=True)
    interval_high = models.FloatField(null=True, blank=True)
    regularity = models.FloatField(null=True, blank=True)
    overdue_ratio = models.FloatField(null=True, blank=True)
    # BG/NBD and Gamma-Gamma (None when the store's data could not fit the models).
    p_alive = models.FloatField(null=True, blank=True)
    expected_purchases = models.FloatField(null=True, blank=True)  # in the next 90 days
    expected_spend = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    clv = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    signals = models.JSONField(default=list, blank=True)  # [{"code": …, "evidence": {…}}]
    kind = models.CharField(max_length=16, choices=ClientKind.choices, default=ClientKind.UNKNOWN)
    kind_evidence = models.JSONField(default=dict, blank=True)
    # Value × risk: how much a missed contact with this client may cost (Today's ranking).
    priority = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("client score")
        verbose_name_plural = _("client scores")

    def __str__(self) -> str:
        return f"{self.client_id} {self.computed_on}"
