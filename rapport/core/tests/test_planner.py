"""The contact plan (DESIGN §3): properties on generated clients, then exact examples."""

from __future__ import annotations

import dataclasses
import itertools
import time
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rapport.core.planner import (
    DISABLEABLE,
    HANDLED_KEPT_DAYS,
    GreetedDate,
    PlanClient,
    PlanEvent,
    PlanHandled,
    PlanKeyDate,
    PlanManual,
    PlanPurchase,
    PlanRelative,
    Standard,
    Touchpoint,
    build_plan,
    choose_channel,
    folded_of,
    greeted_dates_in,
    horizon_days,
    items_needed,
    overdue_ratio,
    plan_client,
    plan_stored,
)

STANDARD = Standard()
KEPT = timedelta(days=HANDLED_KEPT_DAYS)  # a handled touchpoint is read this long after it
CHANNELS = ("whatsapp", "telegram", "sms", "call", "email")
days = st.dates(date(1940, 1, 1), date(2027, 12, 31))
todays = st.dates(date(2024, 1, 1), date(2027, 12, 31))


@st.composite
def clients(
    draw: st.DrawFn, statuses: tuple[str, ...] = ("new", "regular", "vip", "dormant", "former")
) -> tuple[PlanClient, date]:
    today = draw(todays)
    past = st.dates(today - timedelta(days=900), today)
    relatives = tuple(
        PlanRelative(i + 1, f"R{i}", draw(st.sampled_from(["spouse", "child", "parent"])),
                     draw(st.none() | days), draw(st.booleans()))
        for i in range(draw(st.integers(0, 4)))
    )  # fmt: skip
    rel_ids = [r.id for r in relatives]
    key_dates = tuple(
        PlanKeyDate(100 + i, draw(st.sampled_from(["anniversary", "wedding", "service_due",
                                                   "custom"])),
                    draw(st.dates(today - timedelta(days=8000), today + timedelta(days=400))),
                    draw(st.booleans()), draw(st.none() | st.sampled_from(rel_ids or [0])))
        for i in range(draw(st.integers(0, 3)))
    )  # fmt: skip
    purchases = tuple(
        PlanPurchase(draw(past), draw(st.floats(1, 10_000)), ("ring",))
        for _ in range(draw(st.integers(0, 6)))
    )
    manual = tuple(
        PlanManual(draw(st.dates(today, today + timedelta(days=365))), "custom", "personal")
        for _ in range(draw(st.integers(0, 1)))
    )
    client = PlanClient(
        id=1,
        status=draw(st.sampled_from(statuses)),
        consented_channels=frozenset(draw(st.sets(st.sampled_from(CHANNELS), min_size=1))),
        preferred_channel=draw(st.none() | st.sampled_from(CHANNELS)),
        birthday=draw(st.none() | days),
        gender=draw(st.sampled_from(["", "f", "m"])),
        first_name="Anna",
        relatives=relatives,
        key_dates=key_dates,
        purchases=purchases,
        visits=tuple(draw(st.lists(past, max_size=3))),
        last_contact=draw(st.none() | past),
        typical_interval_days=draw(st.none() | st.floats(7, 200)),
        preferences=draw(st.sampled_from([(), ("gold", "Pandora")])),
        events=tuple(
            PlanEvent(1, "Preview", draw(st.dates(today, today + timedelta(days=300))))
            for _ in range(draw(st.integers(0, 1)))
        ),
        manual=manual,
    )
    return client, today


def exempt(t: Touchpoint) -> bool:
    return t.is_fixed or t.may_break_min_gap


def read_back(client: PlanClient, plan: tuple[Touchpoint, ...], day: date) -> PlanClient:
    """The client as the loader reads her on ``day`` once ``plan`` is stored: touchpoints whose
    day has passed come back as handled while their window lasts, hand-made ones leave
    ``manual``, handled ones whose window is over are no longer read."""
    return dataclasses.replace(
        client,
        last_overdue=max((t.date for t in plan if t.date < day), default=client.last_overdue),
        manual=tuple(m for m in client.manual if m.date >= day),
        handled=tuple(h for h in client.handled if h.window_end >= day - KEPT) + tuple(
            PlanHandled(t.occasion, t.relative_id, t.window_start, t.window_end, t.date,
                        folded_of(t.reason_params.get("folded")))
            for t in plan
            if t.date < day and not t.is_manual and t.window_end >= day - KEPT
        ),
    )  # fmt: skip


