"""A large store's first sync: one bulk operation against cursor paging, same catalog, same emulator.

    .venv/bin/python -m bench.catalog_sync [--products 25000] [--restore-rate 0] [--poll-seconds 1]

Starts the Shopify emulator in this process over loopback with `--products` generated products, then
runs a shop's first sync twice into a throwaway database (bench_catalog_sync), each time for a
freshly connected shop: once read with pages (the threshold above the catalog) and once with a bulk
operation (the threshold below it). Prints wall time, GraphQL calls and the ratio paged/bulk; checks
both stored the same products; writes bench/results/catalog_sync.json. Both include storing every
product (a row and its post-save signal each), which is most of the time; the emulator shares this
process, so memory is not measured here (its own copy of the file would count).

The emulator's cost bucket refills at once by default, so the figure is the two code paths and the
emulator, not Shopify's rate limit; `--restore-rate 100` models a Standard plan (100 points a second),
under which every ~1,000-point page waits about 10 s and paging takes far longer. The emulator
finishes a bulk operation at its second poll; the real one takes as long as Shopify needs.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench._common import log, ratio, setup_django, table, throwaway_database, write_results

DATABASE = "bench_catalog_sync"
DOMAIN = "bench-catalog.myshopify.com"


def sync_once(*, emulator: Any, bulk: bool, products: int) -> dict[str, Any]:
    from django.conf import settings

    from accounts.models import Company
    from emulators.testing.shopify_fixtures import connect_emulated_shop
    from shopify_app.models import Product, Shop
    from shopify_app.services import sync_shop_products

    Shop.objects.all().delete()
    Company.objects.all().delete()
    shop = connect_emulated_shop(emulator, company=Company.objects.create(name="Bench Brand"), domain=DOMAIN)
    settings.SHOPIFY_BULK_SYNC_THRESHOLD = 1 if bulk else products + 1
    emulator.reset_log()

    started = time.perf_counter()
    result = sync_shop_products(shop=shop)
    seconds = time.perf_counter() - started

    stored = Product.objects.filter(shop=shop)
    calls = [call.get("operation") or "products" for call in emulator.graphql_calls()]
    return {
        "path": "bulk operation" if bulk else "cursor pages",
        "seconds": round(seconds, 2),
        "graphql_calls": len(calls),
        "calls_by_operation": {name: calls.count(name) for name in sorted(set(calls))},
        "created": result.created,
        "stored": stored.count(),
        "fingerprint": sorted(stored.values_list("shopify_id", "title", "price"))[:: max(1, products // 200)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=25_000)
    parser.add_argument(
        "--restore-rate",
        type=float,
        default=0.0,
        help="GraphQL points restored a second (0: the bucket refills at once)",
    )
    parser.add_argument("--poll-seconds", type=int, default=1, help="SHOPIFY_BULK_POLL_SECONDS for the bulk run")
    args = parser.parse_args()
    if args.products < 1:
        raise SystemExit("--products must be at least 1")

    setup_django(database=DATABASE)
    from django.conf import settings

    from emulators.shopify import ShopifyEmulator, make_products

    log(f"emulator: {args.products:,} products")
    emulator = ShopifyEmulator(
        make_products(args.products), shop_domain=DOMAIN, api_key="bench-key", api_secret="bench-secret"
    ).start()
    emulator.set_bucket(maximum=2000, restore_rate=args.restore_rate or 1_000_000_000)
    settings.SHOPIFY_BASE_URL = emulator.url
    settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET = "bench-key", "bench-secret"
    settings.SHOPIFY_BULK_POLL_SECONDS = args.poll_seconds
    settings.SHOPIFY_WEBHOOK_URL = ""
    try:
        with throwaway_database(database=DATABASE):
            paged = sync_once(emulator=emulator, bulk=False, products=args.products)
            log(f"paged: {paged['seconds']} s, {paged['graphql_calls']} calls")
            bulk = sync_once(emulator=emulator, bulk=True, products=args.products)
            log(f"bulk: {bulk['seconds']} s, {bulk['graphql_calls']} calls")
    finally:
        emulator.stop()
    if paged.pop("fingerprint") != bulk.pop("fingerprint") or paged["stored"] != bulk["stored"] != args.products:
        raise SystemExit("The two paths stored different products: the comparison would be void.")

    rows = [["path", "seconds", "GraphQL calls", "products stored"]]
    for run in (paged, bulk):
        rows.append([run["path"], f"{run['seconds']:.1f}", str(run["graphql_calls"]), f"{run['stored']:,}"])
    speedup = ratio(paged["seconds"], bulk["seconds"])
    log("")
    log(
        f"First sync of {args.products:,} products (bucket restore rate: "
        f"{args.restore_rate or 'instant'}; bulk polled from {args.poll_seconds} s)"
    )
    log(table(rows))
    log(f"paged / bulk wall time: {speedup:.2f}x")
    path = write_results(
        "catalog_sync",
        {
            "products": args.products,
            "restore_rate": args.restore_rate,
            "poll_seconds": args.poll_seconds,
            "paged": paged,
            "bulk": bulk,
            "paged_over_bulk": round(speedup, 2),
        },
    )
    log(f"written: {path}")


if __name__ == "__main__":
    main()
