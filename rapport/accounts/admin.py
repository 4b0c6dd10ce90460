from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from rapport.accounts.models import Membership, Store, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "is_company_admin", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("Rapport", {"fields": ("is_company_admin", "language", "phone")}),
    )
    inlines = [MembershipInline]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "country", "currency", "is_active")