fast = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
thorough = settings(fast, max_examples=300)  # the properties the nightly re-plan relies on


@fast
@given(clients())
def test_spacing_respects_min_gap_unless_an_exception(case: tuple[PlanClient, date]) -> None:
    client, today = case
    plan = build_plan(client, STANDARD, today)
    for a, b in itertools.pairwise(plan):
        if (b.date - a.date).days < STANDARD.min_gap:
            assert exempt(a) or exempt(b), (a, b)


@fast
@given(clients(statuses=("regular", "vip")))
def test_no_gap_longer_than_max_gap_for_regular_clients(case: tuple[PlanClient, date]) -> None:
    client, today = case
    plan = build_plan(client, STANDARD, today)
    edges = [
        today,
        *(t.date for t in plan),
        today + timedelta(days=horizon_days(client.id, STANDARD)),
    ]
    assert all((b - a).days <= STANDARD.max_gap for a, b in itertools.pairwise(edges))


@fast
@given(clients())
def test_never_two_selling_in_a_row(case: tuple[PlanClient, date]) -> None:
    client, today = case
    plan = build_plan(client, STANDARD, today)
    for a, b in itertools.pairwise(plan):
        if not (a.is_manual and b.is_manual):
            assert not (a.category == "selling" == b.category), (a, b)


@fast
@given(clients(statuses=("new", "regular", "vip", "dormant")))
def test_client_birthday_lands_on_the_day_every_year(case: tuple[PlanClient, date]) -> None:
    client, today = case
    born = client.birthday
    if born is None:
        return
    plan = build_plan(client, STANDARD, today)
    end = today + timedelta(days=horizon_days(client.id, STANDARD))
    for year in range(today.year, end.year + 1):
        try:
            day = born.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if today <= day <= end:
            hits = [t for t in plan if t.occasion == "client_birthday" and t.date == day]
            assert len(hits) == 1
            assert (hits[0].window_end - hits[0].window_start).days <= 1


@fast
@given(clients(), st.sampled_from(["blacklisted", "erased", "no consent"]))
def test_nothing_for_blacklisted_erased_or_unconsented(
    case: tuple[PlanClient, date], why: str
) -> None:
    client, today = case
    changed = {
        "blacklisted": dataclasses.replace(client, is_blacklisted=True),
        "erased": dataclasses.replace(client, is_erased=True),
        "no consent": dataclasses.replace(client, consented_channels=frozenset()),
    }[why]
    assert build_plan(changed, STANDARD, today) == ()


@fast
@given(clients())
def test_every_channel_is_consented(case: tuple[PlanClient, date]) -> None:
    client, today = case
    assert all(t.channel in client.consented_channels for t in build_plan(client, STANDARD, today))


@fast
@given(clients(statuses=("former",)), st.integers(1, 3))
def test_former_client_at_most_n_per_365_days(case: tuple[PlanClient, date], n: int) -> None:
    client, today = case
    standard = Standard(former_per_year=n)
    dates = [t.date for t in build_plan(client, standard, today) if not t.is_manual]
    for i, first in enumerate(dates):
        assert sum(1 for d in dates[i:] if (d - first).days < 365) <= n


@fast
@given(clients(), st.data())
def test_a_removed_relative_leaves_nothing_behind(
    case: tuple[PlanClient, date], data: st.DataObject
) -> None:
    client, today = case
    if not client.relatives:
        return
    gone = data.draw(st.sampled_from(client.relatives))
    without = dataclasses.replace(
        client,
        relatives=tuple(r for r in client.relatives if r.id != gone.id),
        key_dates=tuple(k for k in client.key_dates if k.relative_id != gone.id),
    )
    assert all(t.relative_id != gone.id for t in build_plan(without, STANDARD, today))


@fast
@given(clients(), st.integers(0, 60))
def test_a_new_contact_moves_what_follows(case: tuple[PlanClient, date], ago: int) -> None:
    client, today = case
    contact = today - timedelta(days=ago)
    plan = build_plan(dataclasses.replace(client, last_contact=contact), STANDARD, today)
    floor = contact + timedelta(days=STANDARD.min_gap)
    assert all(t.date >= floor for t in plan if not exempt(t))


