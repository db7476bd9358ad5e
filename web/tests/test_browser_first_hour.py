"""The README's path for a new brand, in a real browser, on a world made by `make demo` (issue #16).

As `make serve` runs it: a Shopify emulator that makes a store for any name and keeps its tokens in the
state file the demo wrote to, and the YouTube emulator, both at the addresses the demo wrote into its
images. A new brand arrives at the start page, signs up, connects a store name of its own, approves the
install, waits for discovery, and shortlists and dismisses creators in place; every image on its pages
loads. Walked at 1280 and at 390 px wide (a second brand), then the demo member syncs its store.
django-q2 runs tasks inline (Conf.SYNC). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from emulators.shopify import ShopifyEmulator, load_catalog
from emulators.testing.shopify_fixtures import DEMO_CATALOG
from emulators.testing.youtube_fixtures import TEST_API_KEY
from emulators.youtube.server import EmulatorServer
from matches.models import CreatorDecision, CreatorMatch
from pipeline import schedules
from pipeline.management.commands.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SHOP_DOMAIN
from pipeline.models import DiscoveryRun
from shopify_app.models import Product, Shop
from web.tests.dashboard_data import fast_hashing
from web.tests.test_browser_dashboard import chromium  # noqa: F401 - the fixture: one browser per module

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures(fast_hashing.__name__)]

ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
SLOW_MS = 180_000
PASSWORD = "green-tea-ceremony-77"
# Every <img> of the page loaded (lazy ones are asked for at once first): the sources that did not.
BROKEN_IMAGES = """async () => {
  const images = Array.from(document.images);
  images.forEach((img) => { img.loading = "eager"; });
  await Promise.all(images.map((img) => img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done, { once: true });
    img.addEventListener("error", done, { once: true });
  })));
  return images.filter((img) => !(img.complete && img.naturalWidth > 0)).map((img) => img.src);
}"""


@pytest.fixture
def serve_world(settings: Any, live_server: Any, tasks_inline: None) -> Iterator[dict[str, Any]]:
    """`make demo`, then `make serve`'s emulators: the app pointed at them as bin/serve points it."""
    settings.APP_URL = live_server.url
    settings.SHOPIFY_API_KEY, settings.SHOPIFY_API_SECRET = "demo-client-id", "demo-client-secret"
    # Two products a run keep the inline discovery after each connection to seconds; the rest wait.
    settings.WORKER_PRODUCTS_PER_CYCLE = 2
    domain, products = load_catalog(DEMO_CATALOG)
    shopify = ShopifyEmulator(
        products,
        shop_domain=domain,
        api_key="demo-client-id",
        api_secret="demo-client-secret",
        app_url=live_server.url,
        any_shop=True,
        state_file=settings.SHOPIFY_EMULATOR_STATE,
    ).start()
    from emulators.testing.youtube_fixtures import corpus_for

    youtube = EmulatorServer(
        corpus_for(Path(django_settings.BASE_DIR) / "discovery" / "fixtures" / "demo" / "videos.csv")
    ).start()
    settings.SHOPIFY_EMULATOR_PORT = int(shopify.url.rsplit(":", 1)[1])
    settings.YOUTUBE_EMULATOR_PORT = youtube.port
    try:
        call_command("demo", stdout=io.StringIO())  # the demo's own emulators, writing make serve's addresses
        settings.SHOPIFY_BASE_URL = shopify.url
        settings.YOUTUBE_API_URL, settings.YOUTUBE_API_KEY = youtube.url, TEST_API_KEY
        schedules.upsert_schedules()  # as the worker does when it starts
        yield {"base": live_server.url, "shopify": shopify, "youtube": youtube}
    finally:
        shopify.stop()
        youtube.stop()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_images_load(page: Any, where: str) -> None:
    assert page.locator("img").count() > 0, where
    broken = page.evaluate(BROKEN_IMAGES)
    assert broken == [], (where, broken)


