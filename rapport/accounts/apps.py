from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Users, stores and who works where in which role."""

    name = "rapport.accounts"
    label = "accounts"
    verbose_name = _("Users and stores")
