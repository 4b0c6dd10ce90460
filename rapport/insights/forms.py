from __future__ import annotations

from django import forms

from rapport.insights.models import ScoreSettings
from rapport.insights.services import SETTING_FIELDS


class ScoreSettingsForm(forms.ModelForm):
    """A store's score thresholds (the service saves them)."""

    class Meta:
        model = ScoreSettings
        fields = SETTING_FIELDS

    def __init__(self, *args: object, read_only: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for bound in self.fields.values():
            bound.disabled = read_only