@fast
@given(clients())
def test_deterministic_and_in_horizon(case: tuple[PlanClient, date]) -> None:
    client, today = case
    plan = build_plan(client, STANDARD, today)
    assert plan == build_plan(client, STANDARD, today)
    assert list(plan) == sorted(plan, key=lambda t: (t.date, -t.priority, t.occasion,
                                                     t.relative_id or 0))  # fmt: skip
    end = today + timedelta(days=STANDARD.horizon_days)
    for t in plan:
        assert today <= t.date <= end
        assert t.window_start <= t.date <= t.window_end
        assert t.category in ("selling", "personal", "useful")


def win_back_days(plan: tuple[Touchpoint, ...]) -> set[date]:
    return {t.date for t in plan if "win_back" in (t.occasion, *t.merged_occasions)}


@fast
@given(clients(statuses=("dormant",)), st.integers(1, 10**6))
def test_a_first_contact_after_silence_keeps_its_day_from_one_night_to_the_next(
    case: tuple[PlanClient, date], pk: int
) -> None:
    # A dormant client nobody has contacted: her win-back is spread over the coming weeks by id;
    # re-planned the next night, it must still be on the same day (were it counted from each
    # night's today, it would move a day later every night and never come).
    client, today = case
    old = today - timedelta(days=60)
    client = dataclasses.replace(
        client, id=pk, last_contact=None, visits=(), manual=(),
        purchases=tuple(p for p in client.purchases if p.date < old),
    )  # fmt: skip
    plan = build_plan(client, STANDARD, today)
    planned = win_back_days(plan)
    assume(planned and min(planned) > today)
    # tomorrow, as the loader reads her once today's plan is stored
    tomorrow = today + timedelta(days=1)
    assert min(planned) in win_back_days(
        build_plan(read_back(client, plan, tomorrow), STANDARD, tomorrow)
    )


STANDARDS = (
    STANDARD,
    Standard(min_gap=14, max_gap=30, horizon_days=120),
    Standard(min_gap=10, max_gap=20, horizon_days=30, former_per_year=3,
             disabled_occasions=frozenset({"holiday_greeting"})),
)  # fmt: skip


@thorough
@given(clients(), st.integers(1, 10**6), st.sampled_from(STANDARDS), st.data())
def test_the_plan_stays_the_same_until_the_day_it_names(
    case: tuple[PlanClient, date], pk: int, standard: Standard, data: st.DataObject
) -> None:
    # ADR 0007: a re-plan may skip a client whose input did not change until ``stable_until``.
    # Any day before it must give the same plan; some input lies after today (an import may
    # hold a purchase, a visit or a contact dated later).
    client, today = case
    soon = st.dates(today + timedelta(days=1), today + timedelta(days=90))
    later_purchases = tuple(PlanPurchase(day, 500.0, ("bag",))
                            for day in data.draw(st.lists(soon, max_size=1)))  # fmt: skip
    client = dataclasses.replace(
        client,
        id=pk,
        purchases=client.purchases + later_purchases,
        visits=client.visits + tuple(data.draw(st.lists(soon, max_size=1))),
        last_contact=data.draw(st.sampled_from([client.last_contact, None])) or
        data.draw(st.none() | soon),
    )  # fmt: skip
    planned = plan_client(client, standard, today)
    assert planned.touchpoints == build_plan(client, standard, today)
    assert planned.stable_until > today
    last = min(planned.stable_until, today + timedelta(days=400))
    for k in range(1, (last - today).days):
        day = today + timedelta(days=k)
        assert build_plan(client, standard, day) == planned.touchpoints, (day, planned.stable_until)


HANDLED_OCCASIONS = (
    "holiday_gift_ideas", "holiday_greeting", "client_birthday", "win_back",
    "relative_birthday_gift", "personal_checkin", "care_tips", "feedback",
)  # fmt: skip


