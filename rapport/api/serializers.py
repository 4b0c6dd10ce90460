"""What goes in and out of the API: parsing and shapes only, no business rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rapport.clients.choices import Channel, ConsentSource, ContactKind, Gender, Language
from rapport.clients.models import Client
from rapport.sales.models import Product, Purchase, PurchaseLine, Return, ReturnLine

MAX_AMOUNT = Decimal("9999999999.99")  # what a 12-digit money column holds
MAX_QUANTITY = 100_000
MAX_LINES = 500
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
KEY_PATTERN = r"^\S(.*\S)?$"  # an id without spaces at either end
KEY_MESSAGE = _("Use letters, digits and signs, without spaces at either end.")


def key_field(*, max_length: int = 64, **kwargs: Any) -> serializers.CharField:
    """A receipt number, an article or another id typed by a machine."""
    return serializers.CharField(
        max_length=max_length,
        trim_whitespace=False,
        validators=[RegexValidator(KEY_PATTERN, KEY_MESSAGE)],
        **kwargs,
    )


def money_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=MAX_AMOUNT, **kwargs
    )


def moment_field(**kwargs: Any) -> serializers.DateTimeField:
    return serializers.DateTimeField(
        validators=[MinValueValidator(EARLIEST)], required=False, **kwargs
    )


def birthday_field() -> serializers.DateField:
    return serializers.DateField(
        required=False,
        allow_null=True,
        validators=[MinValueValidator(dt.date(1900, 1, 1)), MaxValueValidator(dt.date(9000, 1, 1))],
    )


# --- errors (for the schema) --------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """401, 403, 404, 429: ``{"detail": "…"}``."""

    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """400 and 409: each field with its list of messages (``non_field_errors`` for the rest)."""

    field_name = serializers.ListField(child=serializers.CharField(), required=False)


# --- clients ------------------------------------------------------------------------------------


class ClientSerializer(serializers.ModelSerializer):
    """A client card as an integration sees it."""

    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    phones = serializers.SerializerMethodField()
    emails = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "id",
            "store",
            "owner",
            "first_name",
            "last_name",
            "middle_name",
            "gender",
            "birthday",
            "language",
            "preferred_channel",
            "status",
            "external_id",
            "phones",
            "emails",
            "purchase_count",
            "last_purchase_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _values(self, client: Client, kind: str) -> list[str]:
        return [point.value for point in client.contact_points.all() if point.kind == kind]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_phones(self, client: Client) -> list[str]:
        return self._values(client, ContactKind.PHONE)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_emails(self, client: Client) -> list[str]:
        return self._values(client, ContactKind.EMAIL)


class ClientMatchSerializer(ClientSerializer):
    """A card returned by create: ``matched`` is true when an existing card was found."""

    matched = serializers.BooleanField(read_only=True)

    class Meta(ClientSerializer.Meta):
        fields = [*ClientSerializer.Meta.fields, "matched"]
        read_only_fields = fields


class ClientListSerializer(serializers.Serializer):
    """Cards found by a lookup."""

    count = serializers.IntegerField()
    results = ClientSerializer(many=True)


class ClientLookupSerializer(serializers.Serializer):
    """``?phone=`` in any format the store's country reads, or ``?email=``."""

    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("phone", "").strip() and not attrs.get("email", "").strip():
            raise serializers.ValidationError(
                {"phone": [_("Give a phone number or an e-mail address.")]}
            )
        return attrs


def _blank_or(choices: Any) -> list[tuple[str, str]]:
    return [("", ""), *[(value, label) for value, label in choices if value]]


class ClientWriteSerializer(serializers.Serializer):
    """The card's own fields, as a till or a web shop sends them."""

    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    middle_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    gender = serializers.ChoiceField(choices=_blank_or(Gender.choices), required=False)
    birthday = birthday_field()
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    preferred_channel = serializers.ChoiceField(choices=_blank_or(Channel.choices), required=False)


class ClientCreateSerializer(ClientWriteSerializer):
    """A new card; an existing card with this phone, e-mail or external id is returned instead."""

    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    external_id = key_field(required=False, help_text=_("The client's id in your system."))
    owner = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        help_text=_("User name of the consultant who serves the client; empty: nobody yet."),
    )
    consent_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices),
        required=False,
        max_length=len(Channel.choices),
    )
    consent_source = serializers.ChoiceField(choices=ConsentSource.choices, required=False)


class ClientUpdateSerializer(ClientWriteSerializer):
    """Only the fields sent are changed; a ``phone`` or ``email`` the card lacks is added to it
    (the card's other numbers and addresses stay)."""

    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)


# --- purchases ----------------------------------------------------------------------------------


class ClientRefSerializer(serializers.Serializer):
    """Who bought, when the till does not know the card's id."""

    external_id = key_field(required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=80, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=80, required=False, allow_blank=True)


