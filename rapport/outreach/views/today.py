"""Today: the consultant's contacts for the day, with drafts, one-tap links and outcomes."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rapport.accounts.selectors import consultants_for, scope_for
from rapport.base.context_processors import home_store_known
from rapport.base.http import AuthedRequest
from rapport.outreach import services
from rapport.outreach.forms import DayForm, DraftForm, OutcomeForm, SnoozeForm
from rapport.outreach.selectors import (
    agenda_for,
    agenda_item_get_for,
    agenda_point_get_for,
    consultant_get_for,
    touchpoint_get_for,
)

UNASSIGNED = 0  # ?consultant=0: the contacts of clients without a consultant


@login_required
def today(request: AuthedRequest) -> HttpResponse:
    """The day's contacts for the user (or, for a manager, one of their consultants)."""
    form = DayForm(request.GET)
    form.is_valid()
    data = form.cleaned_data if form.is_valid() else {}
    day: date = data.get("day") or timezone.localdate()
    chosen = data.get("consultant")
    if chosen == UNASSIGNED:  # a manager's view of the clients nobody looks after
        if not scope_for(request.user).is_manager:
            raise Http404("No such consultant")
        page = agenda_for(user=request.user, day=day, unassigned=True)
    else:
        consultant = consultant_get_for(user=request.user, pk=chosen)
        page = agenda_for(user=request.user, day=day, consultant=consultant)
    if page.consultant.pk == request.user.pk:
        home_store_known(request, page.store)  # the layout shows it: no second query
    team = consultants_for(user=request.user) if scope_for(request.user).is_manager else None
    return render(
        request,
        "outreach/today.html",
        {"page": page, "team": team, "is_today": day == timezone.localdate()},
    )


@login_required
@require_GET
def touchpoint_menu(request: AuthedRequest, pk: int) -> HttpResponse:
    """A contact's rarely used actions (other outcomes, remind me later, e-mail from Rapport),
    loaded when its "More" opens, so that Today does not render them for every contact; without
    JavaScript, the contact on a page of its own with them open. Only for a contact on a Today
    the user may open."""
    if request.htmx:
        point = agenda_point_get_for(user=request.user, pk=pk)
        return render(request, "outreach/partials/agenda_menu.html", {"point": point})
    item = agenda_item_get_for(user=request.user, pk=pk, day=timezone.localdate())
    return render(request, "outreach/touchpoint.html", {"item": item, "menu": True})


def _item_response(request: AuthedRequest, pk: int, note: str = "") -> HttpResponse:
    """After a change: the touchpoint's row again for htmx, or back to Today."""
    if not request.htmx:
        if note:
            messages.success(request, note)
        return redirect(request.POST.get("next") or "outreach:today")
    item = agenda_item_get_for(user=request.user, pk=pk, day=timezone.localdate())
    return render(request, "outreach/partials/agenda_item.html", {"item": item, "note": note})


def _refused(request: AuthedRequest, exc: ValidationError) -> HttpResponse:
    text = " ".join(exc.messages)
    if request.htmx:
        response = HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
        return response
    messages.error(request, text)
    return redirect(request.POST.get("next") or "outreach:today")


@login_required
@require_POST
def draft_save(request: AuthedRequest, pk: int) -> HttpResponse:
    """Keep the consultant's edit of the message."""
    point = touchpoint_get_for(user=request.user, pk=pk)
    form = DraftForm(request.POST)
    if not form.is_valid():
        return _refused(request, ValidationError(list(form.errors["text"])))
    try:
        services.draft_save(actor=request.user, touchpoint=point, text=form.cleaned_data["text"])
    except ValidationError as exc:
        return _refused(request, exc)
    return _item_response(request, pk, _("Message saved."))


@login_required
@require_POST
def outcome_log(request: AuthedRequest, pk: int) -> HttpResponse:
    """One tap after the message: sent, replied, no answer, visit booked, declined, opted out."""
    point = touchpoint_get_for(user=request.user, pk=pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        return _refused(request, ValidationError(_("Choose what happened.")))
    try:
        contact = services.contact_log(
            actor=request.user,
            touchpoint=point,
            outcome=form.cleaned_data["outcome"],
            text=form.cleaned_data["text"],
        )
    except ValidationError as exc:
        return _refused(request, exc)
    return _item_response(
        request,
        pk,
        _("%(client)s: %(outcome)s.")
        % {"client": point.client.full_name, "outcome": contact.get_outcome_display().lower()},
    )


@login_required
@require_POST
def snooze(request: AuthedRequest, pk: int) -> HttpResponse:
    """Remind me later: tomorrow, in three days, in a week."""
    point = touchpoint_get_for(user=request.user, pk=pk)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        return _refused(request, ValidationError(_("Choose 1, 3 or 7 days.")))
    try:
        services.touchpoint_snooze(
            actor=request.user, touchpoint=point, days=form.cleaned_data["days"]
        )
    except ValidationError as exc:
        return _refused(request, exc)
    return _item_response(request, pk, _("Moved to %(date)s.") % {"date": point.due_on})


@login_required
@require_POST
def email_send(request: AuthedRequest, pk: int) -> HttpResponse:
    """Let the system send the message by e-mail (in the background, once)."""
    point = touchpoint_get_for(user=request.user, pk=pk)
    form = DraftForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    try:
        services.email_send(actor=request.user, touchpoint=point, text=text)
    except ValidationError as exc:
        return _refused(request, exc)
    return _item_response(request, pk, _("The e-mail is on its way."))