@thorough
@given(clients(), st.integers(1, 10**6), st.sampled_from(STANDARDS), st.data())
def test_a_stored_plan_holds_until_the_day_it_names(
    case: tuple[PlanClient, date], pk: int, standard: Standard, data: st.DataObject
) -> None:
    # What the nightly re-plan relies on: on every day before ``stable_until``, planning the
    # client as the loader then reads her gives exactly the stored rows still ahead. She may
    # have handled touchpoints (sent, overdue, cancelled) from the last two months whose
    # windows end around now, and passed occasions that wait with a touchpoint.
    client, today = case
    handled = []
    for _ in range(data.draw(st.integers(0, 4))):
        start = today + timedelta(days=data.draw(st.integers(-70, 5)))
        end = max(start, today - timedelta(days=data.draw(st.integers(-10, HANDLED_KEPT_DAYS))))
        day = start + timedelta(days=data.draw(st.integers(0, (end - start).days)))
        handled.append(PlanHandled(
            data.draw(st.sampled_from(HANDLED_OCCASIONS)),
            data.draw(st.sampled_from([None, *(r.id for r in client.relatives)])),
            start, end, day,
            tuple(
                (occasion, None, (start - timedelta(days=shift)).isoformat(), day.isoformat())
                for occasion, shift in data.draw(st.lists(
                    st.tuples(st.sampled_from(HANDLED_OCCASIONS), st.integers(-40, 40)),
                    max_size=2,
                ))
            ),
        ))  # fmt: skip
    client = dataclasses.replace(client, id=pk, handled=tuple(handled))
    stored = plan_stored(client, standard, today)
    assert stored.touchpoints == build_plan(client, standard, today)
    assert today < stored.stable_until
    assert stored.stable_until >= plan_client(client, standard, today).stable_until
    last = min(stored.stable_until, today + timedelta(days=400))
    for k in range(1, (last - today).days):
        day = today + timedelta(days=k)
        ahead = tuple(t for t in stored.touchpoints if t.date >= day)
        assert build_plan(read_back(client, stored.touchpoints, day), standard, day) == ahead, day


def test_horizons_are_staggered_over_four_weeks_by_client() -> None:
    # A greeted date entering the horizon changes the far end of most plans; with every
    # client's horizon ending on the same day, one night would re-plan most clients.
    assert {horizon_days(pk, STANDARD) for pk in range(1, 29)} == set(range(338, 366))
    assert horizon_days(29, STANDARD) == horizon_days(1, STANDARD)
    short = Standard(horizon_days=100)  # too short to shorten
    assert {horizon_days(pk, short) for pk in range(1, 29)} == {100}
    client = PlanClient(27, "regular", frozenset({"whatsapp"}), gender="f")
    today = date(2026, 12, 6)
    assert max(t.date for t in build_plan(client, STANDARD, today)) <= today + timedelta(days=338)


def test_stable_until_names_the_first_change() -> None:
    # Contacted on 1 December: the plan's first contact is the New Year gift idea on 20
    # December (window from the 18th; a window that has opened keeps its start). It holds until
    # the 19th; on the 20th the next year's New Year gift idea enters the 365-day horizon (and
    # joins the Mothers' Day one of November 2027): the plan built that day differs.
    today = date(2026, 12, 6)
    client = PlanClient(28, "regular", frozenset({"whatsapp"}), birthday=date(1985, 4, 10),
                        gender="f", last_contact=date(2026, 12, 1))  # fmt: skip
    assert horizon_days(client.id, STANDARD) == 365  # (a client whose horizon is the full year)
    planned = plan_client(client, STANDARD, today)
    first = planned.touchpoints[0]
    assert (first.date, first.window_start, first.occasion) == (
        date(2026, 12, 20), date(2026, 12, 18), "holiday_gift_ideas")  # fmt: skip
    assert planned.stable_until == date(2026, 12, 20)
    assert build_plan(client, STANDARD, date(2026, 12, 19)) == planned.touchpoints
    assert build_plan(client, STANDARD, date(2026, 12, 20)) != planned.touchpoints
    # Planned on the 21st with the gift idea still unhandled, it is held at today within its
    # window (18th to 22nd): the plan changes the next day.
    late = plan_client(client, STANDARD, date(2026, 12, 21))
    assert (late.touchpoints[0].date, late.touchpoints[0].window_start) == (
        date(2026, 12, 21), date(2026, 12, 18))  # fmt: skip
    assert late.stable_until == date(2026, 12, 22)
    # nothing is planned for a client with no consented channel, whatever the day
    assert plan_client(dataclasses.replace(client, consented_channels=frozenset()), STANDARD,
                       today) == ((), date.max)  # fmt: skip


