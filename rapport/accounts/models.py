from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.accounts.choices import Role


class Store(models.Model):
    """A shop: its clients, its team, and the locale its numbers, dates and money are read in."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    country = models.CharField(
        _("country"), max_length=2, default="RU", help_text=_("ISO code; phones are read in it")
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("store")
        verbose_name_plural = _("stores")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in: a consultant, a store manager or the company's owner/admin."""

    is_company_admin = models.BooleanField(
        _("owner / admin"),
        default=False,
        help_text=_("Sees every store, manages users, imports and settings."),
    )
    language = models.CharField(
        _("language"), max_length=8, blank=True, help_text=_("Empty: the browser's language.")
    )
    phone = models.CharField(_("work phone"), max_length=20, blank=True)
    calendar_token = models.CharField(max_length=43, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    """A user working in a store in one role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    since = models.DateField(_("since"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "store"], name="membership_user_store_unique")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.store} ({self.get_role_display()})"
