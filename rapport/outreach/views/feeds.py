"""The consultant's contact plan in their phone's calendar, and a client in their phone's contacts.

The calendar feed has no login: calendar apps cannot log in, so the secret token in its URL is
the credential. Resetting the token (``calendar_settings``, POST) makes the old URL a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from rapport.accounts.services import calendar_token_reset
from rapport.base.http import AuthedRequest
from rapport.clients.choices import ContactKind
from rapport.clients.selectors import client_get_for
from rapport.core.calendar import CalEvent, VCardData, ics_calendar, vcard
from rapport.outreach.models import Touchpoint
from rapport.outreach.selectors import (
    CALENDAR_DAYS_AHEAD,
    calendar_points_for,
    calendar_user_for,
    contact_values_for,
)
from rapport.outreach.templatetags.outreach_tags import reason


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def calendar_settings(request: AuthedRequest) -> HttpResponse:
    """The private address of the user's calendar feed; POST makes a new one."""
    user = request.user
    if request.method == "POST":
        calendar_token_reset(user=user)
        messages.success(request, _("Your calendar has a new address; the old one stops working."))
        return redirect("outreach:calendar_settings")
    feed_url = webcal_url = ""
    if user.calendar_token:
        path = reverse("outreach:calendar_feed", kwargs={"token": user.calendar_token})
        feed_url = request.build_absolute_uri(path)
        webcal_url = "webcal://" + feed_url.split("://", 1)[1]
    context = {"feed_url": feed_url, "webcal_url": webcal_url, "days_ahead": CALENDAR_DAYS_AHEAD}
    return render(request, "outreach/calendar_settings.html", context)


def _event(request: HttpRequest, point: Touchpoint) -> CalEvent:
    card_url = request.build_absolute_uri(reverse("clients:card", args=[point.client_id]))
    return CalEvent(
        id=point.pk,
        day=point.due_on,
        summary=f"{point.client.full_name} — {point.get_occasion_display()}",
        description=f"{reason(point)}\n{card_url}",
        url=card_url,
        category=str(point.get_category_display()),
    )


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's planned contacts as an iCalendar feed (the token in the URL is the login)."""
    user = calendar_user_for(token=token)
    points = calendar_points_for(user=user, today=timezone.localdate())
    with translation.override(user.language or settings.LANGUAGE_CODE):
        body = ics_calendar(
            [_event(request, point) for point in points],
            name=_("Rapport: my contacts"),
            now=timezone.now(),
        )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="rapport.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_required
@require_safe
def client_vcard(request: AuthedRequest, pk: int) -> HttpResponse:
    """The client as a contact card (vCard) for the consultant's phone."""
    client = client_get_for(user=request.user, pk=pk)
    card_url = request.build_absolute_uri(reverse("clients:card", args=[client.pk]))
    found = contact_values_for(client=client)
    card = VCardData(
        first_name=client.first_name,
        last_name=client.last_name,
        middle_name=client.middle_name,
        phones=tuple(found[ContactKind.PHONE]),
        emails=tuple(found[ContactKind.EMAIL]),
        birthday=client.birthday,
        note=card_url,
    )
    body = vcard(card)
    response = HttpResponse(body, content_type="text/vcard; charset=utf-8")
    filename = f"{client.full_name or client.pk}.vcf"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response
