"""Full syncs of large catalogs through a Shopify bulk operation (API_FACTS §2.8), against the emulator."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from discovery.models import Channel, Video
from emulators.shopify import ShopifyEmulator, make_products
from maatchaa.api import ApplicationError
from maatchaa.lib.http import make_session
from matches.models import Match
from shopify_app import services, shopify
from shopify_app.models import Product, Shop
from shopify_app.services import SYNCED_FIELDS
from shopify_app.shopify import ShopifyClient, ShopifyError

pytestmark = pytest.mark.django_db

GENERATED = 400


@pytest.fixture
def large_shop(settings: Any, shopify_emulator: ShopifyEmulator, connected_shop: Shop) -> Shop:
    """The demo catalog (14 varied products) plus 400 generated ones, with the bulk threshold at 50."""
    settings.SHOPIFY_BULK_SYNC_THRESHOLD = 50
    settings.SHOPIFY_BULK_POLL_SECONDS = 2
    shopify_emulator.shop().products.extend(make_products(GENERATED))
    return connected_shop


def recording_client(shop: Shop) -> tuple[ShopifyClient, list[float]]:
    """A client whose waits (throttling and polling) are recorded instead of slept."""
    waits: list[float] = []
    return ShopifyClient(shop=shop.domain, sleep=waits.append), waits


def operations(emulator: ShopifyEmulator) -> list[str]:
    return [c["operation"] for c in emulator.graphql_calls()]


def stored_rows(shop: Shop) -> dict[str, dict[str, Any]]:
    """Every synced field of every product of the shop, by Shopify id."""
    fields = [name if name != "shop" else "shop_id" for name in SYNCED_FIELDS]
    return {row["shopify_id"]: row for row in Product.objects.filter(shop=shop).values("company_id", *fields)}


def test_a_large_first_sync_reads_one_bulk_operation_and_stores_what_paging_would(
    settings: Any, large_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    client, waits = recording_client(large_shop)

    bulk = services.sync_shop_products(shop=large_shop, client=client)

    assert operations(shopify_emulator) == ["productsCount", "bulkOperationRunQuery", "bulkOperation", "bulkOperation"]
    assert waits == [2.0, 3.0]  # polled after 2 s, then half as long again
    [download] = [r for r in shopify_emulator.requests if r["kind"] == "bulk_file"]
    assert download["sent_access_token"] is False  # the store's token never goes to the storage URL
    assert (bulk.created, bulk.updated, bulk.deleted, bulk.unchanged, bulk.full) == (GENERATED + 14, 0, 0, 0, True)
    assert bulk.bulk_operation_id == "gid://shopify/BulkOperation/1" and bulk.pages == 0
    by_bulk = stored_rows(large_shop)
    watermark = Shop.objects.get(pk=large_shop.pk).products_synced_until

    # The same catalog read page by page, from scratch.
    Product.objects.all().delete()
    Shop.objects.filter(pk=large_shop.pk).update(products_synced_until=None)
    settings.SHOPIFY_BULK_SYNC_THRESHOLD = 10_000
    shopify_emulator.reset_log()
    paged = services.sync_shop_products(shop=large_shop, client=client)

    assert "products" in operations(shopify_emulator) and paged.pages == 3
    assert (paged.created, paged.updated, paged.deleted, paged.unchanged, paged.full) == (
        bulk.created,
        bulk.updated,
        bulk.deleted,
        bulk.unchanged,
        bulk.full,
    )
    assert stored_rows(large_shop) == by_bulk
    assert Shop.objects.get(pk=large_shop.pk).products_synced_until == watermark
    whisk = by_bulk["gid://shopify/Product/1000000000001"]
    assert (whisk["title"], whisk["price"], whisk["currency"], whisk["status"]) == (
        "Ceremonial Matcha Whisk Set",
        Decimal("48.00"),
        "USD",
        "ACTIVE",
    )
    assert whisk["image_url"] == f"{shopify_emulator.url}/cdn/ceremonial-matcha-whisk-set.svg"
    assert {row["status"] for row in by_bulk.values()} == {"ACTIVE", "DRAFT", "ARCHIVED"}


def test_the_bulk_file_carries_variants_as_child_rows_gathered_back_under_their_product(
    large_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    # A product without a price range is priced from its cheapest variant, which only child rows carry.
    shopify_emulator.update_product(
        "ceremonial-matcha-whisk-set",
        priceRangeV2=None,
        variants={
            "nodes": [
                {"id": "gid://shopify/ProductVariant/71", "price": "52.00"},
                {"id": "gid://shopify/ProductVariant/72", "price": "47.50"},
            ]
        },
    )
    client, _ = recording_client(large_shop)

    services.sync_shop_products(shop=large_shop, client=client)

    assert Product.objects.get(handle="ceremonial-matcha-whisk-set").price == Decimal("47.50")
    [operation] = shopify_emulator.bulk_operations.values()
    assert operation.url is not None
    rows = [line for line in make_session(timeout=5, retries=0).get(operation.url).text.splitlines() if line]
    children = [r for r in rows if "__parentId" in r]
    # Every product of the demo catalog has variants; the generated ones one each.
    assert len(rows) == operation.object_count and len(rows) - len(children) == GENERATED + 14
    assert '"__parentId":"gid://shopify/Product/1000000000001"' in children[0]


def test_child_rows_are_assembled_product_by_product_and_an_ungrouped_file_is_refused() -> None:
    rows = [
        {"id": "gid://shopify/Product/1", "title": "A"},
        {"id": "gid://shopify/ProductVariant/11", "price": "3.00", "__parentId": "gid://shopify/Product/1"},
        {"id": "gid://shopify/ProductVariant/12", "price": "2.00", "__parentId": "gid://shopify/Product/1"},
        {"id": "gid://shopify/Product/2", "title": "B"},
    ]

    nodes = list(shopify.assemble_bulk_nodes(rows))

    assert nodes == [
        {
            "id": "gid://shopify/Product/1",
            "title": "A",
            "variants": {
                "nodes": [
                    {"id": "gid://shopify/ProductVariant/11", "price": "3.00"},
                    {"id": "gid://shopify/ProductVariant/12", "price": "2.00"},
                ]
            },
        },
        {"id": "gid://shopify/Product/2", "title": "B"},
    ]
    ungrouped = [rows[0], rows[3], rows[1]]
    with pytest.raises(ValueError, match="must be grouped"):
        list(shopify.assemble_bulk_nodes(ungrouped))


def test_a_failed_bulk_operation_is_a_clear_error_and_leaves_stored_products_untouched(
    settings: Any, large_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    settings.SHOPIFY_BULK_SYNC_THRESHOLD = 10_000
    services.sync_shop_products(shop=large_shop)  # paged
    before = stored_rows(large_shop)
    watermark = Shop.objects.get(pk=large_shop.pk).products_synced_until
    shopify_emulator.update_product("lavender-soy-candle", title="Renamed candle")
    shopify_emulator.delete_product("no-pull-dog-harness")
    settings.SHOPIFY_BULK_SYNC_THRESHOLD = 50
    shopify_emulator.bulk_fail_code = "INTERNAL_SERVER_ERROR"
    shopify_emulator.reset_log()
    client, _ = recording_client(large_shop)

    with pytest.raises(ApplicationError) as caught:
        services.sync_shop_products(shop=large_shop, full=True, client=client)

    assert caught.value.status == 503 and caught.value.details["permanent"] is False
    assert caught.value.message == (
        "Could not read the store's products in bulk: Shopify's bulk operation gid://shopify/BulkOperation/1 "
        "failed (INTERNAL_SERVER_ERROR): Shopify failed while reading the catalog; run the sync again."
    )
    assert "products" not in operations(shopify_emulator)
    assert stored_rows(large_shop) == before
    assert Shop.objects.get(pk=large_shop.pk).products_synced_until == watermark
    with pytest.raises(
        ShopifyError, match=r"failed \(TIMEOUT\): Shopify timed out reading the catalog; run the sync again"
    ):
        shopify.bulk_outcome(
            shopify.BulkOperation(
                id="gid://shopify/BulkOperation/9",
                status="FAILED",
                error_code="TIMEOUT",
                object_count=0,
                root_object_count=0,
                url=None,
                partial_data_url=None,
            )
        )


@pytest.mark.parametrize(
    ("denial", "polls"),
    [
        ("user_error", []),  # the denial as Shopify's changelog describes it, in either GraphQL shape
        ("graphql_error", []),
        ("failed", ["bulkOperation", "bulkOperation"]),  # or an operation that FAILED with ACCESS_DENIED
    ],
)
def test_a_denied_bulk_query_falls_back_to_pages_and_still_syncs_everything(
    denial: str,
    polls: list[str],
    large_shop: Shop,
    shopify_emulator: ShopifyEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if denial == "failed":
        shopify_emulator.bulk_fail_code = "ACCESS_DENIED"
    else:
        shopify_emulator.bulk_denied = denial
    client, _ = recording_client(large_shop)

    with caplog.at_level(logging.WARNING, logger="maatchaa.shopify"):
        result = services.sync_shop_products(shop=large_shop, client=client)

    assert operations(shopify_emulator) == ["productsCount", "bulkOperationRunQuery", *polls, *["products"] * 3]
    assert (result.created, result.full, result.pages, result.bulk_operation_id) == (GENERATED + 14, True, 3, "")
    assert Product.objects.filter(shop=large_shop).count() == GENERATED + 14
    assert any(
        "Allow bulk queries" in r.getMessage() and "reading pages instead" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


def test_a_full_reconciliation_through_bulk_removes_deleted_products_and_their_matches(
    large_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    client, _ = recording_client(large_shop)
    services.sync_shop_products(shop=large_shop, client=client)
    candle = Product.objects.get(handle="lavender-soy-candle")
    channel = Channel.objects.create(channel_id="UCcandlemaker0000000000", title="Candle Maker")
    video = Video.objects.create(video_id="vid00000001", channel=channel, title="Soy candle review")
    Match.objects.create(product=candle, video=video, similarity_score=0.8)
    shopify_emulator.delete_product(candle.shopify_id)
    shopify_emulator.update_product("test-product-5000000000007", title="Renamed seven")
    shopify_emulator.reset_log()

    result = services.sync_shop_products(shop=large_shop, full=True, client=client)

    assert "bulkOperationRunQuery" in operations(shopify_emulator) and "products" not in operations(shopify_emulator)
    assert (result.created, result.updated, result.deleted, result.unchanged) == (0, 1, 1, GENERATED + 12)
    assert not Product.objects.filter(pk=candle.pk).exists()
    assert not Match.objects.filter(video=video).exists()
    assert Product.objects.get(handle="test-product-5000000000007").title == "Renamed seven"
    assert Product.objects.filter(shop=large_shop).count() == GENERATED + 13


def test_a_sync_after_the_bulk_one_is_incremental_and_paged(
    large_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    client, _ = recording_client(large_shop)
    services.sync_shop_products(shop=large_shop, client=client)
    changed = shopify_emulator.update_product("natural-cork-yoga-mat", title="Cork Yoga Mat, 6 mm")
    shopify_emulator.reset_log()

    result = services.sync_shop_products(shop=large_shop, client=client)

    [call] = shopify_emulator.graphql_calls()
    assert call["operation"] == "products" and call["variables"]["q"].startswith("updated_at:>=")
    assert changed["id"] in call["ids"]
    assert (result.full, result.updated, result.pages) == (False, 1, 1)
    assert Product.objects.get(handle="natural-cork-yoga-mat").title == "Cork Yoga Mat, 6 mm"


def test_a_malformed_line_in_the_bulk_file_stores_nothing(large_shop: Shop, shopify_emulator: ShopifyEmulator) -> None:
    shopify_emulator.bulk_corrupt_line = 40
    client, _ = recording_client(large_shop)

    with pytest.raises(ApplicationError) as caught:
        services.sync_shop_products(shop=large_shop, client=client)

    assert caught.value.status == 502
    assert "Line 40 of the bulk operation's file is not JSON" in caught.value.message
    assert not Product.objects.exists()  # the products before line 40 were rolled back
    assert Shop.objects.get(pk=large_shop.pk).products_synced_until is None


def test_a_slow_operation_is_polled_ever_more_slowly_with_progress_and_given_up_on_at_the_timeout(
    settings: Any, large_shop: Shop, shopify_emulator: ShopifyEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    shopify_emulator.bulk_polls_to_complete = 4
    client, waits = recording_client(large_shop)

    with caplog.at_level(logging.INFO, logger="maatchaa.shopify"):
        result = services.sync_shop_products(shop=large_shop, client=client)

    assert result.created == GENERATED + 14
    assert waits == [2.0, 3.0, 4.5, 6.75]
    total = shopify_emulator.bulk_operations["gid://shopify/BulkOperation/1"].object_count
    assert total > GENERATED * 2  # products and their variants
    progress = [r.getMessage() for r in caplog.records if "objects so far" in r.getMessage()]
    assert progress == [
        f"{large_shop.domain}: bulk operation gid://shopify/BulkOperation/1 RUNNING, {total * polls // 4:,} objects so far"
        for polls in (1, 2, 3)
    ] + [f"{large_shop.domain}: bulk operation gid://shopify/BulkOperation/1 COMPLETED, {total:,} objects so far"]

    settings.SHOPIFY_BULK_TIMEOUT_SECONDS = 10
    shopify_emulator.bulk_polls_to_complete = 100
    waits.clear()
    with pytest.raises(ApplicationError) as caught:
        services.sync_shop_products(shop=large_shop, full=True, client=client)
    assert waits == [2.0, 3.0, 4.5, 0.5]
    assert caught.value.status == 503
    assert "is still RUNNING after 10 s; sync again later" in caught.value.message
    assert Product.objects.filter(shop=large_shop).count() == GENERATED + 14


def test_shopify_runs_one_bulk_query_per_shop_at_a_time(large_shop: Shop, shopify_emulator: ShopifyEmulator) -> None:
    client = ShopifyClient(shop=large_shop.domain, access_token=large_shop.access_token)

    first = client.run_bulk_products_query()
    with pytest.raises(ShopifyError) as caught:
        client.run_bulk_products_query()

    assert first.status == "CREATED"
    assert caught.value.code == "OPERATION_IN_PROGRESS" and caught.value.permanent is False
    current = client.current_bulk_operation()
    assert current is not None and (current.id, current.status) == (first.id, "RUNNING")


def test_bulk_faults_can_be_set_over_http_by_another_process(
    large_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    answer = make_session(timeout=5, retries=0).post(
        f"{shopify_emulator.url}/_emulator/bulk", json={"fail_code": "TIMEOUT", "polls_to_complete": 1}
    )
    assert answer.status_code == 200
    client = ShopifyClient(shop=large_shop.domain, access_token=large_shop.access_token)

    finished = client.bulk_operation(client.run_bulk_products_query().id)

    assert (finished.status, finished.error_code, finished.url) == ("FAILED", "TIMEOUT", None)
    assert finished.partial_data_url is not None  # what it read before failing
    with pytest.raises(ShopifyError) as caught:
        shopify.bulk_outcome(finished)
    assert caught.value.permanent is False and caught.value.code == "TIMEOUT"


def test_a_sync_waits_for_the_bulk_query_an_earlier_sync_left_running_instead_of_failing(
    large_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    client, _ = recording_client(large_shop)
    client.access_token = large_shop.access_token
    left_running = client.run_bulk_products_query()  # as a sync that timed out leaves it

    result = services.sync_shop_products(shop=large_shop, client=client)

    assert result.bulk_operation_id == left_running.id and result.created == GENERATED + 14
    assert len(shopify_emulator.bulk_operations) == 1
    assert operations(shopify_emulator) == [
        "bulkOperationRunQuery",
        "productsCount",
        "bulkOperationRunQuery",
        "currentBulkOperation",
        "bulkOperation",
    ]


def test_a_bulk_query_run_by_someone_else_is_not_taken_for_ours(
    large_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    client, _ = recording_client(large_shop)
    client.access_token = large_shop.access_token
    client.graphql(shopify.BULK_RUN_MUTATION, {"query": "{ products { edges { node { id } } } }"})

    with pytest.raises(ApplicationError) as caught:
        services.sync_shop_products(shop=large_shop, client=client)

    assert caught.value.status == 503 and caught.value.details["code"] == "OPERATION_IN_PROGRESS"
    assert "already running a bulk query" in caught.value.message
    assert not Product.objects.exists()
