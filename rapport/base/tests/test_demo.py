"""``rapport demo --setup-only``: the demo company is created once, consistently."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from rapport.accounts.models import Membership, Store, User
from rapport.clients.models import Client, ContactPoint, DuplicateCandidate, TimelineEvent
from rapport.core.normalize import name_skeleton, phone_suffix_key
from rapport.insights.models import ClientScore
from rapport.sales.models import Purchase, PurchaseLine, Visit

pytestmark = pytest.mark.django_db


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", "--setup-only", *args, stdout=out)
    return out.getvalue()


def test_demo_setup_creates_the_company_once():
    output = run_demo("--clients", "60")

    assert Store.objects.count() == 2
    assert sorted(Store.objects.values_list("name", "city", "country", "currency")) == [
        ("Rapport — Невский", "Санкт-Петербург", "RU", "RUB"),
        ("Rapport — Тверская", "Москва", "RU", "RUB"),
    ]
    assert User.objects.count() == 9
    assert User.objects.filter(is_company_admin=True).count() == 1
    assert Membership.objects.count() == 8
    assert Counter(Membership.objects.values_list("role", flat=True)) == {
        "manager": 2,
        "consultant": 6,
    }
    assert User.objects.filter(language="en").count() == 1
    assert Client.objects.count() == 60 + 6  # and three duplicate cards per store
    assert Client.objects.filter(store__name="Rapport — Тверская").count() == 33
    assert "olga" in output and "olga-demo" in output and "admin-demo" in output

    # Running it again only reprints the logins.
    again = run_demo("--clients", "60")
    assert Client.objects.count() == 66 and Store.objects.count() == 2
    assert "olga-demo" in again


def test_the_duplicates_queue_holds_the_planted_second_cards():
    run_demo("--clients", "60")

    pending = DuplicateCandidate.objects.filter(status="pending").select_related(
        "client_a", "client_b"
    )
    pairs = {(c.client_a.store.name, c.client_a_id, c.client_b_id) for c in pending}
    planted = Client.objects.order_by("-pk")[:6]
    assert len(pairs) == 6
    assert {pk for _, _, pk in pairs} == {c.pk for c in planted}  # each with its original
    assert {store for store, _, _ in pairs} == {"Rapport — Тверская", "Rapport — Невский"}
    names = {(c.first_name, c.last_name) for c in planted}
    assert any(name.isascii() for name, _ in names)  # typed in Latin letters


def test_demo_data_is_consistent():
    run_demo("--clients", "60")

    for client in Client.objects.annotate(n=Count("purchases")):
        assert client.purchase_count == client.n
        assert client.first_name_key == name_skeleton(client.first_name)
        assert client.last_name_key == name_skeleton(client.last_name)
        primary = ContactPoint.objects.get(client=client, kind="phone", is_primary=True)
        assert primary.value.startswith("+79") and len(primary.value) == 12
        assert primary.suffix_key == phone_suffix_key(primary.value)
        last = client.purchases.order_by("-purchased_at").first()
        assert client.last_purchase_at == (last.purchased_at if last else None)
        # Statuses come from the scoring pass: a client with fewer than three purchases is never
        # regular, and every client has their numbers.
        score = ClientScore.objects.get(client=client)
        assert score.purchases == client.purchase_count
        if client.purchase_count < 3:
            assert client.status in {"new", "dormant", "former", "vip"}
        else:
            assert client.status in {"regular", "vip", "dormant", "former"}
        assert TimelineEvent.objects.filter(client=client, kind="created").count() == 1
        if client.owner is not None:
            assert client.owner.memberships.get().store_id == client.store_id

    assert Purchase.objects.count() > 100
    for purchase in Purchase.objects.prefetch_related("lines"):
        lines = list(purchase.lines.all())
        assert 1 <= len(lines) <= 3
        assert purchase.total == sum(
            (ln.unit_price * ln.quantity - ln.discount for ln in lines), Decimal(0)
        )
        assert purchase.discount_total == sum((ln.discount for ln in lines), Decimal(0))
        assert purchase.store_id == purchase.client.store_id
    assert PurchaseLine.objects.filter(product__isnull=True).count() == 0

    purchase_events = TimelineEvent.objects.filter(kind="purchase").select_related("purchase")
    assert purchase_events.count() == Purchase.objects.count()
    assert all(
        e.at == e.purchase.purchased_at and e.client_id == e.purchase.client_id  # type: ignore[union-attr]
        for e in purchase_events
    )
    visit_events = TimelineEvent.objects.filter(kind="visit").select_related("visit")
    assert visit_events.count() == Visit.objects.count() > 0
    assert all(e.at == e.visit.visited_at for e in visit_events)  # type: ignore[union-attr]
