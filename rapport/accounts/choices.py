from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a person does in a store; an owner/admin is a user flag, not a store role."""

    CONSULTANT = "consultant", _("Consultant")
    MANAGER = "manager", _("Store manager")
