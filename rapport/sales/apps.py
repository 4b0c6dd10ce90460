from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    """Products, purchases, returns and visits."""

    name = "rapport.sales"
    label = "sales"
    verbose_name = _("Sales")
