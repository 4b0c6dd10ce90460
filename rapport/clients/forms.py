"""Forms for the client card: they parse and show errors; the services decide and write."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import User
from rapport.clients.choices import (
    Channel,
    ClientStatus,
    ConsentSource,
    ConsentStatus,
    ContactKind,
    Gender,
    KeyDateKind,
    Language,
    PreferenceKind,
    Recurrence,
    Relation,
)
from rapport.clients.models import Client, DedupeSettings, Relative

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ClientCreateForm(forms.Form):
    """The till form: a name and a phone are enough."""

    first_name = forms.CharField(
        label=_("First name"),
        max_length=80,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    last_name = forms.CharField(label=_("Last name"), max_length=80, required=False)
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "inputmode": "email"}),
    )
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DATE_INPUT)
    consent_channels = forms.MultipleChoiceField(
        label=_("Agreed to be contacted by"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Shown (as a checkbox) only once the form has found cards that may be the same person.
    create_anyway = forms.BooleanField(
        label=_("None of these: create a new card anyway"),
        required=False,
        widget=forms.HiddenInput,
    )

    def offer_anyway(self) -> None:
        """Show the "create anyway" checkbox, under the possible matches."""
        self.fields["create_anyway"].widget = forms.CheckboxInput()


class BlacklistForm(forms.Form):
    """A manager flags a client: no planned contacts, a warning at the till."""

    reason = forms.CharField(
        label=_("Why"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Colleagues see this reason on the card and at the till."),
    )


class ClientEditForm(forms.Form):
    """The card's own fields."""

    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80, required=False)
    middle_name = forms.CharField(label=_("Patronymic"), max_length=80, required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DATE_INPUT)
    language = forms.ChoiceField(label=_("Language of messages"), choices=Language.choices)
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"),
        choices=[("", _("Not chosen")), *Channel.choices],
        required=False,
    )
    status = forms.ChoiceField(label=_("Status"), choices=ClientStatus.choices)


class ContactPointForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ContactKind.choices)
    value = forms.CharField(label=_("Phone, e-mail or user name"), max_length=254)
    label = forms.CharField(
        label=_("Label"), max_length=40, required=False, help_text=_("For example: work, husband's")
    )
    is_primary = forms.BooleanField(label=_("Main one of its type"), required=False)


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    status = forms.ChoiceField(
        label=_("Decision"), choices=ConsentStatus.choices, widget=forms.RadioSelect
    )
    source = forms.ChoiceField(label=_("How"), choices=ConsentSource.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class PreferenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=PreferenceKind.choices)
    value = forms.CharField(label=_("Value"), max_length=120)
    detail = forms.CharField(
        label=_("Detail"),
        max_length=120,
        required=False,
        help_text=_("For a size: ring, clothing, shoes …"),
    )


class RelativeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    relation = forms.ChoiceField(label=_("Who they are"), choices=Relation.choices)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DATE_INPUT)
    greet_directly = forms.BooleanField(
        label=_("The client agreed that we send greetings for this person through them"),
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class KeyDateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=KeyDateKind.choices)
    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    recurrence = forms.ChoiceField(label=_("Repeats"), choices=Recurrence.choices)
    label = forms.CharField(label=_("What it is"), max_length=120, required=False)
    relative = forms.ModelChoiceField(
        label=_("With whom"), queryset=Relative.objects.none(), required=False
    )

    def __init__(self, *args: object, relatives: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if relatives is not None:
            self.fields["relative"].queryset = relatives  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_pinned = forms.BooleanField(label=_("Pin to the top"), required=False)


class ReassignForm(forms.Form):
    """A manager hands selected clients to a consultant (or leaves them without one)."""

    clients = forms.ModelMultipleChoiceField(
        queryset=Client.objects.none(), widget=forms.MultipleHiddenInput
    )
    owner = forms.ModelChoiceField(
        label=_("Hand to"), queryset=User.objects.none(), required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args: object, clients: object, owners: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["clients"].queryset = clients  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]


class HandoverForm(forms.Form):
    """A manager hands one consultant's book, whole or in part, to a colleague (or nobody)."""

    ALL, SELECTED, NOBODY = "all", "selected", "none"

    source = forms.CharField(widget=forms.HiddenInput)  # the giver's id, or "none"
    extent = forms.ChoiceField(label=_("Which clients"), widget=forms.RadioSelect)
    clients = forms.ModelMultipleChoiceField(
        label=_("Only these clients"),
        queryset=Client.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # "Nobody" is a choice the manager makes, never a default a hurried tap falls into.
    owner = forms.ChoiceField(label=_("Hand to"))

    def __init__(
        self, *args: object, clients: object, owners: Iterable[User], total: int, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.book = clients
        self.owners = {str(user.pk): user for user in owners}
        self.fields["clients"].queryset = clients  # type: ignore[attr-defined]
        self.fields["owner"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a colleague")),
            *((pk, str(user)) for pk, user in self.owners.items()),
            (self.NOBODY, _("Nobody: leave them without a consultant")),
        ]
        self.fields["extent"].choices = [  # type: ignore[attr-defined]
            (self.ALL, _("All of them (%(n)s)") % {"n": total}),
            (self.SELECTED, _("Only the clients ticked below")),
        ]

    def clean_owner(self) -> User | None:
        return self.owners.get(self.cleaned_data["owner"])

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if "owner" in data and data.get("source") == self.NOBODY and data["owner"] is None:
            self.add_error(
                "owner", _("These clients have no consultant already: choose who gets them.")
            )
        if data.get("extent") == self.SELECTED and not data.get("clients"):
            self.add_error("clients", _("Tick at least one client, or hand over all of them."))
        data["handed"] = self.book if data.get("extent") == self.ALL else data.get("clients")
        return data


class DedupeSettingsForm(forms.ModelForm):
    """A store's duplicate thresholds and automatic merging (the service checks and saves)."""

    class Meta:
        model = DedupeSettings
        fields = ("review_threshold", "auto_merge_threshold", "auto_merge_enabled")
        help_texts = {
            "review_threshold": _("From 0.5 to 1: how alike two cards must be to be shown."),
            "auto_merge_threshold": _("From the review threshold to 1."),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name in ("review_threshold", "auto_merge_threshold"):
            self.fields[name].widget.attrs.update({"min": "0.5", "max": "1", "step": "0.005"})
