from __future__ import annotations

from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command

from emulators.shopify import ShopifyEmulator
from emulators.testing.shopify_fixtures import follow_authorize
from maatchaa.api import ApplicationError
from shopify_app import services
from shopify_app.models import Product, Shop, WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("q_sync")]

DEMO = "juniper-pine.myshopify.com"
WHISK = "gid://shopify/Product/1000000000001"
HOOKS = "https://maatchaa.example.com/shopify/webhooks"
OUR_TOPICS = {"PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "APP_UNINSTALLED"}


@pytest.fixture
def webhook_url(settings: Any) -> str:
    settings.SHOPIFY_WEBHOOK_URL = HOOKS
    return HOOKS


def install(client: Any, on_commit: Any) -> Any:
    """The member's whole install: connect, approve at the emulator, come back to the callback."""
    response = client.post("/shopify/connect", {"shop": DEMO})
    assert response.status_code == 302, response.content
    back = follow_authorize(response["Location"])
    with on_commit(execute=True):
        return client.get(back.removeprefix("http://testserver"))


def subscribed(emulator: ShopifyEmulator) -> dict[str, str]:
    return {s["topic"]: s["uri"] for s in emulator.subscriptions(DEMO)}


def create_calls(emulator: ShopifyEmulator) -> list[dict[str, Any]]:
    return [c["variables"] for c in emulator.graphql_calls() if "topic" in c["variables"]]


def test_installing_a_store_subscribes_it_to_the_apps_topics_at_the_webhook_url(
    member_client: Any, shopify_emulator: ShopifyEmulator, webhook_url: str, on_commit: Any
) -> None:
    response = install(member_client, on_commit)

    assert response.status_code == 302 and response["Location"] == "/dashboard/products"
    assert subscribed(shopify_emulator) == {topic: HOOKS for topic in OUR_TOPICS}
    shop = Shop.objects.get(domain=DEMO)
    assert shop.webhooks_registered_at is not None
    assert shop.webhooks_error == ""
    # The compliance topics are the app's (shopify.app.toml), never asked for per shop.
    assert not [c for c in create_calls(shopify_emulator) if "CUSTOMERS" in c["topic"] or "SHOP_" in c["topic"]]
    assert 'data-webhooks="active"' in member_client.get("/dashboard/settings").content.decode()


def test_registering_a_second_time_creates_nothing(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, webhook_url: str
) -> None:
    first = services.register_webhooks(shop=connected_shop)
    before = shopify_emulator.subscriptions(DEMO)
    shopify_emulator.reset_log()

    second = services.register_webhooks(shop=connected_shop)

    assert set(first.created) == OUR_TOPICS
    assert set(second.unchanged) == OUR_TOPICS and second.created == () and second.replaced == ()
    assert shopify_emulator.subscriptions(DEMO) == before
    # One read of the subscriptions and nothing else.
    assert len(shopify_emulator.graphql_calls()) == 1
    assert create_calls(shopify_emulator) == []


def test_a_subscription_left_at_an_old_address_is_replaced_and_other_topics_are_left_alone(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, webhook_url: str
) -> None:
    old = shopify_emulator.subscribe("PRODUCTS_UPDATE", "https://old-host.example.com/shopify/webhooks", shop=DEMO)
    kept = shopify_emulator.subscribe("ORDERS_CREATE", "https://elsewhere.example.com/orders", shop=DEMO)
    current = shopify_emulator.subscribe("APP_UNINSTALLED", HOOKS, shop=DEMO)

    result = services.register_webhooks(shop=connected_shop)

    assert result.replaced == ("PRODUCTS_UPDATE",)
    assert result.unchanged == ("APP_UNINSTALLED",)
    assert set(result.created) == {"PRODUCTS_CREATE", "PRODUCTS_DELETE"}
    ids = {s["id"] for s in shopify_emulator.subscriptions(DEMO)}
    assert old["id"] not in ids
    assert {kept["id"], current["id"]} <= ids
    assert subscribed(shopify_emulator) == {**{t: HOOKS for t in OUR_TOPICS}, "ORDERS_CREATE": kept["uri"]}
    # The new address was subscribed before the old one went, so no event fell in between.
    sent = [c["variables"] for c in shopify_emulator.graphql_calls()]
    assert sent.index({"topic": "PRODUCTS_UPDATE", "uri": HOOKS}) < sent.index({"id": old["id"]})


def test_an_access_token_shopify_no_longer_accepts_is_refreshed_and_registration_goes_on(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, webhook_url: str
) -> None:
    shopify_emulator.expire_access_tokens(DEMO)

    result = services.register_webhooks(shop=connected_shop)

    assert set(result.created) == OUR_TOPICS
    assert subscribed(shopify_emulator) == {topic: HOOKS for topic in OUR_TOPICS}
    [token] = shopify_emulator.tokens_for(DEMO)
    connected_shop.refresh_from_db()
    assert connected_shop.access_token == token


def test_a_refused_subscription_is_recorded_and_the_install_still_connects_the_store(
    member_client: Any, shopify_emulator: ShopifyEmulator, settings: Any, on_commit: Any
) -> None:
    # Shopify refuses plain-http addresses (the emulator allows them on loopback only).
    settings.SHOPIFY_WEBHOOK_URL = "http://maatchaa.example.com/shopify/webhooks"

    response = install(member_client, on_commit)

    assert response.status_code == 302 and response["Location"] == "/dashboard/products"
    shop = Shop.objects.get(domain=DEMO)
    assert shop.status == Shop.Status.ACTIVE
    assert Product.objects.filter(shop=shop).count() == 14
    assert shopify_emulator.subscriptions(DEMO) == []
    assert shop.webhooks_registered_at is None
    assert "Address protocol http:// is not supported" in shop.webhooks_error
    assert all(topic in shop.webhooks_error for topic in OUR_TOPICS)
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert warnings and "did not accept our update notifications" in warnings[0]
    page = member_client.get("/dashboard/settings").content.decode()
    assert 'data-webhooks="failing"' in page and "Maatchaa retries every hour" in page


def test_a_refusal_raises_an_error_naming_the_topic_and_shopifys_reason(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, settings: Any
) -> None:
    settings.SHOPIFY_WEBHOOK_URL = "http://maatchaa.example.com/shopify/webhooks"

    with pytest.raises(ApplicationError) as refused:
        services.register_webhooks(shop=connected_shop)

    assert refused.value.message.startswith("Webhook registration failed for PRODUCTS_CREATE: Shopify refused")
    assert "webhookSubscription.uri: Address protocol http:// is not supported" in refused.value.message
    connected_shop.refresh_from_db()
    assert connected_shop.webhooks_error == refused.value.message


def test_a_later_success_clears_the_recorded_error(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, settings: Any
) -> None:
    settings.SHOPIFY_WEBHOOK_URL = "http://maatchaa.example.com/shopify/webhooks"
    with pytest.raises(ApplicationError):
        services.register_webhooks(shop=connected_shop)
    settings.SHOPIFY_WEBHOOK_URL = HOOKS

    services.register_webhooks(shop=connected_shop)

    connected_shop.refresh_from_db()
    assert connected_shop.webhooks_error == "" and connected_shop.webhooks_registered_at is not None


def test_without_a_webhook_url_nothing_is_asked_of_shopify(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, settings: Any
) -> None:
    settings.SHOPIFY_WEBHOOK_URL = ""

    result = services.register_webhooks(shop=connected_shop)

    assert result.skipped
    assert shopify_emulator.graphql_calls() == []


def test_a_registered_subscription_delivers_a_product_update_that_changes_the_product(
    member_client: Any, shopify_emulator: ShopifyEmulator, webhook_url: str, on_commit: Any
) -> None:
    install(member_client, on_commit)
    shopify_emulator.update_product(WHISK, title="Ceremonial Matcha Whisk Set (Gift Box)")

    with on_commit(execute=True):
        deliveries = shopify_emulator.deliver("products/update", shopify_emulator.product_payload(WHISK), shop=DEMO)

    assert [(uri, status) for uri, status, _ in deliveries] == [(HOOKS, 200)]
    assert Product.objects.get(shopify_id=WHISK).title == "Ceremonial Matcha Whisk Set (Gift Box)"
    delivery = WebhookDelivery.objects.get(topic="products/update")
    assert delivery.shop_domain == DEMO and delivery.processed_at is not None
    assert [urlsplit(w["url"]).path for w in shopify_emulator.webhooks_sent] == ["/shopify/webhooks"]


def test_an_event_nobody_subscribed_to_is_not_delivered(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    assert shopify_emulator.deliver("products/update", shopify_emulator.product_payload(WHISK), shop=DEMO) == []
    assert WebhookDelivery.objects.count() == 0


def test_the_emulator_refuses_an_unknown_topic_and_a_duplicate_address(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator
) -> None:
    from shopify_app.shopify import ShopifyError

    client = services.get_client(shop=connected_shop, access_token=connected_shop.access_token)
    client.create_webhook_subscription(topic="PRODUCTS_UPDATE", uri=HOOKS)

    with pytest.raises(ShopifyError) as duplicate:
        client.create_webhook_subscription(topic="PRODUCTS_UPDATE", uri=HOOKS)
    with pytest.raises(ShopifyError) as unknown:
        client.create_webhook_subscription(topic="CUSTOMERS_REDACT", uri=HOOKS)

    assert duplicate.value.permanent and "Address for this topic has already been taken" in duplicate.value.message
    assert unknown.value.permanent and "is not a webhook subscription topic" in unknown.value.message
    [subscription] = client.webhook_subscriptions()
    assert (subscription.topic, subscription.uri) == ("PRODUCTS_UPDATE", HOOKS)
    assert client.delete_webhook_subscription(subscription.id) == subscription.id
    assert client.webhook_subscriptions() == []


# --- manage.py register_webhooks --------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("register_webhooks", *args, stdout=out)
    return out.getvalue()


def test_the_command_registers_every_connected_shop_and_says_what_it_did(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, webhook_url: str
) -> None:
    Shop.objects.create(
        domain="gone-away.myshopify.com", company=connected_shop.company, status=Shop.Status.UNINSTALLED
    )

    output = run()

    assert output.splitlines() == [
        f"Registering webhooks at {HOOKS} for 1 shop(s)",
        f"  {DEMO}: 4 created, 0 replaced, 0 already there -> {HOOKS}",
        "Done: 1 registered, 0 failed.",
    ]
    assert subscribed(shopify_emulator) == {topic: HOOKS for topic in OUR_TOPICS}
    assert f"  {DEMO}: 0 created, 0 replaced, 4 already there -> {HOOKS}" in run("--shop", DEMO)


def test_the_command_refuses_an_unknown_or_disconnected_shop(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, webhook_url: str
) -> None:
    Shop.objects.create(
        domain="gone-away.myshopify.com", company=connected_shop.company, status=Shop.Status.UNINSTALLED
    )

    with pytest.raises(CommandError, match="No shop 'nowhere.myshopify.com' is known here"):
        run("--shop", "nowhere.myshopify.com")
    with pytest.raises(CommandError, match="gone-away.myshopify.com is not connected"):
        run("--shop", "gone-away.myshopify.com")
    assert shopify_emulator.graphql_calls() == []


def test_the_command_refuses_to_run_without_a_webhook_url(connected_shop: Shop, settings: Any) -> None:
    settings.SHOPIFY_WEBHOOK_URL = ""

    with pytest.raises(CommandError, match="SHOPIFY_WEBHOOK_URL is not set"):
        run()


def test_the_command_reports_a_refused_shop_and_fails_at_the_end(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, settings: Any
) -> None:
    settings.SHOPIFY_WEBHOOK_URL = "http://maatchaa.example.com/shopify/webhooks"
    out = StringIO()

    with pytest.raises(CommandError, match="1 shop\\(s\\) could not be registered"):
        call_command("register_webhooks", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[1].startswith(f"  {DEMO}: FAILED: Webhook registration failed for PRODUCTS_CREATE")
    assert lines[-1] == "Done: 0 registered, 1 failed."


def test_over_real_http_an_event_reaches_the_app_at_a_loopback_address_as_under_make_serve(
    live_server: Any, connected_shop: Shop, shopify_emulator: ShopifyEmulator, settings: Any
) -> None:
    # make serve's setting: the app's own plain-http address, which the emulator accepts on loopback only.
    settings.SHOPIFY_WEBHOOK_URL = f"{live_server.url}/shopify/webhooks"
    shopify_emulator.webhook_transport = None  # the emulator POSTs over HTTP, as it does beside runserver
    services.sync_shop_products(shop=connected_shop)
    services.register_webhooks(shop=connected_shop)
    shopify_emulator.update_product(WHISK, title="Ceremonial Matcha Whisk Set (Gift Box)")

    deliveries = shopify_emulator.deliver("products/update", shopify_emulator.product_payload(WHISK), shop=DEMO)

    assert [(uri, status) for uri, status, _ in deliveries] == [(settings.SHOPIFY_WEBHOOK_URL, 200)]
    assert Product.objects.get(shopify_id=WHISK).title == "Ceremonial Matcha Whisk Set (Gift Box)"


def test_the_hourly_retry_registers_a_shop_whose_install_time_registration_failed_and_leaves_others_alone(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, member: Any, settings: Any
) -> None:
    from shopify_app import tasks

    settings.SHOPIFY_WEBHOOK_URL = "http://maatchaa.example.com/shopify/webhooks"  # refused by Shopify
    with pytest.raises(ApplicationError):
        services.register_webhooks(shop=connected_shop)
    assert tasks.retry_webhook_registrations() == "0 registered, 1 still failing"
    settings.SHOPIFY_WEBHOOK_URL = HOOKS  # the operator fixed the address

    assert tasks.retry_webhook_registrations() == "1 registered, 0 still failing"

    assert subscribed(shopify_emulator) == {topic: HOOKS for topic in OUR_TOPICS}
    connected_shop.refresh_from_db()
    assert connected_shop.webhooks_error == "" and connected_shop.webhooks_registered_at is not None
    # Registered shops are not asked again.
    shopify_emulator.reset_log()
    assert tasks.retry_webhook_registrations() == "0 registered, 0 still failing"
    assert shopify_emulator.graphql_calls() == []
