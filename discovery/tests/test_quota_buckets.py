"""The ledger's two budgets are independent: each call is checked against its own bucket only."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from discovery import quota
from discovery.models import QuotaDay
from discovery.youtube import QuotaExhausted, get_client

pytestmark = pytest.mark.django_db

# A Tuesday afternoon in Los Angeles: the Pacific day is 2026-11-24.
NOW = dt.datetime(2026, 11, 24, 22, 0, tzinfo=dt.UTC)


def no_sleep(seconds: float) -> None:
    pass


def ledger(*, search_calls: int = 0, units: int = 0) -> None:
    QuotaDay.objects.update_or_create(
        day=quota.pacific_day(NOW), defaults={"search_calls": search_calls, "units": units}
    )


def test_units_only_calls_succeed_on_a_day_whose_search_calls_are_over_budget(settings, youtube_emulator) -> None:
    # 41 searches recorded, then the search budget lowered to 40: the search bucket is over, the units are not.
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 40
    with time_machine.travel(NOW, tick=False):
        ledger(search_calls=41)
        client = get_client(sleep=no_sleep)
        video = youtube_emulator.corpus.videos[0]
        assert [v.video_id for v in client.videos([video.video_id])] == [video.video_id]
        channels = client.channels([video.channel_id])
        client.recent_uploads(channels[0].uploads_playlist_id, max_results=5)
        with pytest.raises(QuotaExhausted) as refused:
            client.search_videos("kettle")
    assert [call.resource for call in youtube_emulator.calls] == ["videos", "channels", "playlistItems"]
    day = QuotaDay.objects.get()
    assert (day.search_calls, day.units) == (41, 3)
    # The refusal names the bucket that refused, with that bucket's own figures.
    assert refused.value.budget == "search calls"
    assert "41 of 40 search calls" in refused.value.message and "YOUTUBE_DAILY_SEARCH_CALLS" in refused.value.message


def test_a_search_call_succeeds_on_a_day_whose_units_are_spent(settings, youtube_emulator) -> None:
    settings.YOUTUBE_DAILY_UNITS = 50
    with time_machine.travel(NOW, tick=False):
        ledger(units=60)
        client = get_client(sleep=no_sleep)
        assert client.search_videos("kettle").items
        with pytest.raises(QuotaExhausted) as refused:
            client.videos([youtube_emulator.corpus.videos[0].video_id])
    assert [call.resource for call in youtube_emulator.calls] == ["search"]
    assert refused.value.budget == "units"
    assert "60 of 50 units" in refused.value.message and "YOUTUBE_DAILY_UNITS" in refused.value.message


def test_each_refusal_names_its_own_bucket_and_records_nothing(settings) -> None:
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 2
    settings.YOUTUBE_DAILY_UNITS = 5
    with time_machine.travel(NOW, tick=False):
        ledger(search_calls=2, units=5)
        search = quota.record_call(search_calls=1)
        units = quota.record_call(units=1)
    assert search is not None and (search.budget, search.used, search.limit) == ("search calls", 2, 2)
    assert units is not None and (units.budget, units.used, units.limit) == ("units", 5, 5)
    day = QuotaDay.objects.get()
    assert (day.search_calls, day.units) == (2, 5)
