"""KPI maths (DESIGN §4): hand-computed cases, boundaries, empty inputs, then properties."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date
from typing import cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.core.kpi import (
    NPS_EXCELLENT,
    NPS_GOOD,
    NPS_POOR,
    Adherence,
    Concentration,
    Contacts,
    Due,
    Funnel,
    MonthRevenue,
    Period,
    Ratio,
    Sales,
    average_ltv,
    change,
    client_base,
    cohort_retention,
    concentration,
    funnel,
    funnel_steps,
    nps,
    nps_band,
    outreach_returns,
    plan_adherence,
    previous_period,
    regular_share,
    repeat_rate,
    retention_rate,
    revenue_by_month,
    top_share,
)

MARCH = Period(date(2025, 3, 1), date(2025, 3, 31))


def approx(value: float) -> float:
    """pytest.approx typed as the float it stands for, to sit inside a dataclass."""
    return cast(float, pytest.approx(value))


def arr(values: object) -> np.ndarray:
    """A NumPy array of anything list-like."""
    return np.asarray(values)


def day(text: str) -> int:
    """The day number of an ISO date."""
    return date.fromisoformat(text).toordinal()


def make_sales(rows: list[tuple[int, str, float]]) -> Sales:
    """Sales from (client, ISO day, amount) rows; consultant 0."""
    return Sales(
        client=np.array([r[0] for r in rows], dtype=np.int64),
        day=np.array([day(r[1]) for r in rows], dtype=np.int64),
        amount=np.array([r[2] for r in rows], dtype=np.float64),
        consultant=np.zeros(len(rows), dtype=np.int64),
    )


def make_contacts(rows: list[tuple[int, str, int, str]]) -> Contacts:
    """Contacts from (client, ISO day, consultant, category) rows; none replied."""
    return Contacts(
        client=arr([r[0] for r in rows]),
        day=arr([day(r[1]) for r in rows]),
        consultant=arr([r[2] for r in rows]),
        category=arr([r[3] for r in rows]),
        replied=np.zeros(len(rows), dtype=bool),
    )


EMPTY_SALES = make_sales([])
EMPTY_CONTACTS = make_contacts([])
EMPTY_RATIO = Ratio(None, 0.0, 0.0)

# Five clients, thirteen purchases, looked at in March 2025.
#   client 1: bought 10 Jun 2024, 15 Jan, and twice on 5 Mar (300 + 50): 3 distinct days
#   client 2: 1 Dec 2024, 20 Mar (120)
#   client 3: first purchase ever on 10 Mar (500): new in March
#   client 4: 1 May 2023, 15 Mar 2024: a client at the start (bought in the 365 days before
#             1 Mar 2025), no longer at the end (nothing from 1 Apr 2024 to 31 Mar 2025)
#   client 5: 1 Apr 2024, 28 Feb, 31 Mar (400) and 10 Apr, after the period (60)
SALES = make_sales(
    [
        (1, "2024-06-10", 100),
        (1, "2025-01-15", 200),
        (1, "2025-03-05", 300),
        (1, "2025-03-05", 50),
        (2, "2024-12-01", 80),
        (2, "2025-03-20", 120),
        (3, "2025-03-10", 500),
        (4, "2023-05-01", 40),
        (4, "2024-03-15", 60),
        (5, "2024-04-01", 70),
        (5, "2025-02-28", 30),
        (5, "2025-03-31", 400),
        (5, "2025-04-10", 60),
    ]
)
# March revenue: client 1 350, client 2 120, client 3 500, client 5 400; total 1370.


# --- retention -----------------------------------------------------------------------------------


def test_retention_rate_by_hand() -> None:
    # At the start (bought 1 Mar 2024 … 28 Feb 2025): clients 1, 2, 4, 5 → 4.
    # At the end (bought 1 Apr 2024 … 31 Mar 2025): clients 1, 2, 3, 5 → 4. New in March: 3.
    # CRR = (4 − 1) / 4 × 100 = 75 %.
    assert client_base(SALES, MARCH) == client_base(SALES, MARCH, active_days=365)
    base = client_base(SALES, MARCH)
    assert (base.start, base.end, base.new, base.retained) == (4, 4, 1, 3)
    assert retention_rate(SALES, MARCH) == Ratio(75.0, 3.0, 4.0)


def test_active_days_boundaries() -> None:
    # active_days = 60, March 2025. At the start a client needs a purchase in the 60 days before
    # 1 Mar (31 Dec … 28 Feb); at the end in the 60 days ending 31 Mar (31 Jan … 31 Mar).
    start, end = MARCH.start.toordinal(), MARCH.end.toordinal()
    sales = Sales(
        client=arr([1, 2, 3, 4]),
        day=arr([start - 60, start - 61, end - 59, end - 60]),
        amount=np.ones(4),
        consultant=np.zeros(4, dtype=np.int64),
    )
    assert date.fromordinal(start - 60) == date(2024, 12, 31)
    assert date.fromordinal(end - 59) == date(2025, 1, 31)
    base = client_base(sales, MARCH, active_days=60)
    # start: 1 (exactly 60 days before the first day), 3, 4; not 2 (61 days before)
    # end: 3 (the 60th day counting back from the last); not 4 (one day earlier)
    assert (base.start, base.end, base.new, base.retained) == (3, 1, 0, 1)
    assert retention_rate(sales, MARCH, active_days=60) == Ratio(100 / 3, 1.0, 3.0)


def test_purchase_on_the_first_day_makes_a_new_client_not_a_client_at_the_start() -> None:
    sales = make_sales([(1, "2025-03-01", 10), (2, "2025-02-28", 10), (2, "2025-03-01", 10)])
    base = client_base(sales, MARCH)
    assert (base.start, base.end, base.new, base.retained) == (1, 2, 1, 1)
    assert retention_rate(sales, MARCH).value == 100.0


def test_period_longer_than_active_days_never_counts_a_lapsed_new_client_twice() -> None:
    # Two years with active_days = 365: client 2 is new in the period but lapsed by its end, so
    # the literal end − new would be 1 − 1 = 0; the retained clients are 1 (client 1).
    period = Period(date(2023, 1, 1), date(2024, 12, 31))
    sales = make_sales([(1, "2022-06-01", 10), (1, "2024-06-01", 10), (2, "2023-01-10", 10)])
    base = client_base(sales, period)
    assert (base.start, base.end, base.new, base.retained) == (1, 1, 1, 1)
    assert retention_rate(sales, period) == Ratio(100.0, 1.0, 1.0)


def test_active_days_must_be_positive() -> None:
    with pytest.raises(ValueError):
        retention_rate(SALES, MARCH, active_days=0)


def test_repeat_rate_by_hand() -> None:
    # March buyers 1, 2, 3, 5; on two or more days up to 31 Mar: 1, 2, 5 → 3 of 4.
    assert repeat_rate(SALES, MARCH) == Ratio(75.0, 3.0, 4.0)


def test_regular_share_by_hand() -> None:
    # Distinct purchase days up to 31 Mar: 1 → 3 (two receipts on 5 Mar are one day), 2 → 2,
    # 3 → 1, 5 → 3 (10 Apr is after the period). Regular (≥ 3): 1 and 5 → 2 of 4 buyers;
    # their March revenue 350 + 400 = 750 of 1370.
    clients, revenue = regular_share(SALES, MARCH)
    assert clients == Ratio(50.0, 2.0, 4.0)
    assert revenue == Ratio(approx(100 * 750 / 1370), 750.0, 1370.0)
    clients, revenue = regular_share(SALES, MARCH, regular_purchases=4)
    assert clients == Ratio(0.0, 0.0, 4.0)
    assert revenue.value == 0.0


def test_regular_purchases_must_be_positive() -> None:
    with pytest.raises(ValueError):
        regular_share(SALES, MARCH, regular_purchases=0)


# --- revenue -------------------------------------------------------------------------------------


def test_top_share_by_hand() -> None:
    # 4 buyers: the top 20 % is ⌈0.8⌉ = 1 client (client 3, 500 of 1370); the top half is
    # clients 3 and 5 (900); everyone is 100 %.
    assert top_share(SALES, MARCH) == Ratio(approx(100 * 500 / 1370), 500.0, 1370.0)
    assert top_share(SALES, MARCH, top=0.5).numerator == 900.0
    assert top_share(SALES, MARCH, top=1.0).value == 100.0


def test_top_share_rounds_the_client_count_up() -> None:
    def equal(count: int) -> Sales:
        return make_sales([(c, "2025-03-02", 1) for c in range(count)])

    # 15 clients of 1 each: 20 % is 3 clients; 7 clients: ⌈1.4⌉ = 2
    assert top_share(equal(15), MARCH) == Ratio(20.0, 3.0, 15.0)
    assert top_share(equal(7), MARCH).numerator == 2.0
    # 0.55 × 100 is 55.00000000000001 in floats: still 55 clients, not 56
    assert top_share(equal(100), MARCH, top=0.55).numerator == 55.0
    with pytest.raises(ValueError):
        top_share(SALES, MARCH, top=0)


def test_concentration_by_hand() -> None:
    # Shares of 1370: client 3 36.5 %, 5 29.2 %, 1 25.5 %, 2 8.8 %.
    assert concentration(SALES, MARCH) == (
        Concentration(3, 500.0, approx(100 * 500 / 1370)),
        Concentration(5, 400.0, approx(100 * 400 / 1370)),
        Concentration(1, 350.0, approx(100 * 350 / 1370)),
    )
    assert [c.client for c in concentration(SALES, MARCH, threshold=0.3)] == [3]


def test_concentration_includes_a_client_exactly_at_the_threshold() -> None:
    # 20 of 100 is exactly 20 %; 19.9 of 99.9 is not. Ties are ordered by client id.
    sales = make_sales([(7, "2025-03-02", 20), (8, "2025-03-03", 40), (9, "2025-03-04", 40)])
    assert concentration(sales, MARCH) == (
        Concentration(8, 40.0, 40.0),
        Concentration(9, 40.0, 40.0),
        Concentration(7, 20.0, 20.0),
    )
    sales = make_sales([(7, "2025-03-02", 19.9), (8, "2025-03-03", 80)])
    assert [c.client for c in concentration(sales, MARCH)] == [8]


def test_average_ltv_by_hand() -> None:
    # Up to 31 Mar: 1 → 650, 2 → 200, 3 → 500, 4 → 100, 5 → 500 (not the 60 of 10 Apr): 1950 / 5
    assert average_ltv(SALES, MARCH) == 390.0
    # Up to 28 Feb: 1 → 300, 2 → 80, 4 → 100, 5 → 100: 580 / 4
    assert average_ltv(SALES, Period(date(2025, 2, 1), date(2025, 2, 28))) == 145.0


# --- cohorts and monthly revenue -----------------------------------------------------------------

# Until 15 Mar 2025, three months (January, February, March).
#   January cohort 10, 11, 12; February cohort 13, 14; March cohort 15.
#   16 first bought on 31 Dec 2024: never in a cohort shown, returning in January and March.
#   17 first buys on 20 Mar, after `until`: ignored, and so is 10's purchase of 20 Mar.
MONTHS = make_sales(
    [
        (10, "2025-01-05", 100),
        (10, "2025-02-10", 50),
        (10, "2025-03-20", 999),
        (11, "2025-01-20", 200),
        (11, "2025-01-25", 20),
        (12, "2025-01-31", 30),
        (12, "2025-03-01", 40),
        (13, "2025-02-01", 60),
        (13, "2025-03-15", 70),
        (14, "2025-02-28", 80),
        (15, "2025-03-02", 90),
        (16, "2024-12-31", 10),
        (16, "2025-01-01", 11),
        (16, "2025-03-03", 12),
        (17, "2025-03-20", 500),
    ]
)


def test_cohort_retention_by_hand() -> None:
    # January (3): 10 back in February → 1/3; 12 back in March → 1/3 (10's March is too late).
    # February (2): 13 back on 15 Mar, the `until` day itself → 1/2. March (1): itself only.
    cohorts = cohort_retention(MONTHS, until=date(2025, 3, 15), months=3)
    third = pytest.approx(100 / 3)
    assert cohorts.months == (date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1))
    assert cohorts.sizes == (3, 2, 1)
    assert cohorts.retention == (
        (100.0, third, third),
        (100.0, 50.0, None),
        (100.0, None, None),
    )


def test_cohort_retention_marks_empty_cohorts_and_crosses_a_year() -> None:
    cohorts = cohort_retention(MONTHS, until=date(2025, 1, 31), months=2)
    assert cohorts.months == (date(2024, 12, 1), date(2025, 1, 1))
    assert cohorts.sizes == (1, 3)
    assert cohorts.retention == ((100.0, 100.0), (100.0, None))
    cohorts = cohort_retention(MONTHS, until=date(2024, 11, 30), months=1)
    assert cohorts == type(cohorts)((date(2024, 11, 1),), (0,), ((None,),))
    with pytest.raises(ValueError):
        cohort_retention(MONTHS, until=date(2025, 3, 15), months=0)


def test_revenue_by_month_by_hand() -> None:
    # January: new 100 + 200 + 20 + 30 (11's second January purchase is still its first month),
    #          returning 11 (client 16); February: new 60 + 80, returning 50 (client 10);
    # March to the 15th: new 90 (client 15), returning 40 + 70 + 12 (clients 12, 13, 16).
    assert revenue_by_month(MONTHS, until=date(2025, 3, 15), months=3) == (
        MonthRevenue(date(2025, 1, 1), 350.0, 11.0, 3, 1),
        MonthRevenue(date(2025, 2, 1), 140.0, 50.0, 2, 1),
        MonthRevenue(date(2025, 3, 1), 90.0, 122.0, 1, 3),
    )


# --- outreach ------------------------------------------------------------------------------------

# Contacts around March 2025 for SALES, window 14 days:
#   A client 1, 25 Feb (7, selling)  — before the period, not counted
#   B client 1,  3 Mar (7, selling)  — takes both 5 Mar purchases (350): the latest contact before
#   C client 1,  5 Mar (8, personal) — same day as the purchase: does not count
#   D client 2,  6 Mar (8, useful)   — 20 Mar (120) is exactly 14 days later: counts
#   E client 3, 10 Mar (7, "")       — the purchase is the same day: no
#   F client 5, 16 Mar (7, selling)  — 31 Mar is 15 days later: no
#   G client 5, 31 Mar (8, personal) — 10 Apr (60), after the period but inside the window
CONTACTS = make_contacts(
    [
        (1, "2025-02-25", 7, "selling"),
        (1, "2025-03-03", 7, "selling"),
        (1, "2025-03-05", 8, "personal"),
        (2, "2025-03-06", 8, "useful"),
        (3, "2025-03-10", 7, ""),
        (5, "2025-03-16", 7, "selling"),
        (5, "2025-03-31", 8, "personal"),
    ]
)


def test_outreach_returns_by_hand() -> None:
    result = outreach_returns(CONTACTS, SALES, MARCH)
    assert (result.contacts, result.returned, result.revenue) == (6, 3, 530.0)
    assert result.rate == Ratio(50.0, 3.0, 6.0)
    assert result.by_consultant == {7: (3, 1, 350.0), 8: (3, 2, 180.0)}
    assert result.by_category == {
        "": (1, 0, 0.0),
        "personal": (2, 1, 60.0),
        "selling": (2, 1, 350.0),
        "useful": (1, 1, 120.0),
    }


def test_outreach_window_boundaries() -> None:
    # 15 days: F now takes 31 Mar (400). 13 days: D loses 20 Mar (120).
    wide = outreach_returns(CONTACTS, SALES, MARCH, window_days=15)
    assert (wide.returned, wide.revenue) == (4, 930.0)
    narrow = outreach_returns(CONTACTS, SALES, MARCH, window_days=13)
    assert (narrow.returned, narrow.revenue) == (2, 410.0)
    with pytest.raises(ValueError):
        outreach_returns(CONTACTS, SALES, MARCH, window_days=0)


def test_a_purchase_on_the_contact_day_does_not_count_the_next_day_does() -> None:
    contacts = make_contacts([(1, "2025-03-10", 1, "selling"), (2, "2025-03-10", 1, "selling")])
    sales = make_sales([(1, "2025-03-10", 100), (2, "2025-03-11", 50)])
    result = outreach_returns(contacts, sales, MARCH)
    assert (result.contacts, result.returned, result.revenue) == (2, 1, 50.0)


def test_each_purchase_goes_to_the_latest_contact_before_it() -> None:
    # 1 Mar (consultant 1) and 5 Mar (consultant 2), purchase 8 Mar: consultant 2's.
    contacts = make_contacts([(1, "2025-03-05", 2, "personal"), (1, "2025-03-01", 1, "selling")])
    sales = make_sales([(1, "2025-03-08", 100), (1, "2025-03-08", 30)])
    result = outreach_returns(contacts, sales, MARCH)
    assert (result.contacts, result.returned, result.revenue) == (2, 1, 130.0)
    assert result.by_consultant == {1: (1, 0, 0.0), 2: (1, 1, 130.0)}


def test_same_day_contacts_leave_the_purchase_to_the_last_one_passed() -> None:
    contacts = make_contacts([(1, "2025-03-05", 1, "selling"), (1, "2025-03-05", 2, "useful")])
    sales = make_sales([(1, "2025-03-08", 100)])
    result = outreach_returns(contacts, sales, MARCH)
    assert result.by_consultant == {1: (1, 0, 0.0), 2: (1, 1, 100.0)}


def test_a_contact_after_the_period_takes_the_purchase_and_periods_add_up() -> None:
    # 30 Mar (in March), 2 Apr (in April), purchase 5 Apr: April's contact took it.
    contacts = make_contacts([(1, "2025-03-30", 1, "selling"), (1, "2025-04-02", 2, "selling")])
    sales = make_sales([(1, "2025-04-05", 100)])
    march = outreach_returns(contacts, sales, MARCH)
    april = outreach_returns(contacts, sales, Period(date(2025, 4, 1), date(2025, 4, 30)))
    assert (march.contacts, march.returned, march.revenue) == (1, 0, 0.0)
    assert (april.contacts, april.returned, april.revenue) == (1, 1, 100.0)


def test_contacts_accept_none_as_no_category() -> None:
    contacts = Contacts(
        client=arr([1]),
        day=arr([day("2025-03-02")]),
        consultant=arr([0]),
        category=np.array([None], dtype=object),
        replied=arr([True]),
    )
    assert contacts.category.tolist() == [""]
    # 2 Mar for client 1, who bought on 5 Mar (350)
    assert outreach_returns(contacts, SALES, MARCH).by_category == {"": (1, 1, 350.0)}


# --- the contact plan ----------------------------------------------------------------------------


def make_due(rows: list[tuple[int, str, str, str | None]]) -> Due:
    """Due touchpoints from (consultant, due, window end, done or None) rows."""
    return Due(
        consultant=arr([r[0] for r in rows]),
        due=arr([day(r[1]) for r in rows]),
        window_end=arr([day(r[2]) for r in rows]),
        done=arr([day(r[3]) if r[3] else -1 for r in rows]),
    )


def test_plan_adherence_by_hand() -> None:
    due = make_due(
        [
            (7, "2025-03-01", "2025-03-03", "2025-03-02"),  # first day: on time, 1 day after due
            (7, "2025-03-31", "2025-04-02", "2025-04-04"),  # last day: late, 4 days after due
            (7, "2025-02-28", "2025-03-02", None),  # due before the period: not counted
            (8, "2025-04-01", "2025-04-03", None),  # due after the period: not counted
            (8, "2025-03-10", "2025-03-12", None),  # missed
            (8, "2025-03-15", "2025-03-20", "2025-03-14"),  # early: on time, delay 0
            (8, "2025-03-20", "2025-03-20", "2025-03-20"),  # on the window's last day: on time
        ]
    )
    overall, per_consultant = plan_adherence(due, MARCH)
    # 5 due, 3 on time, 1 late, 1 missed; delays 1, 4, 0, 0 over 4 done
    assert overall == Adherence(5, 3, 1, 1, Ratio(60.0, 3.0, 5.0), 1.25)
    assert per_consultant == {
        7: Adherence(2, 1, 1, 0, Ratio(50.0, 1.0, 2.0), 2.5),
        8: Adherence(3, 2, 0, 1, Ratio(approx(200 / 3), 2.0, 3.0), 0.0),
    }


def test_plan_adherence_leaves_open_windows_pending_as_of_a_day() -> None:
    due = make_due(
        [
            (1, "2025-03-10", "2025-03-12", None),  # window still open on 11 Mar: pending
            (1, "2025-03-05", "2025-03-11", None),  # window ends on 11 Mar itself: pending
            (1, "2025-03-03", "2025-03-10", None),  # window closed: missed
            (1, "2025-03-20", "2025-03-25", None),  # not due yet: pending
            (1, "2025-03-02", "2025-03-04", "2025-03-04"),  # on time, 2 days after due
        ]
    )
    overall, _ = plan_adherence(due, MARCH, as_of=date(2025, 3, 11))
    assert overall == Adherence(5, 1, 0, 1, Ratio(50.0, 1.0, 2.0), 2.0, pending=3)
    overall, _ = plan_adherence(due, MARCH)
    assert (overall.missed, overall.pending, overall.rate.value) == (4, 0, 20.0)


def test_funnel_by_hand() -> None:
    # Touchpoints: the five due in March of the adherence case, four of them done.
    due = make_due(
        [
            (7, "2025-03-01", "2025-03-03", "2025-03-02"),
            (7, "2025-03-31", "2025-04-02", "2025-04-04"),
            (7, "2025-02-28", "2025-03-02", None),
            (8, "2025-03-10", "2025-03-12", None),
            (8, "2025-03-15", "2025-03-20", "2025-03-14"),
            (8, "2025-03-20", "2025-03-20", "2025-03-20"),
        ]
    )
    # Contacts of the outreach case; A (February), B and E replied: 2 in March. Bought: B, D, G.
    # Client 3 visits without buying on 12 Mar, two days after E: visited B, D, E, G.
    contacts = dataclasses.replace(CONTACTS, replied=arr([1, 1, 0, 0, 1, 0, 0]))
    visits = make_sales([(3, "2025-03-12", 0)])
    assert funnel(due, contacts, SALES, MARCH, visits=visits) == Funnel(5, 4, 2, 4, 3)
    assert funnel(due, contacts, SALES, MARCH) == Funnel(5, 4, 2, 3, 3)


def test_funnel_steps() -> None:
    steps = funnel_steps(Funnel(planned=40, done=30, replied=12, visited=6, bought=0))
    assert steps == (
        Ratio(75.0, 30.0, 40.0),
        Ratio(40.0, 12.0, 30.0),
        Ratio(50.0, 6.0, 12.0),
        Ratio(0.0, 0.0, 6.0),
    )
    assert funnel_steps(Funnel(0, 0, 0, 0, 0))[0] == EMPTY_RATIO


# --- NPS -----------------------------------------------------------------------------------------


def test_nps_groups_at_6_7_8_9() -> None:
    # 10, 9 promoters; 8, 7 passives; 6, 0 detractors: (2 − 2) / 6 = 0 → poor
    assert nps([10, 9, 8, 7, 6, 0]) == nps(np.array([10, 9, 8, 7, 6, 0]))
    assert nps([10, 9, 8, 7, 6, 0]) == type(nps([1]))(0.0, 2, 2, 2, 6, NPS_POOR)
    assert (nps([9]).promoters, nps([8]).passives, nps([7]).passives, nps([6]).detractors) == (
        1,
        1,
        1,
        1,
    )
    assert nps([10, 10, 10, 0]).score == 50.0


@pytest.mark.parametrize(
    ("answers", "score", "band"),
    [
        ([10] * 26 + [7] * 24, 52.0, NPS_EXCELLENT),  # above 50
        ([10] * 51 + [7] * 49, 51.0, NPS_EXCELLENT),
        ([10, 7], 50.0, NPS_GOOD),  # exactly 50 is not "above 50"
        ([10] * 12 + [7] * 13, 48.0, NPS_GOOD),  # the seed's gap 45–50 goes to the middle band
        ([10] * 9 + [7] * 11, 45.0, NPS_GOOD),
        ([10] + [7] * 9, 10.0, NPS_GOOD),  # exactly 10 is "10–45"
        ([10] * 9 + [7] * 91, 9.0, NPS_POOR),  # below 10
        ([0, 0], -100.0, NPS_POOR),
    ],
)
def test_nps_bands(answers: list[int], score: float, band: str) -> None:
    result = nps(answers)
    assert (result.score, result.band) == (score, band)
    assert nps_band(score) == band


def test_nps_rejects_answers_outside_the_scale() -> None:
    for answers in ([11], [-1], [7.5], [float("nan")], ["9"]):
        with pytest.raises(ValueError):
            nps(answers)  # type: ignore[arg-type]
    assert nps(np.array([9.0, 0.0])).score == 0.0


def test_nps_without_answers() -> None:
    assert nps([]) == type(nps([1]))(None, 0, 0, 0, 0, "")
    assert nps_band(None) == ""


# --- comparing periods ---------------------------------------------------------------------------


def test_change() -> None:
    assert change(110.0, 100.0) == pytest.approx(10.0)
    assert change(90.0, 100.0) == pytest.approx(-10.0)
    assert change(-10.0, -20.0) == pytest.approx(50.0)  # NPS −20 → −10 is an improvement
    assert change(5.0, 0.0) is None
    assert change(None, 1.0) is None
    assert change(1.0, None) is None


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        # whole months: the same number of whole months before
        ((date(2025, 3, 1), date(2025, 3, 31)), (date(2025, 2, 1), date(2025, 2, 28))),
        ((date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 2, 1), date(2024, 2, 29))),
        ((date(2025, 1, 1), date(2025, 3, 31)), (date(2024, 10, 1), date(2024, 12, 31))),
        ((date(2024, 1, 1), date(2024, 12, 31)), (date(2023, 1, 1), date(2023, 12, 31))),
        # anything else: as many days immediately before
        ((date(2025, 3, 5), date(2025, 3, 14)), (date(2025, 2, 23), date(2025, 3, 4))),
        ((date(2025, 3, 1), date(2025, 3, 15)), (date(2025, 2, 14), date(2025, 2, 28))),
        ((date(2025, 1, 1), date(2025, 1, 1)), (date(2024, 12, 31), date(2024, 12, 31))),
    ],
)
def test_previous_period(period: tuple[date, date], previous: tuple[date, date]) -> None:
    assert previous_period(Period(*period)) == Period(*previous)


# --- empty and malformed inputs ------------------------------------------------------------------


def test_empty_inputs_divide_by_nothing() -> None:
    assert retention_rate(EMPTY_SALES, MARCH) == EMPTY_RATIO
    assert repeat_rate(EMPTY_SALES, MARCH) == EMPTY_RATIO
    assert regular_share(EMPTY_SALES, MARCH) == (EMPTY_RATIO, EMPTY_RATIO)
    assert top_share(EMPTY_SALES, MARCH) == EMPTY_RATIO
    assert concentration(EMPTY_SALES, MARCH) == ()
    assert average_ltv(EMPTY_SALES, MARCH) == 0.0
    cohorts = cohort_retention(EMPTY_SALES, until=date(2025, 3, 31), months=2)
    assert cohorts.sizes == (0, 0)
    assert cohorts.retention == ((None, None), (None, None))
    assert revenue_by_month(EMPTY_SALES, until=date(2025, 3, 31), months=1) == (
        MonthRevenue(date(2025, 3, 1), 0.0, 0.0, 0, 0),
    )
    result = outreach_returns(EMPTY_CONTACTS, EMPTY_SALES, MARCH)
    assert (result.contacts, result.returned, result.revenue) == (0, 0, 0.0)
    assert (result.rate, result.by_consultant, result.by_category) == (EMPTY_RATIO, {}, {})
    assert outreach_returns(CONTACTS, EMPTY_SALES, MARCH).returned == 0
    assert plan_adherence(make_due([]), MARCH) == (Adherence(0, 0, 0, 0, EMPTY_RATIO, None), {})


def test_sales_outside_the_period_give_no_shares() -> None:
    february = Period(date(2023, 2, 1), date(2023, 2, 28))
    assert repeat_rate(SALES, february) == EMPTY_RATIO
    assert regular_share(SALES, february) == (EMPTY_RATIO, EMPTY_RATIO)
    assert top_share(SALES, february) == EMPTY_RATIO
    # nothing returned, nothing spent: revenue share is not computable
    refund = make_sales([(1, "2025-03-02", 50), (1, "2025-03-03", -50)])
    assert regular_share(refund, MARCH)[1] == EMPTY_RATIO
    assert concentration(refund, MARCH) == ()


def test_malformed_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        Period(date(2025, 3, 2), date(2025, 3, 1))
    with pytest.raises(ValueError):
        Sales(client=arr([1, 2]), day=arr([1]), amount=arr([1.0]), consultant=arr([0]))
    with pytest.raises(ValueError):
        Contacts(
            client=arr([1]),
            day=arr([1]),
            consultant=arr([0]),
            category=arr(["a", "b"]),
            replied=arr([True]),
        )


# --- properties ----------------------------------------------------------------------------------

BASE = date(2025, 1, 1).toordinal()


@st.composite
def sales_data(
    draw: st.DrawFn, low: int = -400, high: int = 150, clients: int = 6, min_rows: int = 0
) -> list[tuple[int, int, float]]:
    """(client, day, amount) rows: few clients, days around BASE, whole non-negative amounts."""
    row = st.tuples(
        st.integers(1, clients),
        st.integers(BASE + low, BASE + high),
        st.integers(0, 1000).map(float),
    )
    return draw(st.lists(row, min_size=min_rows, max_size=40))


# Denser data, so that contacts are often followed by purchases.
near_sales = sales_data(low=-60, high=90, clients=4, min_rows=5)


@st.composite
def periods(draw: st.DrawFn) -> Period:
    """A period of 1–120 days starting around BASE."""
    start = draw(st.integers(BASE - 60, BASE + 60))
    length = draw(st.integers(1, 120))
    return Period(date.fromordinal(start), date.fromordinal(start + length - 1))


@st.composite
def contact_data(draw: st.DrawFn) -> list[tuple[int, int, int, str]]:
    """(client, day, consultant, category) rows."""
    row = st.tuples(
        st.integers(1, 4),
        st.integers(BASE - 60, BASE + 90),
        st.integers(0, 3),
        st.sampled_from(["selling", "personal", "useful", ""]),
    )
    return draw(st.lists(row, min_size=3, max_size=25))


def to_sales(rows: list[tuple[int, int, float]], spread: int = 1) -> Sales:
    """Sales from (client, day, amount) rows, client ids multiplied by `spread`."""
    return Sales(
        client=np.array([r[0] * spread for r in rows], dtype=np.int64),
        day=np.array([r[1] for r in rows], dtype=np.int64),
        amount=np.array([r[2] for r in rows], dtype=np.float64),
        consultant=np.zeros(len(rows), dtype=np.int64),
    )


def to_contacts(rows: list[tuple[int, int, int, str]]) -> Contacts:
    """Contacts from (client, day, consultant, category) rows."""
    return Contacts(
        client=arr([r[0] for r in rows]),
        day=arr([r[1] for r in rows]),
        consultant=arr([r[2] for r in rows]),
        category=arr([r[3] for r in rows]),
        replied=np.zeros(len(rows), dtype=bool),
    )


def brute_outreach(
    contacts: list[tuple[int, int, int, str]],
    sales: list[tuple[int, int, float]],
    period: Period,
    window: int,
) -> tuple[int, int, float]:
    """(contacts, returned, revenue) by the definition, one purchase at a time."""
    first, last = period.start.toordinal(), period.end.toordinal()
    taken: dict[int, float] = defaultdict(float)
    for client, bought_on, amount in sales:
        before = [
            (c_day, index)
            for index, (c_client, c_day, _, _) in enumerate(contacts)
            if c_client == client and bought_on - window <= c_day < bought_on
        ]
        if before:
            c_day, index = max(before)
            if first <= c_day <= last:
                taken[index] += amount
    inside = [i for i, c in enumerate(contacts) if first <= c[1] <= last]
    return len(inside), len(taken), sum(taken.values())


@settings(max_examples=200, deadline=None)
@given(near_sales, contact_data(), periods(), st.integers(1, 30))
def test_outreach_matches_the_definition_and_never_attributes_more_than_the_sales(
    rows: list[tuple[int, int, float]],
    contact_rows: list[tuple[int, int, int, str]],
    period: Period,
    window: int,
) -> None:
    result = outreach_returns(to_contacts(contact_rows), to_sales(rows), period, window_days=window)
    expected = brute_outreach(contact_rows, rows, period, window)
    assert (result.contacts, result.returned) == expected[:2]
    assert result.revenue == pytest.approx(expected[2])
    first, last = period.start.toordinal(), period.end.toordinal()
    reachable = sum(amount for _, d, amount in rows if first < d <= last + window)
    assert result.revenue <= reachable + 1e-6
    assert result.returned <= result.contacts
    assert sum(v[0] for v in result.by_consultant.values()) == result.contacts
    assert sum(v[1] for v in result.by_category.values()) == result.returned
    if result.rate.value is not None:
        assert 0 <= result.rate.value <= 100


@settings(max_examples=100, deadline=None)
@given(near_sales, contact_data(), periods(), st.integers(1, 30))
def test_outreach_over_two_adjacent_periods_adds_up(
    rows: list[tuple[int, int, float]],
    contact_rows: list[tuple[int, int, int, str]],
    period: Period,
    window: int,
) -> None:
    sales, contacts = to_sales(rows), to_contacts(contact_rows)
    earlier = previous_period(period)
    both = Period(earlier.start, period.end)
    parts = [outreach_returns(contacts, sales, p, window_days=window) for p in (earlier, period)]
    whole = outreach_returns(contacts, sales, both, window_days=window)
    assert whole.contacts == parts[0].contacts + parts[1].contacts
    assert whole.returned == parts[0].returned + parts[1].returned
    assert whole.revenue == pytest.approx(parts[0].revenue + parts[1].revenue)


def brute_days(rows: list[tuple[int, int, float]], last: int) -> dict[int, set[int]]:
    """Each client's distinct purchase days up to `last`."""
    days: dict[int, set[int]] = defaultdict(set)
    for client, d, _ in rows:
        if d <= last:
            days[client].add(d)
    return days


