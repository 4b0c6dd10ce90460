from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import User
from rapport.sales.choices import ImportKind, VisitPurpose


class PurchaseForm(forms.Form):
    receipt_number = forms.CharField(label=_("Receipt number"), max_length=64, required=False)
    purchased_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class PurchaseLineForm(forms.Form):
    sku = forms.CharField(
        label=_("Article"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"list": "products", "autocomplete": "off"}),
    )
    description = forms.CharField(label=_("Item"), max_length=200, required=False)
    quantity = forms.IntegerField(label=_("Qty"), min_value=1, initial=1)
    unit_price = forms.DecimalField(
        label=_("Price"), min_value=Decimal("0"), max_digits=12, decimal_places=2
    )
    discount = forms.DecimalField(
        label=_("Discount"), min_value=Decimal("0"), max_digits=12, decimal_places=2, required=False
    )


PurchaseLineFormSet = forms.formset_factory(
    PurchaseLineForm, extra=1, min_num=1, validate_min=True, max_num=50
)


class VisitForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Why they came"), choices=VisitPurpose.choices)
    looked_at = forms.CharField(
        label=_("What they looked at or tried on"), max_length=300, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    visited_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_visited_at(self):  # type: ignore[no-untyped-def]
        value = self.cleaned_data["visited_at"]
        if value and value > timezone.now():
            raise forms.ValidationError(_("A visit cannot be in the future."))
        return value


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: object, lines: list, **kwargs: object) -> None:  # type: ignore[type-arg]
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lines = lines
        for line in lines:
            left = line.quantity - line.returned_quantity
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=line.description,
                min_value=0,
                max_value=left,
                initial=0,
                required=False,
                help_text=_("%(left)s of %(quantity)s can be returned")
                % {"left": left, "quantity": line.quantity},
            )

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") or 0 for line in self.lines}


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or Windows-1251), XLSX or XLS; the first line names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.xls,.xlsm"}),
    )
    owner = forms.ModelChoiceField(
        label=_("Consultant for new clients"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody yet (the manager assigns them)"),
    )

    def __init__(self, *args: Any, consultants: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if consultants is not None:
            self.fields["owner"].queryset = consultants  # type: ignore[attr-defined]


class ImportMappingForm(forms.Form):
    """One choice per column of the file: which field it fills, or nothing."""

    def __init__(
        self, *args: Any, headers: list[str], choices: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"col{index}"] = forms.ChoiceField(
                label=header, choices=[("", _("— skip this column —")), *choices], required=False
            )

    def mapping(self) -> dict[str, str | None]:
        return {
            header: self.cleaned_data.get(f"col{index}") or None
            for index, header in enumerate(self.headers)
        }
