"""A store's duplicate settings: who may change them, what is refused, and that the pass obeys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as Browser
from django.urls import reverse
from django.utils import translation

from rapport.accounts.models import User
from rapport.clients.choices import CandidateStatus
from rapport.clients.models import ClientMerge, DedupeSettings, DuplicateCandidate
from rapport.clients.services import dedupe_settings_save, duplicate_candidates_refresh
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db

URL = reverse("clients:dedupe_settings")
GOOD = {"review_threshold": "0.9", "auto_merge_threshold": "0.97", "auto_merge_enabled": "on"}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def browser_for(user: User) -> Browser:
    browser = Browser(headers={"accept-language": "en"})
    browser.force_login(user)
    return browser


def test_a_manager_edits_the_settings_of_their_store(world: World) -> None:
    browser = browser_for(world.manager)

    page = browser.get(URL)
    response = browser.post(URL, GOOD)

    assert page.status_code == 200 and page.context["store"] == world.store
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?store={world.store.pk}"
    saved = DedupeSettings.objects.get(store=world.store)
    assert (saved.review_threshold, saved.auto_merge_threshold, saved.auto_merge_enabled) == (
        0.9,
        0.97,
        True,
    )


def test_an_admin_picks_the_store_with_the_switcher(world: World) -> None:
    browser = browser_for(world.admin)
    url = f"{URL}?store={world.other_store.pk}"

    page = browser.get(url)
    response = browser.post(url, GOOD | {"auto_merge_enabled": ""})

    assert page.status_code == 200
    assert {s.pk for s in page.context["stores"]} == {world.store.pk, world.other_store.pk}
    assert 'name="store"' in page.content.decode()
    assert response.status_code == 302
    saved = DedupeSettings.objects.get()
    assert (saved.store, saved.auto_merge_enabled) == (world.other_store, False)


def test_consultants_are_refused_and_another_stores_manager_does_not_see_it(world: World) -> None:
    for persona in (world.owner, world.colleague, world.stranger):
        browser = browser_for(persona)
        assert browser.get(URL).status_code == 403
        assert browser.post(URL, GOOD).status_code == 403
    stranger = browser_for(world.stranger)
    assert stranger.get(f"{URL}?store={world.store.pk}").status_code == 404
    with pytest.raises(PermissionDenied):
        dedupe_settings_save(actor=world.owner, store=world.store, review_threshold=0.9)
    assert not DedupeSettings.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"review_threshold": "0.4"}, "Enter a number from 0.5 to 1."),
        ({"auto_merge_threshold": "1.2"}, "Ensure this value is less than or equal to 1.0."),
        (
            {"review_threshold": "0.95", "auto_merge_threshold": "0.9"},
            "Automatic merging cannot start below the review threshold.",
        ),
    ],
)
def test_a_bad_threshold_is_shown_on_the_form(
    world: World, data: dict[str, str], message: str
) -> None:
    response = browser_for(world.manager).post(URL, GOOD | data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DedupeSettings.objects.exists()


def test_the_service_refuses_what_the_form_would(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        dedupe_settings_save(
            actor=world.manager, store=world.store, review_threshold=0.9, auto_merge_threshold=0.8
        )
    assert set(refused.value.message_dict) == {"auto_merge_threshold"}
    with pytest.raises(TypeError):
        dedupe_settings_save(actor=world.manager, store=world.store, max_block=3)


def test_the_duplicates_pass_uses_the_saved_settings(world: World) -> None:
    # given a second card of the client, alike at 0.89 (the default review threshold is 0.8)
    make_client(world.colleague, world.store, first_name="Аня", phone="8 (916) 123-45-67")

    # when the manager raises the review threshold above the pair's score
    dedupe_settings_save(actor=world.manager, store=world.store, review_threshold=0.95)
    stats = duplicate_candidates_refresh(store=world.store)

    # then the pair is not proposed
    assert (stats.candidates, DuplicateCandidate.objects.count()) == (0, 0)

    # when automatic merging is switched on below the pair's score
    dedupe_settings_save(
        actor=world.manager,
        store=world.store,
        review_threshold=0.8,
        auto_merge_threshold=0.85,
        auto_merge_enabled=True,
    )
    stats = duplicate_candidates_refresh(store=world.store)

    # then the pair is merged without asking
    assert (stats.candidates, stats.auto_merged) == (1, 1)
    assert DuplicateCandidate.objects.get().status == CandidateStatus.AUTO_MERGED
    assert ClientMerge.objects.get().automatic


def test_the_queue_links_to_the_settings(world: World) -> None:
    page = browser_for(world.manager).get(reverse("clients:duplicates"))
    assert f'href="{URL}"' in page.content.decode()
