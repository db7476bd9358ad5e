"""python manage.py demo: the main job end to end, offline, on the demo store and the demo corpus.

Creates (or updates) the demo company "Juniper & Pine Co." with a member to sign in as, loads the demo
store's catalog, starts the YouTube emulator in this process over the demo corpus, runs discovery
through `run_discovery` (the same code path an operator uses) and prints each product's top creators.
Running it again is fine: products are updated in place, searches are answered from storage and
matches are upserted, never duplicated.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Company, Membership
from discovery.models import Video
from emulators.youtube.corpus import CorpusError, load_corpus
from emulators.youtube.server import EmulatorServer
from matches.models import CreatorMatch
from shopify_app.models import Product, Shop

DEMO_COMPANY = "Juniper & Pine Co."
DEMO_SHOP_DOMAIN = "juniper-pine.myshopify.com"
DEMO_OWN_CHANNELS = ["UCjuniperPineCoOfficial0"]
DEMO_EMAIL = "demo@maatchaa.local"
DEMO_PASSWORD = "matcha-demo-2026"
CATALOG = settings.BASE_DIR / "shopify_app" / "fixtures" / "demo" / "catalog.json"
CORPUS = settings.BASE_DIR / "discovery" / "fixtures" / "demo" / "videos.csv"
TOP_CREATORS = 5


def _price(node: dict[str, Any]) -> Decimal | None:
    try:
        amount = node["priceRangeV2"]["minVariantPrice"]["amount"]
        return Decimal(str(amount))
    except (KeyError, TypeError, InvalidOperation):
        return None


def load_demo_catalog(*, company: Company, shop: Shop, path: Path = CATALOG) -> int:
    """Upsert the catalog's products (GraphQL product nodes) for the demo company; returns how many."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        nodes = data["products"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandError(f"Cannot read the demo catalog {path}: {exc}") from None
    with transaction.atomic():
        for node in nodes:
            image = ((node.get("featuredMedia") or {}).get("preview") or {}).get("image") or {}
            image_url = str(image.get("url") or "")
            Product.objects.update_or_create(
                company=company,
                shopify_id=node["id"],
                defaults={
                    "shop": shop,
                    "handle": node.get("handle") or "",
                    "title": node["title"],
                    "description": node.get("description") or "",
                    "product_type": node.get("productType") or "",
                    "vendor": node.get("vendor") or "",
                    "tags": list(node.get("tags") or []),
                    "status": node.get("status") or Product.Status.ACTIVE,
                    "price": _price(node),
                    "currency": ((node.get("priceRangeV2") or {}).get("minVariantPrice") or {}).get("currencyCode")
                    or "",
                    "image_url": "" if image_url.startswith("{base}") else image_url,
                    "online_store_url": node.get("onlineStoreUrl") or "",
                    "shopify_updated_at": parse_datetime(node["updatedAt"]) if node.get("updatedAt") else None,
                },
            )
    return len(nodes)


