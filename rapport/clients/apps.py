from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    """The client card: names, contacts, consent, preferences, relatives, dates, notes, timeline."""

    name = "rapport.clients"
    label = "clients"
    verbose_name = _("Clients")