class LineSerializer(serializers.Serializer):
    """One receipt line; an article the catalogue does not know is kept by its description."""

    sku = key_field(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    unit_price = money_field()
    discount = money_field(required=False, default=Decimal("0"))


class PurchaseCreateSerializer(serializers.Serializer):
    """A receipt; ``receipt_number`` makes posting it again safe."""

    receipt_number = key_field()
    purchased_at = moment_field()
    client_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    client = ClientRefSerializer(required=False)
    lines = LineSerializer(many=True, allow_empty=False, max_length=MAX_LINES)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("client_id" in attrs) == ("client" in attrs):
            raise serializers.ValidationError(
                {"client": [_("Give either client_id or client, not both and not neither.")]}
            )
        total = sum(line["unit_price"] * line["quantity"] for line in attrs["lines"])
        if total > MAX_AMOUNT:
            raise serializers.ValidationError({"lines": [_("The receipt's total is too large.")]})
        return attrs


class PurchaseLineSerializer(serializers.ModelSerializer):
    """A recorded receipt line, numbered from 1 as on the receipt."""

    number = serializers.SerializerMethodField()
    sku = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = PurchaseLine
        fields = [
            "number",
            "sku",
            "description",
            "quantity",
            "unit_price",
            "discount",
            "amount",
            "returned_quantity",
        ]
        read_only_fields = fields

    def get_number(self, line: PurchaseLine) -> int:
        numbers: dict[int, int] = self.context.get("line_numbers", {})
        return numbers.get(line.pk, 0)

    def get_sku(self, line: PurchaseLine) -> str:
        return line.product.sku if line.product else ""


class PurchaseSerializer(serializers.ModelSerializer):
    """A recorded receipt."""

    lines = serializers.SerializerMethodField()
    client_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Purchase
        fields = [
            "id",
            "receipt_number",
            "store",
            "client_id",
            "purchased_at",
            "total",
            "discount_total",
            "returned_total",
            "lines",
        ]
        read_only_fields = fields

    @extend_schema_field(PurchaseLineSerializer(many=True))
    def get_lines(self, purchase: Purchase) -> list[dict[str, Any]]:
        lines = list(purchase.lines.all())
        numbers = {line.pk: number for number, line in enumerate(lines, start=1)}
        return list(
            PurchaseLineSerializer(lines, many=True, context={"line_numbers": numbers}).data
        )


# --- returns ------------------------------------------------------------------------------------


class ReturnLineInSerializer(serializers.Serializer):
    """A line brought back: its number on the receipt (from 1) or its article."""

    line = serializers.IntegerField(min_value=1, max_value=MAX_LINES, required=False)
    sku = key_field(required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("line" in attrs) == ("sku" in attrs):
            raise serializers.ValidationError(
                {"line": [_("Give either the line number or the article.")]}
            )
        return attrs


class ReturnCreateSerializer(serializers.Serializer):
    """Goods brought back; with a ``return_id`` posting it again is safe."""

    return_id = key_field(required=False, help_text=_("Your id of the return (idempotency)."))
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    returned_at = moment_field()
    lines = ReturnLineInSerializer(many=True, allow_empty=False, max_length=MAX_LINES)


class ReturnLineSerializer(serializers.ModelSerializer):
    """A returned line and its refund."""

    sku = serializers.SerializerMethodField()
    description = serializers.CharField(source="purchase_line.description", read_only=True)

    class Meta:
        model = ReturnLine
        fields = ["sku", "description", "quantity", "amount"]
        read_only_fields = fields

    def get_sku(self, line: ReturnLine) -> str:
        product = line.purchase_line.product
        return product.sku if product else ""


class ReturnSerializer(serializers.ModelSerializer):
    """A recorded return."""

    receipt_number = serializers.CharField(source="purchase.receipt_number", read_only=True)
    return_id = serializers.SerializerMethodField()
    lines = ReturnLineSerializer(many=True, read_only=True)

    class Meta:
        model = Return
        fields = ["id", "return_id", "receipt_number", "returned_at", "reason", "amount", "lines"]
        read_only_fields = fields

    def get_return_id(self, sale_return: Return) -> str:
        key = getattr(sale_return, "integration_key", None)
        return key.return_id if key is not None else ""


# --- products -----------------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    """A product of the catalogue, by its article; PUT sets every field (absent: the default)."""

    price = money_field(required=False, default=Decimal("0"))

    class Meta:
        model = Product
        fields = [
            "sku",
            "name",
            "brand",
            "category",
            "material",
            "colour",
            "price",
            "is_service",
            "is_active",
        ]
        read_only_fields = ["sku"]
        extra_kwargs: ClassVar[dict[str, Any]] = {"sku": {"validators": []}}
