"""Purchases, returns and visits recorded at the till: money, the client's summary, the timeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from rapport.accounts.choices import Role
from rapport.clients.models import Client, TimelineEvent
from rapport.clients.services import client_update
from rapport.sales.models import Product, Purchase, PurchaseLine, Return, ReturnLine, Visit
from rapport.sales.services import LineInput, purchase_record, return_record, visit_record
from rapport.testing import World, make_client, make_user

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
PERSONAS = ["owner", "colleague", "stranger", "manager", "admin"]
# Anyone serving the client records sales; another store's consultant does not even see the card.
ALLOWED = {"owner": True, "colleague": True, "stranger": False, "manager": True, "admin": True}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def D(value: str) -> Decimal:
    return Decimal(value)


def scarf(quantity: int = 1, price: str = "100.00", discount: str = "0") -> LineInput:
    return LineInput(
        description="Шарф", quantity=quantity, unit_price=D(price), discount=D(discount)
    )


def stored(purchase: Purchase) -> tuple[Decimal, Decimal, Decimal]:
    purchase.refresh_from_db()
    return purchase.total, purchase.discount_total, purchase.returned_total


def summary(client: Client) -> tuple[int, datetime | None, str]:
    client.refresh_from_db()
    return client.purchase_count, client.last_purchase_at, client.status


# --- purchases --------------------------------------------------------------------------------


def test_purchase_total_is_the_sum_of_lines_less_discounts(world: World) -> None:
    # given a receipt of three lines, two of them discounted
    lines = [
        LineInput(
            description="Шарф кашемировый", quantity=2, unit_price=D("12500"), discount=D("1000")
        ),
        LineInput(description="Перчатки", quantity=1, unit_price=D("4990.50")),
        LineInput(description="Носки", quantity=3, unit_price=D("199.99"), discount=D("0.03")),
    ]
    # when it is recorded
    purchase = purchase_record(actor=world.colleague, client=world.client, lines=lines)
    # then total = Σ unit_price × quantity − discount, to the kopeck
    assert stored(purchase) == (D("29590.44"), D("1000.03"), D("0.00"))
    assert (purchase.store_id, purchase.consultant_id, purchase.receipt_number) == (
        world.store.pk,
        world.colleague.pk,
        "",
    )
    assert list(
        PurchaseLine.objects.filter(purchase=purchase).values_list(
            "description", "quantity", "unit_price", "discount", "returned_quantity", "product_id"
        )
    ) == [
        ("Шарф кашемировый", 2, D("12500.00"), D("1000.00"), 0, None),
        ("Перчатки", 1, D("4990.50"), D("0.00"), 0, None),
        ("Носки", 3, D("199.99"), D("0.03"), 0, None),
    ]
    assert [line.amount for line in purchase.lines.all()] == [
        D("24000.00"),
        D("4990.50"),
        D("599.94"),
    ]


def test_a_line_by_article_takes_the_product_name(world: World) -> None:
    product = Product.objects.create(sku="LP-001", name="Кардиган Loro Piana", price=D("150000"))
    purchase = purchase_record(
        actor=world.owner,
        client=world.client,
        lines=[LineInput(description=" ", quantity=1, unit_price=D("149000"), sku="LP-001")],
    )
    assert list(purchase.lines.values_list("description", "product_id", "unit_price")) == [
        ("Кардиган Loro Piana", product.pk, D("149000.00"))
    ]


def test_purchases_keep_the_client_summary_and_the_third_makes_a_regular(world: World) -> None:
    client = world.client
    # recent dates: a client whose last purchase is a year old is former, not new
    now = timezone.localtime(timezone.now(), MSK).replace(microsecond=0)
    first_at = now - timedelta(days=70)
    latest_at = now - timedelta(days=10)
    # given a new client
    assert summary(client) == (0, None, "new")
    # when a first purchase is recorded, then a second, then an older receipt is entered late
    purchase_record(actor=world.owner, client=client, lines=[scarf()], purchased_at=first_at)
    assert summary(client) == (1, first_at, "new")
    purchase_record(actor=world.owner, client=client, lines=[scarf()], purchased_at=latest_at)
    assert summary(client) == (2, latest_at, "new")
    purchase_record(
        actor=world.owner,
        client=client,
        lines=[scarf()],
        purchased_at=first_at - timedelta(days=30),
    )
    # then the third purchase makes her regular, and the last purchase is still the latest
    assert summary(client) == (3, latest_at, "regular")


def test_a_vip_stays_vip_after_a_purchase(world: World) -> None:
    client_update(actor=world.manager, client=world.client, status="vip")
    purchase_record(actor=world.owner, client=world.client, lines=[scarf()])
    assert summary(world.client)[::2] == (1, "vip")


def test_the_same_receipt_twice_is_one_purchase(world: World) -> None:
    # given a receipt recorded once
    first = purchase_record(
        actor=world.owner, client=world.client, lines=[scarf()], receipt_number="0042"
    )
    # when the same receipt comes again (a retry, a POS re-send), with spaces around it
    again = purchase_record(
        actor=world.colleague, client=world.client, lines=[scarf(5)], receipt_number=" 0042 "
    )
    # then it is the same purchase: nothing new, the summary counts it once
    assert again.pk == first.pk
    assert list(Purchase.objects.values_list("receipt_number", "total")) == [("0042", D("100.00"))]
    assert PurchaseLine.objects.count() == 1
    assert summary(world.client)[0] == 1
    assert TimelineEvent.objects.filter(kind="purchase").count() == 1


def test_the_same_receipt_for_another_client_is_refused(world: World) -> None:
    other = make_client(world.owner, world.store, first_name="Юлия", last_name="Щукина")
    purchase_record(actor=world.owner, client=world.client, lines=[scarf()], receipt_number="0042")
    with pytest.raises(ValidationError) as caught:
        purchase_record(actor=world.owner, client=other, lines=[scarf()], receipt_number="0042")
    assert caught.value.message_dict == {
        "receipt_number": ["This receipt is already recorded for another client."]
    }
    assert Purchase.objects.count() == 1
    assert summary(other) == (0, None, "new")


def test_receipt_numbers_are_unique_per_store_only(world: World) -> None:
    abroad = make_client(world.stranger, world.other_store, first_name="Вера", last_name="Котова")
    here = purchase_record(
        actor=world.owner, client=world.client, lines=[scarf()], receipt_number="1"
    )
    there = purchase_record(
        actor=world.stranger, client=abroad, lines=[scarf()], receipt_number="1"
    )
    assert here.pk != there.pk
    assert sorted(Purchase.objects.values_list("store_id", "receipt_number")) == sorted(
        [(world.store.pk, "1"), (world.other_store.pk, "1")]
    )


def test_purchases_without_a_receipt_number_are_never_merged(world: World) -> None:
    purchase_record(actor=world.owner, client=world.client, lines=[scarf()])
    purchase_record(actor=world.owner, client=world.client, lines=[scarf()], receipt_number="  ")
    assert Purchase.objects.filter(client=world.client).count() == 2


@pytest.mark.parametrize(
    ("lines", "errors"),
    [
        ([], ["Add at least one item."]),
        (
            [LineInput(description="", quantity=1, unit_price=D("10"))],
            ["Line 1: say what was sold."],
        ),
        (
            [scarf(), LineInput(description="Шапка", quantity=0, unit_price=D("10"))],
            ["Line 2: the quantity must be at least 1."],
        ),
        ([scarf(price="-1")], ["Line 1: the price cannot be negative."]),
        (
            [scarf(discount="-0.01")],
            ["Line 1: the discount must be between 0 and the line's amount."],
        ),
        (
            [scarf(quantity=2, price="100", discount="200.01")],
            ["Line 1: the discount must be between 0 and the line's amount."],
        ),
        (
            [LineInput(description="", quantity=1, unit_price=D("10"), sku="NOPE")],
            ["Line 1: no product with article NOPE.", "Line 1: say what was sold."],
        ),
        (
            [
                scarf(),
                LineInput(description=" ", quantity=-1, unit_price=D("-5")),
                scarf(discount="101"),
            ],
            [
                "Line 2: say what was sold.",
                "Line 2: the quantity must be at least 1.",
                "Line 2: the price cannot be negative.",
                "Line 3: the discount must be between 0 and the line's amount.",
            ],
        ),
    ],
)
def test_each_line_error_refuses_the_whole_receipt(
    world: World, lines: list[LineInput], errors: list[str]
) -> None:
    with pytest.raises(ValidationError) as caught:
        purchase_record(actor=world.owner, client=world.client, lines=lines, receipt_number="7")
    assert caught.value.message_dict == {"lines": errors}
    assert (Purchase.objects.count(), PurchaseLine.objects.count()) == (0, 0)
    assert summary(world.client) == (0, None, "new")
    assert TimelineEvent.objects.filter(kind="purchase").count() == 0


def test_a_full_discount_is_allowed(world: World) -> None:
    purchase = purchase_record(
        actor=world.owner,
        client=world.client,
        lines=[scarf(quantity=2, price="100", discount="200")],
    )
    assert stored(purchase) == (D("0.00"), D("200.00"), D("0.00"))


def test_a_purchase_in_the_future_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        purchase_record(
            actor=world.owner,
            client=world.client,
            lines=[scarf()],
            purchased_at=timezone.now() + timedelta(hours=1),
        )
    assert caught.value.message_dict == {"purchased_at": ["A purchase cannot be in the future."]}
    assert Purchase.objects.count() == 0


def test_the_purchase_timeline_entry_links_the_purchase(world: World) -> None:
    at = datetime(2025, 4, 2, 15, 0, tzinfo=MSK)
    purchase = purchase_record(
        actor=world.colleague,
        client=world.client,
        lines=[
            scarf(2, "100", "10"),
            LineInput(description="Перчатки", quantity=1, unit_price=D("50")),
        ],
        purchased_at=at,
    )
    event = TimelineEvent.objects.get(client=world.client, kind="purchase")
    assert (event.actor_id, event.at, event.purchase_id, event.visit_id, event.sale_return_id) == (
        world.colleague.pk,
        at,
        purchase.pk,
        None,
        None,
    )
    assert event.data == {"total": "240.00", "items": ["Шарф", "Перчатки"]}


@pytest.mark.parametrize("who", PERSONAS)
def test_purchase_permissions(world: World, who: str) -> None:
    actor = getattr(world, who)
    if ALLOWED[who]:
        purchase = purchase_record(actor=actor, client=world.client, lines=[scarf()])
        assert purchase.consultant_id == actor.pk
    else:
        with pytest.raises(Http404):
            purchase_record(actor=actor, client=world.client, lines=[scarf()])
    assert Purchase.objects.count() == (1 if ALLOWED[who] else 0)


# --- returns ----------------------------------------------------------------------------------


@pytest.fixture
def receipt(world: World) -> Purchase:
    """Three scarves at 100 and a pair of gloves at 50 with 10 off: 340.00."""
    return purchase_record(
        actor=world.owner,
        client=world.client,
        lines=[
            scarf(3),
            LineInput(description="Перчатки", quantity=1, unit_price=D("50"), discount=D("10")),
        ],
        receipt_number="R-1",
    )


def line_ids(purchase: Purchase) -> list[int]:
    return list(purchase.lines.order_by("pk").values_list("pk", flat=True))


def returned(purchase: Purchase) -> list[int]:
    return list(purchase.lines.order_by("pk").values_list("returned_quantity", flat=True))


def test_a_partial_return(world: World, receipt: Purchase) -> None:
    scarves, gloves = line_ids(receipt)
    # when one scarf and the gloves come back
    sale_return = return_record(
        actor=world.colleague,
        purchase=receipt,
        quantities={scarves: 1, gloves: 1},
        reason="  не подошёл цвет ",
    )
    # then the refund is the line amounts, the lines and the receipt remember what came back
    sale_return.refresh_from_db()
    assert (
        sale_return.amount,
        sale_return.reason,
        sale_return.client_id,
        sale_return.recorded_by_id,
    ) == (
        D("140.00"),
        "не подошёл цвет",
        world.client.pk,
        world.colleague.pk,
    )
    assert sorted(ReturnLine.objects.values_list("purchase_line_id", "quantity", "amount")) == [
        (scarves, 1, D("100.00")),
        (gloves, 1, D("40.00")),
    ]
    assert returned(receipt) == [1, 1]
    assert stored(receipt) == (D("340.00"), D("10.00"), D("140.00"))
    # and a return is no purchase: the client's summary is unchanged
    assert summary(world.client)[0] == 1


def test_returning_more_than_is_left_is_refused(world: World, receipt: Purchase) -> None:
    scarves, gloves = line_ids(receipt)
    return_record(actor=world.owner, purchase=receipt, quantities={scarves: 2})
    with pytest.raises(ValidationError) as caught:
        return_record(actor=world.owner, purchase=receipt, quantities={scarves: 2, gloves: 1})
    assert caught.value.message_dict == {"lines": ["Шарф: you can return at most 1."]}
    # the refused return changed nothing, not even the valid gloves line
    assert returned(receipt) == [2, 0]
    assert stored(receipt)[2] == D("200.00")
    assert Return.objects.count() == 1


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ("nothing", "Choose what the client brings back."),
        ("zeros", "Choose what the client brings back."),
        ("negative", "Шарф: you can return at most 3."),
        ("foreign", "That item is not on this receipt."),
    ],
)
def test_return_refusals(world: World, receipt: Purchase, quantities: str, message: str) -> None:
    scarves, gloves = line_ids(receipt)
    other = purchase_record(actor=world.owner, client=world.client, lines=[scarf()])
    chosen = {
        "nothing": {},
        "zeros": {scarves: 0, gloves: 0},
        "negative": {scarves: -1},
        "foreign": {other.lines.get().pk: 1},
    }[quantities]
    with pytest.raises(ValidationError) as caught:
        return_record(actor=world.owner, purchase=receipt, quantities=chosen)
    assert caught.value.message_dict == {"lines": [message]}
    assert (Return.objects.count(), returned(receipt), stored(receipt)[2]) == (0, [0, 0], D("0.00"))


def test_returning_a_line_piece_by_piece_refunds_exactly_what_was_paid(world: World) -> None:
    # given three items for 100.00 in all (33.34 each, 0.02 off the line)
    purchase = purchase_record(
        actor=world.owner, client=world.client, lines=[scarf(3, "33.34", "0.02")]
    )
    [line] = line_ids(purchase)
    # when they come back one at a time
    refunds = [
        return_record(actor=world.owner, purchase=purchase, quantities={line: 1}).amount
        for _ in range(3)
    ]
    # then the refunds add up to the 100.00 paid, not 99.99:
    # 33.33, then 66.67 − 33.33, then 100.00 − 66.67
    assert refunds == [D("33.33"), D("33.34"), D("33.33")]
    assert stored(purchase) == (D("100.00"), D("0.02"), D("100.00"))
    assert returned(purchase) == [3]


def test_the_return_timeline_entry_links_return_and_purchase(
    world: World, receipt: Purchase
) -> None:
    scarves, _ = line_ids(receipt)
    at = timezone.now() - timedelta(hours=2)
    sale_return = return_record(
        actor=world.manager,
        purchase=receipt,
        quantities={scarves: 2},
        reason="брак",
        returned_at=at,
    )
    event = TimelineEvent.objects.get(client=world.client, kind="return")
    assert (event.actor_id, event.at, event.sale_return_id, event.purchase_id, event.visit_id) == (
        world.manager.pk,
        at,
        sale_return.pk,
        receipt.pk,
        None,
    )
    assert event.data == {"amount": "200.00", "reason": "брак", "items": ["Шарф"]}


@pytest.mark.parametrize("who", PERSONAS)
def test_return_permissions(world: World, receipt: Purchase, who: str) -> None:
    scarves, _ = line_ids(receipt)
    actor = getattr(world, who)
    if ALLOWED[who]:
        return_record(actor=actor, purchase=receipt, quantities={scarves: 1})
    else:
        with pytest.raises(Http404):
            return_record(actor=actor, purchase=receipt, quantities={scarves: 1})
    assert returned(receipt) == ([1, 0] if ALLOWED[who] else [0, 0])


# --- visits -----------------------------------------------------------------------------------


def test_visit_record(world: World) -> None:
    at = datetime(2025, 4, 2, 11, 15, tzinfo=MSK)
    visit = visit_record(
        actor=world.colleague,
        client=world.client,
        purpose="fitting",
        looked_at="  платье Max Mara, 42 ",
        note=" придёт в субботу ",
        visited_at=at,
    )
    visit.refresh_from_db()
    assert (
        visit.client_id,
        visit.store_id,
        visit.consultant_id,
        visit.purpose,
        visit.looked_at,
        visit.note,
        visit.visited_at,
    ) == (
        world.client.pk,
        world.store.pk,
        world.colleague.pk,
        "fitting",
        "платье Max Mara, 42",
        "придёт в субботу",
        at,
    )
    event = TimelineEvent.objects.get(client=world.client, kind="visit")
    assert (event.actor_id, event.at, event.visit_id, event.purchase_id, event.data) == (
        world.colleague.pk,
        at,
        visit.pk,
        None,
        {"purpose": "fitting", "looked_at": "платье Max Mara, 42"},
    )
    # a visit is not a purchase
    assert summary(world.client) == (0, None, "new")


def test_visit_with_an_unknown_purpose_is_refused(world: World) -> None:
    with pytest.raises(ValueError):
        visit_record(actor=world.owner, client=world.client, purpose="party")
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("who", PERSONAS)
def test_visit_permissions(world: World, who: str) -> None:
    actor = getattr(world, who)
    if ALLOWED[who]:
        assert (
            visit_record(actor=actor, client=world.client, purpose="browsing").consultant_id
            == actor.pk
        )
    else:
        with pytest.raises(Http404):
            visit_record(actor=actor, client=world.client, purpose="browsing")
    assert Visit.objects.count() == (1 if ALLOWED[who] else 0)


def test_a_manager_of_another_store_cannot_record_here(world: World) -> None:
    other_manager = make_user(world.other_store, Role.MANAGER, username="gleb")
    with pytest.raises(Http404):
        purchase_record(actor=other_manager, client=world.client, lines=[scarf()])
    with pytest.raises(Http404):
        visit_record(actor=other_manager, client=world.client, purpose="browsing")
    assert (Purchase.objects.count(), Visit.objects.count()) == (0, 0)
