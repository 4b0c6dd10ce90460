"""Reads about users and stores, and the one place where a user's reach is decided."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from rapport.accounts.choices import Role
from rapport.accounts.models import Membership, Store, User


@dataclass(frozen=True, slots=True)
class Scope:
    """How far a user reaches: every store (owner/admin), or the stores they work in."""

    all_stores: bool
    store_ids: frozenset[int]
    managed_store_ids: frozenset[int]

    def sees_store(self, store_id: int) -> bool:
        return self.all_stores or store_id in self.store_ids

    def manages_store(self, store_id: int) -> bool:
        return self.all_stores or store_id in self.managed_store_ids

    @property
    def is_manager(self) -> bool:
        return self.all_stores or bool(self.managed_store_ids)


def scope_for(user: User) -> Scope:
    """The user's reach, computed once per request and kept on the user object."""
    cached: Scope | None = getattr(user, "_rapport_scope", None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        scope = Scope(False, frozenset(), frozenset())
    elif user.is_company_admin:
        scope = Scope(True, frozenset(), frozenset())
    else:
        rows = list(
            Membership.objects.filter(user=user, is_active=True).values_list("store_id", "role")
        )
        scope = Scope(
            False,
            frozenset(store_id for store_id, _ in rows),
            frozenset(store_id for store_id, role in rows if role == Role.MANAGER),
        )
    user._rapport_scope = scope  # type: ignore[attr-defined]
    return scope


def stores_for(*, user: User) -> QuerySet[Store]:
    """The stores the user works in (every store for an owner/admin)."""
    scope = scope_for(user)
    stores = Store.objects.filter(is_active=True)
    return stores if scope.all_stores else stores.filter(pk__in=scope.store_ids)


def consultants_for(*, user: User) -> QuerySet[User]:
    """People a manager may hand clients to: active members of the stores the user manages.

    An integration's technical user (behind an API key) is a member too, but no person: it never
    gets a book, a KPI row or a place in these lists.
    """
    scope = scope_for(user)
    users = User.objects.filter(
        is_active=True, memberships__is_active=True, integration_tokens__isnull=True
    )
    if not scope.all_stores:
        users = users.filter(memberships__store_id__in=scope.managed_store_ids)
    return users.distinct().order_by("first_name", "last_name", "username")


def home_store_for(*, user: User) -> Store | None:
    """The store whose locale the user's screens use: their first store, or the first store."""
    return stores_for(user=user).order_by("pk").first()