@settings(max_examples=200, deadline=None)
@given(sales_data(), periods(), st.integers(1, 400))
def test_client_counts_repeat_and_regular_match_the_definitions(
    rows: list[tuple[int, int, float]], period: Period, active: int
) -> None:
    sales = to_sales(rows)
    first, last = period.start.toordinal(), period.end.toordinal()
    start = {c for c, d, _ in rows if first - active <= d < first}
    end = {c for c, d, _ in rows if last - active < d <= last}
    earlier = {c for c, d, _ in rows if d < first}
    buyers = {c for c, d, _ in rows if first <= d <= last}
    base = client_base(sales, period, active_days=active)
    assert (base.start, base.end, base.new, base.retained) == (
        len(start),
        len(end),
        len(buyers - earlier),
        len(end & earlier),
    )
    days = brute_days(rows, last)
    repeat = repeat_rate(sales, period)
    assert (repeat.numerator, repeat.denominator) == (
        sum(len(days[c]) >= 2 for c in buyers),
        len(buyers),
    )
    clients, revenue = regular_share(sales, period)
    regular = {c for c in buyers if len(days[c]) >= 3}
    assert (clients.numerator, clients.denominator) == (len(regular), len(buyers))
    assert revenue.numerator == sum(a for c, d, a in rows if first <= d <= last and c in regular)
    for ratio in (repeat, clients, revenue, top_share(sales, period)):
        assert ratio.value is None or 0 <= ratio.value <= 100


