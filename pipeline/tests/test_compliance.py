"""YouTube policy lines that cross the discovery pipeline: no derived metrics in scores, forgotten stays forgotten."""

from __future__ import annotations

import datetime as dt
import io
from typing import cast

import pytest
import time_machine
from django.core.management import call_command

from discovery.models import Channel, SuppressedChannel, Video
from matches.models import CreatorMatch, Match
from pipeline.discover import discover_products
from pipeline.tests.pipeline_support import calls_to, make_company, make_product, video_row, write_corpus

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 18, 0, tzinfo=dt.UTC)
# Past DISCOVERY_FRESHNESS_DAYS and DISCOVERY_QUERY_CACHE_HOURS: the next run searches and fetches again.
LATER = T0 + dt.timedelta(days=10)


def tea_rows() -> list[dict[str, str]]:
    rows = [
        video_row(
            f"chasen{i:05d}a",
            f"UCteaMaker{i % 3:012d}",
            f"Bamboo matcha whisk (chasen) technique, lesson {i}",
            description="Whisking ceremonial matcha with a bamboo chasen, a chawan bowl and a chashaku scoop.",
            tags=("matcha", "chasen", "tea ceremony"),
            view_count=str(1000 * (i + 1)),
            like_count=str(10 * (i + 1)),
        )
        for i in range(6)
    ]
    rows.append(
        video_row(
            "texturepack1",
            "UCblockBuilderMatcha0000",
            "Matcha texture pack review - Minecraft",
            description="My favourite Minecraft resource pack: Matcha! Green blocks everywhere.",
            tags=("minecraft", "matcha"),
        )
    )
    return rows


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for):
    return youtube_emulator_for(write_corpus(tmp_path, tea_rows()))


@pytest.fixture
def whisk():
    return make_product(make_company("Juniper & Pine Co."), "Ceremonial Matcha Whisk Set", tags=["matcha", "chasen"])


def scores() -> tuple[dict[str, float], dict[str, float]]:
    return (
        dict(Match.objects.values_list("video_id", "similarity_score")),
        dict(CreatorMatch.objects.values_list("channel_id", "score")),
    )


def test_with_derived_metrics_off_changed_statistics_change_no_score(settings, emulator, whisk) -> None:
    settings.YOUTUBE_DERIVED_METRICS_ALLOWED = False
    with time_machine.travel(T0, tick=False):
        discover_products(run=None, products=[whisk])
    videos_before, creators_before = scores()
    assert videos_before and creators_before

    # YouTube's figures move a lot, and against the old order: the least watched becomes the most.
    for rank, video_id in enumerate(sorted(videos_before)):
        emulator.update_video(
            video_id, view_count=10 ** (8 - rank), like_count=7 ** (8 - rank), comment_count=rank * 1000
        )
    fetched_before = len(calls_to(emulator, "videos"))
    with time_machine.travel(LATER, tick=False):
        discover_products(run=None, products=[whisk])

    assert len(calls_to(emulator, "videos")) > fetched_before  # the new statistics were fetched and stored
    for rank, video_id in enumerate(sorted(videos_before)):
        assert Video.objects.get(pk=video_id).view_count == 10 ** (8 - rank)
    videos_after, creators_after = scores()
    # The scores were computed again with the new figures at hand, not merely left alone.
    assert set(Match.objects.values_list("updated_at", flat=True)) == {LATER}
    assert set(videos_after) == set(videos_before)
    assert videos_after == pytest.approx(videos_before)
    assert creators_after == pytest.approx(creators_before)


def test_a_forgotten_channel_is_not_stored_again_by_the_next_discovery_run(emulator, whisk) -> None:
    with time_machine.travel(T0, tick=False):
        discover_products(run=None, products=[whisk])
    forgotten = cast(CreatorMatch, CreatorMatch.objects.order_by("rank").first()).channel_id
    call_command("forget_channel", forgotten, "--reason", "creator asked by e-mail", stdout=io.StringIO())
    assert not Channel.objects.filter(pk=forgotten).exists()

    with time_machine.travel(LATER, tick=False):
        discover_products(run=None, products=[whisk])

    assert not Channel.objects.filter(pk=forgotten).exists()
    assert not Video.objects.filter(channel_id=forgotten).exists()
    assert not CreatorMatch.objects.filter(channel_id=forgotten).exists()
    assert CreatorMatch.objects.exclude(channel_id=forgotten).exists()  # the others are still ranked
    assert SuppressedChannel.objects.filter(pk=forgotten).exists()
