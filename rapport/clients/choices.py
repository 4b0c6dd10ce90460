from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientStatus(models.TextChoices):
    """Where a client is in their life with the store (thresholds are store settings)."""

    NEW = "new", _("New")
    REGULAR = "regular", _("Regular")
    VIP = "vip", _("VIP")
    DORMANT = "dormant", _("Dormant")
    FORMER = "former", _("Former")


class Gender(models.TextChoices):
    FEMALE = "f", _("Female")
    MALE = "m", _("Male")
    UNKNOWN = "", _("Not specified")


class Channel(models.TextChoices):
    """A way to reach a client; consent is given or withdrawn per channel."""

    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    SMS = "sms", _("SMS")
    CALL = "call", _("Phone call")
    EMAIL = "email", _("E-mail")


class ContactKind(models.TextChoices):
    """What a stored address is: a phone number, an e-mail or a messenger user name."""

    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    TELEGRAM = "telegram", _("Telegram user name")


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentSource(models.TextChoices):
    """How a consent was given or withdrawn: what the store would show an auditor."""

    IN_STORE_FORM = "form", _("Signed form in the store")
    VERBAL = "verbal", _("Said so to a consultant")
    WEB = "web", _("Web form")
    MESSAGE = "message", _("Replied to a message")
    IMPORT = "import", _("Imported")


class Relation(models.TextChoices):
    PARTNER = "partner", _("Partner")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    GRANDCHILD = "grandchild", _("Grandchild")
    FRIEND = "friend", _("Friend")
    OTHER = "other", _("Other")


class KeyDateKind(models.TextChoices):
    """An important date other than a birthday (birthdays live on the client and relatives)."""

    ANNIVERSARY = "anniversary", _("Relationship anniversary")
    WEDDING = "wedding", _("Wedding anniversary")
    SERVICE_DUE = "service_due", _("Service due")
    CUSTOM = "custom", _("Other date")


class Recurrence(models.TextChoices):
    YEARLY = "yearly", _("Every year")
    ONCE = "once", _("Once")


class PreferenceKind(models.TextChoices):
    SIZE = "size", _("Size")
    BRAND = "brand", _("Brand")
    CATEGORY = "category", _("Category")
    STYLE = "style", _("Style")
    COLOUR = "colour", _("Colour")
    MATERIAL = "material", _("Material")
    BUDGET = "budget", _("Budget")
    DISLIKE = "dislike", _("Dislikes")


class Language(models.TextChoices):
    RUSSIAN = "ru", "Русский"
    ENGLISH = "en", "English"


class TimelineKind(models.TextChoices):
    """What happened to a client, as written on the card's timeline."""

    CREATED = "created", _("Card created")
    EDITED = "edited", _("Card edited")
    CONTACT_ADDED = "contact_added", _("Contact added")
    CONTACT_REMOVED = "contact_removed", _("Contact removed")
    CONSENT_CHANGED = "consent_changed", _("Consent changed")
    PREFERENCE_ADDED = "preference_added", _("Preference added")
    PREFERENCE_REMOVED = "preference_removed", _("Preference removed")
    RELATIVE_ADDED = "relative_added", _("Relative added")
    RELATIVE_EDITED = "relative_edited", _("Relative edited")
    RELATIVE_REMOVED = "relative_removed", _("Relative removed")
    DATE_ADDED = "date_added", _("Date added")
    DATE_REMOVED = "date_removed", _("Date removed")
    NOTE_ADDED = "note_added", _("Note added")
    REASSIGNED = "reassigned", _("Consultant changed")
    PURCHASE = "purchase", _("Purchase")
    RETURN = "return", _("Return")
    VISIT = "visit", _("Visit")
    CONTACTED = "contacted", _("Contact made")
    PLAN_CHANGED = "plan_changed", _("Contact plan changed")
    MERGED = "merged", _("Cards merged")
    MERGE_UNDONE = "merge_undone", _("Merge undone")
    BLACKLISTED = "blacklisted", _("Blacklisted")
    UNBLACKLISTED = "unblacklisted", _("Taken off the blacklist")


class CandidateStatus(models.TextChoices):
    """What became of a pair of cards that may be the same person."""

    PENDING = "pending", _("To review")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not the same person")
    AUTO_MERGED = "auto_merged", _("Merged automatically")
