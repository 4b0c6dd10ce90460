from django.contrib import admin

from rapport.clients.models import Client, ContactPoint, Relative


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
