"""The YouTube client through google-api-python-client against the running emulator.

Every assertion about the network is about what reached the emulator (its calls log) and what the
ledger recorded; nothing of ours is patched.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.db import connection

from accounts.models import Company
from discovery import quota
from discovery.models import CompanyQuotaDay, QuotaDay
from discovery.youtube import (
    BreakerOpen,
    QuotaExhausted,
    YouTubeConfigError,
    YouTubeError,
    get_client,
    parse_channel,
    parse_duration,
    parse_video,
)

pytestmark = pytest.mark.django_db

# A Tuesday afternoon in Los Angeles (PST, UTC-8): the Pacific day is 2026-11-24.
TUESDAY_AFTERNOON = dt.datetime(2026, 11, 24, 22, 0, tzinfo=dt.UTC)
NEXT_PACIFIC_MIDNIGHT = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)


def no_sleep(seconds: float) -> None:
    pass


def youtube_calls(emulator, resource: str | None = None) -> list:
    return [call for call in emulator.calls if resource is None or call.resource == resource]


def corpus_video_ids(emulator, count: int) -> list[str]:
    return [video.video_id for video in emulator.corpus.videos[:count]]


def corpus_channel_ids(emulator, count: int) -> list[str]:
    return list(emulator.corpus.channels)[:count]


# --- pure parsing at the boundary -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT15M51S", 951), ("PT1H", 3600), ("P1DT2H3M4S", 93784), ("P0D", 0), ("PT45S", 45), ("P1W", 604800)],
)
def test_iso_8601_durations_become_seconds(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["15:51", "PT", "P", "PT1H2", "1H"])
def test_a_malformed_duration_is_a_permanent_error(text: str) -> None:
    with pytest.raises(YouTubeError) as raised:
        parse_duration(text)
    assert raised.value.permanent and raised.value.reason == "badResponse"


def test_statistics_strings_become_numbers_and_hidden_counts_none() -> None:
    video = parse_video(
        {
            "id": "abc",
            "snippet": {"channelId": "UCx", "title": "A", "publishedAt": "2026-01-02T03:04:05Z"},
            "statistics": {"viewCount": "1200345", "commentCount": "7"},
            "contentDetails": {"duration": "PT4M"},
        }
    )
    assert (video.view_count, video.like_count, video.comment_count) == (1200345, None, 7)
    assert video.duration_seconds == 240
    assert video.published_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_a_count_that_is_not_a_number_is_refused_at_the_boundary() -> None:
    with pytest.raises(YouTubeError, match="viewCount"):
        parse_video({"id": "abc", "snippet": {"channelId": "UCx"}, "statistics": {"viewCount": "lots"}})


def test_a_channel_marked_as_emulated_says_its_statistics_are_made_up() -> None:
    item = {"id": "UCx", "snippet": {"title": "T"}, "statistics": {"subscriberCount": "1000"}}
    assert parse_channel(item).statistics_emulated is False
    assert parse_channel({**item, "x-emulated": ["statistics"]}).statistics_emulated is True


# --- configuration --------------------------------------------------------------------------------


def test_without_key_or_url_the_error_names_both_settings(settings) -> None:
    settings.YOUTUBE_API_KEY = ""
    settings.YOUTUBE_API_URL = ""
    with pytest.raises(YouTubeConfigError) as raised:
        get_client()
    assert "YOUTUBE_API_KEY" in raised.value.message and "YOUTUBE_API_URL" in raised.value.message
    assert raised.value.permanent


def test_an_invalid_key_is_a_permanent_error_naming_the_setting(settings, youtube_emulator) -> None:
    settings.YOUTUBE_API_KEY = "invalid-key"
    with pytest.raises(YouTubeError) as raised:
        get_client(sleep=no_sleep).search_videos("matcha")
    assert raised.value.permanent and raised.value.reason == "keyInvalid"
    assert "YOUTUBE_API_KEY" in raised.value.message
    assert len(youtube_calls(youtube_emulator)) == 1  # not retried


# --- operations -----------------------------------------------------------------------------------


def test_search_pages_through_results_with_the_next_page_token(youtube_emulator) -> None:
    client = get_client(sleep=no_sleep)
    first = client.search_videos("keyboard", max_results=5)
    assert len(first.items) == 5 and first.next_page_token
    assert first.total_results >= 10
    second = client.search_videos("keyboard", max_results=5, page_token=first.next_page_token)
    assert len(second.items) == 5
    assert not {r.video_id for r in first.items} & {r.video_id for r in second.items}
    searches = youtube_calls(youtube_emulator, "search")
    assert [call.params.get("pageToken") for call in searches] == [None, first.next_page_token]
    assert all(call.params["type"] == "video" and call.params["maxResults"] == "5" for call in searches)


def test_an_or_query_finds_videos_matching_either_word(youtube_emulator) -> None:
    client = get_client(sleep=no_sleep)
    left = {r.video_id for r in client.search_videos("kettle").items}
    right = {r.video_id for r in client.search_videos("ukulele").items}
    both = {r.video_id for r in client.search_videos("kettle|ukulele").items}
    assert left and right and not left & right
    assert both & left and both & right
    assert youtube_calls(youtube_emulator, "search")[-1].params["q"] == "kettle|ukulele"


def test_search_passes_its_filters_through(youtube_emulator) -> None:
    get_client(sleep=no_sleep).search_videos(
        "keyboard",
        order="date",
        published_after=dt.datetime(2017, 1, 1, tzinfo=dt.UTC),
        region_code="US",
        relevance_language="en",
    )
    params = youtube_calls(youtube_emulator, "search")[0].params
    assert params["order"] == "date"
    assert params["publishedAfter"] == "2017-01-01T00:00:00Z"
    assert (params["regionCode"], params["relevanceLanguage"]) == ("US", "en")


def test_120_video_ids_take_three_calls_of_at_most_50(youtube_emulator) -> None:
    ids = corpus_video_ids(youtube_emulator, 120)
    details = get_client(sleep=no_sleep).videos(ids)
    assert sorted(d.video_id for d in details) == sorted(ids)
    calls = youtube_calls(youtube_emulator, "videos")
    assert [len(call.params["id"].split(",")) for call in calls] == [50, 50, 20]
    assert set(calls[0].params["part"].split(",")) == {"snippet", "statistics", "contentDetails", "topicDetails"}
    assert any(d.view_count for d in details) and all(d.duration_seconds is not None for d in details)


def test_channels_come_50_per_call_with_their_uploads_playlist(youtube_emulator) -> None:
    ids = corpus_channel_ids(youtube_emulator, 60)
    channels = get_client(sleep=no_sleep).channels(ids)
    assert sorted(c.channel_id for c in channels) == sorted(ids)
    assert [len(c.params["id"].split(",")) for c in youtube_calls(youtube_emulator, "channels")] == [50, 10]
    assert all(c.uploads_playlist_id for c in channels)
    # Where the corpus has no channel figures the emulator makes them up and says so.
    corpus = youtube_emulator.corpus.channels
    assert all(c.statistics_emulated == ("statistics" in corpus[c.channel_id].emulated) for c in channels)
    assert all(c.subscriber_count is not None for c in channels)


def test_recent_uploads_cost_units_and_never_a_search_call(youtube_emulator) -> None:
    client = get_client(sleep=no_sleep)
    channel = client.channels(corpus_channel_ids(youtube_emulator, 1))[0]
    uploads = client.recent_uploads(channel.uploads_playlist_id, max_results=10)
    assert uploads and all(upload.video_id for upload in uploads)
    stored = {v.video_id for v in youtube_emulator.corpus.videos if v.channel_id == channel.channel_id}
    assert {upload.video_id for upload in uploads} <= stored
    day = QuotaDay.objects.get()
    assert (day.search_calls, day.units) == (0, 2)


# --- quota ----------------------------------------------------------------------------------------


def test_the_ledger_matches_what_reached_youtube(youtube_emulator) -> None:
    company = Company.objects.create(name="Juniper & Pine Co.")
    client = get_client(company=company, sleep=no_sleep)
    page = client.search_videos("keyboard")
    client.videos([r.video_id for r in page.items] + corpus_video_ids(youtube_emulator, 30))
    client.channels({r.channel_id for r in page.items})
    client.search_videos("yoga")
    reached = youtube_emulator.calls
    day = QuotaDay.objects.get()
    assert day.search_calls == sum(1 for call in reached if call.bucket == "search") == 2
    assert day.units == sum(call.cost for call in reached if call.bucket == "units") >= 2
    by_company = CompanyQuotaDay.objects.get(company=company)
    assert (by_company.search_calls, by_company.units) == (day.search_calls, day.units)
    assert (client.search_calls_sent, client.units_sent) == (day.search_calls, day.units)
    assert quota.remaining_today() == (100 - day.search_calls, 10_000 - day.units)


def test_a_search_over_our_budget_is_never_sent(settings, youtube_emulator) -> None:
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 2
    client = get_client(sleep=no_sleep)
    with time_machine.travel(TUESDAY_AFTERNOON, tick=False):
        client.search_videos("keyboard")
        client.search_videos("yoga")
        with pytest.raises(QuotaExhausted) as raised:
            client.search_videos("candle")
    assert len(youtube_calls(youtube_emulator, "search")) == 2
    assert "YOUTUBE_DAILY_SEARCH_CALLS" in raised.value.message and "2 of 2" in raised.value.message
    assert "2026-11-25 00:00" in raised.value.message  # when it resets, Pacific time
    assert raised.value.resets_at == NEXT_PACIFIC_MIDNIGHT
    assert QuotaDay.objects.get().search_calls == 2


def test_units_over_our_budget_stop_a_batch_midway_without_sending(settings, youtube_emulator) -> None:
    settings.YOUTUBE_DAILY_UNITS = 1
    client = get_client(sleep=no_sleep)
    with pytest.raises(QuotaExhausted, match="YOUTUBE_DAILY_UNITS"):
        client.videos(corpus_video_ids(youtube_emulator, 60))
    assert len(youtube_calls(youtube_emulator, "videos")) == 1
    assert QuotaDay.objects.get().units == 1


def test_quota_exceeded_opens_the_breaker_until_the_next_pacific_midnight(settings, youtube_emulator) -> None:
    youtube_emulator.configure(search_calls_per_day=1)
    with time_machine.travel(TUESDAY_AFTERNOON, tick=False) as traveller:
        client = get_client(sleep=no_sleep)
        client.search_videos("keyboard")
        with pytest.raises(BreakerOpen) as raised:
            client.search_videos("yoga")
        assert raised.value.until == NEXT_PACIFIC_MIDNIGHT
        assert QuotaDay.objects.get().breaker_open_until == NEXT_PACIFIC_MIDNIGHT
        assert quota.breaker_open_until() == NEXT_PACIFIC_MIDNIGHT
        assert quota.remaining_today() == (0, 0)
        reached = len(youtube_emulator.calls)
        assert reached == 2  # quotaExceeded is not retried

        # Every client (another worker process) respects it, for units as well as searches.
        with pytest.raises(BreakerOpen, match="quotaExceeded"):
            get_client(sleep=no_sleep).videos(corpus_video_ids(youtube_emulator, 3))
        traveller.move_to(NEXT_PACIFIC_MIDNIGHT - dt.timedelta(seconds=1))
        with pytest.raises(BreakerOpen):
            client.search_videos("candle")
        assert len(youtube_emulator.calls) == reached

        traveller.move_to(NEXT_PACIFIC_MIDNIGHT + dt.timedelta(seconds=1))
        assert quota.breaker_open_until() is None
        client.search_videos("candle")
    assert len(youtube_emulator.calls) == reached + 1
    assert QuotaDay.objects.get(day=dt.date(2026, 11, 25)).search_calls == 1


def test_5xx_and_rate_limits_are_retried_and_every_try_is_metered(settings, youtube_emulator) -> None:
    settings.YOUTUBE_NUM_RETRIES = 3
    youtube_emulator.configure(fail_next=[503, 403, 429])
    sleeps: list[float] = []
    details = get_client(sleep=sleeps.append).videos(corpus_video_ids(youtube_emulator, 2))
    assert len(details) == 2
    assert [call.status for call in youtube_calls(youtube_emulator, "videos")] == [503, 403, 429, 200]
    assert QuotaDay.objects.get().units == 4  # YouTube charges failed tries too
    assert len(sleeps) == 3


def test_a_fault_that_outlasts_the_retries_is_a_temporary_error(settings, youtube_emulator) -> None:
    settings.YOUTUBE_NUM_RETRIES = 2
    youtube_emulator.configure(fail_next=[500, 500, 500, 500])
    with pytest.raises(YouTubeError) as raised:
        get_client(sleep=no_sleep).search_videos("keyboard")
    assert not raised.value.permanent
    assert len(youtube_calls(youtube_emulator, "search")) == 3
    assert QuotaDay.objects.get().search_calls == 3


def test_a_timeout_is_retried_then_reported_as_temporary(settings, youtube_emulator) -> None:
    settings.YOUTUBE_NUM_RETRIES = 1
    settings.YOUTUBE_TIMEOUT_SECONDS = 0.2
    youtube_emulator.configure(latency_ms=600)
    with pytest.raises(YouTubeError) as raised:
        get_client(sleep=no_sleep).videos(corpus_video_ids(youtube_emulator, 1))
    assert not raised.value.permanent and raised.value.reason == "timeout"
    assert QuotaDay.objects.get().units == 2


def test_another_client_error_is_permanent_and_carries_youtubes_reason(youtube_emulator) -> None:
    with pytest.raises(YouTubeError) as raised:
        get_client(sleep=no_sleep).search_videos("keyboard", page_token="not-a-token")
    assert raised.value.permanent
    assert raised.value.reason == youtube_calls(youtube_emulator, "search")[0].reason != ""


@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_never_spend_past_the_budget_together(settings) -> None:
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 25

    def worker(_: int) -> int:
        # Each thread has its own database connection, as each worker process would.
        try:
            return sum(quota.record_call(search_calls=1) is None for _ in range(10))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        granted = sum(pool.map(worker, range(6)))
    assert granted == 25
    assert QuotaDay.objects.get().search_calls == 25
