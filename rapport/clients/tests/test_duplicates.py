"""Likely duplicates: the store-wide pass, the managers' review queue and the till's warning."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.http import Http404
from django.test import Client as Browser
from django.urls import reverse
from django.utils import translation

from rapport.clients.choices import CandidateStatus
from rapport.clients.models import Client, ClientMerge, DedupeSettings, DuplicateCandidate
from rapport.clients.selectors import duplicate_candidates_for, possible_matches_for
from rapport.clients.services import (
    duplicate_candidates_refresh,
    duplicate_dismiss,
    people_of,
)
from rapport.clients.views import evidence_sentence
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db


def browser_for(user) -> Browser:  # type: ignore[no-untyped-def]
    browser = Browser()
    browser.force_login(user)
    return browser


def twin(world: World, **extra: object) -> Client:
    """A second card of the world's client: the same phone, a diminutive of her name."""
    fields: dict[str, object] = {"first_name": "Аня", "phone": "8 (916) 123-45-67"}
    fields.update(extra)
    return make_client(world.colleague, world.store, **fields)  # type: ignore[arg-type]


@pytest.fixture
def candidate(world: World) -> DuplicateCandidate:
    twin(world)
    duplicate_candidates_refresh(store=world.store)
    return DuplicateCandidate.objects.get()


def test_the_pass_finds_a_pair_within_a_store_only(world: World) -> None:
    # given a second card of the same person, a stranger, and the same phone in another store
    second = twin(world)
    make_client(world.owner, world.store, first_name="Пётр", last_name="Сидоров")
    make_client(world.stranger, world.other_store, phone="+7 916 123-45-67")

    stats = duplicate_candidates_refresh(store=world.store)

    pair = DuplicateCandidate.objects.get()
    assert (pair.store, pair.client_a_id, pair.client_b_id, pair.status) == (
        world.store,
        world.client.pk,
        second.pk,
        CandidateStatus.PENDING,
    )
    assert pair.score >= 0.8
    assert {e["field"] for e in pair.evidence} >= {"phone", "name"}
    assert (stats.clients, stats.candidates, stats.created, stats.auto_merged) == (3, 1, 1, 0)


def test_a_second_pass_keeps_decisions_and_drops_pairs_no_longer_alike(
    world: World, candidate: DuplicateCandidate
) -> None:
    duplicate_dismiss(actor=world.manager, candidate=candidate)
    stats = duplicate_candidates_refresh(store=world.store)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DISMISSED
    assert (stats.created, stats.updated) == (0, 0)

    candidate.status = CandidateStatus.PENDING
    candidate.save()
    Client.objects.filter(pk=candidate.client_b_id).update(merged_into=world.client)
    stats = duplicate_candidates_refresh(store=world.store)
    assert stats.removed == 1 and not DuplicateCandidate.objects.exists()


def test_people_are_loaded_in_two_queries_per_chunk(
    world: World,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    twin(world, birthday=date(1990, 1, 2), email="Anya@Example.ru")
    with django_assert_num_queries(3):  # clients and their addresses, then an empty chunk
        people = people_of(world.store)
    assert [p.phones for p in people] == [("+79161234567",), ("+79161234567",)]
    assert people[1].emails == ("anya@example.ru",)
    assert people[1].birthday == date(1990, 1, 2)


def test_sure_pairs_are_merged_automatically_when_the_store_says_so(world: World) -> None:
    DedupeSettings.objects.create(
        store=world.store, review_threshold=0.8, auto_merge_threshold=0.9, auto_merge_enabled=True
    )
    second = make_client(
        world.colleague,
        world.store,
        first_name="Анна",
        last_name="Иванова",
        phone="+7 916 123-45-67",
        email="anna@example.ru",
    )
    stats = duplicate_candidates_refresh(store=world.store)
    assert stats.auto_merged == 1
    merge = ClientMerge.objects.get()
    assert merge.automatic and merge.merged_by is None
    assert {merge.survivor_id, merge.merged_id} == {world.client.pk, second.pk}
    pair = DuplicateCandidate.objects.get()
    assert (pair.status, pair.merge) == (CandidateStatus.AUTO_MERGED, merge)
    # reviewable afterwards
    reviewed = duplicate_candidates_for(user=world.manager, status=CandidateStatus.AUTO_MERGED)
    assert list(reviewed) == [pair]


def test_nothing_is_merged_automatically_by_default(world: World) -> None:
    make_client(world.colleague, world.store, phone="+7 916 123-45-67", email="anna@example.ru")
    assert duplicate_candidates_refresh(store=world.store).auto_merged == 0
    assert not ClientMerge.objects.exists()


def test_dismiss_is_for_managers(world: World, candidate: DuplicateCandidate) -> None:
    with pytest.raises(PermissionDenied):
        duplicate_dismiss(actor=world.owner, candidate=candidate)
    with pytest.raises(Http404):
        duplicate_dismiss(actor=world.stranger, candidate=candidate)
    duplicate_dismiss(actor=world.manager, candidate=candidate)
    with pytest.raises(ValidationError):
        duplicate_dismiss(actor=world.manager, candidate=candidate)


def test_the_dedupe_command_prints_one_json_line_per_store(world: World) -> None:
    twin(world)
    out = StringIO()
    call_command("dedupe", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["store"], line["candidates"]) for line in lines] == [
        (world.store.name, 1),
        (world.other_store.name, 0),
    ]
    out = StringIO()
    call_command("dedupe", "--store", world.store.name, stdout=out)
    assert out.getvalue().startswith(f"{world.store.name}: 2 cards, 1 possible duplicates")


