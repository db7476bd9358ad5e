"""The App URL: a merchant installs Maatchaa from Shopify (or opens it from the store's admin) and lands
here with Shopify's signed query, before or after having a Maatchaa account."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import Company
from emulators.shopify import ShopifyEmulator
from emulators.testing.shopify_fixtures import TEST_APP_URL, create_member, follow_authorize
from maatchaa.lib.http import make_session
from shopify_app.models import Product, Shop
from shopify_app.services import INSTALL_SESSION_KEY, OAUTH_SESSION_KEY

pytestmark = pytest.mark.django_db

DEMO = "juniper-pine.myshopify.com"


def local(url: str) -> str:
    assert url.startswith(TEST_APP_URL), url
    return url.removeprefix(TEST_APP_URL)


def from_the_app_store(emulator: ShopifyEmulator, shop: str = DEMO) -> str:
    """Press Install in the (emulated) App Store; return the App URL Shopify sends the browser to."""
    response = make_session(timeout=5, retries=0).get(
        f"{emulator.url}/admin/apps/install?shop={shop}", allow_redirects=False
    )
    assert response.status_code == 302, response.text
    return local(response.headers["Location"])


def test_a_new_merchant_installs_from_shopify_signs_up_and_lands_on_their_synced_products(
    client: Any, shopify_emulator: ShopifyEmulator, django_capture_on_commit_callbacks: Any
) -> None:
    response = client.get(from_the_app_store(shopify_emulator))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/?next=%2Fshopify%2Finstall%2Fresume"
    page = client.get(response["Location"])
    assert f"to connect {DEMO}" in page.content.decode()
    assert 'name="next" value="/shopify/install/resume"' in page.content.decode()

    response = client.post(
        response["Location"],
        {
            "company_name": "Juniper & Pine Co.",
            "email": "ana@juniper.test",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "next": "/shopify/install/resume",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/shopify/install/resume"
    response = client.get(response["Location"])
    assert response.status_code == 302
    authorize = urlsplit(response["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{shopify_emulator.url}/admin/oauth/authorize"
    assert parse_qs(authorize.query)["redirect_uri"] == [f"{TEST_APP_URL}/shopify/callback"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(local(follow_authorize(response["Location"])))

    assert response.status_code == 302 and response["Location"] == "/dashboard/products"
    shop = Shop.objects.get(domain=DEMO)
    assert shop.company == Company.objects.get(name="Juniper & Pine Co.")
    assert shop.status == Shop.Status.ACTIVE
    assert Product.objects.filter(company=shop.company, status="ACTIVE").count() == 12
    # The install was used once: going back to the resume page asks nothing of Shopify again.
    assert client.get("/shopify/install/resume")["Location"] == "/dashboard/settings"


def test_a_merchant_with_an_account_signs_in_and_the_install_carries_on(
    client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    create_member(username="ana@juniper.test", password="a long enough passphrase")
    response = client.get(from_the_app_store(shopify_emulator))
    signup = response["Location"]
    page = client.get(signup).content.decode()
    assert 'href="/accounts/login/?next=/shopify/install/resume"' in page

    response = client.post(
        "/accounts/login/?next=/shopify/install/resume",
        {
            "username": "ana@juniper.test",
            "password": "a long enough passphrase",
            "next": "/shopify/install/resume",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/shopify/install/resume"
    response = client.get(response["Location"])
    assert response["Location"].startswith(f"{shopify_emulator.url}/admin/oauth/authorize?")
    assert client.session[OAUTH_SESSION_KEY]["shop"] == DEMO


def test_a_signed_in_member_goes_straight_to_shopify_to_approve(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    response = member_client.get(local(shopify_emulator.install_url()))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{shopify_emulator.url}/admin/oauth/authorize?")
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    assert member_client.session[OAUTH_SESSION_KEY]["state"] == state


def test_opening_an_installed_app_from_the_store_admin_goes_to_the_products(
    member_client: Any, member: Any, shopify_emulator: ShopifyEmulator
) -> None:
    Shop.objects.create(domain=DEMO, company=member[1])
    before = len(shopify_emulator.requests)

    response = member_client.get(local(shopify_emulator.install_url()))

    assert response.status_code == 302 and response["Location"] == "/dashboard/products"
    assert OAUTH_SESSION_KEY not in member_client.session
    assert len(shopify_emulator.requests) == before  # nothing was asked of Shopify


@pytest.mark.parametrize(
    ("tamper", "status", "says"),
    [
        (lambda url: url.replace("shop=juniper-pine", "shop=someone-else"), 403, "not signed by Shopify"),
        (lambda url: url.split("&hmac=")[0], 400, "missing hmac"),
        (lambda url: url + "&shop=again.myshopify.com", 400, "appears more than once"),
        (lambda url: "/shopify/install", 400, "missing hmac, shop, timestamp"),
    ],
    ids=["tampered", "unsigned", "doubled", "bare"],
)
def test_an_install_link_that_is_not_shopifys_is_refused_and_remembers_nothing(
    client: Any, shopify_emulator: ShopifyEmulator, tamper: Any, status: int, says: str
) -> None:
    response = client.get(tamper(local(shopify_emulator.install_url())))

    assert response.status_code == status
    assert says in response.content.decode()
    assert INSTALL_SESSION_KEY not in client.session and OAUTH_SESSION_KEY not in client.session


def test_a_stale_or_malformed_install_link_is_refused(client: Any, shopify_emulator: ShopifyEmulator) -> None:
    stale = client.get(local(shopify_emulator.install_url(timestamp=int(time.time()) - 3600)))
    assert stale.status_code == 403 and "has expired" in stale.content.decode()

    foreign = client.get(local(shopify_emulator.install_url("shop.example.com")))
    assert foreign.status_code == 400 and "not a *.myshopify.com domain" in foreign.content.decode()
    assert INSTALL_SESSION_KEY not in client.session


def test_a_store_connected_to_another_company_cannot_be_installed_into_a_second(
    member_client: Any, shopify_emulator: ShopifyEmulator
) -> None:
    _, other = create_member(username="someone-else", company_name="Another Brand")
    Shop.objects.create(domain=DEMO, company=other)

    response = member_client.get(local(shopify_emulator.install_url()))

    assert response.status_code == 409
    assert "connected to another Maatchaa account" in response.content.decode()
    assert Shop.objects.get(domain=DEMO).company == other


def test_resuming_without_a_verified_install_sends_the_member_to_connect_by_hand(member_client: Any) -> None:
    response = member_client.get("/shopify/install/resume")
    assert response.status_code == 302 and response["Location"] == "/dashboard/settings"


def test_sign_up_never_sends_anyone_to_another_site_after_it(client: Any, db: None) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "company_name": "Brand",
            "email": "b@brand.test",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "next": "https://evil.example/phish",
        },
    )
    # The new company's first steps (on the products page), never the other site.
    assert response.status_code == 302 and response["Location"] == "/dashboard/products"
