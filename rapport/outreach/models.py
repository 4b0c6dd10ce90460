from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.clients.choices import Channel
from rapport.core.planner import DEFAULT_GREETED_DATES
from rapport.outreach.choices import Category, Occasion, Outcome, TouchpointStatus


def _default_greeted_dates() -> list[dict[str, str]]:
    """Who is greeted on which holiday, until a manager changes it (the planner's defaults)."""
    return [
        {"key": d.key, "greet": d.greet, "gift_ideas": d.gift_ideas} for d in DEFAULT_GREETED_DATES
    ]


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
    monthly_minimum = models.PositiveSmallIntegerField(
        _("contacts a consultant makes a month (at least)"), default=120
    )
    quiet_from = models.TimeField(_("no messages after"), default=time(21, 0))
    quiet_until = models.TimeField(_("no messages before"), default=time(10, 0))
    greeted_dates = models.JSONField(
        _("holidays and who is greeted"), default=_default_greeted_dates, blank=True
    )
    disabled_occasions = models.JSONField(_("occasions switched off"), default=list, blank=True)

    class Meta:
        verbose_name = _("contact standard")
        verbose_name_plural = _("contact standards")

    def __str__(self) -> str:
        return str(self.store)


class Touchpoint(models.Model):
    """A planned contact with a client: when, why, in which category and on which channel."""

    # No single-column index on the three keys below: the composite indexes of Meta lead with
    # them (a re-plan writes millions of rows; each index costs every one of them).
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    # The client's store and consultant when planned (kept in step by reassignment), so Today
    # reads one index instead of joining a consultant's whole book.
    store = models.ForeignKey(
        "accounts.Store", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
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
    relative = models.ForeignKey(  # indexed where set (most touchpoints name no relative)
        "clients.Relative",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    merged_occasions = models.JSONField(default=list, blank=True)
    reason = models.JSONField(default=dict, blank=True)
    draft = models.TextField(_("message"), max_length=2000, blank=True)
    moved_from = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "-priority", "pk"]
        indexes = [
            models.Index(fields=["client", "status", "due_on"], name="touchpoint_client_idx"),
            models.Index(fields=["assignee", "status", "due_on"], name="touchpoint_assignee_idx"),
            models.Index(fields=["store", "status", "due_on"], name="touchpoint_store_idx"),
            models.Index(
                fields=["relative"],
                name="touchpoint_relative_idx",
                condition=models.Q(relative__isnull=False),
            ),
        ]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")

    def __str__(self) -> str:
        return f"{self.due_on} {self.occasion}"


class Contact(models.Model):
    """A contact that really happened: who reached the client, how, and what came of it."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="contacts")
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    occasion = models.CharField(_("occasion"), max_length=32, choices=Occasion.choices, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices, blank=True)
    text = models.TextField(_("message"), max_length=2000, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    outcome_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["client", "-at"], name="contact_client_at_idx"),
            models.Index(fields=["user", "-at"], name="contact_user_at_idx"),
        ]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.channel} {self.outcome}"


class OccasionTemplate(models.Model):
    """A store's own draft text for an occasion in one language (the built-in one otherwise)."""

    store = models.ForeignKey(
        "accounts.Store", on_delete=models.CASCADE, related_name="occasion_templates"
    )
    occasion = models.CharField(_("occasion"), max_length=32, choices=Occasion.choices)
    language = models.CharField(_("language"), max_length=8)
    text = models.TextField(_("message"), max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "occasion", "language"], name="occasion_template_unique"
            )
        ]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return f"{self.occasion} ({self.language})"


class NightlyRun(models.Model):
    """A nightly job enqueued for a date: one row per (job, date), whichever worker wins."""

    job = models.CharField(max_length=64)
    on = models.DateField()
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "on"], name="nightly_run_unique")]
        verbose_name = _("nightly run")
        verbose_name_plural = _("nightly runs")

    def __str__(self) -> str:
        return f"{self.job} {self.on}"


class PlanDigest(models.Model):
    """A fingerprint of the plan a client's stored rows hold, so a full re-plan can leave an
    unchanged plan alone without reading its rows back, and the day it may next change, so the
    nightly re-plan can leave the client alone until then.

    ``digest`` hashes the plan saved on ``planned_on``: its planned, not hand-made touchpoints
    and the store and consultant they went to. ``stable_until`` is the first day the same input
    may plan differently (the planner's :attr:`~rapport.core.planner.Plan.stable_until`, and the
    day the loader's own date limits let a row in or out). Both are trusted only while the rows
    and the input are as they were, which the database guarantees: triggers delete a client's
    row here whenever anything inserts, updates or deletes one of its touchpoints (migration
    ``0007``) or anything the plan reads (``0009``: the card, relatives, key dates, consents,
    addresses, preferences, purchases and their lines, visits, contacts, the store's standard
    and country); a truncate empties the table. The planner writes it again after its own
    writes, in the same transaction.
    """

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    digest = models.BigIntegerField()
    planned_on = models.DateField()
    stable_until = models.DateField()

    class Meta:
        verbose_name = _("plan digest")
        verbose_name_plural = _("plan digests")

    def __str__(self) -> str:
        return f"{self.client_id} {self.planned_on}"