def assert_fits(page: Any, width: int, where: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, where


def walk_the_readme_path(page: Any, world: dict[str, Any], *, brand: str, email: str, store: str, width: int) -> None:
    base = world["base"]
    tag = f"fh-{width}"

    # The start page says what Maatchaa does and offers sign-up and sign-in.
    page.goto(f"{base}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Find the YouTube creators")
    assert page.get_by_role("link", name="Sign in").first.is_visible()
    assert_fits(page, width, "landing")
    shot(page, f"{tag}-01-landing")
    page.get_by_role("link", name="Create an account").first.click()

    page.get_by_label("Company name").fill(brand)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # First steps, with the store's address asked for right there.
    page.wait_for_url(f"{base}/dashboard/products")
    assert page.get_by_role("heading", name="First steps").is_visible()
    assert page.locator("[data-discover=all]").is_disabled()
    assert_fits(page, width, "first steps")
    shot(page, f"{tag}-02-first-steps")
    page.get_by_label("Your store's myshopify.com address").fill(store)
    page.get_by_role("button", name="Connect Shopify").click()

    # The emulated Shopify asks to approve the install for a store made for this name.
    page.get_by_role("button", name="Install app").wait_for()
    assert store in page.content()
    with page.expect_navigation(url=f"{base}/dashboard/products", timeout=SLOW_MS):
        page.get_by_role("button", name="Install app").click(no_wait_after=True)
    company = Shop.objects.get(domain=store).company
    assert company.name == brand
    assert page.get_by_text(f"{store} is connected: 14 products synced. Finding creators has started.").is_visible()

    # Discovery ran for the first products; every other active one says when its turn comes.
    run = DiscoveryRun.objects.get(company=company)
    assert run.status == DiscoveryRun.Status.SUCCEEDED and run.products_done == 2
    searched = set(run.products.values_list("title", flat=True))
    for title in searched:
        card = page.locator("li.product", has_text=title)
        assert int(card.locator('[data-count="creators"]').inner_text()) > 0, title
    waiting = page.locator('[data-turn="next"], [data-turn="later"]')
    assert waiting.count() == Product.objects.filter(company=company, status="ACTIVE").count() - 2 == 10
    assert "Waiting: queued for the next run, at " in waiting.first.inner_text()
    assert page.get_by_text("10 products wait for their first search").is_visible()
    assert_images_load(page, "products")
    assert_fits(page, width, "products")
    shot(page, f"{tag}-03-products-after-connect")

    # A searched product's creators: compact cards, decisions in place, the page stays where it was.
    product = Product.objects.filter(company=company, title__in=searched).order_by("title").first()
    assert product is not None
    page.locator("li.product", has_text=product.title).get_by_role("link", name="View creators").click()
    page.wait_for_url(f"{base}/dashboard/products/{product.pk}")
    cards = page.locator("li.creator")
    ranked = CreatorMatch.objects.filter(product=product).count()
    assert cards.count() == min(ranked, 25) >= 3
    first = cards.first
    assert first.locator(".band").inner_text() in ("Strong fit", "Good fit", "Weak fit")
    assert "subscribers, as of" in first.inner_text() and "Last upload:" in first.inner_text()
    assert "matching video" in first.locator(".why-line").inner_text()
    assert not first.locator("details.more").evaluate("d => d.open")  # the videos are one click away
    if width >= 1000:
        assert first.bounding_box()["height"] < 200
    assert_images_load(page, "product")
    assert_fits(page, width, "product")
    shot(page, f"{tag}-04-product")

    third = cards.nth(2)
    third.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 120)")  # somewhere down the list, not at the top
    name = third.get_attribute("data-name")
    channel_id = third.get_attribute("data-channel-id")
    scroll = page.evaluate("window.scrollY")
    assert scroll > 0
    third.get_by_role("button", name=f"Shortlist {name}").click()
    page.get_by_text(f"Shortlisted {name}.").wait_for()
    card = page.locator(f'li.creator[data-channel-id="{channel_id}"]')
    assert card.get_by_role("button", name=f"Remove {name} from the shortlist").is_visible()
    assert card.locator(".badge", has_text="Shortlisted").is_visible()
    assert page.evaluate("window.scrollY") == scroll  # no reload, no jump to the top
    assert CreatorDecision.objects.get(product=product, channel_id=channel_id).status == "shortlisted"

    second = cards.nth(1)
    other = second.get_attribute("data-name")
    other_id = second.get_attribute("data-channel-id")
    second.get_by_role("button", name=f"Dismiss {other}").click()
    page.get_by_text(f"Dismissed {other}: hidden from this list.").wait_for()
    collapsed = page.locator(f'li.creator[data-channel-id="{other_id}"]')
    assert "is dismissed: hidden from this list" in collapsed.inner_text()
    assert CreatorDecision.objects.get(product=product, channel_id=other_id).status == "dismissed"
    shot(page, f"{tag}-05-after-decisions")
    collapsed.get_by_role("button", name=f"Restore {other}").click()
    page.get_by_text(f"{other} is back in the list.").wait_for()
    assert not CreatorDecision.objects.filter(product=product, channel_id=other_id).exists()
    card.get_by_role("button", name=f"Remove {name} from the shortlist").click()
    page.get_by_text(f"Removed {name} from the shortlist.").wait_for()
    assert not CreatorDecision.objects.filter(product=product, channel_id=channel_id).exists()

    # The runs page lists what each run covered, in words.
    page.goto(f"{base}/dashboard/runs")
    row = page.locator(f'tr[data-run-id="{run.pk}"]')
    for title in searched:
        assert row.get_by_role("link", name=title).is_visible()
    assert "Your store's products arrived" in row.inner_text()
    assert_fits(page, width, "runs")
    shot(page, f"{tag}-06-runs")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_a_new_brand_follows_the_readme_from_sign_up_to_ranked_creators(chromium: Any, serve_world: Any) -> None:  # noqa: F811
    for width, height, brand, email, store in [
        (1280, 900, "Kettle & Leaf", "mia@kettle.test", "kettle-and-leaf.myshopify.com"),
        (390, 844, "Trail Mix Outfitters", "sam@trail.test", "trail-mix.myshopify.com"),
    ]:
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(30_000)
        page = context.new_page()
        try:
            walk_the_readme_path(page, serve_world, brand=brand, email=email, store=store, width=width)
        finally:
            context.close()

    # The demo member, on the world `make demo` made: its images load and "Sync from Shopify" works.
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        base = serve_world["base"]
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Email").fill(DEMO_EMAIL)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/dashboard/products")
        assert_images_load(page, "demo products")
        page.get_by_role("button", name="Sync from Shopify").click()
        page.wait_for_load_state("load")
        assert page.get_by_text(f"Products synced from {DEMO_SHOP_DOMAIN}").is_visible(), page.content()
        whisk = Product.objects.get(shop__domain=DEMO_SHOP_DOMAIN, title="Ceremonial Matcha Whisk Set")
        page.goto(f"{base}/dashboard/products/{whisk.pk}")
        assert_images_load(page, "demo product")
        shot(page, "fh-07-demo-member-product")
    finally:
        context.close()