SELLING_OCCASIONS = frozenset({
    "relative_birthday_gift", "anniversary_gift", "holiday_gift_ideas", "event_invitation",
    "win_back", "new_arrivals", "complement",
})  # fmt: skip


@fast
@given(clients(), st.sets(st.sampled_from(sorted(DISABLEABLE))))
def test_switched_off_occasions_never_appear_and_the_rules_still_hold(
    case: tuple[PlanClient, date], off: set[str]
) -> None:
    client, today = case
    standard = Standard(disabled_occasions=frozenset(off))
    plan = build_plan(client, standard, today)
    produced = {t.occasion for t in plan if not t.is_manual}
    produced |= {m for t in plan for m in t.merged_occasions if m != "custom"}
    produced |= {"key_date" for t in plan if t.occasion == "personal_checkin" and t.priority == 40}
    assert not produced & off
    edges = [
        today,
        *(t.date for t in plan),
        today + timedelta(days=horizon_days(client.id, standard)),
    ]
    for a, b in itertools.pairwise(plan):
        if (b.date - a.date).days < standard.min_gap:
            assert exempt(a) or exempt(b), (a, b)
        if not (a.is_manual and b.is_manual):
            assert not (a.category == "selling" == b.category), (a, b)
    if client.status in ("regular", "vip"):
        assert all((b - a).days <= standard.max_gap for a, b in itertools.pairwise(edges))


@fast
@given(clients(statuses=("regular", "vip", "dormant")))
def test_with_every_selling_occasion_off_the_gaps_are_filled_with_personal_and_useful(
    case: tuple[PlanClient, date],
) -> None:
    client, today = case
    standard = Standard(disabled_occasions=SELLING_OCCASIONS)
    plan = build_plan(client, standard, today)
    assert {t.category for t in plan if not t.is_manual} <= {"personal", "useful"}
    fillers = {t.occasion for t in plan if not t.is_fixed and not t.may_break_min_gap}
    assert fillers <= {"personal_checkin", "care_tips"}
    if client.status != "dormant":
        edges = [
            today,
            *(t.date for t in plan),
            today + timedelta(days=horizon_days(client.id, standard)),
        ]
        assert all((b - a).days <= standard.max_gap for a, b in itertools.pairwise(edges))


@fast
@given(clients(), st.data())
def test_a_loader_may_leave_out_the_items_and_visits_no_plan_reads(
    case: tuple[PlanClient, date], data: st.DataObject
) -> None:
    client, today = case
    # purchases of any day, later ones and same-day ones included, each with its own items
    days = [p.date for p in client.purchases] + data.draw(
        st.lists(st.dates(today - timedelta(days=900), today + timedelta(days=60)), max_size=4)
    )
    if days:
        days.append(data.draw(st.sampled_from(days)))
    amounts = data.draw(st.lists(st.sampled_from([100.0, 250.0, 9000.0]), min_size=len(days),
                                 max_size=len(days)))  # fmt: skip
    purchases = tuple(
        PlanPurchase(day, amount, (f"item {i}",))
        for i, (day, amount) in enumerate(zip(days, amounts, strict=True))
    )
    visits = (*client.visits, today + timedelta(days=3))
    full = dataclasses.replace(client, purchases=purchases, visits=visits)
    # what the loader gives: items only where items_needed says, the latest visit up to today
    needed = items_needed(days, today)
    latest = max((v for v in visits if v <= today), default=None)
    loaded = dataclasses.replace(
        full,
        purchases=tuple(
            p if keep else dataclasses.replace(p, items=())
            for p, keep in zip(purchases, needed, strict=True)
        ),
        visits=(latest,) if latest else (),
    )
    for standard in (STANDARD, Standard(min_gap=14, max_gap=30)):
        assert build_plan(loaded, standard, today) == build_plan(full, standard, today)


def test_the_personal_checkin_and_unknown_occasions_cannot_be_switched_off() -> None:
    with pytest.raises(ValueError, match="personal_checkin is the filler of last resort"):
        Standard(disabled_occasions=frozenset({"personal_checkin"}))
    with pytest.raises(ValueError, match="unknown occasions: birthday"):
        Standard(disabled_occasions=frozenset({"birthday"}))


