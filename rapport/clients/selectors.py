"""Every read of clients, always on behalf of someone: the scope is enforced here and only here.

- an owner/admin sees every client;
- a store's manager and consultants see the store's clients (a walk-in may be any colleague's);
- a consultant's *book* is the clients they own; a manager's book is the whole store;
- changing the card is for the owning consultant, the store's managers and the owner/admin.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import home_store_for, scope_for
from rapport.clients.choices import CandidateStatus, ContactKind, TimelineKind
from rapport.clients.models import (
    Client,
    ClientMerge,
    ContactPoint,
    DuplicateCandidate,
    Note,
    TimelineEvent,
)
from rapport.core.normalize import (
    InvalidEmail,
    InvalidPhone,
    SearchQuery,
    name_skeleton,
    normalize_email,
    normalize_phone,
    parse_search,
)

if TYPE_CHECKING:
    from rapport.core.identity import Match
    from rapport.sales.models import Purchase

SEARCH_LIMIT = 20


def clients_for(*, user: User) -> QuerySet[Client]:
    """Every client the user may see."""
    scope = scope_for(user)
    active = Client.objects.filter(merged_into__isnull=True)  # a merged card lives on in another
    if scope.all_stores:
        return active
    return active.filter(store_id__in=scope.store_ids)


def book_for(
    *, user: User, owner_id: int | None = None, status: str = "", unassigned: bool = False
) -> QuerySet[Client]:
    """The user's client book: their own clients, or the whole store for a manager."""
    scope = scope_for(user)
    clients = clients_for(user=user)
    if not scope.is_manager:
        clients = clients.filter(owner=user)
    elif not scope.all_stores:
        clients = clients.filter(store_id__in=scope.managed_store_ids)
    if unassigned:
        clients = clients.filter(owner__isnull=True)
    elif owner_id:
        clients = clients.filter(owner_id=owner_id)
    if status:
        clients = clients.filter(status=status)
    return clients.select_related("owner", "store").prefetch_related(_primary_contacts())


def _primary_contacts() -> Prefetch:  # type: ignore[type-arg]
    return Prefetch(
        "contact_points",
        queryset=ContactPoint.objects.filter(is_primary=True),
        to_attr="primary_contacts",
    )


def client_get_for(*, user: User, pk: int) -> Client:
    """One client the user may see, or 404 (never 403: a stranger learns nothing)."""
    try:
        return clients_for(user=user).select_related("store", "owner").get(pk=pk)
    except Client.DoesNotExist as exc:
        raise Http404("No such client") from exc


def can_manage_client(*, user: User, client: Client) -> bool:
    """Whether the user may change the card: its consultant, a manager of its store, an admin."""
    scope = scope_for(user)
    if not scope.sees_store(client.store_id):
        return False
    return client.owner_id == user.pk or scope.manages_store(client.store_id)


@dataclass(frozen=True)
class ClientCard:
    """Everything the card page shows, loaded in a fixed number of queries."""

    client: Client
    can_manage: bool
    timeline: list[TimelineEvent]


TIMELINE_LENGTH = 50


def client_card(*, user: User, pk: int) -> ClientCard:
    """The client with contacts, consents, preferences, relatives, dates, notes and timeline."""
    from rapport.sales.models import Purchase

    purchase_entries = TimelineEvent.objects.filter(
        purchase=OuterRef("pk"), kind=TimelineKind.PURCHASE
    )
    try:
        client = (
            clients_for(user=user)
            .select_related("store", "owner")
            .prefetch_related(
                "contact_points",
                "consents",
                "preferences",
                "relatives",
                "key_dates__relative",
                Prefetch("notes", queryset=Note.objects.select_related("author")),
                Prefetch(
                    "purchases",
                    queryset=Purchase.objects.select_related("consultant")
                    .prefetch_related("lines")
                    .annotate(on_timeline=Exists(purchase_entries)),
                ),
            )
            .get(pk=pk)
        )
    except Client.DoesNotExist as exc:
        raise Http404("No such client") from exc
    events = list(
        TimelineEvent.objects.filter(client=client).select_related(
            "actor", "note", "purchase", "visit", "sale_return"
        )[:TIMELINE_LENGTH]
    )
    # Imported receipts have no entry of their own (rapport.sales.importing): each shows here
    # from the receipt, as the entry the till would have written.
    receipts = [_purchase_entry(p) for p in client.purchases.all() if not p.on_timeline]  # type: ignore[attr-defined]
    timeline = sorted(events + receipts, key=lambda e: (e.at, e.pk or 0), reverse=True)
    return ClientCard(
        client=client,
        can_manage=can_manage_client(user=user, client=client),
        timeline=timeline[:TIMELINE_LENGTH],
    )