def test_evidence_reads_as_sentences() -> None:
    with translation.override("en"):
        assert (
            evidence_sentence(
                {"field": "phone", "verdict": "same", "detail": "+79161234567", "weight": 18}
            )
            == "Same phone: +79161234567."
        )
        assert (
            evidence_sentence(
                {
                    "field": "name",
                    "verdict": "similar",
                    "detail": "first name: Анна ~ Аня (diminutive)",
                    "weight": 4,
                }
            )
            == "Similar name: first name: Анна ~ Аня (diminutive)."
        )
        assert (
            evidence_sentence({"field": "birthday", "verdict": "missing", "detail": ""})
            == "No birthday on one of the cards."
        )


# --- the review queue ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 403), ("colleague", 403), ("stranger", 403), ("manager", 200), ("admin", 200)],
)
def test_the_queue_is_for_managers(
    world: World, candidate: DuplicateCandidate, persona: str, status: int
) -> None:
    for name in ("clients:duplicates", "clients:merges"):
        response = browser_for(getattr(world, persona)).get(reverse(name))
        assert response.status_code == status


def test_a_manager_of_another_store_sees_no_pairs_of_ours(
    world: World, candidate: DuplicateCandidate
) -> None:
    from rapport.accounts.choices import Role
    from rapport.testing import make_user

    other_manager = make_user(world.other_store, Role.MANAGER)
    assert not duplicate_candidates_for(user=other_manager).exists()
    url = reverse("clients:duplicate_merge", args=[candidate.pk])
    response = browser_for(other_manager).post(url, {"survivor": candidate.client_a_id})
    assert response.status_code == 404


def test_the_queue_shows_both_cards_side_by_side_in_a_fixed_number_of_queries(
    world: World,
    candidate: DuplicateCandidate,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    browser = browser_for(world.manager)
    url = reverse("clients:duplicates")
    browser.get(url)  # warm the session
    with django_assert_num_queries(8):
        page = browser.get(url).content.decode()
    assert "8 (916) 123-45-67" in page and "Аня" in page and "Анна" in page
    assert reverse("clients:duplicate_merge", args=[candidate.pk]) in page
    # more pairs, the same number of queries
    for n in range(3):
        make_client(world.owner, world.store, first_name="Ольга", phone=f"+7 916 700-00-0{n}")
        make_client(world.owner, world.store, first_name="Оля", phone=f"+7 916 700-00-0{n}")
    duplicate_candidates_refresh(store=world.store)
    assert DuplicateCandidate.objects.count() == 4
    with django_assert_num_queries(8):
        browser.get(url)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 403), ("colleague", 403), ("stranger", 404)],
)
def test_merge_and_dismiss_endpoints_check_who_asks(
    world: World, candidate: DuplicateCandidate, persona: str, status: int
) -> None:
    browser = browser_for(getattr(world, persona))
    merge = browser.post(
        reverse("clients:duplicate_merge", args=[candidate.pk]),
        {"survivor": candidate.client_a_id},
    )
    dismiss = browser.post(reverse("clients:duplicate_dismiss", args=[candidate.pk]))
    assert (merge.status_code, dismiss.status_code) == (status, status)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.PENDING


