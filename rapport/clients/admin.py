from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rapport.clients.models import (
    Client,
    ClientMerge,
    ContactPoint,
    DedupeSettings,
    DuplicateCandidate,
    Relative,
)


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    readonly_fields = ("suffix_key",)


class RelativeInline(admin.TabularInline):
    model = Relative
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    """Back office view; day-to-day edits go through the card so the timeline stays complete."""

    list_display = ("last_name", "first_name", "store", "owner", "status", "purchase_count")
    list_filter = ("store", "status")
    search_fields = ("last_name", "first_name", "contact_points__value")
    list_select_related = ("store", "owner")
    raw_id_fields = ("owner",)
    inlines = [ContactPointInline, RelativeInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Look, never touch: these rows are written by the services (merges keep their undo)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(ReadOnlyAdmin):
    """Pairs found by the duplicates pass; reviewed at /clients/duplicates/."""

    list_display = ("__str__", "store", "score", "status", "found_at", "decided_by", "decided_at")
    list_filter = ("store", "status")
    list_select_related = ("store", "decided_by")
    raw_id_fields = ("client_a", "client_b", "merge")
    date_hierarchy = "found_at"


@admin.register(ClientMerge)
class ClientMergeAdmin(ReadOnlyAdmin):
    """Merges with their snapshot; undone at /clients/merges/."""

    list_display = ("__str__", "store", "automatic", "score", "merged_by", "merged_at", "undone_at")
    list_filter = ("store", "automatic")
    list_select_related = ("store", "merged_by")
    raw_id_fields = ("survivor", "merged")
    date_hierarchy = "merged_at"


@admin.register(DedupeSettings)
class DedupeSettingsAdmin(ReadOnlyAdmin):
    """Each store's duplicate thresholds; edited at /clients/duplicates/settings/."""

    list_display = ("store", "review_threshold", "auto_merge_threshold", "auto_merge_enabled")
    list_select_related = ("store",)
