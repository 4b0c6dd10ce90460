from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientKind(models.TextChoices):
    """How a client buys (the five customer types of the source articles)."""

    LOYAL = "loyal", _("Loyal")
    DISCOUNT = "discount", _("Discount hunter")
    IMPULSE = "impulse", _("Impulse buyer")
    NEED = "need", _("Buys when needed")
    WANDERING = "wandering", _("Wanderer")
    UNKNOWN = "unknown", _("Not clear yet")


class SignalCode(models.TextChoices):
    """A named sign that a client may be drifting away."""

    BASKET_SHRINKING = "basket_shrinking", _("Baskets are shrinking")
    INTERVALS_LENGTHENING = "intervals_lengthening", _("Comes back less often")
    RETURNS = "returns", _("Returns")
    UNANSWERED = "unanswered", _("Messages go unanswered")
    SERVICES_DROPPED = "services_dropped", _("Stopped using services")
    OVERDUE = "overdue", _("Past their usual rhythm")
