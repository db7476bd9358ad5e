"""shopify.py's pure checks and the client against the emulator (no Django database needed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import pytest

from emulators.shopify import ShopifyEmulator, make_products, sign_oauth_query
from shopify_app import shopify
from shopify_app.shopify import ShopifyClient, ShopifyError

# API_FACTS §3: Shopify's published vector (secret "hush").
HUSH_QUERY = (
    "code=0907a61c0c8d55e99db179b68161bc00&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
    "&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173"
)


def test_shopifys_published_oauth_vector_verifies() -> None:
    assert shopify.verify_oauth_hmac(HUSH_QUERY, secret="hush")


def test_the_vector_fails_with_another_secret_or_a_changed_parameter() -> None:
    assert not shopify.verify_oauth_hmac(HUSH_QUERY, secret="hush2")
    assert not shopify.verify_oauth_hmac(HUSH_QUERY.replace("some-shop", "evil-shop"), secret="hush")
    assert not shopify.verify_oauth_hmac(HUSH_QUERY + "&hmac=00", secret="hush")  # two hmacs
    assert not shopify.verify_oauth_hmac(HUSH_QUERY.split("&hmac=")[0], secret="hush")  # none
    assert not shopify.verify_oauth_hmac(HUSH_QUERY, secret="")


def test_the_emulator_signs_as_shopify_does() -> None:
    params = {
        "code": "0907a61c0c8d55e99db179b68161bc00",
        "shop": "some-shop.myshopify.com",
        "state": "0.6784241404160823",
        "timestamp": "1337178173",
    }
    assert sign_oauth_query(params, "hush") == "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"


@pytest.mark.parametrize("domain", ["juniper-pine.myshopify.com", "a.myshopify.com", "Shop-42.myshopify.com"])
def test_shop_domains_of_shopifys_form_are_valid(domain: str) -> None:
    assert shopify.is_valid_shop_domain(domain)


@pytest.mark.parametrize(
    "domain",
    [
        "",
        "myshopify.com",
        "-x.myshopify.com",
        "x.myshopify.com.evil.com",
        "evil.com/x.myshopify.com",
        "x_y.myshopify.com",
        "x.myshopify.com\n",
        "sub.x.myshopify.com",
        "x.shopify.com",
    ],
)
def test_other_domains_are_not(domain: str) -> None:
    assert not shopify.is_valid_shop_domain(domain)


def test_what_a_member_types_is_normalised_to_a_shop_domain() -> None:
    assert shopify.normalize_shop_domain(" Juniper-Pine ") == "juniper-pine.myshopify.com"
    assert shopify.normalize_shop_domain("https://juniper-pine.myshopify.com/admin") == "juniper-pine.myshopify.com"
    assert shopify.normalize_shop_domain("www.juniper.com") == ""
    assert shopify.normalize_shop_domain("javascript:alert(1)") == ""


def test_timestamps_more_than_90_seconds_off_are_stale() -> None:
    now = 1_800_000_000
    assert shopify.timestamp_is_fresh(now - 90, now=now)
    assert shopify.timestamp_is_fresh(now + 90, now=now)
    assert not shopify.timestamp_is_fresh(now - 91, now=now)
    assert not shopify.timestamp_is_fresh(now + 91, now=now)


def test_webhook_hmacs_verify_with_the_current_or_a_previous_secret() -> None:
    body = b'{"id": 1}'
    header = base64.b64encode(hmac.new(b"old", body, hashlib.sha256).digest()).decode()
    assert shopify.verify_webhook_hmac(body, header, secrets=["new", "old"])
    assert not shopify.verify_webhook_hmac(body, header, secrets=["new"])
    assert not shopify.verify_webhook_hmac(body + b" ", header, secrets=["new", "old"])
    assert not shopify.verify_webhook_hmac(body, None, secrets=["old"])


def test_a_rest_webhook_payload_parses_to_the_same_product_shape() -> None:
    emulator = ShopifyEmulator(make_products(1))
    payload = emulator.product_payload("gid://shopify/Product/5000000000001")
    product = shopify.parse_webhook_product(payload)
    assert product.shopify_id == "gid://shopify/Product/5000000000001"
    assert product.description == "Generated product number 1."
    assert str(product.price) == "10.00" and product.tags == ("test",) and product.status == "ACTIVE"
    with pytest.raises(ValueError):
        shopify.parse_webhook_product({**payload, "admin_graphql_api_id": "gid://shopify/Product/2"})
    with pytest.raises(ValueError):
        shopify.parse_webhook_product({**payload, "updated_at": "yesterday"})


@pytest.fixture
def emulator(settings: Any) -> Any:
    emulator = ShopifyEmulator(make_products(30), api_key="k", api_secret="s").start()
    settings.SHOPIFY_BASE_URL = emulator.url
    settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET = "k", "s"
    yield emulator
    emulator.stop()


def client_for(emulator: ShopifyEmulator, waits: list[float] | None = None) -> ShopifyClient:
    token = emulator.grant_tokens()["access_token"]
    return ShopifyClient(
        shop=emulator.default_shop, access_token=token, sleep=(waits.append if waits is not None else time.sleep)
    )


def test_the_client_pages_with_cursors_and_sends_the_shop_in_a_header(emulator: ShopifyEmulator) -> None:
    pages = list(client_for(emulator).iter_product_pages(page_size=12))
    assert [len(p.products) for p in pages] == [12, 12, 6]
    assert [p.has_next_page for p in pages] == [True, True, False]
    ids = [p.shopify_id for page in pages for p in page.products]
    assert len(set(ids)) == 30
    assert all(c["shop"] == "juniper-pine.myshopify.com" for c in emulator.graphql_calls())
    assert pages[0].cost is not None and pages[0].cost.requested == 2 + 12 * 7


def test_production_urls_are_the_shops_own_host(settings: Any) -> None:
    settings.SHOPIFY_BASE_URL = ""
    client = ShopifyClient(shop="juniper-pine.myshopify.com", api_key="k")
    url = client.authorize_url(state="abc", redirect_uri="https://app.example.com/shopify/callback")
    assert url.startswith("https://juniper-pine.myshopify.com/admin/oauth/authorize?client_id=k&scope=read_products&")
    assert "shop=" not in url
    assert "X-Shopify-Shop-Domain" not in client._headers()


def test_a_page_size_over_250_is_refused_before_sending(emulator: ShopifyEmulator) -> None:
    with pytest.raises(ValueError):
        client_for(emulator).products_page(first=251)
    assert not emulator.graphql_calls()


def test_a_wrong_token_is_a_permanent_401(emulator: ShopifyEmulator) -> None:
    client = ShopifyClient(shop=emulator.default_shop, access_token="shpat_wrong")
    with pytest.raises(ShopifyError) as caught:
        client.products_page()
    assert caught.value.status == 401 and caught.value.permanent


def test_503_is_waited_out_and_retried(emulator: ShopifyEmulator) -> None:
    emulator.throttle("503", times=2, retry_after=3)
    waits: list[float] = []
    page = client_for(emulator, waits).products_page()
    assert waits == [3.0, 3.0] and len(page.products) == 30


def test_an_unreachable_shop_is_a_transient_error(settings: Any) -> None:
    settings.SHOPIFY_BASE_URL = "http://127.0.0.1:9"  # the discard port: nothing listens
    settings.SHOPIFY_TIMEOUT_SECONDS = 1
    with pytest.raises(ShopifyError) as caught:
        ShopifyClient(shop="juniper-pine.myshopify.com", access_token="t").products_page()
    assert not caught.value.permanent


def test_a_code_is_exchanged_once_for_an_expiring_token(emulator: ShopifyEmulator) -> None:
    code = emulator.issue_code()
    client = ShopifyClient(shop=emulator.default_shop)
    grant = client.exchange_code(code)
    assert grant.scopes == ("read_products",)
    assert grant.refresh_token and grant.access_token_expires_at and grant.refresh_token_expires_at
    with pytest.raises(ShopifyError) as caught:
        client.exchange_code(code)
    assert caught.value.permanent and caught.value.code == "invalid_request"


def test_a_refresh_rotates_both_tokens_and_the_old_refresh_token_retires_once_the_new_pair_is_used(
    emulator: ShopifyEmulator,
) -> None:
    client = ShopifyClient(shop=emulator.default_shop)
    first = client.exchange_code(emulator.issue_code())
    second = client.refresh(first.refresh_token)
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    # Until the new pair is used, the old refresh token still works (API_FACTS §2.3, 2026-08-28).
    third = client.refresh(first.refresh_token)
    ShopifyClient(shop=emulator.default_shop, access_token=third.access_token).products_page(first=1)
    with pytest.raises(ShopifyError):
        client.refresh(first.refresh_token)
    with pytest.raises(ShopifyError):
        ShopifyClient(shop=emulator.default_shop, access_token=first.access_token).products_page(first=1)


def test_a_drained_bucket_throttles_and_the_client_waits_as_the_cost_figures_say(emulator: ShopifyEmulator) -> None:
    emulator.set_bucket(maximum=80, restore_rate=31, available=80)
    waits: list[float] = []
    client = client_for(emulator, waits)
    client.products_page(first=5)  # costs 2 + 5 x 7 = 37 of 80
    client.products_page(first=5)  # 6 left
    with pytest.raises(ShopifyError) as caught:
        client.products_page(first=5)  # needs 37: throttled, and the injected sleep does not refill anything
    assert caught.value.code == "THROTTLED" and not caught.value.permanent
    # (requested 37 - available ~6) / 31 per second = ~1 s a wait
    assert len(waits) == 6 and all(0.8 <= w <= 1.01 for w in waits)


def test_a_query_over_the_cost_limit_names_its_cost_and_the_page_shrinks_to_fit(emulator: ShopifyEmulator) -> None:
    with pytest.raises(ShopifyError) as caught:
        client_for(emulator).products_page(first=250)
    assert caught.value.code == "MAX_COST_EXCEEDED" and caught.value.permanent
    assert shopify.page_size_within_cost(250, caught.value) == 142 == shopify.DEFAULT_PAGE_SIZE
    assert shopify.page_size_within_cost(10, ShopifyError("x", permanent=True)) == 5
