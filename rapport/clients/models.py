from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.clients.choices import (
    CandidateStatus,
    Channel,
    ClientStatus,
    ConsentSource,
    ConsentStatus,
    ContactKind,
    Gender,
    KeyDateKind,
    Language,
    PreferenceKind,
    Recurrence,
    Relation,
    TimelineKind,
)


class BinaryCollationCharField(models.CharField):
    """A text column ordered byte by byte, so a range scan serves prefix search on every database.

    PostgreSQL needs the ``C`` collation for that; SQLite's default ``BINARY`` already is.
    """

    def db_parameters(self, connection):  # type: ignore[no-untyped-def]
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class Client(models.Model):
    """A person with a card in a store: one card per real person."""

    store = models.ForeignKey(
        "accounts.Store", on_delete=models.PROTECT, related_name="clients", verbose_name=_("store")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clients",
        verbose_name=_("consultant"),
    )
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=80, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.RUSSIAN
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ClientStatus.choices, default=ClientStatus.NEW
    )
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Purchase summary kept by the sales services, so lists need no aggregation.
    purchase_count = models.PositiveIntegerField(_("purchases"), default=0)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    # Search keys (see rapport.core.normalize.name_skeleton): never shown.
    last_name_key = BinaryCollationCharField(max_length=80, blank=True, editable=False)
    first_name_key = BinaryCollationCharField(max_length=80, blank=True, editable=False)
    # Blacklisted: nothing is planned for the client and the till shows the flag (audited on the
    # timeline by client_blacklist / client_unblacklist).
    is_blacklisted = models.BooleanField(_("blacklisted"), default=False)
    blacklist_reason = models.CharField(_("why blacklisted"), max_length=300, blank=True)
    blacklisted_at = models.DateTimeField(_("blacklisted on"), null=True, blank=True)
    blacklisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("blacklisted by"),
    )
    # A card merged into another is kept, empty, so that the merge can be undone exactly; the
    # selectors, search, Today and the planner leave it out.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_cards",
        verbose_name=_("merged into"),
    )

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        indexes = [
            models.Index(
                fields=["store", "last_name_key", "first_name_key"], name="client_last_key_idx"
            ),
            models.Index(
                fields=["store", "first_name_key", "last_name_key"], name="client_first_key_idx"
            ),
            models.Index(fields=["store", "owner", "last_name"], name="client_store_owner_idx"),
        ]
        verbose_name = _("client")
        verbose_name_plural = _("clients")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class ContactPoint(models.Model):
    """A phone number, e-mail or messenger handle of a client, stored normalised."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("type"), max_length=16, choices=ContactKind.choices)
    value = BinaryCollationCharField(_("value"), max_length=254)
    # Phones: national digits reversed, so the last digits typed at the till find the number.
    suffix_key = BinaryCollationCharField(max_length=20, blank=True, editable=False)
    is_primary = models.BooleanField(_("main"), default=False)
    label = models.CharField(_("label"), max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_primary", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind", "value"], name="contactpoint_client_value_unique"
            )
        ]
        indexes = [
            models.Index(fields=["value", "kind"], name="contactpoint_value_idx"),
            models.Index(fields=["suffix_key"], name="contactpoint_suffix_idx"),
        ]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.value


class Consent(models.Model):
    """Whether the client agreed to be contacted on a channel: the current state per channel."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=ConsentStatus.choices)
    source = models.CharField(_("how"), max_length=16, choices=ConsentSource.choices)
    changed_at = models.DateTimeField(_("when"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["channel"]
        constraints = [
            models.UniqueConstraint(fields=["client", "channel"], name="consent_client_channel")
        ]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.channel}: {self.status}"


class Preference(models.Model):
    """Something the client likes, wears or avoids: size, brand, category, style, colour …"""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="preferences")
    kind = models.CharField(_("type"), max_length=16, choices=PreferenceKind.choices)
    value = models.CharField(_("value"), max_length=120)
    detail = models.CharField(
        _("detail"), max_length=120, blank=True, help_text=_("For a size: what it is for.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "pk"]
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Relative(models.Model):
    """Someone close to the client: partner, child, parent … with their birthday."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="relatives")
    name = models.CharField(_("name"), max_length=120)
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    greet_directly = models.BooleanField(
        _("greet on their birthday"),
        default=False,
        help_text=_("The client agreed that we send greetings for this person through them."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["relation", "name", "pk"]
        verbose_name = _("relative")
        verbose_name_plural = _("relatives")

    def __str__(self) -> str:
        return self.name


class KeyDate(models.Model):
    """An important date: anniversary, wedding, service due or the client's own reason."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="key_dates")
    kind = models.CharField(_("type"), max_length=16, choices=KeyDateKind.choices)
    date = models.DateField(_("date"))
    recurrence = models.CharField(
        _("repeats"), max_length=8, choices=Recurrence.choices, default=Recurrence.YEARLY
    )
    label = models.CharField(_("what it is"), max_length=120, blank=True)
    relative = models.ForeignKey(
        Relative,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="key_dates",
        verbose_name=_("with whom"),
        help_text=_("Removing this person removes the date too."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("important date")
        verbose_name_plural = _("important dates")

    def __str__(self) -> str:
        return self.label or self.get_kind_display()


class Note(models.Model):
    """A consultant's note on the card; pinned notes stay on top."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("note"), max_length=4000)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_pinned", "-created_at", "-pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.text[:60]


# The timeline's typed links besides the client (see TimelineEvent).
TIMELINE_LINKS = ("actor", "note", "purchase", "visit", "sale_return", "contact", "touchpoint")


class TimelineEvent(models.Model):
    """One thing that happened to a client, written by the service that did it.

    Each entry sets at most one of its typed links, so each link is indexed only where it is set
    (``timeline_<link>_idx``, partial): a full index would mostly hold NULLs and cost every
    insert — an import writes one entry per receipt — for nothing. The client's own lookups use
    ``timeline_client_at_idx``.
    """

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="timeline", db_index=False
    )
    kind = models.CharField(max_length=24, choices=TimelineKind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    data = models.JSONField(default=dict, blank=True)
    note = models.ForeignKey(
        Note, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    purchase = models.ForeignKey(
        "sales.Purchase",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    visit = models.ForeignKey(
        "sales.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    sale_return = models.ForeignKey(
        "sales.Return",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    contact = models.ForeignKey(
        "outreach.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    touchpoint = models.ForeignKey(
        "outreach.Touchpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["client", "-at"], name="timeline_client_at_idx"),
            *(
                models.Index(
                    fields=[link],
                    condition=models.Q(**{f"{link}__isnull": False}),
                    name=f"timeline_{link}_idx",
                )
                for link in TIMELINE_LINKS
            ),
        ]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d}"


class DedupeSettings(models.Model):
    """A store's thresholds for likely duplicates, and whether sure ones are merged unasked."""

    store = models.OneToOneField(
        "accounts.Store", on_delete=models.CASCADE, related_name="dedupe_settings"
    )
    review_threshold = models.FloatField(
        _("show pairs scoring at least"),
        default=0.8,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    auto_merge_threshold = models.FloatField(
        _("merge automatically from"),
        default=0.995,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    auto_merge_enabled = models.BooleanField(
        _("merge sure duplicates automatically"), default=False
    )

    class Meta:
        verbose_name = _("duplicate settings")
        verbose_name_plural = _("duplicate settings")

    def __str__(self) -> str:
        return f"{self.store_id}: {self.review_threshold}/{self.auto_merge_threshold}"


class ClientMerge(models.Model):
    """One card merged into another, with a snapshot of everything it changed, for an exact undo."""

    store = models.ForeignKey("accounts.Store", on_delete=models.CASCADE, related_name="+")
    survivor = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="merges")
    merged = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="merged_by_merges")
    # Both cards before, the survivor after, and every row moved, deleted or changed (see
    # rapport.clients.merging).
    snapshot = models.JSONField(default=dict)
    automatic = models.BooleanField(_("automatic"), default=False)
    score = models.FloatField(_("match"), null=True, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged"), default=timezone.now)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        ordering = ["-merged_at", "-pk"]
        indexes = [models.Index(fields=["store", "-merged_at"], name="clientmerge_store_idx")]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class DuplicateCandidate(models.Model):
    """Two cards of a store that may be the same person, with the matcher's evidence."""

    store = models.ForeignKey("accounts.Store", on_delete=models.CASCADE, related_name="+")
    client_a = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    client_b = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("match"))
    # [{"field", "verdict", "detail", "weight"}] as rapport.core.identity.Evidence
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CandidateStatus.choices, default=CandidateStatus.PENDING
    )
    found_at = models.DateTimeField(_("found"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    merge = models.ForeignKey(
        ClientMerge, on_delete=models.SET_NULL, null=True, blank=True, related_name="candidates"
    )

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["client_a", "client_b"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=models.Q(client_a__lt=models.F("client_b")), name="duplicate_pair_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-score"], name="duplicate_store_status_idx")
        ]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")

    def __str__(self) -> str:
        return f"{self.client_a_id} ~ {self.client_b_id} ({self.score:.2f})"
