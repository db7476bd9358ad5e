"""What a client controls (headers, query strings, bodies) never makes Shopify's endpoints answer 500: a
signature that is not ASCII is a mismatch, a body nested too deep or carrying numbers that are not finite
money is malformed (400), and nothing is recorded from either."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulators.shopify import ShopifyEmulator, sign_webhook_body
from emulators.testing.shopify_fixtures import TEST_API_SECRET
from shopify_app.models import Product, Shop, WebhookDelivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("q_sync")]

DEMO = "juniper-pine.myshopify.com"
WHISK = "gid://shopify/Product/1000000000001"
NON_ASCII_SIGNATURES = pytest.mark.parametrize(
    "signature", ["é" * 44, "\N{SNOWMAN}", "abc\u00ff", "ñ" * 64], ids=["e-acute", "snowman", "y-umlaut", "n-tilde"]
)


def post_webhook(client: Any, body: bytes, *, signature: str | None = None, topic: str = "products/update") -> Any:
    return client.generic(
        "POST",
        "/shopify/webhooks",
        data=body,
        content_type="application/json",
        headers={
            "X-Shopify-Hmac-SHA256": signature if signature is not None else sign_webhook_body(body, TEST_API_SECRET),
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": DEMO,
            "X-Shopify-Webhook-Id": "hostile-1",
        },
    )


@NON_ASCII_SIGNATURES
def test_a_webhook_with_a_non_ascii_signature_is_refused_with_401(
    client: Any, shopify_emulator: ShopifyEmulator, signature: str
) -> None:
    response = post_webhook(client, b'{"id": 1}', signature=signature)

    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


@NON_ASCII_SIGNATURES
def test_an_install_link_with_a_non_ascii_hmac_is_refused_with_403(
    client: Any, shopify_emulator: ShopifyEmulator, signature: str
) -> None:
    response = client.get("/shopify/install", {"hmac": signature, "shop": DEMO, "timestamp": "1700000000"})

    assert response.status_code == 403
    assert b"not signed by Shopify" in response.content


@NON_ASCII_SIGNATURES
def test_a_callback_with_a_non_ascii_hmac_is_refused_with_403_and_stores_nothing(
    member_client: Any, shopify_emulator: ShopifyEmulator, signature: str
) -> None:
    connect = member_client.post("/shopify/connect", {"shop": DEMO})
    state = connect["Location"].split("state=", 1)[1].split("&", 1)[0]
    query = shopify_emulator.callback_query(state=state)
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    params["hmac"] = signature

    response = member_client.get("/shopify/callback", params)

    assert response.status_code == 403
    assert not Shop.objects.exists()


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_a_signed_webhook_nested_too_deep_is_malformed_not_a_server_error(
    client: Any, shopify_emulator: ShopifyEmulator, depth: int
) -> None:
    body = b'{"id": 1, "variants": ' + b"[" * depth + b"]" * depth + b"}"

    response = post_webhook(client, body)

    assert response.status_code == 400
    assert b"nested" in response.content
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "price",
    ["Infinity", "-Infinity", "NaN", "1e30", "1e10", "-1e400", "snan", 1e30],
    ids=repr,
)
def test_a_signed_webhook_with_a_price_that_is_not_money_is_malformed(
    client: Any, shopify_emulator: ShopifyEmulator, price: Any
) -> None:
    payload = shopify_emulator.product_payload(WHISK)
    payload["variants"][0]["price"] = price

    response = post_webhook(client, json.dumps(payload).encode())

    assert response.status_code == 400
    assert b"price" in response.content
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_a_signed_webhook_with_a_non_finite_json_number_is_malformed(
    client: Any, shopify_emulator: ShopifyEmulator, literal: bytes
) -> None:
    payload = json.dumps(shopify_emulator.product_payload(WHISK)).encode()
    body = payload.replace(b'"price": "', b'"price": ' + literal + b', "was": "', 1)

    response = post_webhook(client, body)

    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_a_signed_webhook_whose_text_holds_a_nul_character_is_malformed(
    client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    # PostgreSQL stores no U+0000 in text or jsonb: recording it would fail the request.
    payload = {**shopify_emulator.product_payload(WHISK), "title": "Whisk\u0000Set"}

    response = post_webhook(client, json.dumps(payload).encode())

    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()
    assert not Product.objects.filter(title__startswith="Whisk").exists()
