"""Fixtures that start the Shopify emulator on loopback for tests.

`shopify_emulator` starts emulators/shopify.py over the demo catalog with auto-approve on,
points SHOPIFY_BASE_URL / SHOPIFY_API_KEY / SHOPIFY_API_SECRET / APP_URL at it, and delivers its
webhooks through Django's test client (so `shopify_emulator.send_webhook(topic, payload, forged=...)`
exercises the real URL, middleware included). Controls: `.add_product/.update_product/.delete_product`,
`.throttle(kind, times=, retry_after=, available=)`, `.set_bucket(...)` (the fixture's bucket refills
at once; set a Shopify-like restore_rate to see real throttling), `.expire_access_tokens()`,
`.refuse_refresh = True`, `.requests` / `.graphql_calls()` (the request log), `.callback_query(...)`.
`member` / `member_client` give a signed-in user belonging to a company.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from emulators.shopify import ShopifyEmulator, load_catalog

DEMO_CATALOG = Path(__file__).resolve().parents[2] / "shopify_app" / "fixtures" / "demo" / "catalog.json"
TEST_API_KEY = "test-shopify-api-key"
TEST_API_SECRET = "test-shopify-api-secret"
TEST_APP_URL = "http://testserver"


@pytest.fixture
def shopify_emulator(settings: Any, client: Any) -> Iterator[ShopifyEmulator]:
    domain, products = load_catalog(DEMO_CATALOG)
    emulator = ShopifyEmulator(
        products,
        shop_domain=domain,
        api_key=TEST_API_KEY,
        api_secret=TEST_API_SECRET,
        app_url=TEST_APP_URL,
        auto_approve=True,
    )
    emulator.start()
    # Shopify's bucket refills at 100 points a second; tests should not wait for it unless they ask to
    # (set_bucket / throttle), so refill it at once here.
    emulator.set_bucket(maximum=2000, restore_rate=1_000_000)
    settings.SHOPIFY_BASE_URL = emulator.url
    settings.SHOPIFY_API_KEY = TEST_API_KEY
    settings.SHOPIFY_API_SECRET = TEST_API_SECRET
    settings.SHOPIFY_API_SECRET_PREVIOUS = []
    settings.APP_URL = TEST_APP_URL

    def deliver(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        path = urlsplit(url).path
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        response = client.generic(
            "POST", path, data=body, content_type=headers.get("Content-Type", "application/json"), headers=extra
        )
        return response.status_code, response.content.decode(errors="replace")

    emulator.webhook_transport = deliver
    try:
        yield emulator
    finally:
        emulator.stop()


def connect_emulated_shop(emulator: ShopifyEmulator, *, company: Any, domain: str | None = None) -> Any:
    """The emulator's store connected to `company` with a live token pair, as after an install, nothing
    synced yet (for tests and benchmarks that start past the OAuth flow)."""
    from datetime import timedelta

    from django.utils import timezone

    from shopify_app.models import Shop

    domain = domain or emulator.default_shop
    grant = emulator.grant_tokens(domain)
    now = timezone.now()
    shop = Shop(
        domain=domain,
        company=company,
        status=Shop.Status.ACTIVE,
        installed_at=now,
        scopes=grant["scope"],
        access_token_expires_at=now + timedelta(seconds=grant["expires_in"]),
        refresh_token_expires_at=now + timedelta(seconds=grant["refresh_token_expires_in"]),
    )
    shop.access_token = grant["access_token"]
    shop.refresh_token = grant["refresh_token"]
    shop.save()
    return shop


def create_member(
    *, username: str = "member", company_name: str = "Juniper & Pine Co.", password: str | None = None
) -> tuple[Any, Any]:
    """A user with a company membership (owner), as the dashboard's sign-up creates them. Without a
    password the user can only be signed in with force_login (and no second of PBKDF2 is spent)."""
    from django.contrib.auth import get_user_model

    from accounts.models import Company, Membership

    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com", password=password)
    company = Company.objects.create(name=company_name)
    Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
    return user, company


@pytest.fixture
def member(db: None) -> tuple[Any, Any]:
    return create_member()


@pytest.fixture
def member_client(client: Any, member: tuple[Any, Any]) -> Any:
    client.force_login(member[0])
    return client


def follow_authorize(location: str) -> str:
    """Visit the emulator's authorize URL as the browser would; return where it redirects (the callback)."""
    from maatchaa.lib.http import make_session

    response = make_session(timeout=5, retries=0).get(location, allow_redirects=False)
    if response.status_code != 302:
        raise AssertionError(f"authorize answered {response.status_code}: {response.text[:300]}")
    return response.headers["Location"]
