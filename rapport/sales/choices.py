from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitPurpose(models.TextChoices):
    """Why a client came in when they did not buy."""

    BROWSING = "browsing", _("Looked around")
    FITTING = "fitting", _("Fitting")
    SERVICE = "service", _("Service or repair")
    PICKUP = "pickup", _("Picked up an order")
    CONSULTATION = "consultation", _("Advice")
    EVENT = "event", _("Event")


class ImportKind(models.TextChoices):
    """What an imported file holds."""

    CLIENTS = "clients", _("Clients")
    PURCHASES = "purchases", _("Purchases")
    PRODUCTS = "products", _("Products")


class ImportStatus(models.TextChoices):
    """Where an import is: uploaded and being mapped, waiting for the worker, running, over."""

    MAPPING = "mapping", _("Columns to check")
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
