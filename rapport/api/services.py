"""Writes made through the API: tokens, and the till's verbs built on the apps' own services.

Each verb takes the token's acting user as ``actor`` and goes through the same services as the
pages (``client_create``, ``purchase_record``, ``return_record``), so the permission rules are
the pages' rules. What the API adds is matching (a known phone, e-mail or external id attaches
to the existing card) and idempotency (a receipt number, a return id).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.choices import Role
from rapport.accounts.models import Membership, Store, User
from rapport.accounts.selectors import scope_for
from rapport.accounts.services import membership_set, user_create
from rapport.api.choices import TokenScope
from rapport.api.keys import key_hash, key_new, key_visible
from rapport.api.models import IntegrationReturn, IntegrationToken
from rapport.api.selectors import clients_matching, purchase_by_receipt, store_clients_for
from rapport.clients.choices import ConsentSource, ContactKind
from rapport.clients.models import Client
from rapport.clients.services import (
    client_create,
    client_update,
    contact_point_add,
    contact_value_normalize,
)
from rapport.sales.models import Product, Purchase, Return
from rapport.sales.services import CENT, LineInput, purchase_record, return_record

TOUCH_EVERY = timedelta(minutes=1)


class IdempotencyConflict(Exception):
    """The same receipt or return id was posted before with different content (HTTP 409)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


# --- tokens -----------------------------------------------------------------------------------


def _check_token_admin(actor: User | None) -> None:
    """Tokens are managed by a company owner/admin, or from the command line (actor None)."""
    if actor is not None and not scope_for(actor).all_stores:
        raise PermissionDenied(_("Only the company's owner or admin manages API keys."))


