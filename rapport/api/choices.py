from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    """What an integration token may do; a request needs the scope of its endpoint."""

    CLIENTS_READ = "clients:read", _("Look up and read client cards")
    CLIENTS_WRITE = "clients:write", _("Create and change client cards")
    PURCHASES_WRITE = "purchases:write", _("Record purchases and returns")
    PRODUCTS_READ = "products:read", _("Read products")
    PRODUCTS_WRITE = "products:write", _("Create and change products")
