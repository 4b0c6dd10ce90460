"""Every read of clients, always on behalf of someone: the scope is enforced here and only here.

- an owner/admin sees every client;
- a store's manager and consultants see the store's clients (a walk-in may be any colleague's);
- a consultant's *book* is the clients they own; a manager's book is the whole store;
- changing the card is for the owning consultant, the store's managers and the owner/admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import home_store_for, scope_for
from rapport.clients.choices import ContactKind
from rapport.clients.models import Client, ContactPoint, Note, TimelineEvent
from rapport.core.normalize import SearchQuery, parse_search

SEARCH_LIMIT = 20


def clients_for(*, user: User) -> QuerySet[Client]:
    """Every client the user may see."""
    scope = scope_for(user)
    if scope.all_stores:
        return Client.objects.all()
    return Client.objects.filter(store_id__in=scope.store_ids)


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
                    queryset=Purchase.objects.select_related("consultant").prefetch_related(
                        "lines"
                    ),
                ),
            )
            .get(pk=pk)
        )
    except Client.DoesNotExist as exc:
        raise Http404("No such client") from exc
    timeline = list(
        TimelineEvent.objects.filter(client=client).select_related(
            "actor", "note", "purchase", "visit", "sale_return"
        )[:TIMELINE_LENGTH]
    )
    return ClientCard(
        client=client, can_manage=can_manage_client(user=user, client=client), timeline=timeline
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
    clients = Client.objects.filter(store_id__in=store_ids)
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
