"""The dashboard's pages: what a member sees, what a stranger or another company cannot."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Membership
from maatchaa.lib.humanize import compact_number, short_date, stat_label
from matches.models import CreatorDecision, CreatorMatch
from web.tests.dashboard_data import World, fast_hashing, make_member

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


@pytest.fixture
def browser(world: World) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


@pytest.fixture
def newcomer(db: None) -> Client:
    """Signed in as the owner of a company that has no store and no products yet."""
    user, _ = make_member("new@brand.test", "New Brand")
    client = Client()
    client.force_login(user)
    return client


def test_strangers_are_sent_to_sign_in(world: World) -> None:
    for path in [
        "/dashboard/",
        "/dashboard/products",
        f"/dashboard/products/{world.whisk.pk}",
        "/dashboard/runs",
        "/dashboard/settings",
    ]:
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), path


def test_the_products_page_shows_each_product_with_its_counts_and_last_discovery(browser: Client, world: World) -> None:
    page = browser.get("/dashboard/products").content.decode()
    assert "Ceremonial Matcha Whisk Set" in page and "Gooseneck Pour-Over Kettle" in page
    assert '<strong data-count="creators">3</strong> creators' in page
    assert "https://cdn.test/whisk.jpg" in page
    assert f"Last discovery: {world.whisk.last_discovered_at:%-d %b %Y}" in page
    # The kettle was never searched: the page says when its turn comes (no worker has started here yet).
    assert 'data-turn="next">Waiting for the first scheduled run (it starts with the worker)' in page
    assert page.count(">Find Creators</button>") == 2  # the draft candle is not discoverable
    assert "Find creators for all products" in page
    assert "Rival Secret Whisk" not in page


def test_the_products_page_searches(browser: Client) -> None:
    page = browser.get("/dashboard/products", {"search": "kettle"}).content.decode()
    assert "Gooseneck Pour-Over Kettle" in page and "Ceremonial Matcha Whisk Set" not in page


def test_the_products_page_points_to_settings_without_a_store(newcomer: Client) -> None:
    page = newcomer.get("/dashboard/products").content.decode()
    assert "First steps" in page and "Connect your Shopify store." in page
    assert 'action="/shopify/connect"' in page and "No products yet: connect your store above." in page
    assert 'data-discover="all"' in page and "disabled data-unavailable" in page


def test_the_product_page_shows_ranked_creators_with_dated_statistics_and_evidence(
    browser: Client, world: World
) -> None:
    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    assert page.index("Tea Master") < page.index("Brew Buddy") < page.index("=Cafe Corner")
    day = short_date(world.fetched, now=timezone.now())
    assert f"1.2M subscribers, as of {day}" in page
    assert "engagement" not in page  # a derived metric: only with the operator's opt-in
    assert f"10K views, as of {day}" in page
    assert "https://www.youtube.com/watch?v=teaVideo001" in page
    assert '<span class="chip">chasen</span>' in page  # why it matches, one click away
    assert "Query: matcha whisk review" not in page  # the raw search stays in the API and the admin
    assert "mailto:tea@master.test" in page
    assert f"/products/{world.whisk.pk}/creators.csv" in page


def test_every_count_on_the_product_page_carries_its_date(browser: Client, world: World) -> None:
    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    counts = re.findall(r"[\d.]+[KMB]? (?:subscribers|views|likes|comments)[^<]{0,20}", page)
    assert len(counts) >= 6  # 3 creators' subscribers, 4 videos' views (minus hidden)
    assert all(", as of " in count for count in counts), counts


def test_the_product_page_filters_like_the_api(browser: Client, world: World) -> None:
    page = browser.get(f"/dashboard/products/{world.whisk.pk}", {"country": "US"}).content.decode()
    assert "Brew Buddy" in page and "Tea Master" not in page
    page = browser.get(f"/dashboard/products/{world.whisk.pk}", {"uploaded_within_days": "7"}).content.decode()
    assert "Tea Master" in page and "Brew Buddy" not in page


def test_without_the_opt_in_the_page_offers_no_engagement_and_refuses_its_filter(browser: Client, world: World) -> None:
    response = browser.get(f"/dashboard/products/{world.whisk.pk}", {"min_engagement": "0.05"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'name="min_engagement"' not in page and "% engagement" not in page
    assert "derived from YouTube&#x27;s statistics" in page and "YOUTUBE_DERIVED_METRICS_ALLOWED" in page
    assert "Brew Buddy" in page  # the list is still shown, unfiltered


@pytest.mark.usefixtures("derived_metrics_on")
def test_with_the_opt_in_the_page_shows_engagement_labelled_and_filters_on_it(browser: Client, world: World) -> None:
    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    day = short_date(world.fetched, now=timezone.now())
    assert f"6.0% engagement, as of {day} (calculated by Maatchaa from YouTube&#x27;s statistics)" in page
    assert 'name="min_engagement"' in page
    page = browser.get(f"/dashboard/products/{world.whisk.pk}", {"min_engagement": "0.05"}).content.decode()
    assert "Tea Master" in page and "Brew Buddy" not in page


def test_bad_filters_are_shown_and_ignored(browser: Client, world: World) -> None:
    response = browser.get(f"/dashboard/products/{world.whisk.pk}", {"country": "Narnia", "min_subscribers": "-3"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Use a two-letter country code such as US or GB." in page
    assert "Tea Master" in page  # the list is still shown, unfiltered


def test_dismissing_and_restoring_from_the_page(browser: Client, world: World) -> None:
    tea = world.channels["tea"].pk
    url = f"/dashboard/products/{world.whisk.pk}/creators/{tea}/decision"
    back = f"/dashboard/products/{world.whisk.pk}?country=JP"
    response = browser.post(url, {"action": "dismissed", "next": back})
    # Back at the same card (its anchor), with a message naming the creator.
    assert response.status_code == 302 and response["Location"] == f"{back}#creator-{tea}"
    assert "Dismissed Tea Master: hidden from this list." in browser.get(back).content.decode()
    assert CreatorDecision.objects.get(product=world.whisk, channel_id=tea).status == "dismissed"
    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    assert "Tea Master" not in page
    page = browser.get(f"/dashboard/products/{world.whisk.pk}", {"include_dismissed": "true"}).content.decode()
    assert "Tea Master" in page and "Dismissed</span>" in page
    browser.post(url, {"action": "restore"})
    assert not CreatorDecision.objects.exists()
    browser.post(url, {"action": "shortlisted"})
    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    assert "Shortlisted</span>" in page


def test_a_decision_never_redirects_off_site(browser: Client, world: World) -> None:
    url = f"/dashboard/products/{world.whisk.pk}/creators/{world.channels['tea'].pk}/decision"
    response = browser.post(url, {"action": "dismissed", "next": "https://evil.test/"})
    assert response["Location"] == f"/dashboard/products/{world.whisk.pk}#creator-{world.channels['tea'].pk}"


def test_a_bad_decision_is_a_400_with_a_message(browser: Client, world: World) -> None:
    url = f"/dashboard/products/{world.whisk.pk}/creators/{world.channels['tea'].pk}/decision"
    response = browser.post(url, {"action": "delete-everything"})
    assert response.status_code == 400 and b"Unknown action" in response.content
    assert browser.get(url).status_code == 405
    assert not CreatorDecision.objects.exists()


def test_another_companys_product_is_a_plain_404(browser: Client, world: World) -> None:
    for path in [f"/dashboard/products/{world.other_product.pk}", "/dashboard/products/987654321"]:
        response = browser.get(path)
        assert response.status_code == 404 and b"Secret" not in response.content
    url = f"/dashboard/products/{world.other_product.pk}/creators/{world.other_channel.pk}/decision"
    assert browser.post(url, {"action": "dismissed"}).status_code == 404
    url = f"/dashboard/products/{world.whisk.pk}/creators/{world.other_channel.pk}/decision"
    assert browser.post(url, {"action": "dismissed"}).status_code == 404
    assert not CreatorDecision.objects.exists()


def test_the_runs_page_shows_what_each_run_spent_and_found(browser: Client) -> None:
    page = browser.get("/dashboard/runs").content.decode()
    assert "You asked (Find Creators)" in page and "Succeeded" in page
    assert '<td data-label="Videos looked at">17</td>' in page and '<td data-label="Matching videos">5</td>' in page
    # A marketer's page: no quota units or search counts (the API and the admin keep them).
    assert "Units" not in page and "402" not in page and "cached" not in page
    assert "rival-run-secret" not in page


def test_the_settings_page_shows_the_store_and_connects_by_post(browser: Client) -> None:
    page = browser.get("/dashboard/settings").content.decode()
    assert "juniper-pine.myshopify.com" in page and "Connected" in page
    assert 'action="/shopify/disconnect"' in page
    assert 'action="/shopify/connect"' not in page  # connected already


def test_the_settings_page_offers_to_connect_a_store(newcomer: Client) -> None:
    page = newcomer.get("/dashboard/settings").content.decode()
    assert 'action="/shopify/connect"' in page and 'name="shop"' in page


def test_an_api_token_is_shown_once_and_works(browser: Client, world: World) -> None:
    response = browser.post("/dashboard/settings/token", follow=True)
    [key] = re.findall(r"mtc_[0-9a-f]{40}", response.content.decode())
    settings_page = browser.get("/dashboard/settings").content.decode()
    assert key not in settings_page and f"ending in <code>…{key[-4:]}</code>" in settings_page
    assert "never used yet" in settings_page
    api = Client(headers={"Authorization": f"Token {key}"})
    assert api.get("/products").json()["count"] == 3
    assert "last used" in browser.get("/dashboard/settings").content.decode()
    browser.post("/dashboard/settings/token")
    assert api.get("/products").status_code in (401, 403)


def test_a_member_of_two_companies_switches_between_them(browser: Client, world: World) -> None:
    Membership.objects.create(user=world.user, company=world.other_company)
    browser.post("/dashboard/settings/company", {"company_id": str(world.other_company.pk)})
    assert "Rival Secret Whisk" in browser.get("/dashboard/products").content.decode()


def test_switching_to_a_company_one_is_not_in_is_refused(browser: Client, world: World) -> None:
    response = browser.post("/dashboard/settings/company", {"company_id": str(world.other_company.pk)})
    assert response.status_code == 404
    assert "Rival Secret Whisk" not in browser.get("/dashboard/products").content.decode()


def test_a_user_without_a_company_is_told_so(db: None, django_user_model) -> None:
    client = Client()
    client.force_login(django_user_model.objects.create(username="loner@test"))
    response = client.get("/dashboard/products")
    assert response.status_code == 403 and b"No company yet" in response.content


def test_resync_without_a_store_says_why(newcomer: Client) -> None:
    response = newcomer.post("/dashboard/products/resync", follow=True)
    assert "No Shopify store is connected for this company." in response.content.decode()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "unknown"),
        (950, "950"),
        (1_234, "1.2K"),
        (45_000, "45K"),
        (1_200_000, "1.2M"),
        (120_000_000, "120M"),
        (3_000_000_000, "3B"),
    ],
)
def test_counts_are_written_compactly(value: int | None, text: str) -> None:
    assert compact_number(value) == text


def test_a_count_says_when_it_was_fetched() -> None:
    now = timezone.now().replace(year=2026, month=11, day=29)
    assert stat_label(1_200_000, "subscribers", as_of=now.replace(day=3), now=now) == "1.2M subscribers, as of 3 Nov"
    last_year = now - timedelta(days=400)
    assert stat_label(10, "views", as_of=last_year, now=now) == f"10 views, as of {last_year.day} {last_year:%b} 2025"
    assert stat_label(None, "views", as_of=now, now=now) == "Views unknown"


def test_the_brands_own_channels_leave_the_rankings(browser: Client, world: World) -> None:
    tea = world.channels["tea"].pk
    pasted = f"https://www.youtube.com/channel/{tea}\n{tea}"
    response = browser.post("/dashboard/settings/channels", {"channels": pasted}, follow=True)
    assert "1 channel of yours kept out of the rankings." in response.content.decode()
    world.company.refresh_from_db()
    assert world.company.own_channel_ids == [tea]
    assert not CreatorMatch.objects.filter(product__company=world.company, channel_id=tea).exists()
    assert CreatorMatch.objects.filter(channel=world.other_channel).exists()  # another company's rows untouched
    assert tea in browser.get("/dashboard/settings").content.decode()
    assert "Tea Master" not in browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()


def test_what_is_not_a_channel_is_refused_and_the_typed_text_stays(browser: Client, world: World) -> None:
    response = browser.post("/dashboard/settings/channels", {"channels": "my favourite channel"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "&#x27;my&#x27; is not a YouTube channel." in page and "youtube.com/@name" in page
    assert ">my favourite channel</textarea>" in page
    world.company.refresh_from_db()
    assert world.company.own_channel_ids == []


def test_the_runs_page_says_how_long_each_run_took(browser: Client) -> None:
    assert "took 30 s" in browser.get("/dashboard/runs").content.decode()


def test_pages_with_find_creators_follow_a_run_already_in_progress(browser: Client, world: World) -> None:
    from pipeline.models import DiscoveryRun

    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    assert 'data-discover="product"' in page and 'data-active-run=""' in page
    run = DiscoveryRun.objects.create(company=world.company, trigger=DiscoveryRun.Trigger.SCHEDULE)
    for path in ["/dashboard/products", f"/dashboard/products/{world.whisk.pk}"]:
        assert f'data-active-run="{run.pk}"' in browser.get(path).content.decode()
