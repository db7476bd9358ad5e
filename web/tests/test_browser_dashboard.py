"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright against the live server.

One journey, as a marketer makes it: sign in, connect the emulated Shopify store (auto-approve), see the
products, press Find Creators, watch the run finish, read a product's ranked creators with their
evidence, dismiss one, export the CSV, look at the runs. django-q2 runs tasks inline (Conf.SYNC), the
YouTube and Shopify emulators stand in for the network. A screenshot of each page goes to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from matches.models import CreatorDecision, CreatorMatch
from pipeline.models import DiscoveryRun
from shopify_app.models import Product, Shop
from web.tests.dashboard_data import PASSWORD, fast_hashing, make_member

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures(fast_hashing.__name__)]

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
OWN_CHANNEL = "UCjuniperPineCoOfficial0"  # the demo brand's own channel, in the demo corpus
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
# The OAuth callback syncs the catalog and (tasks inline) runs a whole discovery before it answers.
SLOW_MS = 180_000
# The progress box's text once the polled run is over (the page reloads shortly after).
FINAL_STATUS = """() => {
  const box = document.getElementById("discovery-status");
  const text = box ? box.textContent.trim() : "";
  return /^Discovery (finished|failed|abandoned|could not)/.test(text) ? text : false;
}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM calls are
    # synchronous and safe, so Django's async guard is told so. For this module only: the variable must
    # not reach later tests (check --deploy rightly refuses it) and the loop ends with the module.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with playwright_sync.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/dashboard/products")


@pytest.mark.django_db(transaction=True)
def test_a_marketer_connects_the_store_finds_creators_dismisses_one_and_exports_them(
    page: Any, live_server: Any, settings: Any, shopify_emulator: Any, youtube_emulator: Any, tasks_inline: None
) -> None:
    base = live_server.url
    # OAuth comes back to the live server, not to the test client's http://testserver.
    settings.APP_URL = base
    shopify_emulator.app_url = base
    # Two products per run keep the inline discovery (connect, then Find Creators) to seconds.
    settings.WORKER_PRODUCTS_PER_CYCLE = 2
    user, company = make_member("ana@juniper.test", "Juniper & Pine Co.")

    sign_in(page, base, "ana@juniper.test")
    assert page.get_by_role("heading", name="First steps").is_visible()
    shot(page, "01-products-empty")

    page.get_by_role("link", name="Settings").click()
    shot(page, "02-settings-unconnected")
    page.get_by_label("Connect your store").fill(shopify_emulator.default_shop)
    with page.expect_navigation(url=f"{base}/dashboard/products", timeout=SLOW_MS):
        page.get_by_role("button", name="Connect Shopify").click(no_wait_after=True)
    assert Shop.objects.get(company=company).status == Shop.Status.ACTIVE
    assert page.get_by_text(f"{shopify_emulator.default_shop} is connected").is_visible()
    whisk = page.locator("li.product", has_text="Ceremonial Matcha Whisk Set")
    assert whisk.is_visible()
    assert page.locator("li.product").count() == Product.objects.filter(company=company).count() == 14
    shot(page, "03-products-after-connect")

    # Find Creators on a product the first run did not reach: a run narrowed to it starts, the page polls
    # it until it finishes, then reloads with the new counts.
    runs_before = DiscoveryRun.objects.filter(company=company).count()
    assert runs_before == 1  # the connection started one by itself
    target = (
        Product.objects.filter(company=company, status=Product.Status.ACTIVE, last_discovered_at__isnull=True)
        .order_by("title")
        .first()
    )
    assert target is not None and not CreatorMatch.objects.filter(product=target).exists()
    card = page.locator("li.product", has_text=target.title)
    assert card.locator('[data-count="creators"]').inner_text() == "0"
    with page.expect_navigation(timeout=SLOW_MS):  # the reload once the run is over
        card.get_by_role("button", name=f"Find creators for {target.title}").click()
        final = page.wait_for_function(FINAL_STATUS, timeout=SLOW_MS).json_value()
        shot(page, "04-discovery-finished")
    assert final.startswith("Discovery finished: 1 product searched"), final
    page.wait_for_load_state("load")
    assert DiscoveryRun.objects.filter(company=company).count() == runs_before + 1
    run = DiscoveryRun.objects.filter(company=company).order_by("-pk").first()
    assert run is not None and list(run.products.all()) == [target]

    # The counts on the page are the database's, after the reload.
    ranked = CreatorMatch.objects.filter(product=target).count()
    assert ranked > 0
    card = page.locator("li.product", has_text=target.title)
    assert card.locator('[data-count="creators"]').inner_text() == str(ranked)
    assert "Last discovery: never" not in card.inner_text()
    shot(page, "04b-products-with-counts")

    # The brand's channel was taken for its own by its name: kept out, and shown in settings, where one
    # click undoes it and ranks it like any creator.
    assert not CreatorMatch.objects.filter(product__company=company, channel_id=OWN_CHANNEL).exists()
    page.get_by_role("link", name="Settings").click()
    guess = page.locator(f'li.own-guess[data-channel-id="{OWN_CHANNEL}"]')
    assert "We think this is your channel" in guess.inner_text()
    shot(page, "04c-settings-own-channel-guess")
    guess.get_by_role("button", name="Not our channel: rank it").click()
    assert page.get_by_text("ranked like any creator again").is_visible()
    assert CreatorMatch.objects.filter(product__company=company, channel_id=OWN_CHANNEL).exists()

    # The brand names its own channel in settings: it leaves the rankings.
    page.get_by_label("Channels that belong to Juniper & Pine Co.").fill(OWN_CHANNEL)
    page.get_by_role("button", name="Save channels").click()
    assert page.get_by_text("1 channel of yours kept out of the rankings.").is_visible()
    assert not CreatorMatch.objects.filter(product__company=company, channel_id=OWN_CHANNEL).exists()

    # The best-known product's ranked creators, with their evidence.
    whisk_product = Product.objects.get(company=company, title="Ceremonial Matcha Whisk Set")
    ranked = CreatorMatch.objects.filter(product=whisk_product).count()
    assert ranked > 0
    page.get_by_role("link", name="Products").click()
    page.locator("li.product", has_text=whisk_product.title).get_by_role("link", name="View creators").click()
    page.wait_for_url(f"{base}/dashboard/products/{whisk_product.pk}")
    creators = page.locator("li.creator")
    assert creators.count() == min(ranked, 25)
    assert page.locator(f'li.creator[data-channel-id="{OWN_CHANNEL}"]').count() == 0
    first = creators.first
    assert re.search(r"subscribers, as of \d{1,2} \w{3}|Subscribers hidden by the creator, as of", first.inner_text())
    assert first.locator("a[href^='https://www.youtube.com/watch?v=']").count() >= 1
    assert first.get_by_text("Videos and why it matches").is_visible()
    shot(page, "05-product-creators")
    first.screenshot(path=str(ARTIFACTS / "05a-first-creator.png"))

    dismissed_name = first.locator("h2 a").inner_text()
    dismissed_id = first.get_attribute("data-channel-id")
    first.get_by_role("button", name=f"Dismiss {dismissed_name}").click()
    page.get_by_text(f"Dismissed {dismissed_name}: hidden from this list.").wait_for()
    assert (
        "is dismissed: hidden from this list"
        in page.locator(f'li.creator[data-channel-id="{dismissed_id}"]').inner_text()
    )
    assert CreatorDecision.objects.get(product=whisk_product, channel_id=dismissed_id).status == "dismissed"
    shot(page, "06-after-dismiss")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("maatchaa-creators-")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert len(rows) == ranked - 1
    assert dismissed_id not in {row["channel_id"] for row in rows}
    assert all(row["subscribers_as_of"] for row in rows)

    page.get_by_role("link", name="Runs").click()
    assert page.locator("tr[data-run-id]").count() == runs_before + 1
    shot(page, "07-runs")

    page.get_by_role("link", name="Settings").click()
    assert page.get_by_text("Connected", exact=True).is_visible()
    shot(page, "08-settings-connected")

    # The product page on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in [
        (f"/dashboard/products/{whisk_product.pk}", "09-product-phone"),
        ("/dashboard/products", "10-products-phone"),
        ("/dashboard/runs", "11-runs-phone"),
    ]:
        page.goto(f"{base}{path}")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


@pytest.mark.django_db(transaction=True)
def test_a_new_brand_signs_up_and_is_asked_to_connect_its_store(page: Any, live_server: Any) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/signup/")
    shot(page, "00-signup")
    page.get_by_label("Company name").fill("Kettle & Leaf")
    page.get_by_label("Email").fill("mia@kettle.test")
    page.get_by_label("Password", exact=True).fill("green-tea-ceremony-77")
    page.get_by_label("Password again").fill("green-tea-ceremony-77")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{base}/dashboard/products")
    assert page.get_by_label("Your store's myshopify.com address").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/accounts/login/")
