"""Issue #14 lever 3 on the demo store: a top creator's recent uploads (its uploads playlist, one unit, no
search call) say how focused it is on the product's niche, as evidence that outlives re-ranking."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.models import Company
from discovery.models import Channel
from discovery.youtube import get_client
from matches.display import why_lines
from matches.models import CreatorMatch
from matches.services import rank_product_creators
from pipeline.discover import discover_products
from pipeline.tests.pipeline_support import DEMO_CATALOG, demo_product
from shopify_app.models import Product

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CATALOG = DEMO_CATALOG
SKILLET = 'Pre-Seasoned Cast Iron Skillet 10"'
FOCUS = re.compile(r"^(\d+) of their last (\d+) uploads are about this product's niche \(as of \d{4}-\d\d-\d\d\)$")


def _product(title: str = SKILLET) -> Product:
    node = next(n for n in CATALOG if n["title"] == title)
    return demo_product(Company.objects.create(name="Focus Test Co"), node)


def test_an_uploads_playlist_costs_one_unit_and_no_search_call_newest_first(youtube_emulator):
    channel_id = max(
        youtube_emulator.corpus.channel_videos, key=lambda c: len(youtube_emulator.corpus.channel_videos[c])
    )
    before = youtube_emulator.usage()

    uploads = get_client().recent_uploads("UU" + channel_id[2:], max_results=50)

    after = youtube_emulator.usage()
    assert (after["units"] - before["units"], after["search_calls"] - before["search_calls"]) == (1, 0)
    expected = youtube_emulator.corpus.videos_of_channel(channel_id)
    assert len(expected) >= 2 and [u.video_id for u in uploads] == [v.video_id for v in expected]
    dates = [u.published_at for u in uploads if u.published_at is not None]
    assert len(dates) == len(uploads)
    assert dates == sorted(dates, reverse=True)


def test_the_top_creators_focus_is_read_from_their_uploads_and_kept(youtube_emulator, settings):
    settings.CREATOR_FOCUS_TOP = 3
    product = _product()

    tally = discover_products(run=None, products=[product])

    reads = youtube_emulator.calls_to("playlistItems")
    top = list(CreatorMatch.objects.filter(product=product).order_by("rank")[:3])
    assert len(reads) == 3
    assert {c.params["playlistId"] for c in reads} == {
        Channel.objects.get(channel_id=c.channel_id).uploads_playlist_id for c in top
    }
    assert tally.units == len(youtube_emulator.calls) - len(youtube_emulator.calls_to("search"))
    for creator in top:
        found = FOCUS.match(creator.evidence["focus"])
        assert found, creator.evidence
        on_niche, uploads = int(found[1]), int(found[2])
        assert uploads == len(youtube_emulator.corpus.videos_of_channel(creator.channel_id)) and on_niche <= uploads
        assert creator.evidence["creator_focus"]["on_niche"] == on_niche
        assert f"Focus: {creator.evidence['focus']}" in why_lines(creator.evidence)
    # The skillet's best creator cooks with cast iron: most of its uploads are about it.
    best = top[0].evidence["creator_focus"]
    assert best["on_niche"] * 2 > best["uploads"], top[0].evidence
    assert not CreatorMatch.objects.filter(product=product, rank__gt=3, evidence__has_key="focus").exists()

    # Re-ranking keeps it; a discovery within DISCOVERY_FRESHNESS_DAYS reads no playlist again.
    rank_product_creators(product=product)
    discover_products(run=None, products=[product])
    assert len(youtube_emulator.calls_to("playlistItems")) == 3
    assert CreatorMatch.objects.get(pk=top[0].pk).evidence["focus"] == top[0].evidence["focus"]


def test_a_creator_on_top_for_two_products_has_its_uploads_read_once_a_run(youtube_emulator, settings):
    settings.CREATOR_FOCUS_TOP = 3
    first = _product()
    second = Product.objects.create(
        company=first.company,
        shopify_id=first.shopify_id + "-2",
        title=first.title,
        description=first.description,
        product_type=first.product_type,
        vendor=first.vendor,
        tags=first.tags,
    )

    discover_products(run=None, products=[first, second])

    reads = [c.params["playlistId"] for c in youtube_emulator.calls_to("playlistItems")]
    assert len(reads) == len(set(reads)) == 3  # the same top three for both products, each read once
    for product in (first, second):
        top = CreatorMatch.objects.filter(product=product).order_by("rank")[:3]
        assert all(FOCUS.match(creator.evidence["focus"]) for creator in top)


def test_no_uploads_are_read_when_focus_is_off(youtube_emulator, settings):
    settings.CREATOR_FOCUS_TOP = 0

    discover_products(run=None, products=[_product()])

    assert youtube_emulator.calls_to("playlistItems") == []