class Command(BaseCommand):
    help = (
        "Run Maatchaa's main job end to end, offline: the demo company and its catalog, the YouTube "
        "emulator over the demo corpus, discovery, and a table of each product's top creators."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", default=str(CORPUS), help="The video corpus the emulator serves.")
        parser.add_argument("--catalog", default=str(CATALOG), help="The demo store's catalog (JSON).")

    def handle(self, *args: Any, **options: Any) -> None:
        company, created = Company.objects.get_or_create(name=DEMO_COMPANY)
        company.own_channel_ids = list(DEMO_OWN_CHANNELS)
        company.save(update_fields=["own_channel_ids", "updated_at"])
        self.stdout.write(f"{'Created' if created else 'Updated'} the demo company {DEMO_COMPANY}.")

        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=DEMO_EMAIL, defaults={"email": DEMO_EMAIL, "first_name": "Demo"}
        )
        user.email = DEMO_EMAIL
        user.set_password(DEMO_PASSWORD)
        user.save()
        Membership.objects.get_or_create(user=user, company=company, defaults={"role": Membership.Role.OWNER})

        shop, _ = Shop.objects.get_or_create(domain=DEMO_SHOP_DOMAIN, defaults={"company": company})
        if shop.company_id != company.pk:
            raise CommandError(f"The shop {DEMO_SHOP_DOMAIN} belongs to another company; not touching it.")
        count = self._load_catalog(company=company, shop=shop, path=Path(options["catalog"]))
        active = Product.objects.filter(company=company, status=Product.Status.ACTIVE).count()
        self.stdout.write(f"Loaded the demo catalog: {count} products ({active} active).")

        try:
            corpus = load_corpus(Path(options["corpus"]))
        except (CorpusError, OSError, ValueError) as exc:
            raise CommandError(f"Cannot load the demo corpus {options['corpus']}: {exc}") from None
        # Thumbnails carry the address `make serve`'s emulator answers at, so they load there.
        server = EmulatorServer(corpus, public_url=f"http://127.0.0.1:{settings.YOUTUBE_EMULATOR_PORT}/").start()
        self.stdout.write(f"YouTube emulator serving {options['corpus']} at {server.url}")
        try:
            with override_settings(YOUTUBE_API_URL=server.url, YOUTUBE_API_KEY=""):
                call_command("run_discovery", company=str(company.pk), limit=max(active, 1), stdout=self.stdout)
        finally:
            server.stop()

        self._print_table(company)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nSign in at {settings.APP_URL}/accounts/login/ as {DEMO_EMAIL} / {DEMO_PASSWORD} "
                "after `make serve` (the app, both emulators and the worker) to see the dashboard, or create "
                "an account there and connect a store name of your own (e.g. your-brand.myshopify.com)."
            )
        )

    def _load_catalog(self, *, company: Company, shop: Shop, path: Path) -> int:
        """Through the real product sync against the Shopify emulator (in this process), as a store would."""
        try:
            from emulators.shopify import ShopifyEmulator, load_catalog
            from shopify_app.services import sync_shop_products
        except ImportError:  # pragma: no cover - a checkout without the Shopify part: map the file directly
            return load_demo_catalog(company=company, shop=shop, path=path)
        try:
            domain, nodes = load_catalog(path)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the demo catalog {path}: {exc}") from None
        if domain != shop.domain:
            raise CommandError(f"The catalog is for {domain}, not the demo shop {shop.domain}.")
        # Images carry the address `make serve`'s Shopify emulator answers at, and the tokens go to the state
        # file it reads, so the demo member's "Sync from Shopify" works there.
        emulator = ShopifyEmulator(
            nodes,
            shop_domain=domain,
            auto_approve=True,
            public_url=f"http://127.0.0.1:{settings.SHOPIFY_EMULATOR_PORT}",
            state_file=settings.SHOPIFY_EMULATOR_STATE,
        ).start()
        try:
            tokens = emulator.grant_tokens(domain)
            now = timezone.now()
            shop.status = Shop.Status.ACTIVE
            shop.access_token = tokens["access_token"]
            shop.access_token_expires_at = now + timedelta(seconds=int(tokens.get("expires_in") or 3600))
            shop.refresh_token = tokens.get("refresh_token") or ""
            refresh_ttl = tokens.get("refresh_token_expires_in")
            shop.refresh_token_expires_at = now + timedelta(seconds=int(refresh_ttl)) if refresh_ttl else None
            shop.scopes = str(tokens.get("scope") or "read_products")
            shop.installed_at = shop.installed_at or now
            # A fresh emulator knows nothing of earlier syncs: read the whole catalog again.
            shop.products_synced_until = None
            shop.save()
            with override_settings(
                SHOPIFY_BASE_URL=emulator.url,
                SHOPIFY_API_KEY=emulator.api_key,
                SHOPIFY_API_SECRET=emulator.api_secret,
            ):
                result = sync_shop_products(shop=shop, full=True)
        finally:
            emulator.stop()
        self.stdout.write(
            f"Synced {shop.domain} from the Shopify emulator: {result.created} new, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
        return len(nodes)

    def _print_table(self, company: Company) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("\nTop creators per product"))
        products = Product.objects.filter(company=company, status=Product.Status.ACTIVE).order_by("title")
        for product in products:
            self.stdout.write(f"\n{product.title}")
            rows = list(
                CreatorMatch.objects.filter(product=product).select_related("channel").order_by("rank")[:TOP_CREATORS]
            )
            if not rows:
                self.stdout.write("   (no creators yet)")
                continue
            for row in rows:
                best = (row.evidence.get("videos") or [{}])[0]
                # Evidence names videos by id; the title is the stored video's current one.
                title = (
                    Video.objects.filter(pk=best.get("video_id") or "").values_list("title", flat=True).first() or ""
                )
                if len(title) > 48:
                    title = title[:47] + "…"
                self.stdout.write(
                    f"   {row.rank:>2}. {row.score:5.3f} {row.fit_band:<6}  {row.channel.title[:32]:<32}  "
                    f"{row.video_count} video(s)  "
                    f"best: {title}"
                )