@transaction.atomic
def token_create(
    *, actor: User | None, store: Store, name: str, scopes: Iterable[str]
) -> tuple[IntegrationToken, str]:
    """Issue a key for an integration of one store; the raw key is returned once, never stored.

    The token acts as a technical user of its own, a manager of the store without a password,
    so that every call goes through the same permission rules as the pages.
    """
    _check_token_admin(actor)
    name = " ".join(name.split())
    wanted = list(dict.fromkeys(scopes))
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Name the integration, for example “Till 1”.")
    elif len(name) > 80:
        errors["name"] = _("Keep the name under 80 characters.")
    unknown = [scope for scope in wanted if scope not in TokenScope.values]
    if unknown:
        errors["scopes"] = _("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}
    elif not wanted:
        errors["scopes"] = _("Choose at least one scope.")
    if not store.is_active:
        errors["store"] = _("This store is closed.")
    if errors:
        raise ValidationError(errors)
    user = user_create(
        username=f"api-{store.pk}-{secrets.token_hex(4)}",
        password=None,
        first_name=name[:150],
        last_name="(API)",
    )
    membership_set(user=user, store=store, role=Role.MANAGER)
    key = key_new()
    token = IntegrationToken.objects.create(
        name=name,
        store=store,
        user=user,
        scopes=[scope for scope in TokenScope.values if scope in wanted],
        key_prefix=key_visible(key),
        key_hash=key_hash(key),
        created_by=actor,
    )
    return token, key


@transaction.atomic
def token_revoke(*, actor: User | None, token: IntegrationToken) -> IntegrationToken:
    """Stop a key working at once; its technical user leaves the store."""
    _check_token_admin(actor)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    Membership.objects.filter(user_id=token.user_id).update(is_active=False)
    User.objects.filter(pk=token.user_id).update(is_active=False)
    return token


def token_touch(*, token: IntegrationToken) -> None:
    """Note that the key was used (at most once a minute, so requests do not all write)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


# --- clients ----------------------------------------------------------------------------------


def contacts_normalize(*, store: Store, phone: str = "", email: str = "") -> tuple[str, str]:
    """A phone and an e-mail in the form the cards store them, read in the store's region."""
    errors: dict[str, Any] = {}
    result = {"phone": "", "email": ""}
    for field, kind, raw in (
        ("phone", ContactKind.PHONE, phone),
        ("email", ContactKind.EMAIL, email),
    ):
        if not raw.strip():
            continue
        try:
            value, _suffix = contact_value_normalize(kind=kind, raw=raw, region=store.country)
        except ValidationError as exc:
            errors[field] = exc.message_dict.get("value", exc.messages)
            continue
        except UnicodeError:  # an e-mail domain that IDNA cannot encode
            errors[field] = [_("Enter a valid e-mail address.")]
            continue
        if len(value) > 254:
            errors[field] = [_("Enter a valid e-mail address.")]
            continue
        result[field] = value
    if errors:
        raise ValidationError(errors)
    return result["phone"], result["email"]


def _first_match(
    *, actor: User, store: Store, phone: str, email: str, external_id: str
) -> Client | None:
    """The card a till means: by external id first, then phone, then e-mail; oldest wins."""
    found = clients_matching(
        user=actor, store=store, phone=phone, email=email, external_id=external_id
    )
    if not found:
        return None
    for matches in (
        lambda c: bool(external_id) and c.external_id == external_id,
        lambda c: bool(phone) and any(p.value == phone for p in c.contact_points.all()),
        lambda c: bool(email) and any(p.value == email for p in c.contact_points.all()),
    ):
        for client in found:
            if matches(client):
                return client
    return found[0]


@transaction.atomic
def client_match_or_create(
    *,
    actor: User,
    store: Store,
    first_name: str = "",
    last_name: str = "",
    middle_name: str = "",
    phone: str = "",
    email: str = "",
    external_id: str = "",
    birthday: date | None = None,
    gender: str = "",
    language: str = "ru",
    preferred_channel: str = "",
    owner_username: str = "",
    consent_channels: Sequence[str] = (),
    consent_source: str = "",
) -> tuple[Client, bool]:
    """The store's card with this external id, phone or e-mail, or a new card (``True``).

    A card made through the API belongs to nobody until a manager hands it to a consultant,
    unless the integration names the consultant (``owner_username``).
    """
    if not scope_for(actor).sees_store(store.pk):
        raise PermissionDenied(_("You do not work in this store."))
    phone, email = contacts_normalize(store=store, phone=phone, email=email)
    external_id = external_id.strip()
    existing = _first_match(
        actor=actor, store=store, phone=phone, email=email, external_id=external_id
    )
    if existing is not None:
        return existing, False
    owner: User | None = None
    if owner_username:
        owner = User.objects.filter(username=owner_username, is_active=True).first()
        if owner is None:
            raise ValidationError({"owner": _("No consultant has this user name.")})
    if consent_channels and not consent_source:
        raise ValidationError({"consent_source": _("Say how the client gave the consent.")})
    client = client_create(
        actor=actor,
        store=store,
        first_name=first_name,
        last_name=last_name,
        middle_name=middle_name,
        phone=phone,
        email=email,
        birthday=birthday,
        gender=gender,
        language=language,
        preferred_channel=preferred_channel,
        owner=owner,  # None: nobody's, not the integration's
        consent_channels=consent_channels,
        consent_source=consent_source or ConsentSource.WEB,
        external_id=external_id,
    )
    return client, True


@transaction.atomic
def client_change(
    *, actor: User, client: Client, phone: str = "", email: str = "", **fields: Any
) -> Client:
    """Change the card's own fields and add a phone or e-mail it does not have yet, all or
    nothing (a number already on the card is left as it is, wherever it came from)."""
    phone, email = contacts_normalize(store=client.store, phone=phone, email=email)
    if fields:
        client_update(actor=actor, client=client, **fields)
    known = set(client.contact_points.values_list("kind", "value"))
    for kind, value in ((ContactKind.PHONE, phone), (ContactKind.EMAIL, email)):
        if value and (kind, value) not in known:
            contact_point_add(actor=actor, client=client, kind=kind, value=value)
    return client


# --- purchases --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientRef:
    """Who bought: a card id, or what the till knows about the person."""

    client_id: int | None = None
    external_id: str = ""
    phone: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""

    @property
    def has_key(self) -> bool:
        return bool(self.client_id or self.external_id or self.phone.strip() or self.email.strip())


def _client_of_store(*, actor: User, store: Store, pk: int) -> Client:
    client = store_clients_for(user=actor, store=store).filter(pk=pk).first()
    if client is None:
        raise ValidationError({"client_id": _("No client with this id in the store.")})
    return client


def _client_find(*, actor: User, store: Store, ref: ClientRef) -> Client | None:
    """The card a receipt names (by id, external id, phone or e-mail), or None; never creates."""
    if ref.client_id is not None:
        return _client_of_store(actor=actor, store=store, pk=ref.client_id)
    try:
        phone, email = contacts_normalize(store=store, phone=ref.phone, email=ref.email)
    except ValidationError as exc:
        raise ValidationError({"client": exc.messages}) from exc
    return _first_match(
        actor=actor, store=store, phone=phone, email=email, external_id=ref.external_id.strip()
    )


def _client_find_or_create(*, actor: User, store: Store, ref: ClientRef) -> Client:
    """The card a receipt names: by id, else matched (external id, phone, e-mail) or created."""
    if ref.client_id is not None:
        return _client_of_store(actor=actor, store=store, pk=ref.client_id)
    try:
        client, _created = client_match_or_create(
            actor=actor,
            store=store,
            first_name=ref.first_name,
            last_name=ref.last_name,
            phone=ref.phone,
            email=ref.email,
            external_id=ref.external_id,
        )
    except ValidationError as exc:
        raise ValidationError({"client": exc.messages}) from exc
    return client


def _known_lines(lines: Sequence[LineInput]) -> list[LineInput]:
    """Lines with an article the catalogue does not know keep their description, not the link."""
    known = set(
        Product.objects.filter(sku__in={ln.sku for ln in lines if ln.sku}).values_list(
            "sku", flat=True
        )
    )
    return [
        line
        if not line.sku or line.sku in known
        else LineInput(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
        )
        for line in lines
    ]


def _line_keys_posted(lines: Sequence[LineInput]) -> list[tuple[str, int, Decimal, Decimal]]:
    return [
        (
            f"sku:{ln.sku}" if ln.sku else f"text:{ln.description.strip()[:200]}",
            ln.quantity,
            ln.unit_price.quantize(CENT),
            ln.discount.quantize(CENT),
        )
        for ln in lines
    ]


def _line_keys_stored(purchase: Purchase) -> list[tuple[str, int, Decimal, Decimal]]:
    return [
        (
            f"sku:{ln.product.sku}" if ln.product else f"text:{ln.description}",
            ln.quantity,
            ln.unit_price,
            ln.discount,
        )
        for ln in purchase.lines.all()
    ]


def _same_purchase_or_conflict(
    *, actor: User, store: Store, existing: Purchase, ref: ClientRef, lines: Sequence[LineInput]
) -> Purchase:
    client = _client_find(actor=actor, store=store, ref=ref)
    if client is None or client.pk != existing.client_id:
        raise IdempotencyConflict(
            {"receipt_number": [_("This receipt is already recorded for another client.")]}
        )
    if _line_keys_stored(existing) != _line_keys_posted(_known_lines(lines)):
        raise IdempotencyConflict(
            {"receipt_number": [_("This receipt is already recorded with other lines.")]}
        )
    return existing


def purchase_post(
    *,
    actor: User,
    store: Store,
    receipt_number: str,
    client: ClientRef,
    lines: Sequence[LineInput],
    purchased_at: datetime | None = None,
) -> tuple[Purchase, bool]:
    """Record a receipt once: the same receipt again gives the first one back (``False``).

    The client is a card id, or found by external id, phone or e-mail in the store, or created.
    The same receipt number with another client or other lines is an ``IdempotencyConflict``.
    """
    receipt_number = receipt_number.strip()
    if not receipt_number:
        raise ValidationError({"receipt_number": _("Give the receipt number.")})
    if not client.has_key:
        raise ValidationError(
            {"client": _("Give the client's id, or an external id, a phone or an e-mail.")}
        )
    existing = purchase_by_receipt(user=actor, store=store, receipt_number=receipt_number)
    if existing is not None:
        return _same_purchase_or_conflict(
            actor=actor, store=store, existing=existing, ref=client, lines=lines
        ), False
    try:
        with transaction.atomic():
            buyer = _client_find_or_create(actor=actor, store=store, ref=client)
            purchase = purchase_record(
                actor=actor,
                client=buyer,
                lines=_known_lines(lines),
                purchased_at=purchased_at,
                receipt_number=receipt_number,
            )
    except IntegrityError:  # the same receipt posted twice at the same moment
        existing = purchase_by_receipt(user=actor, store=store, receipt_number=receipt_number)
        if existing is None:
            raise
        return _same_purchase_or_conflict(
            actor=actor, store=store, existing=existing, ref=client, lines=lines
        ), False
    return purchase, True


# --- returns ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReturnLineRef:
    """A receipt line brought back: by its number on the receipt (from 1) or by its article."""

    quantity: int
    line: int | None = None
    sku: str = ""


def _return_quantities(purchase: Purchase, lines: Sequence[ReturnLineRef]) -> dict[int, int]:
    receipt_lines = list(purchase.lines.all())
    quantities: dict[int, int] = {}
    errors: list[str] = []
    for ref in lines:
        if ref.line is not None:
            if not 1 <= ref.line <= len(receipt_lines):
                errors.append(_("Line %(n)s is not on this receipt.") % {"n": ref.line})
                continue
            target = receipt_lines[ref.line - 1]
        else:
            candidates = [ln for ln in receipt_lines if ln.product and ln.product.sku == ref.sku]
            if len(candidates) != 1:
                errors.append(
                    _("Article %(sku)s is not on this receipt.") % {"sku": ref.sku}
                    if not candidates
                    else _("Article %(sku)s is on several lines: give the line number.")
                    % {"sku": ref.sku}
                )
                continue
            target = candidates[0]
        quantities[target.pk] = quantities.get(target.pk, 0) + ref.quantity
    if errors:
        raise ValidationError({"lines": errors})
    return quantities


def _same_return_or_conflict(
    key: IntegrationReturn, purchase: Purchase, quantities: dict[int, int]
) -> Return:
    sale_return = key.sale_return
    taken = {
        line.purchase_line_id: line.quantity
        for line in sale_return.lines.all()  # type: ignore[attr-defined]
    }
    if sale_return.purchase_id != purchase.pk or taken != {
        pk: quantity for pk, quantity in quantities.items() if quantity
    }:
        raise IdempotencyConflict(
            {"return_id": [_("This return id is already used for another return.")]}
        )
    return sale_return


def return_post(
    *,
    actor: User,
    store: Store,
    receipt_number: str,
    lines: Sequence[ReturnLineRef],
    return_id: str = "",
    reason: str = "",
    returned_at: datetime | None = None,
) -> tuple[Return, bool]:
    """Take goods back from a receipt; with a ``return_id`` the same return is recorded once."""
    purchase = purchase_by_receipt(user=actor, store=store, receipt_number=receipt_number.strip())
    if purchase is None:
        raise Http404("No such receipt")
    quantities = _return_quantities(purchase, lines)
    return_id = return_id.strip()

    def existing() -> IntegrationReturn | None:
        return (
            IntegrationReturn.objects.select_related("sale_return")
            .prefetch_related("sale_return__lines")
            .filter(store=store, return_id=return_id)
            .first()
        )

    if return_id and (key := existing()) is not None:
        return _same_return_or_conflict(key, purchase, quantities), False
    try:
        with transaction.atomic():
            sale_return = return_record(
                actor=actor,
                purchase=purchase,
                quantities=quantities,
                reason=reason,
                returned_at=returned_at,
            )
            if return_id:
                IntegrationReturn.objects.create(
                    store=store, return_id=return_id, sale_return=sale_return
                )
    except IntegrityError:
        key = existing() if return_id else None
        if key is None:
            raise
        return _same_return_or_conflict(key, purchase, quantities), False
    return sale_return, True


# --- products ---------------------------------------------------------------------------------

PRODUCT_FIELDS = (
    "name",
    "brand",
    "category",
    "material",
    "colour",
    "price",
    "is_service",
    "is_active",
)


@transaction.atomic
def product_upsert(*, actor: User, sku: str, **fields: Any) -> tuple[Product, bool]:
    """Create the product with this article or change it (``True`` when it was created)."""
    if not scope_for(actor).is_manager:
        raise PermissionDenied(_("Only a manager changes the catalogue."))
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    product = Product.objects.select_for_update().filter(sku=sku).first()
    created = product is None
    if product is None:
        product = Product(sku=sku)
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:  # created by a concurrent request: update that one instead
        product = Product.objects.select_for_update().get(sku=sku)
        for name, value in fields.items():
            setattr(product, name, value)
        product.save()
        created = False
    return product, created
