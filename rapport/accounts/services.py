"""Writes about users and stores."""

from __future__ import annotations

from django.db import transaction

from rapport.accounts.choices import Role
from rapport.accounts.models import Membership, Store, User


@transaction.atomic
def store_create(*, name: str, city: str = "", country: str = "RU", currency: str = "RUB") -> Store:
    """Open a store."""
    store = Store(name=name, city=city, country=country.upper(), currency=currency.upper())
    store.full_clean()
    store.save()
    return store


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_company_admin: bool = False,
    language: str = "",
) -> User:
    """Create a login; an owner/admin also gets the Django admin (the back office)."""
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_company_admin=is_company_admin,
        is_staff=is_company_admin,
        is_superuser=is_company_admin,
        language=language,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def membership_set(
    *, user: User, store: Store, role: Role | str, is_active: bool = True
) -> Membership:
    """Put a user in a store with a role, or change their role there."""
    membership, _ = Membership.objects.update_or_create(
        user=user, store=store, defaults={"role": Role(role), "is_active": is_active}
    )
    return membership


@transaction.atomic
def calendar_token_reset(*, user: User) -> str:
    """Give the user a new secret calendar-feed token; the old feed URL stops working."""
    import secrets

    user.calendar_token = secrets.token_urlsafe(32)
    user.save(update_fields=["calendar_token"])
    return user.calendar_token
