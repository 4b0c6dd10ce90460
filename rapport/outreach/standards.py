"""A store's contact standard and its occasion catalogue: reads on behalf of someone, and writes.

Every store member may read them (a consultant sees the rules they work by); only the store's
managers and the company admin change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import scope_for
from rapport.core import drafts, planner
from rapport.outreach.choices import Category, Occasion
from rapport.outreach.jobs import replan_store
from rapport.outreach.models import OccasionTemplate, Standard

TEMPLATE_PROBLEMS = {
    "empty": gettext_lazy("The message is empty."),
    "too_long": gettext_lazy("The message is too long: %(length)s characters, at most %(limit)s."),
    "unclosed": gettext_lazy("A “{” has no matching “}” (write {{ for a brace)."),
    "unopened": gettext_lazy("A “}” has no matching “{” (write }} for a brace)."),
    "unknown": gettext_lazy("Unknown placeholder {%(name)s}: use one of %(names)s."),
}


def template_errors(text: str) -> list[str]:
    """What is wrong with a template, in the reader's language."""
    return [
        str(TEMPLATE_PROBLEMS[code]) % values if values else str(TEMPLATE_PROBLEMS[code])
        for code, values in drafts.template_problems(text)
    ]


# The category of each occasion, as the planner gives it (DESIGN §3's default catalogue).
OCCASION_CATEGORIES: dict[str, str] = {
    Occasion.THANK_YOU: Category.PERSONAL,
    Occasion.FEEDBACK: Category.USEFUL,
    Occasion.CARE_TIPS: Category.USEFUL,
    Occasion.SERVICE_DUE: Category.USEFUL,
    Occasion.CLIENT_BIRTHDAY: Category.PERSONAL,
    Occasion.RELATIVE_BIRTHDAY_GIFT: Category.SELLING,
    Occasion.RELATIVE_BIRTHDAY_GREETING: Category.PERSONAL,
    Occasion.ANNIVERSARY_GIFT: Category.SELLING,
    Occasion.PURCHASE_ANNIVERSARY: Category.PERSONAL,
    Occasion.HOLIDAY_GREETING: Category.PERSONAL,
    Occasion.HOLIDAY_GIFT_IDEAS: Category.SELLING,
    Occasion.NEW_ARRIVALS: Category.SELLING,
    Occasion.COMPLEMENT: Category.SELLING,
    Occasion.PERSONAL_CHECKIN: Category.PERSONAL,
    Occasion.EVENT_INVITATION: Category.SELLING,
    Occasion.WIN_BACK: Category.SELLING,
    Occasion.FORMER_NEW_YEAR: Category.PERSONAL,
    Occasion.KEY_DATE: Category.PERSONAL,
    Occasion.INTRODUCTION: Category.PERSONAL,
    Occasion.MANUAL: Category.PERSONAL,
}
AUDIENCES = ("all", "f", "m", "none")
GREETED_KEYS = tuple(rule.key for rule in planner.DEFAULT_GREETED_DATES)
# What a manager may change, with the bounds the product allows (the planner's own are wider).
BOUNDS: dict[str, tuple[int, int]] = {
    "min_gap": (1, 30),
    "max_gap": (2, 60),
    "horizon_days": (30, 730),
    "former_per_year": (0, 4),
    "daily_capacity": (1, 100),
    "monthly_minimum": (0, 3000),
}
WINBACK_BOUNDS = (Decimal("1.00"), Decimal("5.00"))
EDITABLE = (
    *BOUNDS,
    "overdue_ratio_winback",
    "quiet_from",
    "quiet_until",
    "greeted_dates",
    "disabled_occasions",
)
# Changing these changes every client's plan; capacity and quiet hours only change Today.
PLAN_FIELDS = frozenset(EDITABLE) - {
    "daily_capacity",
    "monthly_minimum",
    "quiet_from",
    "quiet_until",
}


# --- reads ------------------------------------------------------------------------------------


def _check_sees(user: User, store: Store) -> None:
    if not scope_for(user).sees_store(store.pk):
        raise Http404("No such store")  # a stranger learns nothing


def _check_manages(user: User, store: Store) -> None:
    _check_sees(user, store)
    if not scope_for(user).manages_store(store.pk):
        raise PermissionDenied(_("Only the store's manager can change its standard."))


def can_edit_standard(*, user: User, store: Store) -> bool:
    """Whether the user may change the store's standard and templates (its managers, the admin)."""
    return scope_for(user).manages_store(store.pk)


def standard_get_for(*, user: User, store: Store) -> Standard:
    """The store's standard (unsaved defaults until a manager edits it), or 404 for a stranger."""
    _check_sees(user, store)
    return Standard.objects.filter(store=store).first() or Standard(store=store)