def _purchase_entry(purchase: Purchase) -> TimelineEvent:
    """The timeline entry of a receipt that has none (not saved): what the till writes."""
    return TimelineEvent(
        client_id=purchase.client_id,
        kind=TimelineKind.PURCHASE,
        at=purchase.purchased_at,
        purchase=purchase,
        data={
            "total": str(purchase.total),
            "items": [line.description for line in purchase.lines.all()][:10],
        },
    )


def client_search(*, user: User, text: str, limit: int = SEARCH_LIMIT) -> list[Client]:
    """Clients matching a phone (any format or its last digits), an e-mail or a name."""
    store = home_store_for(user=user)
    query = parse_search(text, store.country if store else "RU")
    if query.kind == "empty":
        return []
    ids = _matching_ids(_searchable_store_ids(user), query, limit)
    if not ids:
        return []
    found = (
        Client.objects.filter(pk__in=ids)
        .select_related("owner", "store")
        .prefetch_related(_primary_contacts())
    )
    by_id = {client.pk: client for client in found}
    return [by_id[pk] for pk in ids if pk in by_id]


def _searchable_store_ids(user: User) -> list[int]:
    """The stores a search covers, as a list: every lookup then starts from a search index."""
    scope = scope_for(user)
    if scope.all_stores:
        return list(Store.objects.values_list("pk", flat=True))
    return sorted(scope.store_ids)


def _prefix_range(prefix: str) -> tuple[str, str]:
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _matching_ids(store_ids: list[int], query: SearchQuery, limit: int) -> list[int]:
    # Joined to the client's store rather than ``client__in=<subquery>``: SQLite would otherwise
    # walk every client of the store and probe each one's contacts.
    points = ContactPoint.objects.filter(client__store_id__in=store_ids)
    if query.kind == "phone":
        rows = points.filter(kind=ContactKind.PHONE, value=query.value)
    elif query.kind == "email":
        rows = points.filter(kind=ContactKind.EMAIL, value=query.value)
    elif query.kind == "phone_digits":
        low, high = _prefix_range(query.value[::-1])
        rows = points.filter(
            kind=ContactKind.PHONE, suffix_key__gte=low, suffix_key__lt=high
        ).order_by("suffix_key")
    else:
        return _name_ids(store_ids, query.words, limit)
    return _unique(rows.values_list("client_id", flat=True)[: limit * 2], limit)


def _name_ids(store_ids: list[int], words: tuple[str, ...], limit: int) -> list[int]:
    """Last name then first name, in either order; one word matches either name."""
    clients = Client.objects.filter(store_id__in=store_ids, merged_into__isnull=True)
    first, rest = words[0], words[1:]
    low, high = _prefix_range(first)
    by_last = clients.filter(last_name_key__gte=low, last_name_key__lt=high)
    by_first = clients.filter(first_name_key__gte=low, first_name_key__lt=high)
    if rest:
        low2, high2 = _prefix_range(rest[0])
        by_last = by_last.filter(first_name_key__gte=low2, first_name_key__lt=high2)
        by_first = by_first.filter(last_name_key__gte=low2, last_name_key__lt=high2)
    ids = list(
        by_last.order_by("last_name_key", "first_name_key").values_list("pk", flat=True)[:limit]
    )
    if len(ids) < limit:
        ids += by_first.order_by("first_name_key", "last_name_key").values_list("pk", flat=True)[
            :limit
        ]
    return _unique(ids, limit)


def _unique(ids: object, limit: int) -> list[int]:
    seen: dict[int, None] = {}
    for pk in ids:  # type: ignore[attr-defined]
        seen.setdefault(pk, None)
        if len(seen) == limit:
            break
    return list(seen)


def merged_card_target(*, user: User, pk: int) -> int | None:
    """The card a merged card lives on in, if the user may see it (to send old links there)."""
    row = (
        Client.objects.filter(pk=pk, merged_into__isnull=False)
        .values_list("store_id", "merged_into_id")
        .first()
    )
    if row is None or not scope_for(user).sees_store(row[0]):
        return None
    return row[1]


# --- duplicates ---------------------------------------------------------------------------------


def _managed_filter(user: User, field: str = "store_id") -> Q:
    scope = scope_for(user)
    if not scope.is_manager:
        raise PermissionDenied(_("Only a manager can review duplicates."))
    return Q() if scope.all_stores else Q(**{f"{field}__in": scope.managed_store_ids})


def duplicate_candidates_for(
    *, user: User, status: str = CandidateStatus.PENDING
) -> QuerySet[DuplicateCandidate]:
    """The pairs of likely duplicates in the stores the user manages (403 for others), both
    cards with their owners and addresses; pending pairs only while both cards are active."""
    candidates = DuplicateCandidate.objects.filter(_managed_filter(user), status=status)
    if status == CandidateStatus.PENDING:
        candidates = candidates.filter(
            client_a__merged_into__isnull=True, client_b__merged_into__isnull=True
        )
    points = ContactPoint.objects.filter(kind__in=[ContactKind.PHONE, ContactKind.EMAIL])
    return (
        candidates.select_related(
            "client_a__owner", "client_b__owner", "decided_by", "merge", "store"
        )
        .prefetch_related(
            Prefetch("client_a__contact_points", queryset=points),
            Prefetch("client_b__contact_points", queryset=points),
        )
        .order_by("-score", "pk")
    )


