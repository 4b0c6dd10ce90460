"""Forms for outreach pages: they parse and show errors; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.clients.choices import Channel
from rapport.core import planner
from rapport.outreach.choices import HOLIDAY_NAMES, Category, Outcome
from rapport.outreach.services import DRAFT_MAX, SNOOZE_DAYS

# --- the store standard and the occasion catalogue ---------------------------------------------

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
NUMBER = {"inputmode": "numeric"}
AUDIENCE_CHOICES = [
    ("all", _("Everyone")),
    ("f", _("Women")),
    ("m", _("Men")),
    ("none", _("Nobody")),
]


class StandardForm(forms.Form):
    """A store's rules; who is greeted on each holiday comes as two selects per date."""

    # Ranges are the service's to check (one message, the same from every entry point).

    min_gap = forms.IntegerField(
        label=_("At least this many days between contacts"),
        widget=forms.NumberInput(attrs=NUMBER),
    )
    max_gap = forms.IntegerField(
        label=_("At most this many days between contacts"),
        help_text=_("At least twice the shortest gap, and at most 60 days."),
        widget=forms.NumberInput(attrs=NUMBER),
    )
    horizon_days = forms.IntegerField(
        label=_("Plan this many days ahead"), widget=forms.NumberInput(attrs=NUMBER)
    )
    former_per_year = forms.IntegerField(
        label=_("Contacts a year with a former client"), widget=forms.NumberInput(attrs=NUMBER)
    )
    overdue_ratio_winback = forms.DecimalField(
        label=_("Win a client back when overdue by"),
        help_text=_("Times their usual interval between purchases, such as 1.5."),
        max_digits=4,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    daily_capacity = forms.IntegerField(
        label=_("Contacts a consultant can make a day"), widget=forms.NumberInput(attrs=NUMBER)
    )
    monthly_minimum = forms.IntegerField(
        label=_("Contacts a consultant makes a month, at least"),
        widget=forms.NumberInput(attrs=NUMBER),
    )
    quiet_until = forms.TimeField(label=_("No messages before"), widget=TIME_INPUT)
    quiet_from = forms.TimeField(label=_("No messages after"), widget=TIME_INPUT)

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        initial = {rule["key"]: rule for rule in self.initial.get("greeted_dates", [])}
        self.greeted_rows: list[tuple[str, forms.BoundField, forms.BoundField]] = []
        for rule in planner.DEFAULT_GREETED_DATES:
            name = str(HOLIDAY_NAMES.get(rule.key, rule.key))
            given = initial.get(rule.key, {"greet": rule.greet, "gift_ideas": rule.gift_ideas})
            for prefix, key, label in (
                ("greet", "greet", _("Greeting")),
                ("gifts", "gift_ideas", _("Gift ideas")),
            ):
                self.fields[f"{prefix}_{rule.key}"] = forms.ChoiceField(
                    label=label,
                    choices=AUDIENCE_CHOICES,
                    initial=given[key],
                    widget=forms.Select(attrs={"aria-label": f"{name}: {label}"}),
                )
            self.greeted_rows.append(
                (
                    name,
                    self[f"greet_{rule.key}"],
                    self[f"gifts_{rule.key}"],
                )
            )
        for field in self.fields.values():
            field.disabled = read_only

    def visible_fields(self) -> list[forms.BoundField]:
        """The fields shown as a plain list (the greeted dates are shown as a table)."""
        return [self[name] for name in self.declared_fields]

    def changes(self) -> dict[str, Any]:
        """The service's keyword arguments."""
        data = {name: self.cleaned_data[name] for name in self.declared_fields}
        data["greeted_dates"] = [
            {
                "key": rule.key,
                "greet": self.cleaned_data[f"greet_{rule.key}"],
                "gift_ideas": self.cleaned_data[f"gifts_{rule.key}"],
            }
            for rule in planner.DEFAULT_GREETED_DATES
        ]
        return data


class OccasionForm(forms.Form):
    """One occasion of the catalogue: on or off, and its text in each language."""

    occasion = forms.CharField(widget=forms.HiddenInput)
    enabled = forms.BooleanField(label=_("Use this occasion"), required=False)
    text_ru = forms.CharField(
        label=_("Text in Russian"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "lang": "ru"}),
        help_text=_("Leave empty to go back to the built-in text."),
    )
    text_en = forms.CharField(
        label=_("Text in English"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "lang": "en"}),
        help_text=_("Leave empty to go back to the built-in text."),
    )

    def __init__(
        self, *args: Any, read_only: bool = False, can_disable: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.disabled = read_only
        if not can_disable:  # always on: a disabled field keeps its initial value when posted
            self.fields["enabled"].disabled = True
            self.fields["enabled"].initial = True
            self.fields["enabled"].help_text = _("Always on.")


# --- Today and the plan by hand ----------------------------------------------------------------


class DayForm(forms.Form):
    day = forms.DateField(required=False)
    consultant = forms.IntegerField(required=False)


class DraftForm(forms.Form):
    text = forms.CharField(label=_("Message"), widget=forms.Textarea, max_length=DRAFT_MAX)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    text = forms.CharField(required=False, max_length=DRAFT_MAX)


class SnoozeForm(forms.Form):
    days = forms.TypedChoiceField(choices=[(d, d) for d in SNOOZE_DAYS], coerce=int)


class MoveForm(forms.Form):
    due_on = forms.DateField(label=_("Date"))
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", "—"), *Channel.choices], required=False
    )


class AddForm(forms.Form):
    due_on = forms.DateField(label=_("Date"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    category = forms.ChoiceField(
        label=_("Category"), choices=Category.choices, initial=Category.PERSONAL
    )
    text = forms.CharField(
        label=_("Message or reminder"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=DRAFT_MAX,
    )
