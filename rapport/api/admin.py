from django.contrib import admin

from rapport.api.models import IntegrationToken


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(admin.ModelAdmin):
    """Read-only view of the keys: they are issued at /api/tokens/ or with ``rapport token``."""

    list_display = ("name", "store", "key_prefix", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("store",)
    list_filter = ("store",)
    readonly_fields = (
        "name",
        "store",
        "user",
        "scopes",
        "key_prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
