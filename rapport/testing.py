"""Factories for tests: build stores, people and clients through the real services."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date

from django.utils import translation
from django.utils.translation import gettext

from rapport.accounts.choices import Role
from rapport.accounts.models import Store, User
from rapport.accounts.services import membership_set, store_create, user_create
from rapport.clients.choices import Channel, ConsentSource, ConsentStatus
from rapport.clients.models import Client
from rapport.clients.services import client_create, consent_set

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_store(name: str | None = None, country: str = "RU") -> Store:
    return store_create(name=name or f"Store {next(_counter)}", city="Москва", country=country)


def make_user(
    store: Store | None = None,
    role: Role = Role.CONSULTANT,
    *,
    username: str | None = None,
    first_name: str = "Ольга",
    is_company_admin: bool = False,
) -> User:
    user = user_create(
        username=username or f"user{next(_counter)}",
        password=PASSWORD,
        first_name=first_name,
        last_name="Тестова",
        is_company_admin=is_company_admin,
    )
    if store is not None:
        membership_set(user=user, store=store, role=role)
    return user


def make_client(
    owner: User,
    store: Store,
    *,
    first_name: str = "Анна",
    last_name: str = "Иванова",
    phone: str = "",
    email: str = "",
    birthday: date | None = None,
) -> Client:
    return client_create(
        actor=owner,
        store=store,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        email=email,
        birthday=birthday,
        owner=owner,
    )


def grant_consent(
    client: Client, channel: str = Channel.WHATSAPP, *, actor: User | None = None
) -> Client:
    """The client agrees, on the store's form, to be contacted on ``channel``."""
    consent_set(
        actor=actor,
        client=client,
        channel=channel,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.IN_STORE_FORM,
    )
    return client


@dataclass
class World:
    """Two stores and the personas every permission test uses."""

    store: Store
    other_store: Store
    owner: User  # the consultant who owns ``client``
    colleague: User  # another consultant in the same store
    stranger: User  # a consultant of the other store
    manager: User  # the store's manager
    admin: User  # the company owner / admin
    client: Client


def make_world() -> World:
    store = make_store("Бутик на Тверской")
    other_store = make_store("Бутик в Санкт-Петербурге")
    owner = make_user(store, username="olga", first_name="Ольга")
    colleague = make_user(store, username="irina", first_name="Ирина")
    stranger = make_user(other_store, username="pavel", first_name="Павел")
    manager = make_user(store, Role.MANAGER, username="marina", first_name="Марина")
    admin = make_user(None, username="boss", first_name="Борис", is_company_admin=True)
    client = make_client(owner, store, phone="+7 916 123-45-67", email="anna@example.ru")
    return World(store, other_store, owner, colleague, stranger, manager, admin, client)


# --- browser tests ------------------------------------------------------------------------------


def log_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the real login form (in Russian) and land on Today."""
    page.goto("/login/")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r"/today/$"))


def ru(message: str) -> str:
    """A word of the interface as the Russian catalogue has it (the pages speak Russian)."""
    with translation.override("ru"):
        return gettext(message)
