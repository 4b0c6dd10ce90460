from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IntegrationToken(models.Model):
    """A secret key for one integration (a till, a web shop) acting for one store with scopes.

    Only the SHA-256 of the key is stored, with its first characters to recognise it by; every
    request is made by ``user``, a technical member of the store, so the API obeys the same
    permission rules as the pages.
    """

    name = models.CharField(_("name"), max_length=80)
    store = models.ForeignKey(
        "accounts.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="integration_tokens",
        verbose_name=_("acts as"),
    )
    scopes = models.JSONField(_("scopes"), default=list)
    key_prefix = models.CharField(_("key starts with"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IntegrationReturn(models.Model):
    """The integration's own id of a return, so that the same return posted twice is kept once."""

    store = models.ForeignKey("accounts.Store", on_delete=models.CASCADE, related_name="+")
    return_id = models.CharField(_("return id"), max_length=64)
    sale_return = models.OneToOneField(
        "sales.Return", on_delete=models.CASCADE, related_name="integration_key"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["store", "return_id"], name="integrationreturn_store_id_unique"
            )
        ]
        verbose_name = _("return id from an integration")
        verbose_name_plural = _("return ids from integrations")

    def __str__(self) -> str:
        return self.return_id
