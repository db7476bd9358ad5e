from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from discovery.models import Channel, Video
from emulators.shopify import ShopifyEmulator, make_products
from maatchaa.api import ApplicationError
from matches.models import Match
from shopify_app import selectors, services
from shopify_app.models import Product, Shop
from shopify_app.shopify import ShopifyClient

pytestmark = pytest.mark.django_db


def page_calls(emulator: ShopifyEmulator) -> list[dict[str, Any]]:
    """The paged products queries (a full sync first asks productsCount, to choose pages or a bulk query)."""
    return [c for c in emulator.graphql_calls() if c["operation"] == "products"]


def recording_client(shop: Shop) -> tuple[ShopifyClient, list[float]]:
    """A client whose throttling waits are recorded instead of slept."""
    waits: list[float] = []
    return ShopifyClient(shop=shop.domain, sleep=waits.append), waits


def test_a_catalog_of_several_pages_syncs_completely_then_incrementally(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    shopify_emulator.shop().products = make_products(600)

    first = services.sync_shop_products(shop=connected_shop)

    # Pages as large as Shopify's 1000-point query limit allows for our query: 142 nodes x 7 points + 2.
    assert (first.created, first.updated, first.deleted, first.full, first.pages) == (600, 0, 0, True, 5)
    assert Product.objects.filter(shop=connected_shop).count() == 600
    counted, *calls = shopify_emulator.graphql_calls()
    assert counted["operation"] == "productsCount"  # 600 is below the bulk threshold: pages
    assert [c["variables"]["first"] for c in calls] == [142] * 5
    assert [c["returned"] for c in calls] == [142, 142, 142, 142, 32]
    assert all(c["variables"]["q"] is None for c in calls)

    shopify_emulator.reset_log()
    changed = [
        shopify_emulator.update_product(f"gid://shopify/Product/{5_000_000_000_001 + i}", title=f"Renamed {i}")
        for i in (3, 444)
    ]
    added = shopify_emulator.add_product(make_products(1, start_id=9_000_000_000_001)[0])

    second = services.sync_shop_products(shop=connected_shop)

    assert (second.created, second.updated, second.deleted, second.full, second.pages) == (1, 2, 0, False, 1)
    [call] = shopify_emulator.graphql_calls()
    assert call["variables"]["q"].startswith("updated_at:>='2026-10-01T00:09:59Z'")
    # Only the changed products (and the one at the previous high-water mark, by ">=") came back.
    assert set(call["ids"]) - {"gid://shopify/Product/5000000000600"} == {
        changed[0]["id"],
        changed[1]["id"],
        added["id"],
    }
    assert Product.objects.get(shopify_id=changed[1]["id"]).title == "Renamed 444"
    assert Product.objects.filter(shop=connected_shop).count() == 601


def test_a_full_resync_removes_products_gone_from_shopify_with_their_matches(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    services.sync_shop_products(shop=connected_shop)
    candle = Product.objects.get(handle="lavender-soy-candle")
    channel = Channel.objects.create(channel_id="UCcandlemaker0000000000", title="Candle Maker")
    video = Video.objects.create(video_id="vid00000001", channel=channel, title="Soy candle review")
    Match.objects.create(product=candle, video=video, similarity_score=0.8)
    shopify_emulator.delete_product(candle.shopify_id)

    incremental = services.sync_shop_products(shop=connected_shop)
    assert incremental.deleted == 0  # an incremental read cannot see deletions; the webhook or a full sync does

    result = services.sync_shop_products(shop=connected_shop, full=True)

    assert result.deleted == 1
    assert not Product.objects.filter(pk=candle.pk).exists()
    assert not Match.objects.filter(video=video).exists()
    assert Product.objects.filter(shop=connected_shop).count() == 13


def test_archived_and_draft_products_are_kept_but_not_discoverable(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    services.sync_shop_products(shop=connected_shop)
    shopify_emulator.update_product("pre-seasoned-cast-iron-skillet-10", status="ARCHIVED")
    services.sync_shop_products(shop=connected_shop)

    discoverable = selectors.discoverable_products(company=connected_shop.company)
    assert discoverable.count() == 11
    assert not discoverable.filter(status__in=["ARCHIVED", "DRAFT"]).exists()
    assert Product.objects.get(handle="pre-seasoned-cast-iron-skillet-10").status == "ARCHIVED"
    assert Product.objects.filter(shop=connected_shop).count() == 14


def test_a_second_sync_with_nothing_changed_saves_nothing(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    services.sync_shop_products(shop=connected_shop)
    stamps = dict(Product.objects.values_list("shopify_id", "updated_at"))

    result = services.sync_shop_products(shop=connected_shop)

    assert (result.created, result.updated, result.deleted) == (0, 0, 0)
    assert dict(Product.objects.values_list("shopify_id", "updated_at")) == stamps


def test_throttled_answers_are_waited_out_as_the_cost_figures_say(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    shopify_emulator.set_bucket(maximum=1000, restore_rate=50)
    shopify_emulator.throttle("THROTTLED", times=2, available=2)
    client, waits = recording_client(connected_shop)

    result = services.sync_shop_products(shop=connected_shop, client=client)

    # requested 996 points (2 + 142 x 7), 2 available, 50 restored per second: (996 - 2) / 50 = 19.88 s.
    assert waits == [19.88, 19.88]
    assert result.created == 14
    assert [c["error"] for c in page_calls(shopify_emulator)] == ["THROTTLED", "THROTTLED", ""]


def test_a_429_is_waited_out_for_its_retry_after(connected_shop: Shop, shopify_emulator: ShopifyEmulator) -> None:
    shopify_emulator.throttle("429", times=1, retry_after=2)
    client, waits = recording_client(connected_shop)

    result = services.sync_shop_products(shop=connected_shop, client=client)

    assert waits == [2.0]
    assert result.created == 14


def test_a_real_wait_is_short_when_the_bucket_refills_fast(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    shopify_emulator.set_bucket(maximum=1000, restore_rate=5_000)
    shopify_emulator.throttle("THROTTLED", available=0)

    result = services.sync_shop_products(shop=connected_shop)  # sleeps for real: 996 / 5,000 s

    assert result.created == 14
    assert [c["error"] for c in page_calls(shopify_emulator)] == ["THROTTLED", ""]


def test_endless_throttling_gives_up_and_stores_nothing(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    shopify_emulator.throttle("THROTTLED", times=20)
    client, waits = recording_client(connected_shop)

    with pytest.raises(ApplicationError) as caught:
        services.sync_shop_products(shop=connected_shop, client=client)

    assert caught.value.status == 503 and caught.value.details["permanent"] is False
    assert len(waits) == 6
    assert not Product.objects.exists()
    connected_shop.refresh_from_db()
    assert connected_shop.products_synced_until is None


def _token_grants(emulator: ShopifyEmulator) -> list[str]:
    return [r["grant"] for r in emulator.requests if r["kind"] == "token"]


def test_a_token_about_to_expire_is_refreshed_before_the_sync(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    old_access, old_refresh = connected_shop.access_token, connected_shop.refresh_token
    Shop.objects.filter(pk=connected_shop.pk).update(access_token_expires_at=timezone.now() + timedelta(minutes=4))

    services.sync_shop_products(shop=connected_shop)

    connected_shop.refresh_from_db()
    assert _token_grants(shopify_emulator) == ["refresh_token"]
    assert connected_shop.access_token not in ("", old_access)
    assert connected_shop.refresh_token not in ("", old_refresh)  # rotated
    assert connected_shop.access_token_expires_at is not None
    assert connected_shop.access_token_expires_at > timezone.now() + timedelta(minutes=55)
    assert Product.objects.count() == 14


def test_a_401_refreshes_the_token_once_and_the_sync_goes_on(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    shopify_emulator.expire_access_tokens()

    result = services.sync_shop_products(shop=connected_shop)

    assert result.created == 14
    assert _token_grants(shopify_emulator) == ["refresh_token"]
    assert [(c["operation"], c["status"]) for c in shopify_emulator.graphql_calls()] == [
        ("productsCount", 401),
        ("productsCount", 200),
        ("products", 200),
    ]


def test_a_refused_refresh_marks_the_shop_as_needing_reauthorisation(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    shopify_emulator.expire_access_tokens()
    shopify_emulator.refuse_refresh = True

    with pytest.raises(ApplicationError) as caught:
        services.sync_shop_products(shop=connected_shop)

    assert caught.value.status == 409 and caught.value.details["reason"] == "needs_reauth"
    assert Shop.objects.get(pk=connected_shop.pk).status == Shop.Status.NEEDS_REAUTH
    assert not Product.objects.exists()
    with pytest.raises(ApplicationError):
        services.sync_shop_products(shop=connected_shop)
    assert len(shopify_emulator.graphql_calls()) == 1  # nothing more is sent for a shop needing re-auth


def test_a_stale_copy_of_the_shop_uses_the_token_another_worker_refreshed(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    Shop.objects.filter(pk=connected_shop.pk).update(access_token_expires_at=timezone.now() + timedelta(minutes=1))
    worker_a, worker_b = Shop.objects.get(pk=connected_shop.pk), Shop.objects.get(pk=connected_shop.pk)

    token_a = services.ensure_access_token(shop=worker_a)
    token_b = services.ensure_access_token(shop=worker_b)

    assert token_a == token_b
    assert _token_grants(shopify_emulator) == ["refresh_token"]  # one refresh, not two racing rotations


def test_a_disconnected_shop_is_not_synced(connected_shop: Shop, shopify_emulator: ShopifyEmulator) -> None:
    services.disconnect_shop(shop=connected_shop)
    with pytest.raises(ApplicationError) as caught:
        services.sync_shop_products(shop=connected_shop)
    assert caught.value.status == 409
    assert not shopify_emulator.graphql_calls()


def test_a_price_only_change_is_saved_without_touching_the_products_text(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    from django.db.models.signals import post_save

    services.sync_shop_products(shop=connected_shop)
    node = shopify_emulator.product("lavender-soy-candle")
    price = {"amount": "28.00", "currencyCode": "USD"}
    shopify_emulator.update_product(node["id"], priceRangeV2={"minVariantPrice": price, "maxVariantPrice": price})
    saves: list[frozenset[str] | None] = []

    def record(sender: Any, instance: Product, update_fields: frozenset[str] | None, **kwargs: Any) -> None:
        saves.append(update_fields)

    post_save.connect(record, sender=Product)
    try:
        result = services.sync_shop_products(shop=connected_shop)
    finally:
        post_save.disconnect(record, sender=Product)

    assert result.updated == 1
    assert saves == [frozenset({"price", "shopify_updated_at", "updated_at"})]
    assert str(Product.objects.get(handle="lavender-soy-candle").price) == "28.00"


def test_the_admin_action_queues_a_full_sync_for_connected_stores(
    connected_shop: Shop, admin_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_q.models import OrmQ

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/shopify_app/shop/", {"action": "resync_shops", "_selected_action": [connected_shop.pk]}
        )
    assert response.status_code == 302
    assert [t.name() for t in OrmQ.objects.all()] == [f"shopify-sync-{connected_shop.pk}"]


def test_the_sync_task_syncs_a_connected_shop_and_returns_quietly_for_a_gone_one(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    from shopify_app import tasks

    assert tasks.sync_shop(connected_shop.pk).startswith("SyncResult(created=14")
    assert tasks.sync_shop(connected_shop.pk + 999) == "shop gone or not connected"
    shopify_emulator.expire_access_tokens()
    shopify_emulator.refuse_refresh = True
    assert tasks.sync_shop(connected_shop.pk).startswith("not synced:")
    assert Shop.objects.get(pk=connected_shop.pk).status == Shop.Status.NEEDS_REAUTH


def test_a_page_too_costly_for_shopify_is_shrunk_to_what_its_figures_allow(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    shopify_emulator.shop().products = make_products(300)

    result = services.sync_shop_products(shop=connected_shop, page_size=250)

    assert result.created == 300
    calls = page_calls(shopify_emulator)
    assert [c["error"] for c in calls][:1] == ["MAX_COST_EXCEEDED"]
    # cost 1752 for 250 nodes: 7 a node, so (1000 - 2) // 7 = 142 a page.
    assert [c["variables"]["first"] for c in calls] == [250, 142, 142, 142]
