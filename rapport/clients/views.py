"""Client pages: parse → access check → one service call → render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.accounts.models import User
from rapport.accounts.selectors import consultants_for, scope_for, stores_for
from rapport.base.forms import call_service
from rapport.base.http import AuthedRequest, store_choices_for, store_for_request
from rapport.clients import services
from rapport.clients.choices import CandidateStatus, Channel, ClientStatus
from rapport.clients.forms import (
    BlacklistForm,
    ClientCreateForm,
    ClientEditForm,
    ConsentForm,
    ContactPointForm,
    DedupeSettingsForm,
    HandoverForm,
    KeyDateForm,
    NoteForm,
    PreferenceForm,
    ReassignForm,
    RelativeForm,
)
from rapport.clients.models import (
    Client,
    ContactPoint,
    DedupeSettings,
    DuplicateCandidate,
    KeyDate,
    Note,
    Preference,
    Relative,
)
from rapport.clients.selectors import (
    book_for,
    can_manage_client,
    client_card,
    client_get_for,
    client_search,
    duplicate_candidates_for,
    duplicate_get_for,
    merge_get_for,
    merged_card_target,
    merges_for,
    possible_matches_for,
)
from rapport.insights.presenters import client_numbers
from rapport.insights.selectors import client_score_for
from rapport.outreach.choices import Category
from rapport.outreach.selectors import plan_timeline_for
from rapport.outreach.services import reachable_channels

PAGE_SIZE = 30


def _manageable(request: AuthedRequest, pk: int) -> Client:
    client = client_get_for(user=request.user, pk=pk)
    if not can_manage_client(user=request.user, client=client):
        raise PermissionDenied(_("Only the client's consultant or a manager can change this."))
    return client


@login_required
def book(request: AuthedRequest) -> HttpResponse:
    """The client book with search; a manager also filters by consultant and reassigns."""
    user = request.user
    scope = scope_for(user)
    query = request.GET.get("q", "").strip()
    if query:
        results = client_search(user=user, text=query)
        if request.htmx:
            return render(
                request, "clients/partials/results.html", {"clients": results, "q": query}
            )
        return render(
            request, "clients/book.html", {"clients": results, "q": query, "searching": True}
        )
    owner = request.GET.get("owner", "")
    status = request.GET.get("status", "")
    clients = book_for(
        user=user,
        owner_id=int(owner) if owner.isdigit() else None,
        unassigned=owner == "none",
        status=status if status in ClientStatus.values else "",
    )
    unassigned = 0
    if scope.is_manager:
        # One query counts the list and the clients in it without a consultant.
        counts = clients.aggregate(
            listed=Count("pk"), unassigned=Count("pk", filter=Q(owner__isnull=True))
        )
        paginator: Paginator[Client] = _CountedPaginator(clients, PAGE_SIZE, count=counts["listed"])
        unassigned = counts["unassigned"]
    else:
        paginator = Paginator(clients, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "clients": page.object_list,
        "q": "",
        "statuses": ClientStatus.choices,
        "status": status,
        "owner": owner,
        "unassigned": unassigned,
    }
    if scope.is_manager:
        context["owners"] = consultants_for(user=user)
    if request.htmx:
        return render(request, "clients/partials/results.html", context)
    return render(request, "clients/book.html", context)


class _CountedPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator given its count, because the count came with another figure in one query."""

    def __init__(self, object_list: QuerySet[Client], per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # ``count`` is a cached property: this is its cache


@login_required
def client_new(request: AuthedRequest) -> HttpResponse:
    """Create a client at the till in a few seconds."""
    stores = list(stores_for(user=request.user))
    if not stores:
        raise PermissionDenied(_("You do not work in any store yet."))
    form = ClientCreateForm(request.POST or None, initial={"consent_channels": ["whatsapp"]})
    matches: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["create_anyway"]:
            matches = possible_matches_for(
                user=request.user,
                store=stores[0],
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
                email=data["email"],
                birthday=data["birthday"],
            )
        if matches:  # show them before anything is saved
            form.offer_anyway()
            return render(
                request,
                "clients/create.html",
                {"form": form, "matches": [_Possible(c, m.score) for c, m in matches]},
            )
        client = call_service(
            form,
            lambda: services.client_create(
                actor=request.user,
                store=stores[0],
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
                email=data["email"],
                birthday=data["birthday"],
                consent_channels=data["consent_channels"],
                preferred_channel=(data["consent_channels"] or [""])[0],
            ),
        )
        if client is not None:
            messages.success(request, _("%(name)s is in your book.") % {"name": client.full_name})
            return redirect("clients:card", pk=client.pk)
    return render(request, "clients/create.html", {"form": form})


@dataclass(frozen=True)
class _Possible:
    """An existing card the person at the till may already have."""

    client: Client
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)


