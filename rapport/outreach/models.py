from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.clients.choices import Channel
from rapport.outreach.choices import Category, Occasion, TouchpointStatus


class Standard(models.Model):
    """A store's rules for contact plans: spacing, horizon, the former-client cap, capacity."""

    store = models.OneToOneField(
        "accounts.Store", on_delete=models.CASCADE, related_name="standard"
    )
    min_gap = models.PositiveSmallIntegerField(_("at least this many days apart"), default=21)
    max_gap = models.PositiveSmallIntegerField(_("at most this many days apart"), default=45)
    horizon_days = models.PositiveSmallIntegerField(_("plan ahead (days)"), default=365)
    former_per_year = models.PositiveSmallIntegerField(
        _("contacts a year with a former client"), default=2
    )
    overdue_ratio_winback = models.DecimalField(
        _("win back when overdue by"), max_digits=4, decimal_places=2, default=1.5
    )
    daily_capacity = models.PositiveSmallIntegerField(
        _("contacts a consultant can make a day"), default=12
    )

    class Meta:
        verbose_name = _("contact standard")
        verbose_name_plural = _("contact standards")

    def __str__(self) -> str:
        return str(self.store)


class Touchpoint(models.Model):
    """A planned contact with a client: when, why, in which category and on which channel."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="touchpoints"
    )
    due_on = models.DateField(_("date"))
    window_start = models.DateField()
    window_end = models.DateField()
    occasion = models.CharField(_("occasion"), max_length=32, choices=Occasion.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    status = models.CharField(
        max_length=16, choices=TouchpointStatus.choices, default=TouchpointStatus.PLANNED
    )
    is_fixed = models.BooleanField(default=False)
    may_break_min_gap = models.BooleanField(default=False)
    is_manual = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField(default=0)
    relative = models.ForeignKey(
        "clients.Relative", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    merged_occasions = models.JSONField(default=list, blank=True)
    reason = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "-priority", "pk"]
        indexes = [
            models.Index(fields=["client", "status", "due_on"], name="touchpoint_client_idx"),
            models.Index(fields=["status", "due_on"], name="touchpoint_due_idx"),
        ]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")

    def __str__(self) -> str:
        return f"{self.due_on} {self.occasion}"
