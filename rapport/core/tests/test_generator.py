"""The seeded data generator: deterministic, valid phones, plausible people and histories."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from datetime import date, datetime, timedelta

import phonenumbers
import pytest

from rapport.core.generator import (
    MSK,
    feminine_surname,
    generate_clients,
    phone_for,
    product_catalogue,
)
from rapport.core.normalize import normalize_email, normalize_telegram

TODAY = date(2025, 6, 1)
MIDNIGHT = datetime(2025, 6, 1, tzinfo=MSK)


@pytest.fixture(scope="module")
def clients():  # type: ignore[no-untyped-def]
    return list(generate_clients(2000, seed=7, today=TODAY))


def test_same_seed_gives_same_clients_and_other_seed_does_not():
    first = list(generate_clients(50, seed=3, today=TODAY))
    again = list(generate_clients(50, seed=3, today=TODAY))
    other = list(generate_clients(50, seed=4, today=TODAY))
    assert first == again
    assert [c.phone for c in first] != [c.phone for c in other]


def test_cards_do_not_depend_on_history_or_on_n():
    with_history = list(generate_clients(100, seed=5, today=TODAY))
    without = list(generate_clients(100, seed=5, today=TODAY, with_history=False))
    longer = list(generate_clients(150, seed=5, today=TODAY, with_history=False))
    assert [(c.first_name, c.last_name, c.contacts) for c in with_history] == [
        (c.first_name, c.last_name, c.contacts) for c in without
    ]
    assert without == longer[:100]
    assert all(not c.purchases and not c.visits for c in without)


def test_phones_are_valid_russian_mobiles_and_unique():
    phones = [c.phone for c in generate_clients(20_000, seed=1, today=TODAY, with_history=False)]
    assert len(set(phones)) == 20_000
    for phone in phones[::97]:
        number = phonenumbers.parse(phone, None)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.region_code_for_number(number) == "RU"
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
        assert phone.startswith("+79") and len(phone) == 12


def test_phone_permutation_is_unique_far_out():
    phones = {phone_for(index, 1) for index in range(5_000_000, 5_050_000)}
    assert len(phones) == 50_000


def test_feminine_surnames():
    assert [feminine_surname(s) for s in ("Иванов", "Соловьёв", "Ильин", "Вишневский", "Толстой",
                                          "Шевчук", "Бондаренко", "Черных")] == [
        "Иванова", "Соловьёва", "Ильина", "Вишневская", "Толстая", "Шевчук", "Бондаренко", "Черных"
    ]  # fmt: skip


def test_women_have_feminine_surnames_and_patronymics(clients):
    russian_women = [c for c in clients if c.gender == "f" and c.middle_name]
    assert russian_women
    assert all(c.middle_name.endswith(("овна", "евна", "ична")) for c in russian_women)
    assert not any(c.last_name.endswith(("ов", "ев", "ин", "ский")) for c in russian_women)


def test_plausible_mix(clients):
    genders = Counter(c.gender for c in clients)
    languages = Counter(c.language for c in clients)
    assert 0.65 < genders["f"] / 2000 < 0.8
    assert 0.03 < languages["en"] / 2000 < 0.12
    with_email = sum(1 for c in clients if c.contact("email"))
    with_telegram = sum(1 for c in clients if c.contact("telegram"))
    assert 0.33 < with_email / 2000 < 0.47
    assert 0.2 < with_telegram / 2000 < 0.3
    assert sum(1 for c in clients if c.relatives) > 800
    assert sum(1 for c in clients if any(k.kind == "wedding" for k in c.key_dates)) > 200
    statuses = Counter(consent.status for c in clients for consent in c.consents)
    assert statuses["granted"] > 5 * statuses["withdrawn"] > 0


def test_contacts_are_normalised_and_consents_match_channels(clients):
    for client in clients:
        email = client.contact("email")
        if email:
            assert normalize_email(email) == email
        handle = client.contact("telegram")
        if handle:
            assert normalize_telegram(handle) == handle
        kinds = {c.kind for c in client.contacts}
        for consent in client.consents:
            needed = {"whatsapp": "phone", "sms": "phone", "call": "phone", "email": "email",
                      "telegram": "telegram"}[consent.channel]  # fmt: skip
            assert needed in kinds
        if client.preferred_channel:
            granted = {c.channel for c in client.consents if c.status == "granted"}
            assert client.preferred_channel in granted


def test_key_dates_point_at_existing_relatives(clients):
    for client in clients:
        for key_date in client.key_dates:
            if key_date.relative is not None:
                assert client.relatives[key_date.relative].relation in {"partner", "spouse"}
        for relative in client.relatives:
            assert relative.birthday is None or relative.birthday < TODAY


def test_history_is_in_the_past_ordered_and_after_the_card(clients):
    for client in clients:
        moments = [p.at for p in client.purchases]
        assert moments == sorted(moments)
        for moment in moments + [v.at for v in client.visits]:
            assert client.created_at.date() <= moment.date() and moment < MIDNIGHT
        if client.purchases:
            assert client.purchases[0].at.date() == client.created_at.date()
        if client.lapsed_at is not None:
            assert all(p.at.date() < client.lapsed_at for p in client.purchases)
        assert 21 <= client.rhythm_days <= 140
        assert client.birthday is None or client.birthday < TODAY


def test_purchase_counts_and_baskets(clients):
    counts = Counter(len(c.purchases) for c in clients)
    assert 0.05 < counts[0] / 2000 < 0.11  # came once, did not buy
    assert 0.15 < counts[1] / 2000 < 0.30  # one purchase
    assert sum(n for k, n in counts.items() if k >= 3) / 2000 > 0.45
    lines = [line for c in clients for p in c.purchases for line in p.lines]
    sizes = Counter(len(p.lines) for c in clients for p in c.purchases)
    assert set(sizes) == {1, 2, 3} and sizes[1] > sizes[2] > sizes[3]
    discounted = [line for line in lines if line.discount]
    assert 0.05 < len(discounted) / len(lines) < 0.2
    assert all(0 < line.discount < line.unit_price * line.quantity for line in discounted)
    assert all(line.amount > 0 for line in lines)
    assert sum(1 for c in clients if c.lapsed_at) > 200
    assert sum(1 for c in clients if c.visits) > 1000
    assert all(v.looked_at for c in clients for v in c.visits if v.purpose != "service")


def test_rhythms_follow_each_clients_mean(clients):
    regulars = [c for c in clients if len(c.purchases) >= 8]
    ratios = []
    for client in regulars:
        gaps = [(b.at - a.at).days for a, b in itertools.pairwise(client.purchases)]
        ratios.append(statistics.mean(gaps) / client.rhythm_days)
    assert 0.85 < statistics.median(ratios) < 1.15


def test_catalogue():
    catalogue = product_catalogue(1)
    assert catalogue == product_catalogue(1)
    assert len(catalogue) == 300
    assert len({p.sku for p in catalogue}) == 300
    assert {p.category for p in catalogue} >= {"Кольца", "Серьги", "Часы", "Сумки"}
    assert all(5_000 <= p.price <= 1_500_000 for p in catalogue)
    assert any(p.material == "белое золото" for p in catalogue)


def test_dates_are_fixed_by_today():
    first = next(generate_clients(1, seed=9, today=TODAY))
    later = next(generate_clients(1, seed=9, today=TODAY + timedelta(days=10)))
    assert later.created_at - first.created_at == timedelta(days=10)