def template_for(*, store: Store, occasion: str, language: str) -> str:
    """The store's own text for an occasion in a language, else the built-in one."""
    own = (
        OccasionTemplate.objects.filter(store=store, occasion=occasion, language=language)
        .values_list("text", flat=True)
        .first()
    )
    return own or drafts.default_template(occasion, language)


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One occasion as a store has it: category, on or off, and its texts in each language."""

    occasion: str
    label: str
    category: str
    category_label: str
    enabled: bool
    can_disable: bool
    texts: dict[str, str]  # language → the effective text
    own: frozenset[str]  # languages in which the store wrote its own text


def catalogue_for(*, user: User, store: Store) -> list[CatalogueEntry]:
    """Every occasion with its category, whether the store uses it and its texts (two queries)."""
    standard = standard_get_for(user=user, store=store)
    disabled = set(standard.disabled_occasions or ())
    own: dict[tuple[str, str], str] = {
        (occasion, language): text
        for occasion, language, text in OccasionTemplate.objects.filter(store=store).values_list(
            "occasion", "language", "text"
        )
    }
    return [
        CatalogueEntry(
            occasion=occasion.value,
            label=str(occasion.label),
            category=OCCASION_CATEGORIES[occasion],
            category_label=str(Category(OCCASION_CATEGORIES[occasion]).label),
            enabled=occasion not in disabled,
            can_disable=occasion in planner.DISABLEABLE,
            texts={
                language: own.get((occasion, language))
                or drafts.default_template(occasion, language)
                for language in drafts.LANGUAGES
            },
            own=frozenset(language for language in drafts.LANGUAGES if (occasion, language) in own),
        )
        for occasion in Occasion
    ]


# Made-up values to show what a template will look like.
_SAMPLE: dict[str, dict[str, str]] = {
    "ru": {
        "client_name": "Анна",
        "relative_name": "Маша",
        "items": "серьги из белого золота",
        "event_name": "закрытый показ новой коллекции",
        "preferences": "белое золото, жемчуг",
    },
    "en": {
        "client_name": "Anna",
        "relative_name": "Mary",
        "items": "white gold earrings",
        "event_name": "a private preview of the new collection",
        "preferences": "white gold, pearls",
    },
}


def template_preview(*, text: str, language: str, consultant_name: str, store_name: str) -> str:
    """A template filled in with made-up values, to show the manager what clients will read."""
    lang = drafts.language_of(language)
    values = {
        **_SAMPLE[lang],
        "consultant_name": consultant_name,
        "store_name": store_name,
        "relation": drafts.RELATIONS["child"][lang],
        "age": "30",
        "years": "5",
        "date": drafts.format_day(date(2026, 5, 14), lang),
        "holiday": drafts.HOLIDAY_NAMES["new_year"][lang],
    }
    return drafts.render(text, values)


# --- writes -----------------------------------------------------------------------------------


def _whole(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _validate(values: dict[str, Any]) -> None:
    """Field-level messages for a standard's values; then the planner must accept them too."""
    errors: dict[str, str] = {}
    for name, (low, high) in BOUNDS.items():
        number = _whole(values[name])
        if number is None or not low <= number <= high:
            errors[name] = _("Enter a whole number from %(low)s to %(high)s.") % {
                "low": low,
                "high": high,
            }
    min_gap, max_gap = _whole(values["min_gap"]), _whole(values["max_gap"])
    if not {"min_gap", "max_gap"} & set(errors) and min_gap and max_gap and max_gap < 2 * min_gap:
        errors["max_gap"] = _(
            "The longest gap must be at least twice the shortest one (%(n)s days)."
        ) % {"n": 2 * min_gap}
    try:
        ratio = Decimal(str(values["overdue_ratio_winback"]))
    except InvalidOperation:
        ratio = Decimal(-1)
    if not WINBACK_BOUNDS[0] <= ratio <= WINBACK_BOUNDS[1]:
        errors["overdue_ratio_winback"] = _("Enter a number from 1 to 5, such as 1.5.")
    quiet_from, quiet_until = values["quiet_from"], values["quiet_until"]
    if not isinstance(quiet_from, time) or not isinstance(quiet_until, time):
        errors["quiet_from"] = _("Enter both times, such as 21:00 and 10:00.")
    elif quiet_until >= quiet_from:
        errors["quiet_from"] = _(
            "Leave part of the day for messages: the evening time must come after the morning one."
        )
    errors.update(_greeted_errors(values["greeted_dates"]))
    disabled = values["disabled_occasions"]
    if not isinstance(disabled, list) or set(disabled) - planner.DISABLEABLE:
        errors["disabled_occasions"] = _("These occasions cannot be switched off.")
    if errors:
        raise ValidationError(errors)
    try:
        _planner_standard(values)
    except ValueError as exc:  # a rule the planner has and the checks above do not
        raise ValidationError(str(exc)) from exc


