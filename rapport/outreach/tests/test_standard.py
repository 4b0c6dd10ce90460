"""The store standard and the occasion catalogue: who may change them, what is refused, and how
the planner then follows them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone, translation

from rapport.accounts.choices import Role
from rapport.accounts.models import User
from rapport.clients.choices import Channel, ConsentSource, ConsentStatus
from rapport.clients.models import Client
from rapport.clients.services import consent_set
from rapport.core import drafts, planner
from rapport.outreach.choices import Occasion, TouchpointStatus
from rapport.outreach.models import OccasionTemplate, Standard, Touchpoint
from rapport.outreach.planning import standard_for
from rapport.outreach.standards import (
    catalogue_for,
    occasion_template_set,
    standard_get_for,
    standard_update,
    template_errors,
    template_for,
)
from rapport.testing import World, make_user

pytestmark = pytest.mark.django_db

DEFAULT_GREETED = [
    {"key": "new_year", "greet": "all", "gift_ideas": "all"},
    {"key": "womens_day", "greet": "f", "gift_ideas": "m"},
    {"key": "defenders_day", "greet": "m", "gift_ideas": "f"},
    {"key": "valentines_day", "greet": "none", "gift_ideas": "all"},
    {"key": "mothers_day", "greet": "none", "gift_ideas": "all"},
]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def browser_for(user: User) -> Browser:
    browser = Browser(headers={"accept-language": "en"})
    browser.force_login(user)
    return browser


def form_data(**changes: Any) -> dict[str, Any]:
    """The standard page's form as the browser posts it, defaults unless changed."""
    data: dict[str, Any] = {
        "min_gap": 21,
        "max_gap": 45,
        "horizon_days": 365,
        "former_per_year": 2,
        "overdue_ratio_winback": "1.5",
        "daily_capacity": 12,
        "monthly_minimum": 120,
        "quiet_until": "10:00",
        "quiet_from": "21:00",
    }
    for rule in DEFAULT_GREETED:
        data[f"greet_{rule['key']}"] = rule["greet"]
        data[f"gifts_{rule['key']}"] = rule["gift_ideas"]
    return data | changes


def other_manager(world: World) -> User:
    return make_user(world.other_store, Role.MANAGER, username="gleb", first_name="Глеб")


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["outreach:standard_edit", "outreach:templates_edit"])
@pytest.mark.parametrize(
    ("who", "get", "can_edit"),
    [
        ("owner", 200, False),
        ("colleague", 200, False),
        ("manager", 200, True),
        ("admin", 200, True),
        ("stranger", 404, None),
        ("other_manager", 404, None),
    ],
)
def test_who_sees_the_pages_and_who_may_edit(
    world: World, page: str, who: str, get: int, can_edit: bool | None
) -> None:
    user = other_manager(world) if who == "other_manager" else getattr(world, who)
    response = browser_for(user).get(reverse(page), {"store": world.store.pk})
    assert response.status_code == get
    if get == 200:
        assert response.context["store"] == world.store
        assert response.context["can_edit"] is can_edit


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 403),
        ("colleague", 403),
        ("stranger", 404),
        ("other_manager", 404),
        ("manager", 302),
        ("admin", 302),
    ],
)
def test_only_the_stores_managers_and_the_admin_change_the_standard(
    world: World, who: str, status: int
) -> None:
    user = other_manager(world) if who == "other_manager" else getattr(world, who)
    url = f"{reverse('outreach:standard_edit')}?store={world.store.pk}"
    response = browser_for(user).post(url, form_data(daily_capacity=8))
    assert response.status_code == status
    saved = Standard.objects.filter(store=world.store).values_list("daily_capacity", flat=True)
    assert list(saved) == ([8] if status == 302 else [])


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 403), ("stranger", 404), ("other_manager", 404), ("manager", 302), ("admin", 302)],
)
def test_only_the_stores_managers_and_the_admin_change_the_texts(
    world: World, who: str, status: int
) -> None:
    user = other_manager(world) if who == "other_manager" else getattr(world, who)
    url = f"{reverse('outreach:templates_edit')}?store={world.store.pk}"
    response = browser_for(user).post(
        url,
        {"occasion": "client_birthday", "enabled": "on", "text_ru": "С праздником!", "text_en": ""},
    )
    assert response.status_code == status
    assert list(OccasionTemplate.objects.values_list("occasion", "language", "text")) == (
        [("client_birthday", "ru", "С праздником!")] if status == 302 else []
    )