def test_switching_off_custom_key_dates_and_birthdays() -> None:
    client = PlanClient(11, "regular", frozenset({"sms"}), birthday=date(1990, 3, 1),
                        key_dates=(PlanKeyDate(5, "custom", date(2015, 2, 10)),))  # fmt: skip
    today = date(2026, 1, 15)
    on = [(t.date, t.occasion) for t in build_plan(client, STANDARD, today)]
    assert (date(2026, 2, 10), "personal_checkin") in on
    assert (date(2026, 3, 1), "client_birthday") in on
    standard = Standard(disabled_occasions=frozenset({"key_date", "client_birthday"}))
    off = build_plan(client, standard, today)
    assert all(t.priority != 40 and t.occasion != "client_birthday" for t in off)


def test_a_stores_own_greeted_date() -> None:
    founders_day = GreetedDate("store_birthday", month=9, day=15, greet="all", gift_ideas="none")
    standard = Standard(greeted_dates=(founders_day,))
    client = PlanClient(12, "regular", frozenset({"sms"}))
    plan = build_plan(client, standard, date(2026, 8, 1))
    greetings = [(t.date, t.reason_params) for t in plan if t.occasion == "holiday_greeting"]
    assert greetings == [
        (date(2026, 9, 14), {"holiday": "store_birthday", "holiday_date": "2026-09-15"})
    ]


# --- examples ---------------------------------------------------------------------------------


def test_birthday_on_29_december_and_new_year_are_one_contact() -> None:
    client = PlanClient(1, "regular", frozenset({"whatsapp"}), birthday=date(1985, 12, 29),
                        first_name="Anna", gender="f")  # fmt: skip
    plan = build_plan(client, STANDARD, date(2026, 12, 1))
    around = [t for t in plan if date(2026, 12, 25) <= t.date <= date(2027, 1, 2)]
    assert [(t.date, t.occasion, t.merged_occasions) for t in around] == [
        (date(2026, 12, 29), "client_birthday", ("holiday_greeting",))
    ]
    assert around[0].reason_params["age"] == 41
    assert around[0].reason_params["merged"][0]["holiday"] == "new_year"


def test_olga_regular_unseen_for_twelve_weeks_gets_win_back_first() -> None:
    today = date(2026, 11, 23)
    purchases = tuple(
        PlanPurchase(today - timedelta(weeks=12 + 7 * k), 300.0, ("ring",)) for k in range(4)
    )
    client = PlanClient(2, "regular", frozenset({"whatsapp", "sms"}), preferred_channel="call",
                        purchases=purchases, last_contact=today - timedelta(days=30))  # fmt: skip
    assert overdue_ratio(client, today) == pytest.approx(12 / 7)
    plan = build_plan(client, STANDARD, today)
    first = next(t for t in plan if not t.is_fixed)
    # Not contacted for 30 days: like every client without a recent contact, her first contact
    # is spread over the next three weeks, on her own day of a 22-day cycle ((2 - 739943) % 22
    # = 7 days from today), not piled onto today.
    assert (first.occasion, first.date, first.channel) == (
        "win_back",
        today + timedelta(days=7),
        "whatsapp",
    )
    # planned again on the following days, it stays on its day until the day comes
    for later in range(1, 8):
        again = build_plan(client, STANDARD, today + timedelta(days=later))
        assert next(t for t in again if not t.is_fixed).date == today + timedelta(days=7)
    assert first.reason_params["last_purchase_date"] == "2026-08-31"  # 84 days before
    assert first.reason_params["typical_interval_days"] == 49


def test_russian_holidays_skip_bridge_days_and_take_the_first_day() -> None:
    found = {rule.key: day for rule, day in greeted_dates_in(STANDARD, 2026)}
    assert found == {
        "new_year": date(2026, 1, 1), "womens_day": date(2026, 3, 8),
        "defenders_day": date(2026, 2, 23), "valentines_day": date(2026, 2, 14),
        "mothers_day": date(2026, 11, 29),
    }  # fmt: skip


def test_greetings_follow_gender_rules() -> None:
    man = PlanClient(3, "regular", frozenset({"sms"}), gender="m")
    plan = build_plan(man, STANDARD, date(2026, 1, 10))
    greeted = {t.reason_params.get("holiday") for t in plan if t.occasion == "holiday_greeting"}
    assert "defenders_day" in greeted and "womens_day" not in greeted
    gifts = {t.reason_params.get("holiday") for t in plan if t.occasion == "holiday_gift_ideas"}
    gifts |= {m.get("holiday") for t in plan for m in t.reason_params.get("merged", ())}
    assert "defenders_day" not in gifts


