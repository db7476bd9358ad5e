"""The discovery pipeline against the YouTube emulator: what reaches YouTube, what is stored, what ranks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from discovery.models import Channel, SearchQuery, SuppressedChannel, Video
from matches.models import CreatorMatch, Match
from pipeline.discover import discover_products, product_searches
from pipeline.models import DiscoveryRun
from pipeline.tests.pipeline_support import calls_to, make_company, make_product, video_row, write_corpus
from shopify_app.models import Product, Shop

pytestmark = pytest.mark.django_db

WHISK = "Bamboo Matcha Whisk"


def matcha_rows(count: int = 6) -> list[dict[str, str]]:
    rows = [
        video_row(
            f"whisk{i:05d}aa",
            f"UCteaChannel{i % 3:012d}",
            f"How to use a bamboo matcha whisk (chasen) part {i}",
            description="Whisking ceremonial matcha with a bamboo chasen and chawan bowl.",
            tags=("matcha", "chasen", "tea ceremony"),
        )
        for i in range(count)
    ]
    rows.append(
        video_row(
            "minecraft0001",
            "UCgamerMatchaPack0000000",
            "Matcha texture pack review - Minecraft",
            description="My favourite Minecraft resource pack: Matcha! Green blocks everywhere.",
            tags=("minecraft", "texture pack", "matcha"),
            category_id="20",
            category="Gaming",
        )
    )
    return rows


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for):
    return youtube_emulator_for(write_corpus(tmp_path, matcha_rows()))


def test_a_product_gets_its_creators_ranked_with_evidence(emulator):
    company = make_company()
    product = make_product(company, WHISK, product_type="Tea", tags=["matcha", "chasen"])

    tally = discover_products(run=None, products=[product])

    assert tally.products_done == 1
    assert tally.search_calls == len(calls_to(emulator, "search")) >= 1
    matches = list(Match.objects.filter(product=product).order_by("-similarity_score"))
    assert matches and matches[0].video.channel_id.startswith("UCteaChannel")
    assert "queries" in matches[0].evidence and "terms" in matches[0].evidence
    creators = list(CreatorMatch.objects.filter(product=product).order_by("rank"))
    assert [c.rank for c in creators] == list(range(1, len(creators) + 1))
    top = creators[0]
    assert top.channel_id.startswith("UCteaChannel")
    assert top.evidence["videos"][0]["video_id"].startswith("whisk")
    assert top.evidence["videos"][0]["score"] > 0
    product.refresh_from_db()
    assert product.last_discovered_at is not None
    assert product.embedding is not None and product.embedding_model
    video = Video.objects.get(video_id="whisk00000aa")
    assert video.embedding is not None and video.embedding_model == product.embedding_model
    assert video.fetched_at is not None and video.channel.fetched_at is not None


def test_the_second_search_repeats_the_niche_query_within_the_products_youtube_category(emulator, settings):
    settings.WORKER_KEYWORDS_PER_PRODUCT = 2
    product = make_product(
        make_company(), WHISK, product_type="Tea Accessories", tags=["matcha", "chasen", "how to make matcha"]
    )
    lines: list[str] = []

    discover_products(run=None, products=[product], log=lines.append)

    first, second = calls_to(emulator, "search")
    assert "videoCategoryId" not in first.params
    assert second.params["videoCategoryId"] == "26" and second.params["q"] == first.params["q"]
    assert any("in Howto & Style" in line and "Searching YouTube" in line for line in lines)
    # Stored apart: the restricted answer never stands in for the unrestricted one, nor the reverse.
    keys = sorted(SearchQuery.objects.values_list("params_key", flat=True))
    assert len(keys) == 2 and keys[1] == keys[0] + "|category=26"
    restricted = SearchQuery.objects.get(params_key=keys[1]).video_ids
    assert (
        "minecraft0001" not in restricted and "minecraft0001" in SearchQuery.objects.get(params_key=keys[0]).video_ids
    )
    assert {s.category_id for s in product_searches(product)} == {"", "26"}


def test_a_vector_made_another_way_is_re_embedded_before_it_is_compared(emulator):
    product = make_product(make_company(), WHISK)
    discover_products(run=None, products=[product])
    label = Video.objects.get(video_id="whisk00000aa").embedding_model
    Video.objects.filter(video_id="whisk00000aa").update(
        embedding_model="some-other-model", embedding=[0.0] * 383 + [1.0]
    )
    videos_calls = len(calls_to(emulator, "videos"))

    discover_products(run=None, products=[product])

    video = Video.objects.get(video_id="whisk00000aa")
    assert video.embedding is not None
    assert video.embedding_model == label and video.embedding[-1] != 1.0
    assert len(calls_to(emulator, "videos")) == videos_calls  # re-embedded from storage, not fetched again
    assert Match.objects.filter(product=product, video_id="whisk00000aa").exists()


def test_every_search_asks_for_fifty_results(emulator):
    product = make_product(make_company(), WHISK)

    discover_products(run=None, products=[product])

    searches = calls_to(emulator, "search")
    assert searches and all(call.params["maxResults"] == "50" for call in searches)


def test_queries_are_deduplicated_across_products(emulator):
    company = make_company()
    first = make_product(company, WHISK)
    second = make_product(company, WHISK, description="The same whisk in black bamboo.")
    assert product_searches(first) == product_searches(second)

    lines: list[str] = []
    tally = discover_products(run=None, products=[first, second], log=lines.append)

    searched = [(call.params["q"], call.params.get("videoCategoryId", "")) for call in calls_to(emulator, "search")]
    assert searched and len(searched) == len(set(searched)) == tally.search_calls  # each query reached YouTube once
    assert tally.cached_searches == len(searched)  # the second product's were answered from storage
    assert any("answered from storage" in line for line in lines)
    assert Match.objects.filter(product=second).exists()


def test_a_repeated_query_is_answered_from_storage_with_no_call(emulator):
    product = make_product(make_company(), WHISK)
    first = discover_products(run=None, products=[product])
    searches_before = len(calls_to(emulator, "search"))
    assert searches_before == first.search_calls > 0

    tally = discover_products(run=None, products=[product])

    assert len(calls_to(emulator, "search")) == searches_before
    assert tally.search_calls == 0 and tally.cached_searches == first.search_calls


def test_a_query_older_than_the_cache_window_is_searched_again(emulator, settings):
    product = make_product(make_company(), WHISK)
    first = discover_products(run=None, products=[product])
    SearchQuery.objects.update(searched_at=timezone.now() - timedelta(hours=settings.DISCOVERY_QUERY_CACHE_HOURS + 1))
    searches_before = len(calls_to(emulator, "search"))

    again = discover_products(run=None, products=[product])

    assert again.search_calls == first.search_calls
    assert len(calls_to(emulator, "search")) == searches_before + first.search_calls


def test_video_details_are_fetched_fifty_ids_a_call(tmp_path, youtube_emulator_for, settings):
    settings.WORKER_KEYWORDS_PER_PRODUCT = 1
    rows = [
        video_row(f"kettle{i:05d}", f"UCkettle{i:016d}", f"Gooseneck kettle pour over review {i}") for i in range(60)
    ]
    server = youtube_emulator_for(write_corpus(tmp_path, rows))
    product = make_product(make_company(), "Gooseneck Kettle")

    tally = discover_products(run=None, products=[product])

    video_calls = calls_to(server, "videos")
    channel_calls = calls_to(server, "channels")
    assert [len(c.params["id"].split(",")) for c in video_calls] == [50]  # one search: 50 ids, one call
    assert [len(c.params["id"].split(",")) for c in channel_calls] == [50]
    # Two detail calls, and one unit for each top creator's recent uploads (pipeline/focus.py).
    assert tally.units == 2 + len(calls_to(server, "playlistItems"))
    assert Video.objects.count() == 50


def test_stale_records_are_refreshed_and_fresh_ones_are_not(emulator, settings):
    product = make_product(make_company(), WHISK)
    discover_products(run=None, products=[product])
    old = timezone.now() - timedelta(days=settings.DISCOVERY_FRESHNESS_DAYS + 1)
    Video.objects.filter(video_id="whisk00001aa").update(fetched_at=old, title="stale title")
    Channel.objects.filter(channel_id="UCteaChannel000000000001").update(fetched_at=old)
    before = len(emulator.calls)

    discover_products(run=None, products=[product])

    new_calls = emulator.calls[before:]
    video_ids = [i for c in new_calls if c.resource == "videos" for i in c.params["id"].split(",")]
    channel_ids = [i for c in new_calls if c.resource == "channels" for i in c.params["id"].split(",")]
    assert video_ids == ["whisk00001aa"]
    assert channel_ids == ["UCteaChannel000000000001"]
    refreshed = Video.objects.get(video_id="whisk00001aa")
    assert refreshed.fetched_at is not None
    assert refreshed.title.startswith("How to use") and refreshed.fetched_at > old


def test_contact_emails_and_sponsorship_signals_are_stored(tmp_path, youtube_emulator_for):
    description = (
        "Today I review the Aeropress Go travel coffee maker.\n\n"
        "This video is sponsored by Brewline. Use code BEAN15 for 15% off!\n"
        "Gear I use (affiliate links): https://amzn.to/3xYzAbc\n"
        "For business inquiries: hello@beanreviews.co\n"
        "#ad #coffee"
    )
    rows = [video_row("coffee000001", "UCbeanReviews000000000001", "Aeropress Go review", description=description)]
    channels = [
        {
            "channel_id": "UCbeanReviews000000000001",
            "title": "Bean Reviews",
            "description": "Coffee gear reviews every week. Collabs: partnerships (at) beanreviews.co",
        }
    ]
    youtube_emulator_for(write_corpus(tmp_path, rows, channels=channels))
    product = make_product(make_company(), "Aeropress Go Travel Coffee Maker")

    discover_products(run=None, products=[product])

    video = Video.objects.get(video_id="coffee000001")
    assert "hello@beanreviews.co" in video.contact_emails
    signals = " ".join(video.sponsorship_signals).lower()
    assert "sponsor" in signals and "bean15" in signals and "#ad" in signals
    assert video.language == "en"
    channel = Channel.objects.get(channel_id="UCbeanReviews000000000001")
    assert "partnerships@beanreviews.co" in channel.contact_emails


def test_the_brands_own_channel_and_suppressed_channels_are_never_stored_or_ranked(emulator):
    company = make_company(own_channel_ids=["UCteaChannel000000000000"])
    SuppressedChannel.objects.create(channel_id="UCteaChannel000000000001", reason="asked to be forgotten")
    product = make_product(company, WHISK)

    discover_products(run=None, products=[product])

    ranked = set(CreatorMatch.objects.filter(product=product).values_list("channel_id", flat=True))
    assert ranked and not ranked & {"UCteaChannel000000000000", "UCteaChannel000000000001"}
    assert not Channel.objects.filter(channel_id="UCteaChannel000000000001").exists()
    assert not Video.objects.filter(channel_id="UCteaChannel000000000000").exists()


def test_inactive_products_and_uninstalled_shops_are_not_discovered(emulator):
    company = make_company()
    gone = Shop.objects.create(company=company, domain="gone.myshopify.com", status=Shop.Status.UNINSTALLED)
    draft = make_product(company, WHISK, status=Product.Status.DRAFT)
    orphan = make_product(company, "Matcha Whisk Holder", shop=gone)

    tally = discover_products(run=None, products=[draft, orphan])

    assert tally.products_done == 0 and calls_to(emulator, "search") == []
    assert not Match.objects.exists()


def test_matches_are_upserted_never_duplicated(emulator):
    product = make_product(make_company(), WHISK)
    discover_products(run=None, products=[product])
    first = {(m.video_id, round(m.similarity_score, 6)) for m in Match.objects.filter(product=product)}
    creators = CreatorMatch.objects.filter(product=product).count()

    discover_products(run=None, products=[product])

    again = {(m.video_id, round(m.similarity_score, 6)) for m in Match.objects.filter(product=product)}
    assert again == first
    assert CreatorMatch.objects.filter(product=product).count() == creators


def test_a_spent_search_budget_stops_cleanly_and_keeps_partial_results(emulator):
    company = make_company()
    first = make_product(company, WHISK)
    second = make_product(company, "Ceramic Chawan Tea Bowl")
    run = DiscoveryRun.objects.create(company=company, trigger=DiscoveryRun.Trigger.MANUAL, status="running")

    tally = discover_products(run=run, products=[first, second], search_call_limit=len(product_searches(first)))

    assert "search-call budget" in tally.stopped_reason
    assert tally.products_done == 1
    assert Match.objects.filter(product=first).exists()
    second.refresh_from_db()
    assert second.last_discovered_at is None  # it keeps its place at the front of the rotation
    run.refresh_from_db()
    assert run.search_calls == len(product_searches(first)) and run.products_done == 1
    assert run.heartbeat_at is not None


def test_the_quota_breaker_stops_discovery_without_a_call(emulator):
    from discovery import quota

    quota.open_breaker(reason="quotaExceeded (test)")
    product = make_product(make_company(), WHISK)

    tally = discover_products(run=None, products=[product])

    assert emulator.calls == []
    assert "quota resets" in tally.stopped_reason
    product.refresh_from_db()
    assert product.last_discovered_at is None


def test_the_log_reads_like_the_worker_guide(emulator):
    product = make_product(make_company(), WHISK)
    lines: list[str] = []

    discover_products(run=None, products=[product], log=lines.append)

    text = "\n".join(lines)
    assert f"🎯 Processing: {WHISK}" in text
    assert "   🔑 Keywords: " in text
    assert "   🔎 Searching YouTube: '" in text
    assert "      ✅ Found " in text and " videos" in text
    assert "         🎥 Analyzing: " in text
    assert "         ✅ Indexed: " in text
    assert "✅ Discovery complete for 1 products" in text and "search calls" in text and "units" in text