@login_required
def card(request: AuthedRequest, pk: int) -> HttpResponse:
    """The client card: everything Rapport knows about the client, and what happened."""
    try:
        data = client_card(user=request.user, pk=pk)
    except Http404:
        target = merged_card_target(user=request.user, pk=pk)
        if target is None:
            raise
        return redirect("clients:card", pk=target)  # an old link to a merged card
    context: dict[str, Any] = {
        "card": data,
        "client": data.client,
        "note_form": NoteForm(),
    }
    today = timezone.localdate()
    months = plan_timeline_for(data.client, today=today)
    channels = reachable_channels(data.client) if data.can_manage else frozenset()
    context |= {
        "plan_months": months,
        "plan_this_month": today.replace(day=1),
        "plan_has_future": any(p.due_on >= today for m in months for p in m.touchpoints),
        "plan_channels": [(c.value, c.label) for c in Channel if c.value in channels],
        "plan_categories": Category.choices,
    }
    context["numbers"] = client_numbers(client_score_for(data.client), data.client.store.currency)
    if scope_for(request.user).manages_store(data.client.store_id):
        context["is_store_manager"] = True
        context["owners"] = consultants_for(user=request.user).filter(
            memberships__store_id=data.client.store_id
        )
    return render(request, "clients/card.html", context)


def _section_form(
    request: AuthedRequest,
    client: Client,
    form: Any,
    title: str,
    save: Any,
    *,
    anchor: str,
) -> HttpResponse:
    """Show a small form for one card section; on a valid POST call the service and go back."""
    if request.method == "POST" and form.is_valid():
        result = call_service(form, lambda: save(form.cleaned_data))
        if result is not None or not form.errors:
            return redirect(reverse("clients:card", args=[client.pk]) + f"#{anchor}")
    return render(request, "clients/form.html", {"client": client, "form": form, "title": title})


@login_required
def client_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _manageable(request, pk)
    initial = {name: getattr(client, name) for name in services.EDITABLE_FIELDS}
    form = ClientEditForm(request.POST or None, initial=initial)
    return _section_form(
        request,
        client,
        form,
        _("Edit the card"),
        lambda data: services.client_update(actor=request.user, client=client, **data),
        anchor="top",
    )


