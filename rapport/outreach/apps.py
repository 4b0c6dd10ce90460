from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    """Store standards, contact plans and their touchpoints."""

    name = "rapport.outreach"
    label = "outreach"
    verbose_name = _("Outreach")