@settings(max_examples=200, deadline=None)
@given(sales_data(), periods(), st.sampled_from([0.1, 0.2, 0.25, 0.5, 1.0]))
def test_top_share_is_at_least_its_share_of_clients(
    rows: list[tuple[int, int, float]], period: Period, top: float
) -> None:
    share = top_share(to_sales(rows), period, top=top)
    if share.value is not None:
        assert share.value >= 100 * top - 1e-9
    for big in concentration(to_sales(rows), period):
        assert big.share >= 20 - 1e-9
        assert share.value is not None and big.share <= 100 + 1e-9


@settings(max_examples=200, deadline=None)
@given(
    sales_data(low=-200, clients=4, min_rows=3),
    st.integers(BASE - 100, BASE + 150),
    st.integers(1, 8),
)
def test_cohorts_and_monthly_revenue_match_the_definitions(
    rows: list[tuple[int, int, float]], until_day: int, months: int
) -> None:
    until = date.fromordinal(until_day)
    sales = to_sales(rows)
    cohorts = cohort_retention(sales, until=until, months=months)
    monthly = revenue_by_month(sales, until=until, months=months)
    shown = cohorts.months[0].toordinal()
    seen = [(c, d, a) for c, d, a in rows if d <= until_day]
    first_day: dict[int, int] = {}
    for client, d, _ in seen:
        first_day[client] = min(d, first_day.get(client, d))
    # cohort sizes add up to the clients whose first purchase is within the months shown
    assert sum(cohorts.sizes) == sum(shown <= d for d in first_day.values())
    assert [m.month for m in monthly] == list(cohorts.months)

    def month(d: int) -> date:
        return date.fromordinal(d).replace(day=1)

    for index, row in enumerate(monthly):
        in_month = [(c, d, a) for c, d, a in seen if month(d) == row.month]
        fresh = {c for c, d, _ in in_month if month(first_day[c]) == row.month}
        assert row.new == sum(a for c, _, a in in_month if c in fresh)
        assert row.returning == sum(a for c, _, a in in_month if c not in fresh)
        assert (row.new_clients, row.returning_clients) == (
            len(fresh),
            len({c for c, _, _ in in_month} - fresh),
        )
        assert cohorts.sizes[index] == len(fresh)
        for k, value in enumerate(cohorts.retention[index]):
            if index + k >= months or not fresh:
                assert value is None
                continue
            later = cohorts.months[index + k]
            back = {c for c, d, _ in seen if c in fresh and month(d) == later}
            assert value == pytest.approx(100 * len(back) / len(fresh))


