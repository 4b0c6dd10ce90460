from django.apps import AppConfig


class ClientsConfig(AppConfig):
    """The client card: names, contacts, consent, preferences, relatives, dates, notes, timeline."""

    name = "rapport.clients"
    label = "clients"
