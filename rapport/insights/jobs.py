"""Background jobs for client scores (Django's tasks API; run by ``rapport worker``).

``score_all`` refits the lifetime models and refreshes every client's numbers; the nightly pass
(:func:`rapport.outreach.jobs.nightly`) runs it before re-planning, so plans use fresh statuses.
Scoring is idempotent: a second run the same day writes the same rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.tasks import task
from django.utils import timezone

from rapport.insights.services import scores_refresh


@task()
def score_all(day: str | None = None) -> dict[str, Any]:
    """Refit the models and refresh every client's numbers for ``day`` (ISO date)."""
    today = date.fromisoformat(day) if day else timezone.localdate()
    return scores_refresh(today=today).as_dict()
