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