@login_required
def contact_add(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _manageable(request, pk)
    return _section_form(
        request,
        client,
        ContactPointForm(request.POST or None),
        _("Add a phone, e-mail or messenger"),
        lambda data: services.contact_point_add(actor=request.user, client=client, **data),
        anchor="contacts",
    )


@login_required
def consent_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    client = client_get_for(user=request.user, pk=pk)
    form = ConsentForm(request.POST or None, initial={"channel": request.GET.get("channel")})
    return _section_form(
        request,
        client,
        form,
        _("Consent to be contacted"),
        lambda data: services.consent_set(actor=request.user, client=client, **data),
        anchor="consents",
    )


@login_required
def preference_add(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _manageable(request, pk)
    return _section_form(
        request,
        client,
        PreferenceForm(request.POST or None, initial={"kind": request.GET.get("kind")}),
        _("Add a preference or size"),
        lambda data: services.preference_add(actor=request.user, client=client, **data),
        anchor="preferences",
    )


@login_required
def relative_add(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _manageable(request, pk)
    return _section_form(
        request,
        client,
        RelativeForm(request.POST or None),
        _("Add a close person"),
        lambda data: services.relative_add(actor=request.user, client=client, **data),
        anchor="relatives",
    )


@login_required
def relative_edit(request: AuthedRequest, pk: int, relative_pk: int) -> HttpResponse:
    client = _manageable(request, pk)
    relative = get_object_or_404(Relative, pk=relative_pk, client=client)
    initial = {f: getattr(relative, f) for f in RelativeForm.base_fields}
    return _section_form(
        request,
        client,
        RelativeForm(request.POST or None, initial=initial),
        _("Edit %(name)s") % {"name": relative.name},
        lambda data: services.relative_update(actor=request.user, relative=relative, **data),
        anchor="relatives",
    )


@login_required
def key_date_add(request: AuthedRequest, pk: int) -> HttpResponse:
    client = _manageable(request, pk)
    form = KeyDateForm(request.POST or None, relatives=client.relatives.all())
    return _section_form(
        request,
        client,
        form,
        _("Add an important date"),
        lambda data: services.key_date_add(actor=request.user, client=client, **data),
        anchor="dates",
    )


@login_required
@require_POST
def note_add(request: AuthedRequest, pk: int) -> HttpResponse:
    client = client_get_for(user=request.user, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        call_service(
            form,
            lambda: services.note_add(actor=request.user, client=client, **form.cleaned_data),
        )
    if form.errors:
        return render(
            request, "clients/form.html", {"client": client, "form": form, "title": _("Add a note")}
        )
    return redirect(reverse("clients:card", args=[client.pk]) + "#notes")


@login_required
@require_POST
def note_pin(request: AuthedRequest, pk: int, note_pk: int) -> HttpResponse:
    client = client_get_for(user=request.user, pk=pk)
    note = get_object_or_404(Note, pk=note_pk, client=client)
    services.note_pin(actor=request.user, note=note, is_pinned=not note.is_pinned)
    return redirect(reverse("clients:card", args=[client.pk]) + "#notes")


@login_required
@require_POST
def item_remove(request: AuthedRequest, pk: int, kind: str, item_pk: int) -> HttpResponse:
    """Remove a contact, preference, relative or date from the card."""
    client = _manageable(request, pk)
    actor = request.user
    if kind == "contact":
        point = get_object_or_404(ContactPoint, pk=item_pk, client=client)
        services.contact_point_remove(actor=actor, point=point)
    elif kind == "preference":
        preference = get_object_or_404(Preference, pk=item_pk, client=client)
        services.preference_remove(actor=actor, preference=preference)
    elif kind == "relative":
        relative = get_object_or_404(Relative, pk=item_pk, client=client)
        services.relative_remove(
            actor=actor, relative=relative, reason=request.POST.get("reason", "")
        )
    elif kind == "date":
        key_date = get_object_or_404(KeyDate, pk=item_pk, client=client)
        services.key_date_remove(actor=actor, key_date=key_date)
    else:
        raise PermissionDenied
    return redirect(reverse("clients:card", args=[client.pk]))


@login_required
@require_POST
def reassign(request: AuthedRequest) -> HttpResponse:
    """A manager hands the selected clients to another consultant."""
    user = request.user
    if not scope_for(user).is_manager:
        raise PermissionDenied(_("Only a manager can reassign clients."))
    form = ReassignForm(
        request.POST,
        clients=book_for(user=user),
        owners=consultants_for(user=user),
    )
    if form.is_valid():
        moved = call_service(
            form,
            lambda: services.client_reassign(
                actor=user,
                clients=form.cleaned_data["clients"],
                owner=form.cleaned_data["owner"],
            ),
        )
        if moved is not None:
            messages.success(request, _("Clients handed over: %(n)s.") % {"n": moved})
    for error in form.errors.values():
        messages.error(request, " ".join(str(message) for message in error))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("clients:book")
    return redirect(next_url)


@dataclass(frozen=True)
class _Book:
    """One consultant's book in a manager's stores (``key`` "none": the unassigned clients)."""

    key: str
    name: str
    size: int


def _books(user: User) -> list[_Book]:
    """Every book in the manager's stores with its size, the unassigned clients last."""
    rows = (
        book_for(user=user)
        .prefetch_related(None)
        .values("owner_id", "owner__first_name", "owner__last_name", "owner__username")
        .annotate(size=Count("pk"))
        .order_by("owner__first_name", "owner__last_name", "owner__username")
    )
    books, unassigned = [], None
    for row in rows:
        if row["owner_id"] is None:
            unassigned = _Book("none", _("Without a consultant"), row["size"])
            continue
        name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
        books.append(_Book(str(row["owner_id"]), name or row["owner__username"], row["size"]))
    return [*books, unassigned] if unassigned else books


@login_required
def handover(request: AuthedRequest) -> HttpResponse:
    """A manager hands a leaving consultant's book, whole or in part, to a colleague (or nobody)."""
    user = request.user
    if not scope_for(user).is_manager:
        raise PermissionDenied(_("Only a manager can hand clients over."))
    posted = request.method == "POST"
    source = request.POST.get("source", "") if posted else request.GET.get("from", "")
    books = _books(user)
    chosen = next((book for book in books if book.key == source), None)
    unassigned = books[-1].size if books and books[-1].key == "none" else 0
    context: dict[str, Any] = {"books": books, "chosen": chosen, "unassigned": unassigned}
    if chosen is None:
        if posted:
            messages.error(request, _("Choose whose clients to hand over."))
        return render(request, "clients/handover.html", context)
    clients = (
        book_for(
            user=user,
            owner_id=int(source) if source.isdigit() else None,
            unassigned=source == "none",
        )
        .prefetch_related(None)
        .order_by("last_name", "first_name", "pk")
    )
    owners = consultants_for(user=user)
    if source.isdigit():
        owners = owners.exclude(pk=int(source))  # nobody is handed their own clients
    form = HandoverForm(
        request.POST or None,
        clients=clients,
        owners=owners,
        total=chosen.size,
        initial={"source": source, "extent": HandoverForm.ALL},
    )
    if posted and form.is_valid():
        owner = form.cleaned_data["owner"]
        moved = call_service(
            form,
            lambda: services.client_reassign(
                actor=user, clients=form.cleaned_data["handed"], owner=owner
            ),
        )
        if moved is not None:
            if owner is None:
                text = _("Clients left without a consultant: %(n)s.") % {"n": moved}
            else:
                text = _("Clients handed to %(name)s: %(n)s.") % {"name": owner, "n": moved}
            messages.success(request, text)
            target = str(owner.pk) if owner else "none"
            return redirect(reverse("clients:book") + f"?owner={target}")
    context["form"] = form
    return render(request, "clients/handover.html", context)


# --- blacklist ----------------------------------------------------------------------------------


@login_required
def blacklist(request: AuthedRequest, pk: int) -> HttpResponse:
    """A manager blacklists the client, with a reason (or takes them off the list)."""
    client = client_get_for(user=request.user, pk=pk)
    if not scope_for(request.user).manages_store(client.store_id):
        raise PermissionDenied(_("Only a manager can blacklist a client."))
    if client.is_blacklisted:
        if request.method == "POST":
            services.client_unblacklist(actor=request.user, client=client)
            messages.success(
                request,
                _("%(name)s is off the blacklist; the contact plan is back.")
                % {"name": client.full_name},
            )
            return redirect("clients:card", pk=client.pk)
        return render(request, "clients/blacklist.html", {"client": client})
    form = BlacklistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            lambda: services.client_blacklist(
                actor=request.user, client=client, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(
                request,
                _("%(name)s is blacklisted: nothing will be planned for them.")
                % {"name": client.full_name},
            )
            return redirect("clients:card", pk=client.pk)
    return render(request, "clients/blacklist.html", {"client": client, "form": form})


# --- duplicates ---------------------------------------------------------------------------------

QUEUE_PAGE_SIZE = 20


def _field_label(field: str) -> str:
    labels = {
        "phone": _("phone"),
        "phones": _("phone"),
        "email": _("e-mail"),
        "emails": _("e-mail"),
        "name": _("name"),
        "first_name": _("first name"),
        "last_name": _("last name"),
        "middle_name": _("patronymic"),
        "birthday": _("birthday"),
        "gender": _("gender"),
    }
    return labels.get(field, field.replace("_", " "))


def _detail_words() -> list[tuple[str, str]]:
    """The matcher's words inside its details (it speaks English), in the reader's language."""
    return [
        (" (first and last name swapped)", _(" (first and last name swapped)")),
        (" (household: counted once)", _(" (household: counted once)")),
        ("first name:", _("first name:")),
        ("last name:", _("last name:")),
        ("(other gender form of one family)", _("(other gender form of one family)")),
        ("(day and month swapped)", _("(day and month swapped)")),
        ("(one digit off)", _("(one digit off)")),
        ("(diminutive)", _("(diminutive)")),
        ("(one typo)", _("(one typo)")),
        ("(initial)", _("(initial)")),
        ("(same)", _("(same)")),
        ("(different)", _("(different)")),
        ("(missing)", _("(missing)")),
    ]


def evidence_sentence(item: dict[str, Any]) -> str:
    """One piece of the matcher's evidence as a sentence a manager reads."""
    field = _field_label(str(item.get("field", "")))
    detail = str(item.get("detail", "")).strip()
    for english, local in _detail_words():
        detail = detail.replace(english, local)
    verdict = item.get("verdict")
    if verdict == "same":
        text = _("Same %(field)s") % {"field": field}
    elif verdict == "similar":
        text = _("Similar %(field)s") % {"field": field}
    elif verdict == "different":
        text = _("Different %(field)s") % {"field": field}
    else:
        text = _("No %(field)s on one of the cards") % {"field": field}
    return f"{text}: {detail}." if detail else f"{text}."


@dataclass(frozen=True)
class _Pair:
    """A pair in the review queue: both cards and the evidence in words."""

    candidate: DuplicateCandidate
    evidence: list[str]

    @property
    def percent(self) -> int:
        return round(self.candidate.score * 100)


@login_required
def duplicates(request: AuthedRequest) -> HttpResponse:
    """A manager's review queue: pairs of cards that may be one person, side by side."""
    status = request.GET.get("status", CandidateStatus.PENDING)
    if status not in (CandidateStatus.PENDING, CandidateStatus.AUTO_MERGED):
        status = CandidateStatus.PENDING
    candidates = duplicate_candidates_for(user=request.user, status=status)
    page = Paginator(candidates, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    pairs = [
        _Pair(candidate, [evidence_sentence(e) for e in candidate.evidence or []])
        for candidate in page.object_list
    ]
    return render(
        request,
        "clients/duplicates.html",
        {"page": page, "pairs": pairs, "status": status, "statuses": CandidateStatus},
    )


@login_required
def dedupe_settings(request: AuthedRequest) -> HttpResponse:
    """A store's thresholds for likely duplicates and whether sure ones are merged unasked."""
    store = store_for_request(request)
    if not scope_for(request.user).manages_store(store.pk):
        raise PermissionDenied(_("Only the store's manager can change its settings."))
    current = DedupeSettings.objects.filter(store=store).first() or DedupeSettings(store=store)
    form = DedupeSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in services.DEDUPE_FIELDS}
        saved = call_service(
            form,
            lambda: services.dedupe_settings_save(actor=request.user, store=store, **values),
        )
        if saved is not None:
            messages.success(request, _("Saved. The next duplicates pass uses these settings."))
            return redirect(f"{request.path}?store={store.pk}")
    return render(
        request,
        "clients/dedupe_settings.html",
        {"form": form, "store": store, "stores": store_choices_for(request)},
    )


@login_required
@require_POST
def duplicate_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    """Merge a pair: the card chosen as ``survivor`` keeps everything of the other."""
    candidate = duplicate_get_for(user=request.user, pk=pk)
    pair = {candidate.client_a_id: candidate.client_a, candidate.client_b_id: candidate.client_b}
    chosen = request.POST.get("survivor", "")
    if not chosen.isdigit() or int(chosen) not in pair:
        return HttpResponseBadRequest(_("Choose which card to keep."))
    survivor = pair.pop(int(chosen))
    (other,) = pair.values()
    if candidate.status != CandidateStatus.PENDING:
        messages.error(request, _("This pair has already been reviewed."))
        return redirect("clients:duplicates")
    try:
        services.client_merge(
            actor=request.user, survivor=survivor, other=other, score=candidate.score
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(other)s is merged into %(name)s. You can undo it in the merge history.")
            % {"other": other.full_name, "name": survivor.full_name},
        )
    return redirect("clients:duplicates")


@login_required
@require_POST
def duplicate_dismiss(request: AuthedRequest, pk: int) -> HttpResponse:
    """Not the same person: the pair leaves the queue."""
    candidate = duplicate_get_for(user=request.user, pk=pk)
    try:
        services.duplicate_dismiss(actor=request.user, candidate=candidate)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("clients:duplicates")


@login_required
def merges(request: AuthedRequest) -> HttpResponse:
    """The merge history of the manager's stores, with an undo for each merge."""
    page = Paginator(merges_for(user=request.user), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "clients/merges.html", {"page": page, "merges": page.object_list})


@login_required
@require_POST
def merge_undo(request: AuthedRequest, pk: int) -> HttpResponse:
    """Undo a merge: both cards come back as they were."""
    merge = merge_get_for(user=request.user, pk=pk)
    try:
        services.client_merge_undo(actor=request.user, merge=merge)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The merge is undone: %(a)s and %(b)s are two cards again.")
            % {"a": merge.survivor.full_name, "b": merge.merged.full_name},
        )
    return redirect("clients:merges")