def test_new_client_gets_the_onboarding_sequence() -> None:
    today = date(2026, 6, 1)
    client = PlanClient(28, "new", frozenset({"email"}),  # her horizon: the whole year
                        purchases=(PlanPurchase(today, 500.0, ("earrings",)),))  # fmt: skip
    plan = build_plan(client, STANDARD, today)
    assert [(t.occasion, (t.date - today).days) for t in plan] == [
        ("thank_you", 0), ("feedback", 2), ("care_tips", 28), ("holiday_greeting", 213),
        ("purchase_anniversary", 365),
    ]  # fmt: skip
    assert all(t.category != "selling" for t in plan)


def test_former_client_gets_new_year_and_one_piece_of_news() -> None:
    client = PlanClient(5, "former", frozenset({"telegram"}), preferences=("silver",))
    plan = build_plan(client, STANDARD, date(2026, 2, 1))
    assert [(t.date, t.occasion) for t in plan] == [
        (date(2026, 7, 1), "new_arrivals"), (date(2026, 12, 31), "former_new_year")
    ]  # fmt: skip


def test_relative_birthday_gift_idea_ten_days_before() -> None:
    maria = PlanRelative(9, "Maria", "spouse", date(1990, 7, 20))
    client = PlanClient(6, "vip", frozenset({"whatsapp"}), gender="m", relatives=(maria,))
    plan = build_plan(client, STANDARD, date(2026, 6, 1))
    gift = next(t for t in plan if t.occasion == "relative_birthday_gift")
    assert (gift.date, gift.window_start, gift.window_end) == (
        date(2026, 7, 10),
        date(2026, 7, 6),
        date(2026, 7, 13),
    )
    assert gift.relative_id == 9 and gift.reason_params["relative_name"] == "Maria"


def test_channel_choice() -> None:
    base = PlanClient(7, "regular", frozenset({"email", "sms"}), preferred_channel="whatsapp")
    assert choose_channel(base) == "sms"
    assert choose_channel(dataclasses.replace(base, preferred_channel="email")) == "email"


def test_standard_rejects_impossible_spacing() -> None:
    with pytest.raises(ValueError):
        Standard(min_gap=30, max_gap=45)
    with pytest.raises(ValueError):
        Standard(max_gap=61)


@pytest.mark.slow
def test_timing_under_two_ms_per_client() -> None:
    client = PlanClient(
        8, "regular", frozenset({"whatsapp"}), birthday=date(1980, 5, 5),
        relatives=tuple(PlanRelative(i, "R", "child", date(2010, i, 3), True) for i in range(1, 4)),
        key_dates=(PlanKeyDate(1, "wedding", date(2005, 9, 9)),),
        purchases=tuple(PlanPurchase(date(2026, m, 1), 100.0, ("x",)) for m in range(1, 11)),
        preferences=("gold",),
    )  # fmt: skip
    build_plan(client, STANDARD, date(2026, 11, 1))
    start = time.perf_counter()
    for _ in range(500):
        build_plan(client, STANDARD, date(2026, 11, 1))
    per_client_ms = (time.perf_counter() - start) / 500 * 1000
    print(f"build_plan: {per_client_ms:.3f} ms per client")
    assert per_client_ms < 2


def test_the_plans_far_end_stays_put_as_the_horizon_moves() -> None:
    # A regular client contacted ten days ago, her birthday in spring, in a store that greets no
    # holidays: after the birthday, eight months up to the horizon's edge are filled. From one
    # day to the next the edge moves a day, and the contacts already planned keep their days
    # (spread up to the edge, they moved every night).
    today = date(2026, 12, 6)
    standard = Standard(greeted_dates=())
    client = PlanClient(5, "regular", frozenset({"whatsapp"}), birthday=date(1985, 4, 10),
                        last_contact=today - timedelta(days=10))  # fmt: skip
    edge = today + timedelta(days=standard.horizon_days)
    first = [(t.date, t.occasion) for t in build_plan(client, standard, today)]
    assert first[-2:] == [(date(2027, 10, 7), "personal_checkin"),
                          (date(2027, 11, 21), "personal_checkin")]  # fmt: skip
    for k in range(1, 11):  # (while her last contact is recent: p0 is that contact)
        day = today + timedelta(days=k)
        plan = build_plan(client, standard, day)
        assert [(t.date, t.occasion) for t in plan if t.date <= edge] == [
            entry for entry in first if entry[0] >= day
        ], k


