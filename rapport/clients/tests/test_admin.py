"""The back office shows duplicates, merges and duplicate settings, and changes none of them."""

from __future__ import annotations

import pytest
from django.db import models
from django.test import Client as Browser
from django.urls import reverse

from rapport.accounts.models import User
from rapport.clients.models import ClientMerge, DedupeSettings, DuplicateCandidate
from rapport.clients.services import client_merge, duplicate_candidates_refresh
from rapport.testing import World, make_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [DuplicateCandidate, ClientMerge, DedupeSettings])
def test_the_admin_lists_and_shows_but_does_not_change(
    world: World, model: type[models.Model]
) -> None:
    # given a pair found, merged, and the store's settings
    DedupeSettings.objects.create(store=world.store)
    twin = make_client(world.colleague, world.store, first_name="Аня", phone="8 (916) 123-45-67")
    duplicate_candidates_refresh(store=world.store)
    client_merge(actor=world.manager, survivor=world.client, other=twin)
    superuser = User.objects.create_superuser(username="root", password="x" * 12)
    browser = Browser()
    browser.force_login(superuser)
    opts = model._meta
    row = model._default_manager.get()

    listed = browser.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    shown = browser.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
    added = browser.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    deleted = browser.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[row.pk]), {"post": "yes"}
    )

    assert (listed.status_code, shown.status_code, added.status_code) == (200, 200, 403)
    assert deleted.status_code == 403
    assert model._default_manager.filter(pk=row.pk).exists()
