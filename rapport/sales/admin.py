from django.contrib import admin

from rapport.sales.models import Product, Purchase, PurchaseLine


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "brand", "category", "price", "is_active")
    search_fields = ("sku", "name", "brand")
    list_filter = ("category", "brand", "is_active")


class PurchaseLineInline(admin.TabularInline):
    model = PurchaseLine
    extra = 0


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ("receipt_number", "client", "store", "purchased_at", "total")
    list_select_related = ("client", "store")
    raw_id_fields = ("client", "consultant")
    inlines = [PurchaseLineInline]
