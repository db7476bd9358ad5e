"""Serve the Shopify emulator (emulators/shopify.py) for development and the demo."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from emulators.shopify import ShopifyEmulator, load_catalog

DEFAULT_CATALOG = Path(settings.BASE_DIR) / "shopify_app" / "fixtures" / "demo" / "catalog.json"


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # serve_forever() runs in this thread; raising here ends it the same way Ctrl-C does.
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Serve an emulated Shopify (OAuth authorize/approve, token and refresh endpoints, GraphQL products with "
        "cost and throttling, webhook subscriptions, product images, signed webhooks) over a catalog file. Point the app at it with "
        "SHOPIFY_BASE_URL=http://127.0.0.1:PORT and the same SHOPIFY_API_KEY/SHOPIFY_API_SECRET."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--catalog",
            default=str(DEFAULT_CATALOG),
            help="JSON file of Shopify product nodes (default: the demo store's catalog).",
        )
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument(
            "--port",
            type=int,
            default=settings.SHOPIFY_EMULATOR_PORT,
            help=f"Port to listen on (default SHOPIFY_EMULATOR_PORT, {settings.SHOPIFY_EMULATOR_PORT}).",
        )
        parser.add_argument(
            "--api-key",
            default=settings.SHOPIFY_API_KEY or "dev-shopify-api-key",
            help="The app's client id the emulator accepts (default: SHOPIFY_API_KEY).",
        )
        parser.add_argument(
            "--api-secret",
            default=settings.SHOPIFY_API_SECRET or "dev-shopify-api-secret",
            help="The client secret used to sign callbacks and webhooks (default: SHOPIFY_API_SECRET).",
        )
        parser.add_argument(
            "--app-url",
            default=settings.APP_URL,
            help="The app's base URL: allowed redirect_uri prefix and webhook target (default: APP_URL).",
        )
        parser.add_argument(
            "--catalog-store-only",
            action="store_true",
            help="Know only the catalog's store; by default any *.myshopify.com name an app is installed on "
            "becomes a store of its own with the catalog's products.",
        )
        parser.add_argument(
            "--state-file",
            default=str(settings.SHOPIFY_EMULATOR_STATE),
            help="Where the stores made on demand and the tokens issued are kept across restarts "
            "(default SHOPIFY_EMULATOR_STATE; '' keeps nothing).",
        )
        parser.add_argument(
            "--auto-approve",
            action="store_true",
            help="Skip the approve page: authorize redirects straight back to the app.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["catalog"])
        if not path.is_file():
            raise CommandError(f"Catalog file not found: {path}")
        try:
            domain, products = load_catalog(path)
        except (ValueError, OSError) as exc:
            raise CommandError(f"Could not read the catalog {path}: {exc}") from exc
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        emulator = ShopifyEmulator(
            products,
            shop_domain=domain,
            api_key=options["api_key"],
            api_secret=options["api_secret"],
            app_url=options["app_url"],
            host=options["host"],
            port=options["port"],
            auto_approve=options["auto_approve"],
            any_shop=not options["catalog_store_only"],
            state_file=options["state_file"] or None,
        )
        base = f"http://{options['host']}:{options['port']}"
        self.stdout.write(f"Shopify emulator for {domain}: {len(products)} products from {path}")
        self.stdout.write(f"  SHOPIFY_BASE_URL={base}")
        self.stdout.write(f"  SHOPIFY_API_KEY={options['api_key']}  SHOPIFY_API_SECRET={options['api_secret']}")
        self.stdout.write(
            f"  redirects and webhooks go to {options['app_url']}; control endpoints under {base}/_emulator/"
        )
        self.stdout.write(f"  the App Store's Install button: {base}/admin/apps/install?shop={domain}")
        if not options["catalog_store_only"]:
            self.stdout.write(
                "  any other *.myshopify.com name an app is installed on becomes a store with this catalog"
            )
        self.stdout.write(
            f"  an event to every subscribed address: POST {base}/_emulator/webhooks/deliver "
            '{"topic": "products/update", "product_id": ID}'
        )
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        try:
            emulator.serve_forever()
        except OSError as exc:
            raise CommandError(f"Could not listen on {options['host']}:{options['port']}: {exc}") from exc
        except KeyboardInterrupt:
            pass
        log = emulator.requests
        self.stdout.write(
            f"Stopped after {len(log)} requests ({sum(1 for r in log if r['kind'] == 'graphql')} GraphQL calls)."
        )
