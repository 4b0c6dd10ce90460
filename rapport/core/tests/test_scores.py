"""Per-client numbers (DESIGN §4): properties on generated histories, then exact examples."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.scores import (
    SIGNALS,
    STATUSES,
    TYPES,
    ClientType,
    Figures,
    History,
    Rhythm,
    Sale,
    Signal,
    Thresholds,
    Touch,
    _constructor,
    churn_signals,
    client_type,
    figures,
    rhythm,
    status,
)

TODAY = date(2026, 5, 14)
DEFAULTS = Thresholds()
OUTCOMES = ("sent", "replied", "no_answer", "visit_booked", "declined", "opted_out", "complaint")


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def sale(
    days_ago: int,
    total: float = 100.0,
    *,
    discount: float = 0.0,
    returned: float = 0.0,
    items: int = 1,
    services: int = 0,
) -> Sale:
    return Sale(ago(days_ago), total, discount, returned, items, services)


def history(
    *sales: Sale,
    visits: tuple[int, ...] = (),
    contacts: tuple[Touch, ...] = (),
    created: int = 3000,
) -> History:
    return History(ago(created), sales, tuple(ago(v) for v in visits), contacts)


def every(gaps: list[int], *, since: int = 0, **fields: Any) -> tuple[Sale, ...]:
    """Receipts whose purchase days have these gaps, the last one ``since`` days ago."""
    offsets = [since]
    for gap in reversed(gaps):
        offsets.append(offsets[-1] + gap)
    return tuple(sale(offset, **fields) for offset in reversed(offsets))


def touches(*pairs: tuple[int, str]) -> tuple[Touch, ...]:
    return tuple(Touch(ago(days), outcome) for days, outcome in pairs)


def signal(h: History, code: str, thresholds: Thresholds = DEFAULTS) -> Signal | None:
    found = [s for s in churn_signals(h, TODAY, thresholds) if s.code == code]
    return found[0] if found else None


# Generated histories -----------------------------------------------------------------------------


# Mostly spread over years, often bunched in the last weeks (same-day receipts, today's), a few
# after today (ignored).
offsets = st.integers(-30, 3000) | st.integers(0, 20)


@st.composite
def sales_(draw: st.DrawFn) -> Sale:
    total = draw(st.floats(0, 2_000_000, allow_nan=False, allow_infinity=False))
    items = draw(st.integers(0, 8))
    return Sale(
        ago(draw(offsets)),
        total,
        draw(st.floats(0, 1_000_000, allow_nan=False, allow_infinity=False)),
        total * draw(st.floats(0, 1)),
        items,
        draw(st.integers(0, items)),
    )


@st.composite
def histories(draw: st.DrawFn) -> History:
    day = offsets.map(ago)
    outcome = st.sampled_from(OUTCOMES) | st.text(max_size=4)
    return History(
        created=draw(day),
        sales=tuple(draw(st.lists(sales_(), max_size=25))),
        visits=tuple(draw(st.lists(day, max_size=12))),
        contacts=tuple(draw(st.lists(st.builds(Touch, day, outcome), max_size=15))),
    )


thresholds_ = st.builds(
    Thresholds,
    regular_purchases=st.integers(1, 10),
    vip_revenue=st.floats(0, 5_000_000, allow_nan=False),
    dormant_ratio=st.floats(1, 5, allow_nan=False),
    dormant_days=st.integers(1, 1000),
    former_days=st.integers(1, 2000),
    unanswered_streak=st.integers(1, 8),
)
p_alives = st.none() | st.floats(0, 1)


@given(histories(), thresholds_, p_alives)
def test_figures_never_fail_and_stay_in_range(
    h: History, thresholds: Thresholds, p_alive: float | None
) -> None:
    result = figures(h, TODAY, thresholds, p_alive=p_alive)

    assert result.status in STATUSES
    assert result.kind.code in TYPES
    codes = [s.code for s in result.signals]
    assert len(codes) == len(set(codes))
    assert codes == [code for code in SIGNALS if code in codes]  # in the documented order
    for evidence in [s.evidence for s in result.signals] + [result.kind.evidence]:
        assert all(isinstance(value, int | float | str) for value in evidence.values())
    assert result.frequency == (result.rhythm.gaps if result.rhythm else 0)
    if result.purchases:
        assert result.recency_days is not None and result.recency_days >= 0
    r = result.rhythm
    if r is not None:
        assert r.overdue_ratio >= 0
        assert r.days_since == result.recency_days
        assert 0.0 <= r.regularity <= 1.0
        assert 1 <= r.low <= r.interval <= r.high


@given(histories(), thresholds_, p_alives)
def test_figures_agree_with_the_single_functions(
    h: History, thresholds: Thresholds, p_alive: float | None
) -> None:
    result = figures(h, TODAY, thresholds, p_alive=p_alive)

    assert result.signals == churn_signals(h, TODAY, thresholds)
    assert result.kind == client_type(h, TODAY)
    assert result.status == status(h, TODAY, thresholds, p_alive=p_alive)
    assert result.rhythm == rhythm([s.day for s in h.sales], TODAY)


@given(histories(), st.randoms(use_true_random=False))
def test_the_order_of_receipts_visits_and_contacts_does_not_matter(
    h: History, rng: random.Random
) -> None:
    sales, visits, contacts = list(h.sales), list(h.visits), list(h.contacts)
    rng.shuffle(sales)
    rng.shuffle(visits)
    rng.shuffle(contacts)
    other = History(h.created, tuple(sales), tuple(visits), tuple(contacts))

    assert figures(other, TODAY) == figures(h, TODAY)


@given(histories())
def test_what_happens_after_today_is_ignored(h: History) -> None:
    past = History(
        h.created,
        tuple(s for s in h.sales if s.day <= TODAY),
        tuple(v for v in h.visits if v <= TODAY),
        tuple(c for c in h.contacts if c.day <= TODAY),
    )

    assert figures(h, TODAY) == figures(past, TODAY)


@given(histories(), thresholds_, p_alives, st.floats(0, 100_000, allow_nan=False))
def test_a_purchase_today_resets_recency_and_is_never_dormant_or_former(
    h: History, thresholds: Thresholds, p_alive: float | None, total: float
) -> None:
    bought = replace(h, sales=(*h.sales, Sale(TODAY, total, 0.0, 0.0, 1)))

    result = figures(bought, TODAY, thresholds, p_alive=p_alive)

    assert result.recency_days == 0
    assert result.status not in ("dormant", "former")
    assert "overdue" not in [s.code for s in result.signals]


# Figures -----------------------------------------------------------------------------------------


def test_a_card_without_purchases_has_empty_figures() -> None:
    h = history(created=10)

    assert figures(h, TODAY) == Figures(
        purchases=0,
        first=None,
        last=None,
        recency_days=None,
        frequency=0,
        revenue=0.0,
        revenue_year=0.0,
        average_ticket=0.0,
        discount_share=0.0,
        return_share=0.0,
        rhythm=None,
        signals=(),
        kind=ClientType(
            "unknown",
            {
                "reason": "too_little_history",
                "purchase_days": 0,
                "visits": 0,
                "discount_share": 0.0,
                "discounted_share": 0.0,
                "regularity": 0.0,
                "single_item_share": 0.0,
            },
        ),
        status="new",
    )


def test_figures_count_receipts_days_net_revenue_and_shares() -> None:
    h = history(
        sale(10, 400, discount=100, items=3),
        sale(410, 1000, items=2),
        sale(110, 800, discount=200, returned=100),
        sale(10, 600),
    )

    result = figures(h, TODAY)

    assert result.purchases == 4
    assert (result.first, result.last) == (ago(410), ago(10))
    assert result.recency_days == 10
    assert result.frequency == 2  # three purchase days
    assert result.revenue == 2700.0
    assert result.revenue_year == 1700.0  # the receipt 410 days old is out of the year
    assert result.average_ticket == 675.0
    assert result.discount_share == 300 / 3100
    assert result.return_share == 100 / 2800
    assert result.rhythm == Rhythm(200.0, 150.0, 250.0, 0.5, 2, 10, 0.05)


def test_the_year_is_today_and_the_364_days_before() -> None:
    inside = history(sale(364, 300), sale(0, 100))
    outside = history(sale(365, 300), sale(0, 100))

    assert figures(inside, TODAY).revenue_year == 400.0
    assert figures(outside, TODAY).revenue_year == 100.0


# Rhythm ------------------------------------------------------------------------------------------


def test_no_rhythm_before_two_purchase_days() -> None:
    assert rhythm([], TODAY) is None
    assert rhythm([ago(5)], TODAY) is None
    assert rhythm([ago(5), ago(5)], TODAY) is None
    assert rhythm([ago(5), TODAY + timedelta(days=3)], TODAY) is None  # a later day is ignored


def test_one_gap_is_the_interval_but_says_nothing_about_regularity() -> None:
    assert rhythm([ago(40), ago(10)], TODAY) == Rhythm(30.0, 30.0, 30.0, 0.0, 1, 10, 10 / 30)


def test_usually_every_7_to_9_weeks_and_12_weeks_now() -> None:
    days = [ago(84 + 63 + 56 + 49), ago(84 + 63 + 56), ago(84 + 63), ago(84)]

    result = rhythm([*reversed(days), ago(84)], TODAY)  # any order, repeats ignored

    assert result == Rhythm(56.0, 52.5, 59.5, 1 - 7 / 56, 3, 84, 1.5)


def test_quartiles_of_an_even_number_of_gaps() -> None:
    days = [ago(100), ago(90), ago(70), ago(40), ago(0)]  # gaps 10, 20, 30, 40

    assert rhythm(days, TODAY) == Rhythm(25.0, 17.5, 32.5, 1 - 15 / 25, 4, 0, 0.0)


def test_regularity_stops_at_zero_when_the_usual_range_is_wider_than_the_interval() -> None:
    days = [ago(220), ago(210), ago(200), ago(100), ago(0)]  # gaps 10, 10, 100, 100

    result = rhythm(days, TODAY)

    assert result is not None
    assert (result.interval, result.low, result.high, result.regularity) == (55, 10, 100, 0.0)


# Signals: basket_shrinking ------------------------------------------------------------------------


def test_basket_shrinking_at_30_percent_below_the_earlier_average() -> None:
    h = history(sale(200, 120), sale(160, 80), sale(120, 70), sale(80, 60), sale(40, 80))

    assert signal(h, "basket_shrinking") == Signal(
        "basket_shrinking",
        {
            "recent_avg": 70.0,
            "earlier_avg": 100.0,
            "change": 70 / 100 - 1,
            "recent_count": 3,
            "earlier_count": 2,
        },
    )


def test_no_basket_shrinking_just_under_30_percent() -> None:
    h = history(sale(200, 100), sale(160, 100), sale(120, 71), sale(80, 71), sale(40, 71))

    assert signal(h, "basket_shrinking") is None


def test_basket_shrinking_counts_returns() -> None:
    h = history(
        sale(200, 100),
        sale(160, 100),
        *(sale(days, 100, returned=30) for days in (120, 80, 40)),
    )

    found = signal(h, "basket_shrinking")

    assert found is not None and found.evidence["recent_avg"] == 70.0


def test_basket_shrinking_needs_five_receipts() -> None:
    h = history(sale(160, 1000), sale(120, 10), sale(80, 10), sale(40, 10))

    assert signal(h, "basket_shrinking") is None


# Signals: intervals_lengthening -------------------------------------------------------------------


def test_intervals_lengthening_at_one_and_a_half_times_the_earlier_gap() -> None:
    h = history(*every([30, 30, 45, 45]))

    assert signal(h, "intervals_lengthening") == Signal(
        "intervals_lengthening", {"recent_gap": 45.0, "earlier_gap": 30.0, "ratio": 1.5}
    )


def test_no_intervals_lengthening_just_under_one_and_a_half() -> None:
    assert signal(history(*every([30, 30, 45, 44])), "intervals_lengthening") is None


def test_intervals_lengthening_compares_with_the_median_of_the_earlier_gaps() -> None:
    h = history(*every([200, 30, 30, 50, 40]))  # earlier median 30 despite one long gap

    found = signal(h, "intervals_lengthening")

    assert found is not None and found.evidence == {
        "recent_gap": 45.0,
        "earlier_gap": 30.0,
        "ratio": 1.5,
    }


def test_intervals_lengthening_needs_four_gaps() -> None:
    assert signal(history(*every([30, 90, 90])), "intervals_lengthening") is None


# Signals: returns ---------------------------------------------------------------------------------


def test_a_refund_on_a_receipt_of_the_last_180_days() -> None:
    h = history(sale(179, 1000, returned=50), sale(10, 1000))

    assert signal(h, "returns") == Signal(
        "returns",
        {
            "returned_recent": 50.0,
            "returns_recent": 1,
            "return_share": 50 / 2000,
            "complaints_recent": 0,
        },
    )


def test_a_small_refund_180_days_old_is_no_longer_a_signal() -> None:
    assert signal(history(sale(180, 1000, returned=50), sale(10, 1000)), "returns") is None


def test_a_return_share_of_20_percent_is_a_signal_whenever_it_was() -> None:
    h = history(sale(900, 100, returned=20))

    assert signal(h, "returns") == Signal(
        "returns",
        {"returned_recent": 0.0, "returns_recent": 0, "return_share": 0.2, "complaints_recent": 0},
    )
    assert signal(history(sale(900, 100, returned=19)), "returns") is None


def test_a_complaint_of_the_last_180_days() -> None:
    recent = history(sale(400), contacts=touches((179, "complaint")))
    old = history(sale(400), contacts=touches((180, "complaint")))

    found = signal(recent, "returns")

    assert found is not None and found.evidence["complaints_recent"] == 1
    assert signal(old, "returns") is None


# Signals: unanswered ------------------------------------------------------------------------------


def test_three_contacts_without_a_reply_since_the_last_one() -> None:
    contacts = touches((60, "replied"), (50, "no_answer"), (40, "sent"), (30, "no_answer"))

    assert signal(history(sale(100), contacts=contacts), "unanswered") == Signal(
        "unanswered",
        {
            "streak": 3,
            "last_reply": ago(60).isoformat(),
            "declined_on": "",
            "opted_out_on": "",
        },
    )


def test_two_unanswered_contacts_are_not_yet_a_signal_unless_the_store_says_so() -> None:
    h = history(sale(100), contacts=touches((60, "visit_booked"), (50, "sent"), (30, "no_answer")))

    assert signal(h, "unanswered") is None
    assert signal(h, "unanswered", Thresholds(unanswered_streak=2)) is not None


def test_a_message_sent_less_than_a_week_ago_is_still_waiting() -> None:
    waiting = touches((50, "no_answer"), (40, "no_answer"), (6, "sent"))
    week_old = touches((50, "no_answer"), (40, "no_answer"), (7, "sent"))

    assert signal(history(sale(100), contacts=waiting), "unanswered") is None
    found = signal(history(sale(100), contacts=week_old), "unanswered")
    assert found is not None and found.evidence["streak"] == 3


def test_a_reply_answers_the_messages_of_its_own_day() -> None:
    contacts = touches((50, "no_answer"), (40, "no_answer"), (30, "no_answer"), (30, "replied"))

    assert signal(history(sale(100), contacts=contacts), "unanswered") is None


def test_a_decline_of_the_last_180_days_without_a_reply_since() -> None:
    declined = touches((179, "declined"))
    answered_after = touches((100, "declined"), (90, "replied"))
    too_old = touches((180, "declined"))

    assert signal(history(sale(10), contacts=declined), "unanswered") == Signal(
        "unanswered",
        {"streak": 1, "last_reply": "", "declined_on": ago(179).isoformat(), "opted_out_on": ""},
    )
    assert signal(history(sale(10), contacts=answered_after), "unanswered") is None
    assert signal(history(sale(10), contacts=too_old), "unanswered") is None


def test_an_opt_out_of_the_last_180_days() -> None:
    found = signal(history(sale(10), contacts=touches((20, "opted_out"))), "unanswered")

    assert found is not None and found.evidence["opted_out_on"] == ago(20).isoformat()


def test_no_contacts_no_unanswered_signal() -> None:
    assert signal(history(sale(10)), "unanswered") is None


# Signals: services_dropped ------------------------------------------------------------------------


def test_services_dropped_after_three_receipts_without_one() -> None:
    h = history(sale(200, items=2, services=1), sale(150), sale(100), sale(50))

    assert signal(h, "services_dropped") == Signal(
        "services_dropped",
        {"last_service": ago(200).isoformat(), "days_since_service": 200, "purchases_since": 3},
    )


def test_two_receipts_without_a_service_within_the_year_are_not_yet_a_signal() -> None:
    h = history(sale(364, items=2, services=1), sale(100), sale(50))

    assert signal(h, "services_dropped") is None


def test_services_dropped_when_the_last_service_is_a_year_old_and_the_client_bought_since() -> None:
    h = history(sale(365, items=2, services=1), sale(100))

    found = signal(h, "services_dropped")

    assert found is not None and found.evidence["purchases_since"] == 1
    assert signal(history(sale(365, items=2, services=1)), "services_dropped") is None


def test_a_service_on_the_last_receipt_or_never_is_no_signal() -> None:
    last = history(sale(300), sale(200), sale(100), sale(50, services=1))
    never = history(sale(300), sale(200), sale(100), sale(50))

    assert signal(last, "services_dropped") is None
    assert signal(never, "services_dropped") is None


# Signals: overdue ---------------------------------------------------------------------------------


def test_overdue_at_one_and_a_half_times_the_interval() -> None:
    h = history(*every([56, 56], since=84))

    assert signal(h, "overdue") == Signal(
        "overdue", {"days_since": 84, "interval": 56.0, "low": 56.0, "high": 56.0, "ratio": 1.5}
    )
    assert signal(history(*every([56, 56], since=83)), "overdue") is None


def test_overdue_needs_two_gaps() -> None:
    assert signal(history(*every([10], since=100)), "overdue") is None


def test_a_former_client_is_no_longer_overdue() -> None:
    assert signal(history(*every([100, 100], since=364)), "overdue") is not None
    assert signal(history(*every([100, 100], since=365)), "overdue") is None


# Customer type ------------------------------------------------------------------------------------


def kind(h: History) -> str:
    return client_type(h, TODAY).code


def test_too_little_history_is_unknown() -> None:
    assert kind(history()) == "unknown"
    assert kind(history(sale(10), sale(10))) == "unknown"  # one purchase day
    assert kind(history(visits=(5,))) == "unknown"
    assert kind(history(sale(10), visits=(5,))) == "unknown"


def test_wandering_visits_at_least_twice_per_purchase_day() -> None:
    assert kind(history(visits=(5, 9))) == "wandering"
    assert kind(history(sale(100), visits=(5, 9))) == "wandering"
    assert kind(history(sale(100, items=3), sale(10, items=3), visits=(5, 9, 20))) == "impulse"
    assert kind(history(sale(100), sale(10), visits=(5, 9, 20, 30))) == "wandering"


def test_discount_by_discount_share_of_25_percent() -> None:
    at = history(sale(300, 100, discount=100), sale(120), sale(100))  # 100 / 400, 1 of 3 receipts
    under = history(sale(300, 100, discount=99), sale(120), sale(100))

    assert client_type(at, TODAY) == ClientType(
        "discount",
        {
            "reason": "discount_share",
            "purchase_days": 3,
            "visits": 0,
            "discount_share": 0.25,
            "discounted_share": 1 / 3,
            "regularity": 1 - 80 / 100,  # gaps 180 and 20: range 60–140 around 100
            "single_item_share": 1.0,
        },
    )
    assert kind(under) == "need"


def test_discount_when_most_receipts_are_bought_at_20_percent_off() -> None:
    at = history(sale(300, 80, discount=20), sale(200, 80, discount=20), sale(100, 1000))
    under = history(sale(300, 81, discount=19), sale(200, 81, discount=19), sale(100, 1000))
    half = history(*(sale(d, 80, discount=20) for d in (300, 200)), sale(100, 900), sale(0, 900))

    result = client_type(at, TODAY)

    assert result.code == "discount"
    assert result.evidence["reason"] == "discounted_receipts"
    assert result.evidence["discounted_share"] == 2 / 3
    assert kind(under) == "loyal"  # gaps 100, 100: regular
    assert kind(half) != "discount"


def test_loyal_with_three_purchase_days_and_regularity_of_one_half() -> None:
    at = history(*every([30, 90]))  # range 45–75 around 60
    under = history(*every([29, 91]))  # range 44.5–75.5 around 60

    result = client_type(at, TODAY)

    assert result.code == "loyal"
    assert result.evidence["regularity"] == 0.5
    assert kind(under) == "need"
    assert kind(history(*every([60]))) == "need"  # two purchase days are no rhythm yet


def test_loyal_comes_before_wandering_and_discount_before_loyal() -> None:
    regular = every([60, 60, 60])

    assert kind(history(*regular, visits=(1, 2, 3, 5, 8, 13, 21, 34))) == "loyal"
    assert kind(history(*every([60, 60, 60], total=70, discount=30))) == "discount"


def test_need_when_most_receipts_hold_one_article_besides_services() -> None:
    # gaps 10, 290, 100: irregular
    three_of_four = history(
        sale(400, items=2, services=1), sale(390), sale(100, items=3), sale(0, items=0)
    )
    two_of_four = history(sale(400, items=2), sale(390), sale(100, items=3), sale(0, items=1))

    assert kind(three_of_four) == "need"
    assert kind(two_of_four) == "impulse"


def test_impulse_shows_how_big_the_one_off_purchases_are() -> None:
    h = history(sale(300, 100, items=2), sale(10, 300, items=4))

    assert client_type(h, TODAY).evidence == {
        "reason": "several_items_irregular",
        "purchase_days": 2,
        "visits": 0,
        "discount_share": 0.0,
        "discounted_share": 0.0,
        "regularity": 0.0,
        "single_item_share": 0.0,
        "largest_ticket_ratio": 1.5,
    }


# Status -------------------------------------------------------------------------------------------


def state(h: History, thresholds: Thresholds = DEFAULTS, p_alive: float | None = None) -> str:
    return status(h, TODAY, thresholds, p_alive=p_alive)


def test_a_card_without_purchases_is_new_until_it_is_a_year_old() -> None:
    assert state(history(created=364)) == "new"
    assert state(history(created=365)) == "former"
    assert state(history(created=365), Thresholds(former_days=400)) == "new"
    assert state(history(created=30), p_alive=0.0) == "new"


def test_former_after_a_year_without_a_purchase() -> None:
    assert state(history(sale(365))) == "former"
    assert state(history(sale(364))) == "dormant"
    assert state(history(sale(364)), Thresholds(former_days=400, dormant_days=365)) == "new"


def test_dormant_after_180_days_without_a_rhythm_to_judge_by() -> None:
    assert state(history(sale(180))) == "dormant"
    assert state(history(sale(179))) == "new"
    assert state(history(sale(100), sale(97))) == "new"  # one short gap is no rhythm
    assert state(history(sale(100), sale(97)), Thresholds(dormant_days=97)) == "dormant"


def test_dormant_after_twice_the_own_interval() -> None:
    assert state(history(*every([30, 30], since=60))) == "dormant"
    assert state(history(*every([30, 30], since=59))) == "regular"
    assert state(history(*every([30, 30], since=89)), Thresholds(dormant_ratio=3.0)) == "regular"
    assert state(history(*every([30, 30], since=90)), Thresholds(dormant_ratio=3.0)) == "dormant"


def test_dormant_when_p_alive_is_under_0_3_unless_the_client_bought_today() -> None:
    h = history(*every([30, 30], since=10))

    assert state(h, p_alive=0.29) == "dormant"
    assert state(h, p_alive=0.3) == "regular"
    assert state(history(*every([30, 30], since=0)), p_alive=0.0) == "regular"


def test_vip_from_2500000_net_over_the_last_365_days() -> None:
    assert state(history(sale(364, 2_400_000), sale(10, 100_000))) == "vip"
    assert state(history(sale(365, 2_400_000), sale(10, 100_000))) == "new"
    assert state(history(sale(10, 2_500_000, returned=1))) == "new"
    assert state(history(sale(10, 2_500_000))) == "vip"
    assert state(history(sale(10, 100)), Thresholds(vip_revenue=100)) == "vip"


def test_regular_from_three_receipts() -> None:
    assert state(history(sale(20), sale(10), sale(10))) == "regular"
    assert state(history(sale(20), sale(10))) == "new"
    assert state(history(sale(20), sale(10)), Thresholds(regular_purchases=2)) == "regular"


def test_a_dormant_vip_is_dormant() -> None:
    assert state(history(*every([30, 30], since=60, total=300_000))) == "dormant"


# The fast constructor -----------------------------------------------------------------------------


def test_the_fast_constructor_builds_the_same_object() -> None:
    make = _constructor(Rhythm)

    assert make(56.0, 52.5, 59.5, 0.875, 3, 84, 1.5) == Rhythm(56.0, 52.5, 59.5, 0.875, 3, 84, 1.5)


def test_the_fast_constructor_refuses_a_class_with_post_init() -> None:
    @dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            pass

    with pytest.raises(TypeError):
        _constructor(Checked)
