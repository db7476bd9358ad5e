"""The dashboard's first hour for a marketer (issue #16): the start page, turns of waiting products, decisions in
place, a disconnected store, the brand's channels as links or @handles, and the small things (404, favicon,
CSV, archived products, the admin's plural)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from discovery.models import Channel
from emulators.testing.shopify_fixtures import follow_authorize
from matches.models import CreatorDecision, CreatorMatch
from pipeline import schedules
from shopify_app.models import Product, Shop
from web.tests.dashboard_data import World, make_member, make_product

pytestmark = pytest.mark.django_db

XHR = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture
def browser(world: World) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


# --- the start page, 404, favicon -----------------------------------------------------------------------
def test_the_start_page_says_what_maatchaa_does_and_offers_sign_up_and_sign_in() -> None:
    page = Client().get("/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Find the YouTube creators who already talk about what you sell" in text
    assert 'href="/accounts/signup/"' in text and 'href="/accounts/login/"' in text


def test_a_signed_in_member_goes_from_the_start_page_to_the_products(browser: Client) -> None:
    response = browser.get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/products"


def test_an_unknown_page_is_the_sites_own_404(browser: Client) -> None:
    response = browser.get("/dashboard/products/987654321")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page and "dashboard.css" in page and "Back to your products" in page


def test_every_page_names_its_favicon_and_favicon_ico_leads_to_it(browser: Client) -> None:
    assert 'rel="icon" href="/static/dashboard/favicon.svg"' in browser.get("/dashboard/products").content.decode()
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/dashboard/favicon.svg"
    icon = Client().get("/static/dashboard/favicon.svg")
    assert icon.status_code == 200 and b"<svg" in b"".join(icon.streaming_content)  # type: ignore[attr-defined]


def test_banners_wrap_between_words() -> None:
    css = (Path(settings.BASE_DIR) / "maatchaa" / "static" / "dashboard" / "dashboard.css").read_text()
    rule = next(line for line in css.splitlines() if line.startswith(".messages li"))
    assert "break-all" not in rule and "overflow-wrap: anywhere" in rule


# --- waiting products say when their turn comes -----------------------------------------------------------
def test_a_product_never_searched_says_when_its_turn_comes(browser: Client, world: World) -> None:
    schedules.upsert_schedules()
    at = timezone.now() + dt.timedelta(minutes=3)
    Schedule.objects.filter(name=schedules.CYCLE_SCHEDULE_NAME).update(next_run=at)
    page = browser.get("/dashboard/products").content.decode()
    assert f'data-turn="next">Waiting: queued for the next run, at {at:%H:%M} UTC' in page
    assert "Not searched: draft in Shopify" in page
    assert "1 product waits for its first search" in page
    runs = browser.get("/dashboard/runs").content.decode()
    assert "1 product still waits for its first search: the next run" in runs
    kettle = browser.get(f"/dashboard/products/{world.kettle.pk}").content.decode()
    assert f"Waiting: queued for the next run, at {at:%H:%M} UTC" in kettle


def test_products_beyond_one_run_wait_for_a_later_run(browser: Client, world: World, settings: Any) -> None:
    settings.WORKER_PRODUCTS_PER_CYCLE = 1
    settings.WORKER_CYCLE_INTERVAL_MINUTES = 5
    make_product(world.company, "Natural Cork Yoga Mat", 7)
    schedules.upsert_schedules()
    at = timezone.now() + dt.timedelta(minutes=2)
    Schedule.objects.filter(name=schedules.CYCLE_SCHEDULE_NAME).update(next_run=at)
    page = browser.get("/dashboard/products").content.decode()
    assert f"Waiting: queued for the next run, at {at:%H:%M} UTC" in page
    assert f"Waiting: queued for a later run, about {at + dt.timedelta(minutes=5):%H:%M} UTC" in page


# --- decisions in place ------------------------------------------------------------------------------------
def test_shortlisting_in_place_answers_the_redrawn_card_and_names_the_creator(browser: Client, world: World) -> None:
    tea = world.channels["tea"].pk
    url = f"/dashboard/products/{world.whisk.pk}/creators/{tea}/decision"
    body = browser.post(url, {"action": "shortlisted"}, headers=XHR).json()
    assert body["message"] == "Shortlisted Tea Master."
    assert 'class="creator is-shortlisted"' in body["html"] and ">Remove from shortlist</button>" in body["html"]
    body = browser.post(url, {"action": "restore"}, headers=XHR).json()
    assert body["message"] == "Removed Tea Master from the shortlist."
    assert ">Shortlist</button>" in body["html"]
    assert not CreatorDecision.objects.exists()


def test_dismissing_in_place_leaves_a_line_that_restores(browser: Client, world: World) -> None:
    brew = world.channels["brew"].pk
    url = f"/dashboard/products/{world.whisk.pk}/creators/{brew}/decision"
    body = browser.post(url, {"action": "dismissed", "next": f"/dashboard/products/{world.whisk.pk}"}, headers=XHR)
    data = body.json()
    assert data["message"] == "Dismissed Brew Buddy: hidden from this list."
    assert "is dismissed: hidden from this list." in data["html"] and 'value="restore"' in data["html"]
    # With dismissed creators shown, the whole card comes back, marked.
    shown = f"/dashboard/products/{world.whisk.pk}?include_dismissed=true"
    data = browser.post(url, {"action": "dismissed", "next": shown}, headers=XHR).json()
    assert "Dismissed</span>" in data["html"] and "Videos and why it matches" in data["html"]
    data = browser.post(url, {"action": "restore"}, headers=XHR).json()
    assert data["message"] == "Brew Buddy is back in the list."


def test_the_product_page_says_it_in_a_marketers_words(browser: Client, world: World) -> None:
    for key, band in (("brew", "good"), ("cafe", "weak")):
        CreatorMatch.objects.filter(product=world.whisk, channel=world.channels[key]).update(fit_band=band)
    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    assert "Strong fit" in page and "Good fit" in page and "Weak fit" in page
    assert "2 matching videos about matcha, whisk and chasen. Best: “How to whisk matcha”" in page
    for engineer in ("Product attributes", "intent:", "Query:", "<code>", "Units"):
        assert engineer not in page, engineer


# --- CSV, archived products ----------------------------------------------------------------------------------
def test_no_csv_export_is_offered_without_creators(browser: Client, world: World) -> None:
    lonely = make_product(world.company, "Canvas Camp Stool", 8)
    page = browser.get(f"/dashboard/products/{lonely.pk}").content.decode()
    assert "Export CSV" not in page and "No creators yet." in page
    assert "Export CSV" in browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()


def test_an_archived_products_empty_state_says_why_without_a_button_it_lacks(browser: Client, world: World) -> None:
    archived = make_product(world.company, "Canvas Camp Stool", 8, status=Product.Status.ARCHIVED)
    page = browser.get(f"/dashboard/products/{archived.pk}").content.decode()
    assert "this product is archived in Shopify" in page
    assert 'data-discover="product"' not in page and "press “Find Creators”" not in page


# --- a disconnected store ---------------------------------------------------------------------------------------
def test_disconnecting_asks_first_and_then_nothing_pretends_to_search(browser: Client, world: World) -> None:
    Shop.objects.filter(company=world.company).update(status=Shop.Status.ACTIVE)
    Product.objects.filter(company=world.company).update(shop=Shop.objects.get(company=world.company))
    settings_page = browser.get("/dashboard/settings").content.decode()
    assert (
        '<details class="confirm">' in settings_page and "Yes, disconnect juniper-pine.myshopify.com" in settings_page
    )
    browser.post("/shopify/disconnect", {"shop": "juniper-pine.myshopify.com"})
    page = browser.get("/dashboard/products").content.decode()
    assert "juniper-pine.myshopify.com is disconnected" in page and ">Reconnect</button>" in page
    assert page.count("disabled data-unavailable") == 3  # all products, and each active product
    answer = browser.post(
        "/products/trigger-discovery", {"company_id": str(world.company.pk)}, content_type="application/json"
    )
    assert answer.status_code == 409 and answer.json()["message"].startswith("Nothing to search")
    whisk = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    assert 'data-discover="product"' not in whisk


def test_reconnecting_counts_every_product_of_the_store(member_client: Any, shopify_emulator: Any, member: Any) -> None:
    def connect() -> str:
        start = member_client.post("/shopify/connect", {"shop": "juniper-pine.myshopify.com"})
        callback = follow_authorize(start["Location"])
        page = member_client.get(callback.replace(settings.APP_URL, ""), follow=True)
        return page.content.decode()

    assert "juniper-pine.myshopify.com is connected: 14 products synced." in connect()
    member_client.post("/shopify/disconnect")
    shopify_emulator.update_product("lavender-soy-candle", title="Lavender & Cedar Soy Candle")
    again = connect()
    assert (
        "juniper-pine.myshopify.com is connected: 14 products synced (1 new or changed since the last sync)." in again
    )


# --- the brand's own channels -----------------------------------------------------------------------------------
def test_a_handle_of_a_stored_channel_is_resolved_without_asking_youtube(browser: Client, world: World) -> None:
    Channel.objects.filter(pk=world.channels["tea"].pk).update(custom_url="@teamaster")
    pasted = "https://www.youtube.com/@TeaMaster\n@teamaster"
    response = browser.post("/dashboard/settings/channels", {"channels": pasted}, follow=True)
    assert "1 channel of yours kept out of the rankings." in response.content.decode()
    world.company.refresh_from_db()
    assert world.company.own_channel_ids == [world.channels["tea"].pk]


def test_a_new_handle_is_asked_of_youtube_with_for_handle_not_a_search(
    browser: Client, world: World, youtube_emulator: Any
) -> None:
    handle, channel_id = next(iter(youtube_emulator.corpus.channel_by_handle.items()))
    response = browser.post("/dashboard/settings/channels", {"channels": f"youtube.com/{handle}"}, follow=True)
    assert "1 channel of yours kept out of the rankings." in response.content.decode()
    world.company.refresh_from_db()
    assert world.company.own_channel_ids == [channel_id]
    calls = youtube_emulator.calls
    assert [c.resource for c in calls] == ["channels"] and calls[0].params.get("forHandle") == handle


def test_an_unknown_handle_is_refused_and_what_was_typed_stays(
    browser: Client, world: World, youtube_emulator: Any
) -> None:
    typed = f"{world.channels['brew'].pk}\n@no-such-brand-anywhere"
    response = browser.post("/dashboard/settings/channels", {"channels": typed})
    assert response.status_code == 400
    page = response.content.decode()
    assert "YouTube has no channel with the handle @no-such-brand-anywhere." in page
    assert f">{typed}</textarea>" in page
    world.company.refresh_from_db()
    assert world.company.own_channel_ids == []


# --- the admin ---------------------------------------------------------------------------------------------------
def test_the_admin_says_creator_matches(world: World) -> None:
    admin = get_user_model().objects.create_superuser("root@test", "root@test", "x")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/").content.decode()
    assert "Creator matches" in page and "Creator matchs" not in page


def test_a_signed_up_member_starts_on_the_first_steps(db: None) -> None:
    user, _ = make_member("new@brand.test", "New Brand")
    client = Client()
    client.force_login(user)
    page = client.get("/dashboard/products").content.decode()
    assert "First steps" in page and "the first 10 products usually have their creators within 2 to 5 minutes" in page


def test_the_brands_tags_and_the_kinds_of_video_are_said_in_words(browser: Client, world: World) -> None:
    from matches.models import CreatorMatch

    CreatorMatch.objects.filter(product=world.whisk, channel_id=world.channels["tea"].pk).update(
        evidence={"attributes": ["tag: bamboo whisk", "intent: unboxing", "product kind", "vendor"], "videos": []}
    )
    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    assert "2 matching videos about “bamboo whisk”" in page and "including unboxings" in page
    assert "What matched: your tag “bamboo whisk”; the kind of product; your brand name; unboxings." in page
