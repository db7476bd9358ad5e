"""Subscribe connected shops to the app's webhook topics (services.register_webhooks): the retry for an
install whose registration failed, and the fix-up after the public host (SHOPIFY_WEBHOOK_URL) moved."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from maatchaa.api import ApplicationError
from shopify_app import services
from shopify_app.models import Shop


class Command(BaseCommand):
    help = (
        "Register the app's webhook subscriptions (products/create|update|delete, app/uninstalled) with Shopify "
        "at SHOPIFY_WEBHOOK_URL for every connected shop, or only --shop. Idempotent: existing subscriptions "
        "are kept, missing ones created, ones at another address replaced. The compliance topics are not "
        "subscribable through the API (shopify.app.toml declares them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", metavar="DOMAIN", help="Only this shop (its *.myshopify.com domain).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SHOPIFY_WEBHOOK_URL:
            raise CommandError(
                "SHOPIFY_WEBHOOK_URL is not set: there is no address to register "
                "(the full https URL of /shopify/webhooks on the public host)."
            )
        domain = (options.get("shop") or "").strip().lower()
        if domain:
            shop = Shop.objects.filter(domain=domain).first()
            if shop is None:
                raise CommandError(f"No shop {domain!r} is known here.")
            if shop.status != Shop.Status.ACTIVE:
                raise CommandError(
                    f"{domain} is not connected ({shop.get_status_display()}); it must be installed again first."
                )
            shops = [shop]
        else:
            shops = list(Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("domain"))
        self.stdout.write(f"Registering webhooks at {settings.SHOPIFY_WEBHOOK_URL} for {len(shops)} shop(s)")
        failed = 0
        for shop in shops:
            try:
                result = services.register_webhooks(shop=shop)
            except ApplicationError as exc:
                failed += 1
                self.stdout.write(f"  {shop.domain}: FAILED: {exc.message}")
                continue
            self.stdout.write(f"  {shop.domain}: {result}")
        self.stdout.write(f"Done: {len(shops) - failed} registered, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} shop(s) could not be registered; see webhooks_error on each shop.")
