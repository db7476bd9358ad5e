from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from shopify_app.models import Product, Shop, WebhookDelivery


@admin.action(description="Resync products from Shopify (full, in the worker)")
def resync_shops(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
    from shopify_app.services import enqueue_sync

    connected = [shop for shop in queryset if shop.status == Shop.Status.ACTIVE]
    for shop in connected:
        enqueue_sync(shop=shop, full=True)
    skipped = len(queryset) - len(connected)
    modeladmin.message_user(
        request,
        f"Queued a full product sync for {len(connected)} store(s)"
        + (f"; {skipped} not connected, skipped." if skipped else "."),
        messages.SUCCESS,
    )


@admin.action(description="Register webhooks")
def register_shop_webhooks(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
    from maatchaa.api import ApplicationError
    from shopify_app.services import register_webhooks

    for shop in queryset:
        try:
            result = register_webhooks(shop=shop)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{shop.domain}: {exc.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{shop.domain}: {result}", messages.SUCCESS)


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["domain", "company", "status", "installed_at", "uninstalled_at", "last_synced_at"]
    list_filter = ["status"]
    search_fields = ["domain", "company__name"]
    # Tokens are encrypted at rest and never shown.
    exclude = ["access_token_encrypted", "refresh_token_encrypted"]
    readonly_fields = [
        "access_token_expires_at",
        "refresh_token_expires_at",
        "installed_at",
        "uninstalled_at",
        "webhooks_registered_at",
        "webhooks_error",
    ]
    actions = [resync_shops, register_shop_webhooks]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "company", "product_type", "status", "last_discovered_at"]
    list_filter = ["status", "company"]
    search_fields = ["title", "handle", "vendor", "product_type", "shopify_id"]
    exclude = ["embedding"]
    readonly_fields = ["embedding_model", "last_discovered_at", "shopify_updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).select_related("company")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["topic", "shop_domain", "webhook_id", "triggered_at", "processed_at"]
    list_filter = ["topic"]
    search_fields = ["shop_domain", "webhook_id"]
