from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API for tills and web shops: integration tokens, scopes and the v1 endpoints."""

    name = "rapport.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from rapport.api import schema  # noqa: F401  (registers the token auth in the schema)