def _greeted_errors(rules: Any) -> dict[str, str]:
    if not isinstance(rules, list) or any(
        not isinstance(rule, dict)
        or set(rule) != {"key", "greet", "gift_ideas"}
        or rule["key"] not in GREETED_KEYS
        or rule["greet"] not in AUDIENCES
        or rule["gift_ideas"] not in AUDIENCES
        for rule in rules
    ):
        return {"greeted_dates": _("Choose who is greeted on each date from the list.")}
    if len({rule["key"] for rule in rules}) != len(rules):
        return {"greeted_dates": _("Each date can be set only once.")}
    return {}


def _planner_standard(values: dict[str, Any]) -> planner.Standard:
    by_key = {rule["key"]: rule for rule in values["greeted_dates"]}
    return planner.Standard(
        min_gap=int(values["min_gap"]),
        max_gap=int(values["max_gap"]),
        horizon_days=int(values["horizon_days"]),
        former_per_year=int(values["former_per_year"]),
        overdue_ratio_winback=float(values["overdue_ratio_winback"]),
        greeted_dates=tuple(
            planner.GreetedDate(
                key=rule.key,
                public_name=rule.public_name,
                month=rule.month,
                day=rule.day,
                weekday=rule.weekday,
                nth=rule.nth,
                greet=by_key[rule.key]["greet"],
                gift_ideas=by_key[rule.key]["gift_ideas"],
            )
            for rule in planner.DEFAULT_GREETED_DATES
            if rule.key in by_key
        ),
        disabled_occasions=frozenset(values["disabled_occasions"]),
    )


@transaction.atomic
def standard_update(*, actor: User, store: Store, **fields: Any) -> Standard:
    """Change the store's standard; when the plan rules change, every client is re-planned."""
    _check_manages(actor, store)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable here: {sorted(unknown)}")
    standard, _created = Standard.objects.select_for_update().get_or_create(store=store)
    values = {name: getattr(standard, name) for name in EDITABLE} | fields
    _validate(values)
    changed = [name for name in EDITABLE if getattr(standard, name) != values[name]]
    if not changed:
        return standard
    for name in changed:
        setattr(standard, name, values[name])
    if "overdue_ratio_winback" in changed:
        standard.overdue_ratio_winback = Decimal(str(values["overdue_ratio_winback"]))
    standard.save(update_fields=changed)
    if PLAN_FIELDS.intersection(changed):
        # Every client of the store is re-planned by a worker, once the new rules are committed.
        store_id = store.pk
        transaction.on_commit(lambda: replan_store.enqueue(store_id=store_id))
    return standard


@transaction.atomic
def occasion_template_set(
    *, actor: User, store: Store, occasion: str, language: str, text: str
) -> OccasionTemplate | None:
    """Write the store's own text for an occasion; empty or the built-in text restores that."""
    _check_manages(actor, store)
    if occasion not in Occasion.values:
        raise ValidationError({"occasion": _("Unknown occasion.")})
    if language not in drafts.LANGUAGES:
        raise ValidationError({"language": _("Unknown language.")})
    text = text.replace("\r\n", "\n").strip()
    if not text or text == drafts.default_template(occasion, language).strip():
        OccasionTemplate.objects.filter(store=store, occasion=occasion, language=language).delete()
        return None
    errors = template_errors(text)
    if errors:
        raise ValidationError({"text": errors})
    template, _created = OccasionTemplate.objects.update_or_create(
        store=store,
        occasion=occasion,
        language=language,
        defaults={"text": text, "updated_by": actor},
    )
    return template


@transaction.atomic
def occasion_update(
    *, actor: User, store: Store, occasion: str, enabled: bool, texts: dict[str, str]
) -> None:
    """Switch an occasion on or off for the store and set its texts, all or nothing."""
    _check_manages(actor, store)
    errors: dict[str, list[str]] = {}
    for language, text in texts.items():
        try:
            occasion_template_set(
                actor=actor, store=store, occasion=occasion, language=language, text=text
            )
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                errors.setdefault(f"text_{language}", []).extend(messages)
    if errors:
        raise ValidationError(errors)
    disabled = list(standard_get_for(user=actor, store=store).disabled_occasions or [])
    if enabled == (occasion not in disabled):
        return
    if not enabled and occasion not in planner.DISABLEABLE:
        raise ValidationError({"enabled": _("This occasion cannot be switched off.")})
    disabled = [o for o in disabled if o != occasion] if enabled else [*disabled, occasion]
    standard_update(actor=actor, store=store, disabled_occasions=sorted(disabled))
