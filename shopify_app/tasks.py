"""django-q2 tasks for Shopify: thin, idempotent, primary keys in, one service call."""

from __future__ import annotations

from maatchaa.api import ApplicationError
from shopify_app import services
from shopify_app.models import Shop


def process_webhook_delivery(delivery_id: int) -> str:
    # The service claims the row under a lock and returns quietly when it is gone or already processed.
    return services.process_webhook_delivery(delivery_id=delivery_id)


def sync_shop(shop_id: int, full: bool = False, after_install: bool = False) -> str:
    shop = Shop.objects.filter(pk=shop_id, status=Shop.Status.ACTIVE).first()
    if shop is None:
        return "shop gone or not connected"
    try:
        result = services.sync_shop_products(shop=shop, full=full)
    except ApplicationError as exc:
        return f"not synced: {exc.message}"
    if after_install:
        services.start_discovery_after_install(shop=shop, result=result)
    return str(result)


def prune_webhook_deliveries() -> int:
    return services.prune_webhook_deliveries()


def retry_webhook_registrations() -> str:
    return services.retry_webhook_registrations()
