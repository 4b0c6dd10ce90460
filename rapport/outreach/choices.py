from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """Why a touchpoint exists: to sell, to keep the relationship personal, or to be useful."""

    SELLING = "selling", _("Selling")
    PERSONAL = "personal", _("Personal")
    USEFUL = "useful", _("Useful")


class TouchpointStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    WAITING = "waiting", _("Waiting for a reply")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    """What came of a contact, as the consultant logs it with one tap."""

    SENT = "sent", _("Sent")
    REPLIED = "replied", _("Replied")
    NO_ANSWER = "no_answer", _("No answer")
    VISIT_BOOKED = "visit_booked", _("Visit booked")
    DECLINED = "declined", _("Not interested")
    OPTED_OUT = "opted_out", _("Asked not to be contacted")


# Outcomes that still expect something from the client: the touchpoint waits for a reply.
AWAITING = frozenset({Outcome.SENT})


class Occasion(models.TextChoices):
    """The reasons to get in touch (DESIGN §3's default catalogue); codes match the planner."""

    THANK_YOU = "thank_you", _("Thank you for the first purchase")
    FEEDBACK = "feedback", _("Feedback on the visit")
    CARE_TIPS = "care_tips", _("Care tips for what they bought")
    SERVICE_DUE = "service_due", _("Service due")
    CLIENT_BIRTHDAY = "client_birthday", _("Birthday")
    RELATIVE_BIRTHDAY_GIFT = "relative_birthday_gift", _("Gift idea for a close person's birthday")
    RELATIVE_BIRTHDAY_GREETING = "relative_birthday_greeting", _("Greeting for a close person")
    ANNIVERSARY_GIFT = "anniversary_gift", _("Anniversary gift idea")
    PURCHASE_ANNIVERSARY = "purchase_anniversary", _("A year with their purchase")
    HOLIDAY_GREETING = "holiday_greeting", _("Holiday greeting")
    HOLIDAY_GIFT_IDEAS = "holiday_gift_ideas", _("Holiday gift ideas")
    NEW_ARRIVALS = "new_arrivals", _("New arrivals they may like")
    COMPLEMENT = "complement", _("Something to go with what they own")
    PERSONAL_CHECKIN = "personal_checkin", _("Personal check-in")
    EVENT_INVITATION = "event_invitation", _("Invitation to an event")
    WIN_BACK = "win_back", _("Win back: past their usual rhythm")
    FORMER_NEW_YEAR = "former_new_year", _("New Year greeting and news")
    KEY_DATE = "key_date", _("Important date")
    INTRODUCTION = "introduction", _("Introduction from the new consultant")
    MANUAL = "manual", _("Planned by hand")


# The store's greeted dates by key (rapport.core.planner.DEFAULT_GREETED_DATES), as people say them.
HOLIDAY_NAMES = {
    "new_year": _("New Year"),
    "womens_day": _("8 March"),
    "defenders_day": _("23 February"),
    "valentines_day": _("14 February"),
    "mothers_day": _("Mother's Day"),
}
