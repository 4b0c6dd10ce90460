"""Client scores: refreshed after a purchase, a return or a visit, nightly for everyone, with the
store's thresholds; the card says them in plain words; Today ranks by them."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone, translation

from rapport.accounts.models import Store, User
from rapport.clients.models import Client
from rapport.insights.models import ClientScore, ScoreSettings, ScoringRun
from rapport.insights.services import client_score_refresh, scores_refresh
from rapport.sales.models import Purchase
from rapport.sales.services import LineInput, purchase_record, return_record, visit_record
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def at(day: date) -> datetime:
    return datetime.combine(day, time(13, 0), tzinfo=timezone.get_current_timezone())


def ring(price: str = "40000.00", quantity: int = 1, discount: str = "0") -> LineInput:
    return LineInput("Кольцо", quantity, Decimal(price), Decimal(discount))


def buy(world: World, client: Client, day: date, price: str = "40000.00") -> Purchase:
    return purchase_record(
        actor=world.owner, client=client, lines=[ring(price)], purchased_at=at(day)
    )


def populate(store: Store, owner: User, n: int = 60, seed: int = 3) -> list[Client]:
    """``n`` clients with a year or two of purchases at their own pace (rows written directly:
    the models need a crowd, not the services)."""
    rng = random.Random(seed)
    clients = []
    for i in range(n):
        client = make_client(owner, store, first_name=f"Клиент{i}", last_name="Тестов")
        day = TODAY - timedelta(days=rng.randint(200, 700))
        pace = rng.choice((21, 35, 60, 120))
        while day < TODAY - timedelta(days=rng.choice((1, 30, 200))):
            Purchase.objects.create(
                client=client,
                store=store,
                purchased_at=at(day),
                total=Decimal(rng.randint(5, 90) * 1000),
            )
            day += timedelta(days=max(3, int(rng.expovariate(1 / pace))))
        clients.append(client)
    return clients


def test_a_purchase_scores_the_client_at_once(world: World) -> None:
    for day in (date(2026, 6, 1), date(2026, 7, 27), date(2026, 9, 21)):
        buy(world, world.client, day)

    score = ClientScore.objects.get(client=world.client)
    world.client.refresh_from_db()
    assert world.client.status == "regular"  # three purchases by the default threshold
    assert (score.purchases, score.first_purchase, score.last_purchase) == (
        3, date(2026, 6, 1), date(2026, 9, 21),
    )  # fmt: skip
    assert score.revenue == Decimal("120000.00")
    assert score.interval_days == 56.0  # 8 weeks between each purchase
    assert score.p_alive is None  # no models fitted yet: a score, not a guess


def test_the_stores_threshold_decides_when_a_client_becomes_regular(world: World) -> None:
    ScoreSettings.objects.create(store=world.store, regular_purchases=2)

    buy(world, world.client, date(2026, 9, 1))
    world.client.refresh_from_db()
    assert world.client.status == "new"
    buy(world, world.client, date(2026, 10, 1))
    world.client.refresh_from_db()
    assert world.client.status == "regular"


def test_a_return_and_a_visit_refresh_the_numbers(world: World) -> None:
    purchase = buy(world, world.client, date(2026, 10, 1), price="50000.00")
    line = purchase.lines.get()
    return_record(actor=world.owner, purchase=purchase, quantities={line.pk: 1}, reason="размер")
    score = ClientScore.objects.get(client=world.client)
    assert (score.revenue, score.return_share) == (Decimal("0.00"), 1.0)
    assert "returns" in [s["code"] for s in score.signals]

    for _ in range(4):
        visit_record(actor=world.owner, client=world.client, purpose="browsing")
    score.refresh_from_db()
    assert score.kind_evidence["visits"] == 4


def test_the_nightly_pass_fits_the_models_and_scores_everyone(world: World) -> None:
    crowd = populate(world.store, world.owner)
    steady = make_client(world.owner, world.store, first_name="Стелла")
    stopped = make_client(world.owner, world.store, first_name="Стефания")
    for k in range(12):
        buy(world, steady, TODAY - timedelta(days=1 + 30 * k))
        buy(world, stopped, TODAY - timedelta(days=200 + 30 * k))

    stats = scores_refresh(today=TODAY)

    run = ScoringRun.objects.get()
    assert stats.clients == len(crowd) + 3  # and world.client, who never bought
    assert run.clients == stats.clients and run.finished_at is not None
    assert set(run.bg_nbd) >= {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(run.gamma_gamma) >= {"p", "q", "v"}
    scored = ClientScore.objects.filter(client__in=crowd)
    assert scored.count() == len(crowd)
    assert scored.filter(p_alive__isnull=True).count() == 0
    assert all(0.0 <= s.p_alive <= 1.0 for s in scored)  # type: ignore[operator]
    assert all(s.clv is not None and s.clv >= 0 for s in scored)
    alive = {s.client_id: s for s in ClientScore.objects.filter(client__in=[steady, stopped])}
    assert alive[steady.pk].p_alive > 0.9 > alive[stopped.pk].p_alive  # type: ignore[operator]
    assert alive[steady.pk].clv > alive[stopped.pk].clv  # type: ignore[operator]
    never = ClientScore.objects.get(client=world.client)
    assert (never.purchases, never.p_alive, never.clv) == (0, None, None)


def test_a_second_pass_the_same_day_writes_the_same_numbers(world: World) -> None:
    crowd = populate(world.store, world.owner, n=40)
    scores_refresh(today=TODAY)
    first = {
        s.client_id: (s.p_alive, s.clv, s.priority, s.kind)
        for s in ClientScore.objects.filter(client__in=crowd)
    }
    scores_refresh(today=TODAY)
    second = {
        s.client_id: (s.p_alive, s.clv, s.priority, s.kind)
        for s in ClientScore.objects.filter(client__in=crowd)
    }
    assert first == second
    assert ClientScore.objects.count() == len(crowd) + 1


def test_one_client_is_scored_with_the_last_nightly_models(world: World) -> None:
    populate(world.store, world.owner, n=40)
    scores_refresh(today=TODAY)
    run = ScoringRun.objects.get()

    buy(world, world.client, TODAY - timedelta(days=90))
    buy(world, world.client, TODAY - timedelta(days=30))
    score = client_score_refresh(client=world.client, today=TODAY)

    assert ScoringRun.objects.get() == run  # nothing refitted at the till
    assert score.p_alive is not None and 0 < score.p_alive <= 1
    assert score.clv is not None and score.clv > 0


def test_statuses_follow_the_calendar(world: World) -> None:
    lapsed = make_client(world.owner, world.store, first_name="Вера")
    buy(world, lapsed, date(2025, 9, 1))
    sleepy = make_client(world.owner, world.store, first_name="Нина")
    for day in (date(2026, 2, 1), date(2026, 3, 1), date(2026, 3, 29)):
        buy(world, sleepy, day)

    scores_refresh(today=date(2026, 4, 1))
    lapsed.refresh_from_db()
    sleepy.refresh_from_db()
    assert lapsed.status == "dormant"  # one purchase, 212 days ago (no rhythm: after 180 days)
    assert sleepy.status == "regular"

    stats = scores_refresh(today=TODAY)

    lapsed.refresh_from_db()
    sleepy.refresh_from_db()
    assert lapsed.status == "former"  # nothing for more than 365 days
    assert sleepy.status == "dormant"  # every 4 weeks, and 34 weeks since
    assert stats.status_changed == 2


def test_the_card_says_the_rhythm_in_plain_words(world: World) -> None:
    for day in (date(2026, 6, 1), date(2026, 7, 20), date(2026, 9, 7)):
        buy(world, world.client, day)
    client_score_refresh(client=world.client, today=date(2026, 11, 30))
    browser = Browser(headers={"accept-language": "en"})
    browser.force_login(world.owner)

    page = browser.get(reverse("clients:card", args=[world.client.pk])).content.decode()

    assert "Usually buys every 7 weeks; 12 weeks now." in page
    assert "Spent 120,000 RUB in all" in page


def test_today_ranks_the_same_day_by_value_times_risk(world: World) -> None:
    from rapport.outreach.selectors import agenda_for

    rich = make_client(world.owner, world.store, first_name="Богдана")
    poor = make_client(world.owner, world.store, first_name="Полина")
    for client in (rich, poor):
        ClientScore.objects.update_or_create(
            client=client,
            defaults={"computed_on": TODAY, "priority": 900_000 if client == rich else 10},
        )
    from rapport.outreach.models import Touchpoint

    for client in (poor, rich):
        Touchpoint.objects.create(
            client=client,
            store=world.store,
            assignee=world.owner,
            due_on=TODAY,
            window_start=TODAY,
            window_end=TODAY + timedelta(days=3),
            occasion="personal_checkin",
            category="personal",
            channel="whatsapp",
            priority=1,
        )

    page = agenda_for(user=world.owner, day=TODAY)

    assert [item.touchpoint.client_id for item in page.items] == [rich.pk, poor.pk]


def test_the_score_command_prints_one_json_line(world: World) -> None:
    populate(world.store, world.owner, n=60)
    out = StringIO()

    call_command("score", "--json", "--date", TODAY.isoformat(), stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["clients"] == 61
    assert set(summary["seconds"]) == {"load", "fit_and_score", "save", "total"}
    assert summary["bg_nbd"]["r"] > 0


def test_a_client_who_stopped_using_services_is_flagged(world: World) -> None:
    from rapport.sales.models import Product

    Product.objects.create(sku="SRV-CLEAN", name="Чистка украшений", price=3000, is_service=True)
    cleaning = LineInput("Чистка", 1, Decimal("3000"), sku="SRV-CLEAN")
    purchase_record(
        actor=world.owner,
        client=world.client,
        lines=[ring(), cleaning],
        purchased_at=at(date(2026, 5, 4)),
    )
    for day in (date(2026, 7, 6), date(2026, 9, 7), date(2026, 11, 2)):
        buy(world, world.client, day)

    score = client_score_refresh(client=world.client, today=TODAY)

    dropped = [s for s in score.signals if s["code"] == "services_dropped"]
    assert dropped == [
        {
            "code": "services_dropped",
            "evidence": {
                "last_service": "2026-05-04",
                "days_since_service": 203,
                "purchases_since": 3,
            },
        }
    ]