@settings(max_examples=100, deadline=None)
@given(near_sales, contact_data(), periods(), st.randoms(use_true_random=False))
def test_row_order_and_sparse_ids_change_nothing(
    rows: list[tuple[int, int, float]],
    contact_rows: list[tuple[int, int, int, str]],
    period: Period,
    random: object,
) -> None:
    shuffled = list(rows)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    # ids 10¹² apart take the np.unique path instead of the offset one
    dense, sparse = to_sales(rows), to_sales(shuffled, spread=10**12)
    assert retention_rate(dense, period) == retention_rate(sparse, period)
    assert regular_share(dense, period) == regular_share(sparse, period)
    assert top_share(dense, period) == top_share(sparse, period)
    assert average_ltv(dense, period) == pytest.approx(average_ltv(sparse, period))
    assert [(c.client * 10**12, c.revenue) for c in concentration(dense, period)] == [
        (c.client, c.revenue) for c in concentration(sparse, period)
    ]
    until = period.end
    assert cohort_retention(dense, until=until) == cohort_retention(sparse, until=until)
    assert revenue_by_month(dense, until=until) == revenue_by_month(sparse, until=until)
    sparse_contacts = [(c * 10**12, d, who, cat) for c, d, who, cat in contact_rows]
    a = outreach_returns(to_contacts(contact_rows), dense, period)
    b = outreach_returns(to_contacts(sparse_contacts), sparse, period)
    assert (a.contacts, a.returned) == (b.contacts, b.returned)
    assert a.revenue == pytest.approx(b.revenue)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),
            st.integers(BASE, BASE + 60),
            st.integers(0, 10),
            st.one_of(st.none(), st.integers(-5, 20)),
        ),
        max_size=30,
    ),
    periods(),
    st.one_of(st.none(), st.integers(BASE, BASE + 60)),
)
def test_plan_adherence_counts_add_up(
    rows: list[tuple[int, int, int, int | None]], period: Period, as_of: int | None
) -> None:
    due = Due(
        consultant=arr([r[0] for r in rows]),
        due=arr([r[1] for r in rows]),
        window_end=arr([r[1] + r[2] for r in rows]),
        done=arr([-1 if r[3] is None else r[1] + r[3] for r in rows]),
    )
    overall, per = plan_adherence(
        due, period, as_of=None if as_of is None else date.fromordinal(as_of)
    )
    assert overall.due == overall.on_time + overall.late + overall.missed + overall.pending
    assert overall.due == sum(a.due for a in per.values())
    assert overall.on_time == sum(a.on_time for a in per.values())
    assert overall.pending == sum(a.pending for a in per.values())
    assert overall.rate.value is None or 0 <= overall.rate.value <= 100
    assert overall.mean_delay_days is None or overall.mean_delay_days >= 0


@given(st.lists(st.integers(0, 10)))
def test_nps_is_a_difference_of_shares(answers: list[int]) -> None:
    result = nps(answers)
    assert result.promoters + result.passives + result.detractors == result.answers == len(answers)
    if answers:
        assert result.score is not None and -100 <= result.score <= 100
        assert result.band == nps_band(result.score)