def test_a_consultant_reads_the_standard_with_every_field_disabled(world: World) -> None:
    response = browser_for(world.owner).get(reverse("outreach:standard_edit"))
    form = response.context["form"]
    assert len(form.fields) == 9 + 2 * len(DEFAULT_GREETED)
    assert all(field.disabled for field in form.fields.values())
    assert "Save" not in response.content.decode()


def test_the_services_refuse_consultants_and_strangers(world: World) -> None:
    with pytest.raises(PermissionDenied):
        standard_update(actor=world.owner, store=world.store, daily_capacity=5)
    with pytest.raises(Http404):
        standard_update(actor=world.stranger, store=world.store, daily_capacity=5)
    with pytest.raises(PermissionDenied):
        occasion_template_set(
            actor=world.colleague, store=world.store, occasion="feedback", language="en", text="Hi"
        )
    with pytest.raises(Http404):
        standard_get_for(user=world.stranger, store=world.store)
    assert Standard.objects.count() == 0
    assert OccasionTemplate.objects.count() == 0


def test_an_admin_picks_the_store_and_a_manager_defaults_to_the_one_he_manages(
    world: World,
) -> None:
    admin_page = browser_for(world.admin).get(
        reverse("outreach:standard_edit"), {"store": world.other_store.pk}
    )
    assert admin_page.context["store"] == world.other_store
    assert admin_page.context["stores"] == [world.other_store, world.store]  # by name
    manager_page = browser_for(world.manager).get(reverse("outreach:standard_edit"))
    assert manager_page.context["store"] == world.store
    assert manager_page.context["stores"] == []


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"min_gap": 0}, {"min_gap": ["Enter a whole number from 1 to 30."]}),
        ({"max_gap": 61}, {"max_gap": ["Enter a whole number from 2 to 60."]}),
        (
            {"min_gap": 25},
            {"max_gap": ["The longest gap must be at least twice the shortest one (50 days)."]},
        ),
        ({"daily_capacity": 0}, {"daily_capacity": ["Enter a whole number from 1 to 100."]}),
        ({"daily_capacity": 101}, {"daily_capacity": ["Enter a whole number from 1 to 100."]}),
        ({"horizon_days": 7}, {"horizon_days": ["Enter a whole number from 30 to 730."]}),
        ({"former_per_year": 5}, {"former_per_year": ["Enter a whole number from 0 to 4."]}),
        (
            {"overdue_ratio_winback": Decimal("0.5")},
            {"overdue_ratio_winback": ["Enter a number from 1 to 5, such as 1.5."]},
        ),
        (
            {"quiet_from": time(9, 0), "quiet_until": time(10, 0)},
            {
                "quiet_from": [
                    "Leave part of the day for messages: the evening time must come after "
                    "the morning one."
                ]
            },
        ),
        (
            {"greeted_dates": [{"key": "new_year", "greet": "everyone", "gift_ideas": "all"}]},
            {"greeted_dates": ["Choose who is greeted on each date from the list."]},
        ),
        (
            {"greeted_dates": [{"key": "halloween", "greet": "all", "gift_ideas": "all"}]},
            {"greeted_dates": ["Choose who is greeted on each date from the list."]},
        ),
        (
            {"disabled_occasions": ["personal_checkin"]},
            {"disabled_occasions": ["These occasions cannot be switched off."]},
        ),
        (
            {"disabled_occasions": ["introduction"]},
            {"disabled_occasions": ["These occasions cannot be switched off."]},
        ),
    ],
)
def test_the_standard_refuses_what_the_planner_cannot_follow(
    world: World, changes: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as caught:
        standard_update(actor=world.manager, store=world.store, **changes)
    assert caught.value.message_dict == errors
    assert list(Standard.objects.values_list("min_gap", "max_gap", "daily_capacity")) == []


def test_the_page_shows_the_messages_on_their_fields(world: World) -> None:
    response = browser_for(world.manager).post(
        reverse("outreach:standard_edit"), form_data(min_gap=30, max_gap=50, daily_capacity=500)
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "max_gap": ["The longest gap must be at least twice the shortest one (60 days)."],
        "daily_capacity": ["Enter a whole number from 1 to 100."],
    }
    assert Standard.objects.count() == 0


def test_an_unknown_field_is_a_programming_error(world: World) -> None:
    with pytest.raises(TypeError):
        standard_update(actor=world.manager, store=world.store, country="FR")


# --- saving and re-planning ---------------------------------------------------------------------


def test_a_saved_standard_reaches_the_planner(world: World) -> None:
    # when the manager widens the spacing and stops greeting men on 23 February
    greeted = [dict(rule) for rule in DEFAULT_GREETED]
    greeted[2]["greet"] = "none"
    response = browser_for(world.manager).post(
        reverse("outreach:standard_edit"),
        form_data(min_gap=25, max_gap=55, quiet_from="20:30", greet_defenders_day="none"),
    )
    assert response.status_code == 302
    # then the row holds it
    row = Standard.objects.get(store=world.store)
    assert (row.min_gap, row.max_gap, row.quiet_from, row.greeted_dates) == (
        25,
        55,
        time(20, 30),
        greeted,
    )
    # and the planner is given it
    rules = standard_for(world.store)
    assert (rules.min_gap, rules.max_gap) == (25, 55)
    assert [(r.key, r.greet, r.gift_ideas) for r in rules.greeted_dates] == [
        (r["key"], r["greet"], r["gift_ideas"]) for r in greeted
    ]


def test_changing_the_plan_rules_re_plans_the_store_after_commit(
    world: World,
    settings,  # type: ignore[no-untyped-def]
    django_capture_on_commit_callbacks,
) -> None:
    # the re-plan job runs as soon as it is queued
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    # given a client with a plan under the default standard, her birthday in about three months
    # (a new client without purchases is otherwise greeted at New Year only, which may be near)
    today = timezone.localdate()
    birthday = today + timedelta(days=90)
    if (birthday.month, birthday.day) == (2, 29):
        birthday += timedelta(days=1)
    Client.objects.filter(pk=world.client.pk).update(birthday=birthday.replace(year=1990))
    consent_set(
        actor=None,
        client=world.client,
        channel=Channel.WHATSAPP,
        status=ConsentStatus.GRANTED,
        source=ConsentSource.IN_STORE_FORM,
    )
    assert Touchpoint.objects.filter(client=world.client, due_on__gt=today + timedelta(days=30))
    # when the manager changes only Today's capacity, nothing is re-planned
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        standard_update(actor=world.manager, store=world.store, daily_capacity=8)
    assert callbacks == []
    # and when she changes the horizon, the store's clients are re-planned once it commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        standard_update(actor=world.manager, store=world.store, horizon_days=30)
    assert len(callbacks) == 1
    assert not Touchpoint.objects.filter(
        client=world.client, status=TouchpointStatus.PLANNED, due_on__gt=today + timedelta(days=30)
    ).exists()


def test_nothing_changes_when_nothing_is_changed(world: World) -> None:
    standard = standard_update(actor=world.manager, store=world.store, daily_capacity=12)
    assert standard.pk is not None  # the row is created with the defaults
    assert list(Standard.objects.values_list("daily_capacity", "greeted_dates")) == [
        (12, DEFAULT_GREETED)
    ]


# --- the catalogue ------------------------------------------------------------------------------


def test_the_catalogue_lists_every_occasion_with_its_category_and_texts(world: World) -> None:
    OccasionTemplate.objects.create(
        store=world.store,
        occasion="client_birthday",
        language="en",
        text="Happy day, {client_name}!",
    )
    standard_update(actor=world.manager, store=world.store, disabled_occasions=["win_back"])
    catalogue = {
        entry.occasion: entry for entry in catalogue_for(user=world.owner, store=world.store)
    }
    assert list(catalogue) == Occasion.values
    birthday, win_back, manual = (
        catalogue["client_birthday"],
        catalogue["win_back"],
        catalogue["manual"],
    )
    assert (birthday.category, birthday.enabled, birthday.can_disable, birthday.own) == (
        "personal",
        True,
        True,
        frozenset({"en"}),
    )
    assert birthday.texts == {
        "ru": drafts.DEFAULT_TEMPLATES["client_birthday"]["ru"],
        "en": "Happy day, {client_name}!",
    }
    assert (win_back.category, win_back.enabled) == ("selling", False)
    assert (manual.can_disable, catalogue["personal_checkin"].can_disable) == (False, False)
    assert [o for o, e in catalogue.items() if e.can_disable] == sorted(
        planner.DISABLEABLE, key=Occasion.values.index
    )


def test_a_store_text_and_its_reset_to_the_default(world: World) -> None:
    # when the manager writes her own birthday text (the browser sends CRLF line ends)
    template = occasion_template_set(
        actor=world.manager,
        store=world.store,
        occasion="client_birthday",
        language="ru",
        text="  {client_name}, с днём рождения!\r\n{consultant_name}  ",
    )
    assert template is not None
    text = "{client_name}, с днём рождения!\n{consultant_name}"
    assert template_for(store=world.store, occasion="client_birthday", language="ru") == text
    # then an empty text puts the built-in one back
    assert (
        occasion_template_set(
            actor=world.manager,
            store=world.store,
            occasion="client_birthday",
            language="ru",
            text=" ",
        )
        is None
    )
    assert OccasionTemplate.objects.count() == 0
    assert (
        template_for(store=world.store, occasion="client_birthday", language="ru")
        == drafts.DEFAULT_TEMPLATES["client_birthday"]["ru"]
    )
    # and saving the built-in text unchanged stores nothing either
    occasion_template_set(
        actor=world.manager,
        store=world.store,
        occasion="client_birthday",
        language="en",
        text=drafts.DEFAULT_TEMPLATES["client_birthday"]["en"],
    )
    assert OccasionTemplate.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("Hello {client_name", ["A “{” has no matching “}” (write {{ for a brace)."]),
        ("x" * 1001, ["The message is too long: 1001 characters, at most 1000."]),
    ],
)
def test_a_broken_text_is_refused(world: World, text: str, errors: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        occasion_template_set(
            actor=world.manager, store=world.store, occasion="feedback", language="en", text=text
        )
    assert caught.value.message_dict == {"text": errors}
    assert OccasionTemplate.objects.count() == 0


def test_the_page_saves_a_switched_off_occasion_and_the_planner_skips_it(world: World) -> None:
    browser = browser_for(world.manager)
    url = reverse("outreach:templates_edit")
    response = browser.post(
        url,
        {
            "occasion": "win_back",
            "text_ru": drafts.DEFAULT_TEMPLATES["win_back"]["ru"].replace("\n", "\r\n"),
            "text_en": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url}#occasion-win_back"
    assert Standard.objects.get().disabled_occasions == ["win_back"]
    assert OccasionTemplate.objects.count() == 0
    assert standard_for(world.store).disabled_occasions == frozenset({"win_back"})
    # and switching it back on empties the list again
    browser.post(url, {"occasion": "win_back", "enabled": "on", "text_ru": "", "text_en": ""})
    assert Standard.objects.get().disabled_occasions == []


def test_an_occasion_that_cannot_be_switched_off_stays_on(world: World) -> None:
    response = browser_for(world.manager).post(
        reverse("outreach:templates_edit"),
        {"occasion": "manual", "text_ru": "Здравствуйте, {client_name}!", "text_en": ""},
    )
    assert response.status_code == 302
    assert list(Standard.objects.values_list("disabled_occasions", flat=True)) == []
    assert list(OccasionTemplate.objects.values_list("occasion", "language", "text")) == [
        ("manual", "ru", "Здравствуйте, {client_name}!")
    ]


def test_the_page_shows_a_text_error_under_its_language_and_saves_nothing(world: World) -> None:
    response = browser_for(world.manager).post(
        reverse("outreach:templates_edit"),
        {"occasion": "feedback", "enabled": "on", "text_ru": "Привет!", "text_en": "Hi {nme}"},
    )
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r.entry.occasion == "feedback")
    assert row.form.errors == {"text_en": template_errors("Hi {nme}")}
    assert OccasionTemplate.objects.count() == 0


def test_the_catalogue_page_has_a_fixed_number_of_queries(
    world: World,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for occasion in ("feedback", "care_tips", "win_back"):
        occasion_template_set(
            actor=world.manager, store=world.store, occasion=occasion, language="en", text="Hi!"
        )
    browser = browser_for(world.owner)
    # session, user, scope, the page's store, home store, standard, the store's texts
    with django_assert_num_queries(7):
        response = browser.get(reverse("outreach:templates_edit"))
    assert len(response.context["rows"]) == len(Occasion.values)
    assert response.content.decode().count("<textarea") == 2 * len(Occasion.values)
