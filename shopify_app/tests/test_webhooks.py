from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from discovery.models import Channel, Video
from emulators.shopify import ShopifyEmulator, sign_webhook_body
from matches.models import Match
from shopify_app import selectors, services
from shopify_app.models import Product, Shop, WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("q_sync")]

WHISK = "gid://shopify/Product/1000000000001"


@pytest.fixture
def synced_shop(connected_shop: Shop) -> Shop:
    services.sync_shop_products(shop=connected_shop)
    return connected_shop


def send(
    emulator: ShopifyEmulator, on_commit: Any, topic: str, payload: dict[str, Any], **options: Any
) -> tuple[int, str]:
    with on_commit(execute=True):
        return emulator.send_webhook(topic, payload, **options)


def test_a_products_update_webhook_changes_the_product(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    shopify_emulator.update_product(WHISK, title="Ceremonial Matcha Whisk Set (Gift Box)")

    status, _ = send(shopify_emulator, on_commit, "products/update", shopify_emulator.product_payload(WHISK))

    assert status == 200
    product = Product.objects.get(shopify_id=WHISK)
    assert product.title == "Ceremonial Matcha Whisk Set (Gift Box)"
    assert product.description.startswith("A complete set for whisking ceremonial-grade matcha")
    assert product.currency == "USD"
    assert WebhookDelivery.objects.get().processed_at is not None


def test_a_products_create_webhook_adds_the_product(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    node = shopify_emulator.add_product(
        {
            **shopify_emulator.product(WHISK),
            "id": "gid://shopify/Product/1000000000099",
            "legacyResourceId": "1000000000099",
            "handle": "matcha-whisk-holder",
            "title": "Ceramic Whisk Holder",
            "tags": ["matcha", "chasen"],
        }
    )

    status, _ = send(shopify_emulator, on_commit, "products/create", shopify_emulator.product_payload(node["id"]))

    assert status == 200
    product = Product.objects.get(shopify_id=node["id"])
    assert (product.title, product.tags, product.status, product.shop) == (
        "Ceramic Whisk Holder",
        ["matcha", "chasen"],
        "ACTIVE",
        synced_shop,
    )


def test_a_forged_webhook_is_refused_with_401_and_changes_nothing(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    payload = {**shopify_emulator.product_payload(WHISK), "title": "Pwned", "updated_at": "2030-01-01T00:00:00Z"}

    status, _ = send(shopify_emulator, on_commit, "products/update", payload, forged=True)

    assert status == 401
    assert Product.objects.get(shopify_id=WHISK).title == "Ceremonial Matcha Whisk Set"
    assert not WebhookDelivery.objects.exists()


def test_a_webhook_without_a_signature_is_refused(synced_shop: Shop, client: Any) -> None:
    response = client.post(
        "/shopify/webhooks",
        data=b"{}",
        content_type="application/json",
        headers={
            "X-Shopify-Topic": "app/uninstalled",
            "X-Shopify-Webhook-Id": "x",
            "X-Shopify-Shop-Domain": synced_shop.domain,
        },
    )
    assert response.status_code == 401
    assert Shop.objects.get().status == Shop.Status.ACTIVE


def test_a_duplicate_delivery_is_processed_once(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    shopify_emulator.update_product(WHISK, title="Whisk Set v2")
    payload = shopify_emulator.product_payload(WHISK)
    assert send(shopify_emulator, on_commit, "products/update", payload, webhook_id="delivery-1")[0] == 200
    # Someone edits the product here in between; a retry of the same delivery must not undo it.
    Product.objects.filter(shopify_id=WHISK).update(title="Edited after delivery")

    status, body = send(shopify_emulator, on_commit, "products/update", payload, webhook_id="delivery-1")

    assert status == 200 and "Already received" in body
    assert WebhookDelivery.objects.count() == 1
    assert Product.objects.get(shopify_id=WHISK).title == "Edited after delivery"


def test_a_payload_older_than_the_stored_product_changes_nothing(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    stored = Product.objects.get(shopify_id=WHISK)
    assert stored.shopify_updated_at is not None
    older = (stored.shopify_updated_at - timedelta(hours=1)).isoformat()
    payload = {**shopify_emulator.product_payload(WHISK), "title": "An old title", "updated_at": older}

    status, _ = send(shopify_emulator, on_commit, "products/update", payload)

    assert status == 200
    assert Product.objects.get(shopify_id=WHISK).title == "Ceremonial Matcha Whisk Set"
    assert WebhookDelivery.objects.get().processed_at is not None


def test_a_products_delete_webhook_removes_the_product_and_its_matches(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    whisk = Product.objects.get(shopify_id=WHISK)
    channel = Channel.objects.create(channel_id="UCmatchamaster000000000", title="Matcha Master")
    video = Video.objects.create(video_id="vid00000002", channel=channel, title="Chasen whisking technique")
    Match.objects.create(product=whisk, video=video, similarity_score=0.9)

    status, _ = send(shopify_emulator, on_commit, "products/delete", {"id": 1000000000001})

    assert status == 200
    assert not Product.objects.filter(pk=whisk.pk).exists()
    assert not Match.objects.exists()
    assert Product.objects.count() == 13


def test_app_uninstalled_revokes_the_tokens_and_stops_discovery(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    assert selectors.discoverable_products(company=synced_shop.company).count() == 12

    status, _ = send(shopify_emulator, on_commit, "app/uninstalled", {"id": 1, "domain": synced_shop.domain})

    assert status == 200
    shop = Shop.objects.get()
    assert shop.status == Shop.Status.UNINSTALLED and shop.uninstalled_at is not None
    assert shop.access_token_encrypted == "" and shop.refresh_token_encrypted == ""
    assert selectors.discoverable_products(company=shop.company).count() == 0
    assert Product.objects.count() == 14  # kept until shop/redact, in case the store comes back


def test_an_uninstall_event_older_than_a_reinstall_changes_nothing(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    assert synced_shop.installed_at is not None
    before = synced_shop.installed_at - timedelta(minutes=5)
    status, _ = send(shopify_emulator, on_commit, "app/uninstalled", {"id": 1}, triggered_at=before)
    assert status == 200
    assert Shop.objects.get().status == Shop.Status.ACTIVE


def test_shop_redact_deletes_the_shop_its_products_and_their_matches(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    send(shopify_emulator, on_commit, "products/update", shopify_emulator.product_payload(WHISK))
    channel = Channel.objects.create(channel_id="UCmatchamaster000000000", title="Matcha Master")
    video = Video.objects.create(video_id="vid00000003", channel=channel, title="Matcha ceremony")
    Match.objects.create(product=Product.objects.get(shopify_id=WHISK), video=video, similarity_score=0.9)
    send(shopify_emulator, on_commit, "app/uninstalled", {"id": 1})
    company = synced_shop.company

    status, _ = send(shopify_emulator, on_commit, "shop/redact", {"shop_id": 1, "shop_domain": synced_shop.domain})

    assert status == 200
    assert not Shop.objects.exists()
    assert not Product.objects.filter(company=company).exists()
    assert not Match.objects.exists()
    assert all(d.payload in ({}, {"shop_domain": synced_shop.domain}) for d in WebhookDelivery.objects.all())


@pytest.mark.parametrize("topic", ["customers/data_request", "customers/redact", "shop/redact"])
def test_the_mandatory_compliance_topics_answer_200_when_signed_and_401_when_not(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any, topic: str
) -> None:
    payload = {
        "shop_id": 1,
        "shop_domain": "someone-else.myshopify.com",
        "customer": {"id": 7, "email": "jane@example.com", "phone": "555-0100"},
        "orders_requested": [1],
    }

    assert send(shopify_emulator, on_commit, topic, payload, forged=True)[0] == 401
    assert not WebhookDelivery.objects.exists()
    assert send(shopify_emulator, on_commit, topic, payload, shop="someone-else.myshopify.com")[0] == 200

    delivery = WebhookDelivery.objects.get()
    assert "jane@example.com" not in json.dumps(delivery.payload)  # no customer data kept
    assert delivery.processed_at is not None
    assert Shop.objects.get().status == Shop.Status.ACTIVE  # another shop's redaction leaves ours alone


def test_topics_we_do_not_handle_are_acknowledged_and_not_recorded(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    assert send(shopify_emulator, on_commit, "orders/create", {"id": 5})[0] == 200
    assert not WebhookDelivery.objects.exists()


def test_a_signed_but_malformed_payload_is_refused_with_400(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    assert send(shopify_emulator, on_commit, "products/update", {"id": "not-a-number"})[0] == 400
    assert send(shopify_emulator, on_commit, "products/delete", {})[0] == 400
    assert not WebhookDelivery.objects.exists()


def test_a_webhook_signed_with_the_previous_secret_is_accepted_during_rotation(
    synced_shop: Shop, client: Any, settings: Any, on_commit: Any
) -> None:
    settings.SHOPIFY_API_SECRET = "the-new-secret"
    settings.SHOPIFY_API_SECRET_PREVIOUS = ["test-shopify-api-secret"]
    body = json.dumps({"id": 1000000000001}).encode()
    headers = {
        "X-Shopify-Topic": "products/delete",
        "X-Shopify-Webhook-Id": "rotated-1",
        "X-Shopify-Shop-Domain": synced_shop.domain,
        "X-Shopify-Hmac-SHA256": sign_webhook_body(body, "test-shopify-api-secret"),
        "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
    }

    with on_commit(execute=True):
        response = client.post("/shopify/webhooks", data=body, content_type="application/json", headers=headers)

    assert response.status_code == 200
    assert not Product.objects.filter(shopify_id=WHISK).exists()
    settings.SHOPIFY_API_SECRET_PREVIOUS = []
    headers["X-Shopify-Webhook-Id"] = "rotated-2"
    assert (
        client.post("/shopify/webhooks", data=body, content_type="application/json", headers=headers).status_code == 401
    )


def test_webhooks_for_an_uninstalled_shop_change_no_products(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    send(shopify_emulator, on_commit, "app/uninstalled", {"id": 1})
    shopify_emulator.update_product(WHISK, title="Changed after uninstall")

    assert send(shopify_emulator, on_commit, "products/update", shopify_emulator.product_payload(WHISK))[0] == 200
    assert Product.objects.get(shopify_id=WHISK).title == "Ceremonial Matcha Whisk Set"


def test_an_update_delivered_after_the_products_deletion_does_not_bring_it_back(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    shopify_emulator.update_product(WHISK, title="Last title before deletion")
    late_update = shopify_emulator.product_payload(WHISK)
    shopify_emulator.delete_product(WHISK)
    send(shopify_emulator, on_commit, "products/delete", {"id": 1000000000001})

    assert send(shopify_emulator, on_commit, "products/update", late_update)[0] == 200

    assert not Product.objects.filter(shopify_id=WHISK).exists()


def test_old_processed_deliveries_are_pruned_but_deletions_are_kept(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    send(shopify_emulator, on_commit, "products/update", shopify_emulator.product_payload(WHISK))
    send(shopify_emulator, on_commit, "products/delete", {"id": 1000000000002})
    WebhookDelivery.objects.update(created_at=datetime.now(UTC) - timedelta(days=8))
    send(shopify_emulator, on_commit, "products/update", shopify_emulator.product_payload(WHISK))

    assert services.prune_webhook_deliveries() == 1

    assert sorted(WebhookDelivery.objects.values_list("topic", flat=True)) == ["products/delete", "products/update"]


def test_processing_a_delivery_twice_does_it_once(
    synced_shop: Shop, shopify_emulator: ShopifyEmulator, on_commit: Any
) -> None:
    from shopify_app import tasks

    send(shopify_emulator, on_commit, "products/delete", {"id": 1000000000001})
    delivery = WebhookDelivery.objects.get()

    assert tasks.process_webhook_delivery(delivery.pk) == "already processed"
    assert tasks.process_webhook_delivery(delivery.pk + 999) == "already processed"
