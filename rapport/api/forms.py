from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Store
from rapport.api.choices import TokenScope


class TokenForm(forms.Form):
    """A new integration key: for which store, what it is called, what it may do."""

    store = forms.ModelChoiceField(queryset=Store.objects.none(), label=_("Store"))
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("For example “Till 1” or “Web shop”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Allowed"), choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, stores: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores  # type: ignore[attr-defined]