def duplicate_get_for(*, user: User, pk: int) -> DuplicateCandidate:
    """One pair: 404 outside the user's stores, 403 for someone who is not a manager there."""
    found = DuplicateCandidate.objects.select_related("client_a", "client_b").filter(pk=pk).first()
    scope = scope_for(user)
    if found is None or not scope.sees_store(found.store_id):
        raise Http404("No such pair")
    if not scope.manages_store(found.store_id):
        raise PermissionDenied(_("Only a manager can review duplicates."))
    return found


def merges_for(*, user: User) -> QuerySet[ClientMerge]:
    """The merges in the stores the user manages, newest first (403 for others)."""
    return (
        ClientMerge.objects.filter(_managed_filter(user))
        .select_related("survivor", "merged", "merged_by", "undone_by")
        .defer("snapshot")
        .order_by("-merged_at", "-pk")
    )


def merge_get_for(*, user: User, pk: int) -> ClientMerge:
    """One merge: 404 outside the user's stores, 403 for someone who is not a manager there."""
    found = ClientMerge.objects.select_related("survivor", "merged").filter(pk=pk).first()
    scope = scope_for(user)
    if found is None or not scope.sees_store(found.store_id):
        raise Http404("No such merge")
    if not scope.manages_store(found.store_id):
        raise PermissionDenied(_("Only a manager can undo a merge."))
    return found


POSSIBLE_MATCHES = 5
_MATCH_POOL = 50


def possible_matches_for(
    *,
    user: User,
    store: Store,
    first_name: str,
    last_name: str = "",
    phone: str = "",
    email: str = "",
    birthday: date | None = None,
) -> list[tuple[Client, Match]]:
    """Cards of the store that may be the person being typed in at the till, best first: the
    same phone or e-mail, or the same first and last name, then compared by the matcher."""
    from rapport.clients.services import match_settings_for
    from rapport.core.identity import Person, compare

    if not scope_for(user).sees_store(store.pk):
        raise Http404("No such store")
    phones, emails = [], []
    if phone.strip():
        with suppress(InvalidPhone):  # an unreadable number is the form's business, not ours
            phones.append(normalize_phone(phone, store.country))
    if email.strip():
        with suppress(InvalidEmail):
            emails.append(normalize_email(email))
    active = Client.objects.filter(store=store, merged_into__isnull=True)
    by_address = Q(kind=ContactKind.PHONE, value__in=phones) | Q(
        kind=ContactKind.EMAIL, value__in=emails
    )
    ids = set()
    if phones or emails:
        ids |= set(
            ContactPoint.objects.filter(
                by_address, client__store=store, client__merged_into__isnull=True
            ).values_list("client_id", flat=True)[:_MATCH_POOL]
        )
    first_key, last_key = name_skeleton(first_name)[:80], name_skeleton(last_name)[:80]
    if first_key and last_key:
        ids |= set(
            active.filter(first_name_key=first_key, last_name_key=last_key).values_list(
                "pk", flat=True
            )[:_MATCH_POOL]
        )
    if not ids:
        return []
    cards = list(
        active.filter(pk__in=ids)
        .select_related("owner", "store")
        .prefetch_related(
            Prefetch(
                "contact_points",
                queryset=ContactPoint.objects.filter(
                    kind__in=[ContactKind.PHONE, ContactKind.EMAIL]
                ),
            )
        )
    )
    typed = Person(
        id=0,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        birthday=birthday,
        phones=tuple(phones),
        emails=tuple(emails),
    )
    review = match_settings_for(store).review
    found = []
    for card in cards:
        points = card.contact_points.all()
        person = Person(
            id=card.pk,
            first_name=card.first_name,
            last_name=card.last_name,
            middle_name=card.middle_name,
            birthday=card.birthday,
            phones=tuple(p.value for p in points if p.kind == ContactKind.PHONE),
            emails=tuple(p.value for p in points if p.kind == ContactKind.EMAIL),
            gender=card.gender,
        )
        match = compare(typed, person)
        # At the till the same address or the same full name is worth a look even when the
        # matcher doubts: the cashier decides, before anything is saved.
        same_address = set(phones) & set(person.phones) or set(emails) & set(person.emails)
        same_name = (card.first_name_key, card.last_name_key) == (first_key, last_key)
        if match.score >= review or same_address or (same_name and last_key):
            found.append((card, match))
    found.sort(key=lambda pair: (-pair[1].score, pair[0].pk))
    return found[:POSSIBLE_MATCHES]
