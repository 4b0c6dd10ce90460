"""Writes of the insights app: refreshing client scores and a store's score settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import Store, User
from rapport.accounts.selectors import scope_for
from rapport.clients.models import Client
from rapport.insights.models import ClientScore, ScoreSettings
from rapport.insights.scoring import ScoreStats, score_one, scores_pass


def scores_refresh(
    *,
    client_ids: Iterable[int] | None = None,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ScoreStats:
    """Fit the lifetime models on every purchase and refresh the numbers of the given clients
    (all by default) and their status; one transaction per chunk of clients."""
    return scores_pass(
        client_ids=client_ids, today=today or timezone.localdate(), progress=progress
    )


@transaction.atomic
def client_score_refresh(*, client: Client, today: date | None = None) -> ClientScore:
    """Refresh one client's numbers and status (after a purchase or a return), with the models
    fitted by the last nightly pass."""
    return score_one(client, today or timezone.localdate())


SETTING_FIELDS = (
    "regular_purchases",
    "vip_revenue",
    "dormant_ratio",
    "dormant_days",
    "former_days",
    "unanswered_streak",
    "clv_months",
    "annual_discount",
    "attribution_days",
)


@transaction.atomic
def score_settings_save(*, actor: User, store: Store, **values: Any) -> ScoreSettings:
    """Change a store's score thresholds (its managers and the company's admins only); every
    client is recounted by a background job."""
    if not scope_for(actor).manages_store(store.pk):
        raise PermissionDenied
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    settings, _ = ScoreSettings.objects.select_for_update().get_or_create(store=store)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean()
    settings.save()
    transaction.on_commit(_rescore)  # the worker recounts everyone with the new thresholds
    return settings


def _rescore() -> None:
    from rapport.insights.jobs import score_all

    score_all.enqueue()
