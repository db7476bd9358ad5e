"""Stored search answers under the 30-day rule, and a creator's deletion request reaching them."""

from __future__ import annotations

import datetime as dt
import io
from typing import cast

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from discovery import search_cache
from discovery.models import SearchQuery, SuppressedChannel, Video
from discovery.retention import run_retention
from matches.models import CreatorMatch
from pipeline.discover import discover_products
from pipeline.tests.pipeline_support import calls_to, make_company, make_product, write_corpus
from pipeline.tests.test_compliance import tea_rows

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for):
    return youtube_emulator_for(write_corpus(tmp_path, tea_rows()))


@pytest.fixture
def whisk():
    return make_product(make_company("Juniper & Pine Co."), "Ceremonial Matcha Whisk Set", tags=["matcha", "chasen"])


def answer_at(moment: dt.datetime, query: str, pairs: list[tuple[str, str]]) -> None:
    with time_machine.travel(moment, tick=False):
        search_cache.store_answer(query=query, params_key="order=relevance", items=pairs)


def detail_ids(calls: list) -> set[str]:
    return {video_id for call in calls for video_id in call.params.get("id", "").split(",") if video_id}


# --- point 1: inside the window -------------------------------------------------------------------


def test_an_answer_older_than_the_limit_is_not_served_even_when_the_cache_would_keep_it(settings) -> None:
    settings.DISCOVERY_QUERY_CACHE_HOURS = 24 * 90  # an operator asked for 90 days: the 30-day rule still wins
    answer_at(NOW - 31 * DAY, "matcha whisk", [("vid00000001", "UCaaaaaaaaaaaaaaaaaaaaaa")])
    answer_at(NOW - 29 * DAY, "chasen", [("vid00000002", "UCaaaaaaaaaaaaaaaaaaaaaa")])
    with time_machine.travel(NOW, tick=False):
        assert search_cache.cached_answer(query="matcha whisk", params_key="order=relevance") is None
        served = search_cache.cached_answer(query="chasen", params_key="order=relevance")
    assert served is not None and served.video_ids == ("vid00000002",)
    assert served.channels == {"vid00000002": "UCaaaaaaaaaaaaaaaaaaaaaa"}


def test_the_job_deletes_answers_that_can_no_longer_be_served_or_near_the_limit(settings, youtube_emulator) -> None:
    settings.DISCOVERY_QUERY_CACHE_HOURS = 72
    answer_at(NOW - 41 * DAY, "forty-one days", [("vid00000001", "UCaaaaaaaaaaaaaaaaaaaaaa")])
    answer_at(NOW - 4 * DAY, "four days", [("vid00000002", "UCaaaaaaaaaaaaaaaaaaaaaa")])
    answer_at(NOW - 2 * dt.timedelta(hours=1), "two hours", [("vid00000003", "UCaaaaaaaaaaaaaaaaaaaaaa")])
    with time_machine.travel(NOW, tick=False):
        run = run_retention()
    assert list(SearchQuery.objects.values_list("query", flat=True)) == ["two hours"]
    assert run.searches_deleted == 2
    assert youtube_emulator.calls == []  # never refreshed: that would cost a search call

    settings.DISCOVERY_QUERY_CACHE_HOURS = 24 * 60  # even a long cache window keeps nothing near the limit
    answer_at(NOW - 29 * DAY, "twenty-nine days", [("vid00000004", "UCaaaaaaaaaaaaaaaaaaaaaa")])
    answer_at(NOW - 20 * DAY, "twenty days", [("vid00000005", "UCaaaaaaaaaaaaaaaaaaaaaa")])
    with time_machine.travel(NOW, tick=False):
        run_retention()
    assert sorted(SearchQuery.objects.values_list("query", flat=True)) == ["twenty days", "two hours"]


def test_discovery_searches_again_rather_than_serve_an_answer_past_the_limit(settings, emulator, whisk) -> None:
    settings.DISCOVERY_QUERY_CACHE_HOURS = 24 * 90
    with time_machine.travel(NOW - 31 * DAY, tick=False):
        first = discover_products(run=None, products=[whisk])
    searched = len(calls_to(emulator, "search"))
    assert first.search_calls == searched > 0
    with time_machine.travel(NOW, tick=False):
        again = discover_products(run=None, products=[whisk])
    assert again.cached_searches == 0 and again.search_calls == searched
    assert set(SearchQuery.objects.values_list("searched_at", flat=True)) == {NOW}


def test_answers_stored_before_channels_were_kept_are_not_served() -> None:
    with time_machine.travel(NOW, tick=False):
        SearchQuery.objects.create(query="old", params_key="", searched_at=NOW, video_ids=["vid00000001"])
        assert search_cache.cached_answer(query="old", params_key="") is None


# --- point 3: a deletion request reaches every table ----------------------------------------------


def tables_mentioning(text: str) -> list[str]:
    """Every table of the database with a row whose text (all columns) contains `text`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT count(*) FROM "{table}" AS t WHERE t::text LIKE %s', [f"%{text}%"])
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def test_a_forgotten_channel_leaves_stored_and_new_answers_before_any_detail_call(emulator, whisk) -> None:
    with time_machine.travel(NOW, tick=False):
        discover_products(run=None, products=[whisk])
    forgotten = cast(CreatorMatch, CreatorMatch.objects.order_by("rank").first()).channel_id
    its_videos = set(Video.objects.filter(channel_id=forgotten).values_list("pk", flat=True))
    assert any(set(row.video_ids) & its_videos for row in SearchQuery.objects.all())
    whisk.company.own_channel_ids = [forgotten, "UCbrandOwnChannel0000000"]
    whisk.company.save()

    call_command("forget_channel", forgotten, "--reason", "creator's e-mail", stdout=io.StringIO())

    for row in SearchQuery.objects.all():
        assert forgotten not in row.channel_ids and not set(row.video_ids) & its_videos
        assert len(row.channel_ids) == len(row.video_ids)
    # The same searches a while later are answered from storage, and nothing is looked up for it.
    looked_up_before = len(calls_to(emulator, "videos"))
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        cached = discover_products(run=None, products=[whisk])
    assert cached.cached_searches > 0 and cached.search_calls == 0
    # Past the cache window, YouTube's new answers still hold its videos; they are dropped before storing.
    searched_before = len(calls_to(emulator, "search"))
    with time_machine.travel(NOW + 10 * DAY, tick=False):
        fresh = discover_products(run=None, products=[whisk])
    assert fresh.search_calls > 0
    assert any(call.params.get("q") for call in calls_to(emulator, "search")[searched_before:])
    looked_up = detail_ids(calls_to(emulator, "videos")[looked_up_before:])
    assert looked_up and not looked_up & its_videos
    assert tables_mentioning(forgotten) == [SuppressedChannel._meta.db_table]
    for video_id in its_videos:
        assert tables_mentioning(video_id) == []