def test_an_overdue_touchpoint_keeps_the_rest_of_the_plan() -> None:
    # The New Year greeting passes unsent: it is still on Today as overdue, and the plan goes on
    # from it as it was planned (the check-in stays on 2 February), where filling from the last
    # contact would have moved the check-in (and every such client's plan) that night.
    standard = Standard(disabled_occasions=frozenset({"holiday_gift_ideas"}))
    client = PlanClient(28, "regular", frozenset({"whatsapp"}), birthday=date(1985, 4, 10),
                        gender="f", first_name="Anna", last_contact=date(2026, 12, 1))  # fmt: skip
    stored = build_plan(client, standard, date(2026, 12, 6))
    assert [(t.date, t.occasion) for t in stored[:3]] == [
        (date(2026, 12, 31), "holiday_greeting"), (date(2027, 2, 2), "personal_checkin"),
        (date(2027, 3, 7), "holiday_greeting"),
    ]  # fmt: skip
    new_year = date(2027, 1, 1)
    read = read_back(client, stored, new_year)
    assert read.last_overdue == date(2026, 12, 31)
    assert build_plan(read, standard, new_year)[:2] == stored[1:3]
    as_if_sent_long_ago = dataclasses.replace(read, last_overdue=None)
    assert build_plan(as_if_sent_long_ago, standard, new_year)[0].date == date(2027, 1, 31)


def test_a_passed_occasion_goes_with_the_touchpoint_it_was_folded_into() -> None:
    # The New Year gift idea (window 18–22 December) is folded into the win-back of 26 December.
    # Once its window is over it still goes with it, rather than leave the win-back the day it
    # closes (on every such client at once).
    client = PlanClient(28, "dormant", frozenset({"whatsapp"}), gender="f", first_name="Anna",
                        last_contact=date(2026, 12, 5))  # fmt: skip
    stored = build_plan(client, STANDARD, date(2026, 12, 6))
    win_back = stored[0]
    assert (win_back.date, win_back.occasion, win_back.merged_occasions) == (
        date(2026, 12, 26), "win_back", ("holiday_gift_ideas",))  # fmt: skip
    assert win_back.reason_params["folded"] == (
        ("holiday_gift_ideas", None, "2026-12-18", "2026-12-22"),)  # fmt: skip
    after_its_window = date(2026, 12, 23)
    assert build_plan(read_back(client, stored, after_its_window), STANDARD,
                      after_its_window)[0] == win_back  # fmt: skip


def test_a_message_that_carried_an_occasion_is_not_followed_by_one_for_it() -> None:
    # The Valentine's Day gift idea of 2 February carries the Defender's Day one (23 February,
    # window 9–13 February). Once it is handled, the Defender's Day gift idea does not come back
    # on its own; it would if the touchpoint did not say what was folded into it.
    client = PlanClient(28, "regular", frozenset({"whatsapp"}), gender="f", first_name="Anna",
                        last_contact=date(2027, 1, 20))  # fmt: skip
    stored = build_plan(client, STANDARD, date(2027, 1, 21))
    valentines = next(t for t in stored if t.date == date(2027, 2, 2))
    assert valentines.reason_params["folded"] == (
        ("holiday_gift_ideas", None, "2027-02-09", "2027-02-13"),)  # fmt: skip
    day = date(2027, 2, 3)
    read = read_back(client, stored, day)

    def defenders_day(plan: tuple[Touchpoint, ...]) -> list[date]:
        this_year = [t for t in plan if t.date < date(2027, 3, 1)]
        return [t.date for t in this_year if t.reason_params.get("holiday") == "defenders_day"]

    assert defenders_day(build_plan(read, STANDARD, day)) == []
    unaware = dataclasses.replace(
        read, handled=tuple(dataclasses.replace(h, folded=()) for h in read.handled)
    )
    assert defenders_day(build_plan(unaware, STANDARD, day)) == [date(2027, 2, 11)]