def test_a_manager_merges_from_the_queue_and_undoes_from_the_history(
    world: World, candidate: DuplicateCandidate
) -> None:
    browser = browser_for(world.manager)
    response = browser.post(
        reverse("clients:duplicate_merge", args=[candidate.pk]),
        {"survivor": candidate.client_b_id},  # the manager chooses which card stays
    )
    assert response.status_code == 302
    merge = ClientMerge.objects.get()
    assert (merge.survivor_id, merge.merged_id) == (candidate.client_b_id, candidate.client_a_id)
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.MERGED
    # an old link to the merged card leads to the card it lives on in
    old = browser.get(reverse("clients:card", args=[candidate.client_a_id]))
    assert old["Location"] == reverse("clients:card", args=[candidate.client_b_id])
    history = browser.get(reverse("clients:merges")).content.decode()
    undo = reverse("clients:merge_undo", args=[merge.pk])
    assert undo in history
    assert browser.post(undo).status_code == 302
    assert not Client.objects.filter(merged_into__isnull=False).exists()
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.DISMISSED


def test_undo_from_the_history_checks_who_asks(world: World, candidate: DuplicateCandidate) -> None:
    browser_for(world.manager).post(
        reverse("clients:duplicate_merge", args=[candidate.pk]),
        {"survivor": candidate.client_a_id},
    )
    undo = reverse("clients:merge_undo", args=[ClientMerge.objects.get().pk])
    assert browser_for(world.owner).post(undo).status_code == 403
    assert browser_for(world.stranger).post(undo).status_code == 404
    assert ClientMerge.objects.get().undone_at is None


def test_the_automatic_merges_filter_lists_them_with_an_undo(world: World) -> None:
    DedupeSettings.objects.create(
        store=world.store, review_threshold=0.8, auto_merge_threshold=0.9, auto_merge_enabled=True
    )
    make_client(
        world.colleague,
        world.store,
        phone="+7 916 123-45-67",
        email="anna@example.ru",
    )
    duplicate_candidates_refresh(store=world.store)
    page = browser_for(world.manager).get(reverse("clients:duplicates"), {"status": "auto_merged"})
    assert (
        reverse("clients:merge_undo", args=[ClientMerge.objects.get().pk]) in page.content.decode()
    )


# --- the till -----------------------------------------------------------------------------------


def test_possible_matches_find_the_card_by_phone_email_or_name(world: World) -> None:
    by_phone = possible_matches_for(
        user=world.colleague, store=world.store, first_name="Аня", phone="8 916 123 45 67"
    )
    assert [(c.pk, m.score >= 0.5) for c, m in by_phone] == [(world.client.pk, True)]
    by_name = possible_matches_for(
        user=world.colleague,
        store=world.store,
        first_name="анна",
        last_name="ИВАНОВА",
    )
    assert [c.pk for c, _ in by_name] == [world.client.pk]
    assert not possible_matches_for(
        user=world.colleague, store=world.store, first_name="Пётр", last_name="Сидоров"
    )
    with pytest.raises(Http404):
        possible_matches_for(user=world.stranger, store=world.store, first_name="Анна")


def test_the_till_shows_the_existing_card_before_saving(world: World) -> None:
    browser = browser_for(world.colleague)
    url = reverse("clients:new")
    typed = {"first_name": "Анна", "last_name": "Иванова", "phone": "+7 916 123-45-67"}

    response = browser.post(url, typed)

    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("clients:card", args=[world.client.pk]) in page
    assert 'name="create_anyway"' in page and 'type="checkbox"' in page
    assert Client.objects.count() == 1  # nothing saved yet

    response = browser.post(url, {**typed, "create_anyway": "on"})
    assert response.status_code == 302
    assert Client.objects.count() == 2


def test_the_till_creates_at_once_when_nobody_matches(world: World) -> None:
    response = browser_for(world.colleague).post(
        reverse("clients:new"), {"first_name": "Пётр", "phone": "+7 916 000-00-01"}
    )
    assert response.status_code == 302
    assert Client.objects.count() == 2
