"""Nothing embedded twice, and products interleaved: what a second discovery embeds, what is fetched once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from discovery.models import Video
from maatchaa.lib.embedding import get_embedder, set_embedder
from matches.models import Match
from pipeline.discover import discover_products
from pipeline.tests.pipeline_support import calls_to, make_company, make_product, video_row, write_corpus

pytestmark = pytest.mark.django_db


class CountingEmbedder:
    """The real embedder, with every text it was asked for recorded."""

    def __init__(self) -> None:
        self.inner = get_embedder()
        self.model_name = self.inner.model_name
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture
def counting() -> Iterator[CountingEmbedder]:
    embedder = CountingEmbedder()
    previous = set_embedder(embedder)
    try:
        yield embedder
    finally:
        set_embedder(previous)


def tea_rows() -> list[dict[str, str]]:
    return [
        video_row(
            f"whisk{i:05d}aa",
            f"UCteaChannel{i % 3:012d}",
            f"How to use a bamboo matcha whisk and a tea bowl, part {i}",
            description="Whisking ceremonial matcha with a bamboo chasen in a ceramic chawan tea bowl.",
            tags=("matcha", "chasen", "tea ceremony"),
        )
        for i in range(8)
    ]


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for):
    return youtube_emulator_for(write_corpus(tmp_path, tea_rows()))


def video_ids_fetched(emulator, since: int = 0) -> list[str]:
    return [i for c in calls_to(emulator, "videos")[since:] for i in c.params["id"].split(",")]


def test_a_second_discovery_of_unchanged_products_embeds_nothing(emulator, counting):
    company = make_company()
    products = [make_product(company, "Bamboo Matcha Whisk"), make_product(company, "Ceramic Matcha Tea Bowl")]
    discover_products(run=None, products=products)
    assert counting.texts  # the first discovery embedded the products and the videos

    counting.texts.clear()
    tally = discover_products(run=None, products=products)

    assert tally.products_done == 2
    assert counting.texts == []
    assert Match.objects.filter(product__in=products).exists()


def test_a_product_whose_text_changed_is_embedded_again(emulator, counting):
    product = make_product(make_company(), "Bamboo Matcha Whisk")
    discover_products(run=None, products=[product])
    product.description = "Hand-carved from a single piece of bamboo, 100 prongs."
    product.save()
    counting.texts.clear()

    discover_products(run=None, products=[product])

    assert any("100 prongs" in text for text in counting.texts)
    assert not any(text.startswith("How to use") for text in counting.texts)  # the videos are fresh


def test_a_stale_video_fetched_again_keeps_its_vector_when_its_text_is_unchanged(emulator, counting, settings):
    product = make_product(make_company(), "Bamboo Matcha Whisk")
    discover_products(run=None, products=[product])
    old = timezone.now() - timedelta(days=settings.DISCOVERY_FRESHNESS_DAYS + 1)
    Video.objects.filter(video_id__in=["whisk00001aa", "whisk00002aa"]).update(fetched_at=old)
    Video.objects.filter(video_id="whisk00002aa").update(title="An older title")
    before = len(calls_to(emulator, "videos"))
    counting.texts.clear()

    discover_products(run=None, products=[product])

    assert sorted(video_ids_fetched(emulator, before)) == ["whisk00001aa", "whisk00002aa"]
    # Only the video whose text changed is embedded again (its two views).
    assert len(counting.texts) == 2 and all("part 2" in text for text in counting.texts)
    refreshed = Video.objects.get(video_id="whisk00001aa")
    assert refreshed.fetched_at is not None and refreshed.fetched_at > old and refreshed.embedding is not None


def test_products_in_flight_together_fetch_and_embed_a_shared_video_once(emulator, counting, settings):
    # Only the videos' texts here; the top creators' upload titles (focus) are read once a run, tested with focus.
    settings.CREATOR_FOCUS_TOP = 0
    company = make_company()
    # The same query for all three: the second and third find the first's videos while they are being embedded.
    products = [make_product(company, "Bamboo Matcha Whisk", vendor=vendor) for vendor in ("Kyoto", "Uji", "Nara")]

    tally = discover_products(run=None, products=products)

    assert tally.products_done == 3
    fetched = video_ids_fetched(emulator)
    assert sorted(fetched) == sorted(set(fetched)) and len(fetched) == 8
    video_texts = [text for text in counting.texts if "part " in text]
    assert len(video_texts) == 2 * 8  # each video's two views, once
    for product in products:
        assert Match.objects.filter(product=product).count() >= 1
