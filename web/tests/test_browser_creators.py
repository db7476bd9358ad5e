"""Creators as relationships in a real browser (Debian's headless Chromium, Playwright, the live server).

One journey, as a marketer makes it after discovery ran for the matcha whisk against the YouTube emulator
over the demo corpus: from the product's creators to one creator's page, add it to a list, draft the
email, copy it, mark the creator contacted, export the list as CSV, then ask for more creators like it
(no search call may reach the emulator). Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Company
from creators.models import CreatorList, ListEntry
from discovery.models import QuotaDay
from pipeline.discover import discover_products
from pipeline.management.commands.demo import load_demo_catalog
from shopify_app.models import Product, Shop
from web.tests.dashboard_data import fast_hashing, make_member
from web.tests.test_browser_dashboard import ARTIFACTS, chromium, shot, sign_in  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures(fast_hashing.__name__)]

playwright_sync = pytest.importorskip("playwright.sync_api")

WHISK = "gid://shopify/Product/1000000000001"


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Any:  # noqa: F811 - the browser from the dashboard's tests
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    # "Copy to clipboard" writes to the clipboard; the live server on 127.0.0.1 is a secure context.
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def searches(emulator: Any) -> int:
    return sum(1 for call in emulator.calls if call.resource == "search")


@pytest.mark.django_db(transaction=True)
def test_a_marketer_follows_a_creator_to_a_list_drafts_the_email_marks_it_contacted_and_exports_it(
    page: Any, live_server: Any, youtube_emulator: Any
) -> None:
    base = live_server.url
    _, company = make_member("ana@juniper.test", "Juniper & Pine Co.")
    shop = Shop.objects.create(company=company, domain="juniper-pine.myshopify.com")
    load_demo_catalog(company=company, shop=shop)
    whisk = Product.objects.get(company=company, shopify_id=WHISK)
    others = list(Product.objects.filter(company=company, shopify_id__in=[f"{WHISK[:-2]}02", f"{WHISK[:-2]}11"]))
    discover_products(run=None, products=[whisk, *others], company=Company.objects.get(pk=company.pk))

    sign_in(page, base, "ana@juniper.test")
    page.goto(f"{base}/dashboard/products/{whisk.pk}")
    first = page.locator("li.creator").first
    name = first.locator("h2 a").inner_text()
    channel_id = first.get_attribute("data-channel-id")

    # The creator's name leads to its page: dated statistics, the product it fits, the evidence.
    first.locator("h2 a").click()
    page.wait_for_url(f"{base}/dashboard/creators/{channel_id}")
    assert page.get_by_role("heading", name=name, level=1).is_visible()
    assert ", as of " in page.locator(".creator-stats").inner_text()
    assert page.locator(f'.fit-row[data-product-id="{whisk.pk}"]').is_visible()
    shot(page, "20-creator-page")

    # Add to a list (the first one is made on the way), from the creator's page.
    page.get_by_role("button", name=f"Add {name} to a list", exact=True).click()
    page.wait_for_load_state("load")
    assert page.get_by_text(f"{name} added to “Outreach”.").is_visible()
    outreach = CreatorList.objects.get(company=company)
    assert ListEntry.objects.get(creator_list=outreach).channel_id == channel_id
    assert "To contact" in page.locator(".creator-entries").inner_text()

    # Draft the email for the whisk: filled from the template, ready for the mail app or the clipboard.
    page.get_by_role("link", name=f"Draft email to {name} about {whisk.title}").click()
    page.wait_for_url(f"{base}/dashboard/creators/{channel_id}/draft?product={whisk.pk}")
    subject = page.get_by_label("Subject").input_value()
    assert name in subject and whisk.title in subject
    body = page.get_by_label("Body").input_value()
    assert f"Hi {name}," in body and "your videos about" in body
    mail_app = page.get_by_role("link", name="Open in your mail app")
    if mail_app.count():
        assert mail_app.get_attribute("href").startswith("mailto:")
    page.get_by_role("button", name="Copy to clipboard").click()
    page.wait_for_function("() => document.querySelector('[data-copy-status]').textContent.startsWith('Copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"Subject: {subject}") and body.strip() in copied
    shot(page, "21-draft")

    # Sent from the mail app: mark it contacted on the list; the list page shows the new status.
    page.get_by_role("button", name="Mark as contacted").click()
    page.wait_for_url(f"{base}/dashboard/lists/{outreach.pk}")
    row = page.locator(f'tr[data-channel-id="{channel_id}"]')
    assert row.get_attribute("data-status") == "contacted"
    assert page.get_by_label(f"Status of {name}").input_value() == "contacted"
    assert ListEntry.objects.get(creator_list=outreach).status == "contacted"
    shot(page, "22-list")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("maatchaa-list-outreach-")
    [exported] = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert (exported["channel_id"], exported["status"], exported["product"]) == (channel_id, "contacted", whisk.title)
    assert exported["subscribers_as_of"]

    # More like this: ranked from what is stored; not one search call reaches YouTube.
    before = (searches(youtube_emulator), list(QuotaDay.objects.values_list("search_calls", flat=True)))
    page.goto(f"{base}/dashboard/creators/{channel_id}")
    page.get_by_role("link", name="More like this").click()
    page.wait_for_url(f"{base}/dashboard/creators/{channel_id}/lookalikes")
    assert page.get_by_text("No YouTube search was spent").is_visible()
    assert page.locator("ol.lookalikes li.creator").count() > 3
    assert (searches(youtube_emulator), list(QuotaDay.objects.values_list("search_calls", flat=True))) == before
    shot(page, "23-lookalikes")

    # The pages on a phone: nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in [f"/dashboard/creators/{channel_id}", f"/dashboard/lists/{outreach.pk}", "/dashboard/lists"]:
        page.goto(f"{base}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.screenshot(path=str(ARTIFACTS / "24-list-phone.png"))
