from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from emulators.shopify import ShopifyEmulator, signed_query
from emulators.testing.shopify_fixtures import TEST_API_SECRET, create_member, follow_authorize
from pipeline.models import DiscoveryRun
from shopify_app.models import Product, Shop

pytestmark = pytest.mark.django_db

DEMO = "juniper-pine.myshopify.com"


def connect(client: Any, shop: str = DEMO) -> Any:
    return client.post("/shopify/connect", {"shop": shop})


def start(client: Any, shop: str = DEMO) -> str:
    """Connect and return the state the app put in the authorize URL."""
    response = connect(client, shop)
    assert response.status_code == 302, response.content
    return parse_qs(urlsplit(response["Location"]).query)["state"][0]


def callback(client: Any, query: str) -> Any:
    return client.get(f"/shopify/callback?{query}")


def test_a_member_connects_the_demo_store_and_lands_on_products_with_the_catalog_synced(
    member_client: Any, member: Any, shopify_emulator: ShopifyEmulator, django_capture_on_commit_callbacks: Any
) -> None:
    response = connect(member_client)
    assert response.status_code == 302
    authorize = urlsplit(response["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == shopify_emulator.url
    assert authorize.path == "/admin/oauth/authorize"
    params = parse_qs(authorize.query)
    assert params["client_id"] == ["test-shopify-api-key"]
    assert params["scope"] == ["read_products"]
    assert params["redirect_uri"] == ["http://testserver/shopify/callback"]

    back = follow_authorize(response["Location"])
    assert back.startswith("http://testserver/shopify/callback?")
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.get(back.removeprefix("http://testserver"))

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/products"
    shop = Shop.objects.get(domain=DEMO)
    assert shop.company == member[1]
    assert shop.status == Shop.Status.ACTIVE
    # Tokens are stored encrypted: the column never holds the token the emulator issued.
    [issued] = shopify_emulator.tokens_for(DEMO)
    assert shop.access_token == issued
    assert issued not in shop.access_token_encrypted
    assert shop.refresh_token.startswith("shprt_")
    assert shop.refresh_token not in shop.refresh_token_encrypted
    assert shop.access_token_expires_at is not None and shop.refresh_token_expires_at is not None
    # The catalog arrived: 12 active products, the draft and the archived one kept with their status.
    products = Product.objects.filter(company=member[1])
    assert products.count() == 14
    assert products.filter(status="ACTIVE").count() == 12
    assert set(products.exclude(status="ACTIVE").values_list("status", flat=True)) == {"DRAFT", "ARCHIVED"}
    whisk = products.get(shopify_id="gid://shopify/Product/1000000000001")
    assert whisk.title == "Ceremonial Matcha Whisk Set"
    assert whisk.image_url == f"{shopify_emulator.url}/cdn/ceremonial-matcha-whisk-set.svg"
    assert str(whisk.price) == "48.00" and whisk.currency == "USD"
    assert shop.products_synced_until is not None
    # Discovery started by itself: the products' post-save signal queued one immediate run on commit.
    assert list(DiscoveryRun.objects.filter(company=member[1]).values_list("trigger", "status")) == [
        ("immediate", "queued")
    ]


def test_the_connect_form_refuses_a_malformed_or_foreign_domain_with_a_message(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    for bad in ("", "not a shop!", "evil.example.com", "juniper-pine.myshopify.com.evil.com", "-x.myshopify.com"):
        response = connect(member_client, bad)
        assert response.status_code == 400, bad
        assert b"myshopify.com" in response.content
    assert not Shop.objects.exists()


def test_connect_accepts_a_bare_store_name_and_a_pasted_url(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    for typed in ("Juniper-Pine", "https://juniper-pine.myshopify.com/admin"):
        response = connect(member_client, typed)
        assert response.status_code == 302
        assert parse_qs(urlsplit(response["Location"]).query)["shop"] == [DEMO]


def test_connect_needs_a_signed_in_member(client: Any, db: None, shopify_emulator: ShopifyEmulator) -> None:
    response = connect(client)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_callback_with_a_bad_state_is_refused_and_stores_nothing(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    start(member_client)
    response = callback(member_client, shopify_emulator.callback_query(state="not-the-state"))
    assert response.status_code == 403
    assert not Shop.objects.exists()
    assert not shopify_emulator.tokens_for(DEMO)


def test_a_callback_without_a_connect_in_this_session_is_refused(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    response = callback(member_client, shopify_emulator.callback_query(state="anything"))
    assert response.status_code == 403
    assert not Shop.objects.exists()


def test_a_callback_with_a_forged_hmac_is_refused_and_stores_nothing(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    state = start(member_client)
    response = callback(member_client, shopify_emulator.callback_query(state=state, secret="someone-elses-secret"))
    assert response.status_code == 403
    assert b"signature" in response.content
    assert not Shop.objects.exists()
    assert not shopify_emulator.tokens_for(DEMO)


def test_a_callback_with_a_tampered_parameter_is_refused(member_client: Any, shopify_emulator: ShopifyEmulator) -> None:
    state = start(member_client)
    query = shopify_emulator.callback_query(state=state).replace("timestamp=", "timestamp=1")
    assert callback(member_client, query).status_code == 403
    assert not Shop.objects.exists()


def test_a_callback_for_a_malformed_shop_domain_is_refused(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    state = start(member_client)
    params = {
        "code": shopify_emulator.issue_code(),
        "shop": "evil.example.com",
        "state": state,
        "timestamp": str(int(time.time())),
    }
    response = callback(member_client, signed_query(params, TEST_API_SECRET))
    assert response.status_code == 400
    assert not Shop.objects.exists()


def test_a_callback_for_another_store_than_requested_is_refused(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    shopify_emulator.add_shop("other-store.myshopify.com")
    state = start(member_client)
    response = callback(member_client, shopify_emulator.callback_query(state=state, shop="other-store.myshopify.com"))
    assert response.status_code == 403
    assert not Shop.objects.exists()
    assert not shopify_emulator.tokens_for("other-store.myshopify.com")


def test_a_stale_callback_timestamp_is_refused(member_client: Any, shopify_emulator: ShopifyEmulator) -> None:
    state = start(member_client)
    response = callback(member_client, shopify_emulator.callback_query(state=state, timestamp=int(time.time()) - 600))
    assert response.status_code == 403
    assert b"timestamp" in response.content
    assert not Shop.objects.exists()


def test_a_replayed_callback_is_refused_because_its_state_was_used(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    back = follow_authorize(connect(member_client)["Location"]).removeprefix("http://testserver")
    assert member_client.get(back).status_code == 302
    shop = Shop.objects.get()
    token_before = shop.access_token_encrypted

    assert member_client.get(back).status_code == 403
    shop.refresh_from_db()
    assert shop.access_token_encrypted == token_before


def test_a_replayed_code_with_a_fresh_state_is_refused_by_shopify_and_changes_nothing(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    back = follow_authorize(connect(member_client)["Location"])
    used_code = parse_qs(urlsplit(back).query)["code"][0]
    member_client.get(back.removeprefix("http://testserver"))
    shop = Shop.objects.get()
    before = (shop.access_token_encrypted, shop.refresh_token_encrypted, shop.installed_at)

    state = start(member_client)
    response = callback(member_client, shopify_emulator.callback_query(state=state, code=used_code))

    assert response.status_code == 403
    shop.refresh_from_db()
    assert (shop.access_token_encrypted, shop.refresh_token_encrypted, shop.installed_at) == before
    assert Shop.objects.count() == 1


def test_a_store_connected_to_another_company_cannot_be_taken_over(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    member_client.get(follow_authorize(connect(member_client)["Location"]).removeprefix("http://testserver"))
    tokens_before = shopify_emulator.tokens_for(DEMO)
    intruder, _ = create_member(username="intruder", company_name="Someone Else")
    member_client.force_login(intruder)

    response = connect(member_client)

    assert response.status_code == 409
    assert shopify_emulator.tokens_for(DEMO) == tokens_before
    assert Shop.objects.get().company.name == "Juniper & Pine Co."


def test_disconnect_drops_the_tokens_and_keeps_the_products(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    member_client.get(follow_authorize(connect(member_client)["Location"]).removeprefix("http://testserver"))

    response = member_client.post("/shopify/disconnect")

    assert response.status_code == 302 and response["Location"] == "/dashboard/settings"
    shop = Shop.objects.get()
    assert shop.status == Shop.Status.UNINSTALLED
    assert shop.access_token_encrypted == "" and shop.refresh_token_encrypted == ""
    assert Product.objects.filter(shop=shop).count() == 14


def test_the_approve_page_asks_before_redirecting_when_auto_approve_is_off(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    from maatchaa.lib.http import make_session

    shopify_emulator.auto_approve = False
    location = connect(member_client)["Location"]
    session = make_session(timeout=5, retries=0)
    page = session.get(location, allow_redirects=False)
    assert page.status_code == 200 and "Install app" in page.text
    fields = dict(parse_qs(urlsplit(location).query))
    form = {k: v[0] for k, v in fields.items() if k != "client_id"}
    approved = session.post(f"{shopify_emulator.url}/admin/oauth/authorize/approve", data=form, allow_redirects=False)
    assert approved.status_code == 302
    response = member_client.get(approved.headers["Location"].removeprefix("http://testserver"))
    assert response.status_code == 302 and response["Location"] == "/dashboard/products"


def test_reconnecting_a_store_with_an_unchanged_catalog_still_starts_discovery(
    member_client: Any, member: Any, shopify_emulator: ShopifyEmulator, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        member_client.get(follow_authorize(connect(member_client)["Location"]).removeprefix("http://testserver"))
    DiscoveryRun.objects.update(status="succeeded")
    member_client.post("/shopify/disconnect")

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.get(
            follow_authorize(connect(member_client)["Location"]).removeprefix("http://testserver")
        )

    assert response["Location"] == "/dashboard/products"
    assert Shop.objects.get().status == Shop.Status.ACTIVE
    assert DiscoveryRun.objects.filter(company=member[1], status="queued", trigger="immediate").count() == 1


def test_a_callback_whose_sync_fails_still_connects_and_queues_a_retry(
    member_client: Any, shopify_emulator: ShopifyEmulator, django_capture_on_commit_callbacks: Any
) -> None:
    from django_q.models import OrmQ

    shopify_emulator.throttle("503", times=50, retry_after=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.get(
            follow_authorize(connect(member_client)["Location"]).removeprefix("http://testserver")
        )

    assert response.status_code == 302 and response["Location"] == "/dashboard/products"
    assert Shop.objects.get().status == Shop.Status.ACTIVE
    assert not Product.objects.exists()
    assert [task.name() for task in OrmQ.objects.all()] == [f"shopify-sync-{Shop.objects.get().pk}"]


def test_a_large_catalog_is_read_by_the_worker_after_install_and_discovery_follows(
    member_client: Any,
    member: Any,
    shopify_emulator: ShopifyEmulator,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django_q.models import OrmQ

    from shopify_app import tasks

    settings.SHOPIFY_INLINE_SYNC_MAX_PRODUCTS = 10  # the demo store has 14
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.get(
            follow_authorize(connect(member_client)["Location"]).removeprefix("http://testserver")
        )

    assert response.status_code == 302 and response["Location"] == "/dashboard/products"
    page = member_client.get("/dashboard/products").content.decode()
    assert "Its 14 products are being read from Shopify in the background" in page
    assert "Your products are being read from juniper-pine.myshopify.com" in page
    assert not Product.objects.exists()
    # Nothing but the count was asked of the catalog while the merchant waited.
    assert [c["operation"] for c in shopify_emulator.graphql_calls()] == ["productsCount"]
    shop = Shop.objects.get()
    [task] = OrmQ.objects.all()
    assert task.name() == f"shopify-sync-{shop.pk}" and task.task["args"] == (shop.pk, True, True)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.sync_shop(*task.task["args"])

    assert Product.objects.filter(company=member[1], status="ACTIVE").count() == 12
    assert DiscoveryRun.objects.filter(company=member[1], trigger="immediate", status="queued").count() == 1
    assert "being read from" not in member_client.get("/dashboard/products").content.decode()
