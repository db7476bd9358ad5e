"""YouTube's 30-day rule with time frozen: refresh through the emulator, delete what cannot be kept."""

from __future__ import annotations

import datetime as dt
import io
from typing import cast

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.models import Company
from discovery import quota
from discovery.models import Channel, QuotaDay, RetentionRun, SuppressedChannel, Video
from discovery.retention import is_suppressed, oldest_record_fetched_at, run_retention
from maatchaa.lib.embedding import get_embedder
from matches.models import CreatorDecision, CreatorMatch, Match
from matches.services import vector_label
from shopify_app.models import Product

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def product() -> Product:
    company = Company.objects.create(name="Juniper & Pine Co.")
    return Product.objects.create(company=company, shopify_id="gid://shopify/Product/3", title="Gooseneck Kettle")


def store(emulator, video_ids: list[str], *, fetched_at: dt.datetime) -> list[Video]:
    """What discovery would have stored: the corpus's videos and their channels, fetched at `fetched_at`."""
    sources = [emulator.corpus.video(video_id) for video_id in video_ids]
    Channel.objects.bulk_create(
        [Channel(channel_id=s.channel_id, title=s.channel_title, fetched_at=fetched_at) for s in sources],
        ignore_conflicts=True,
    )
    return Video.objects.bulk_create(
        [
            Video(
                video_id=s.video_id,
                channel_id=s.channel_id,
                title=s.title,
                description=s.description,
                tags=list(s.tags),
                view_count=1,
                fetched_at=fetched_at,
            )
            for s in sources
        ]
    )


def match(product: Product, video: Video) -> Match:
    CreatorMatch.objects.get_or_create(
        product=product, channel_id=video.channel_id, defaults={"score": 0.5, "rank": 1, "video_count": 1}
    )
    return Match.objects.create(product=product, video=video, similarity_score=0.5)


def corpus_ids(emulator, count: int, *, skip: int = 0) -> list[str]:
    return [video.video_id for video in emulator.corpus.videos[skip : skip + count]]


def ids_on_distinct_channels(emulator, count: int) -> list[str]:
    chosen: dict[str, str] = {}
    for video in emulator.corpus.videos:
        chosen.setdefault(video.channel_id, video.video_id)
        if len(chosen) == count:
            break
    return list(chosen.values())


def spend_units_today(units: int) -> None:
    assert quota.record_call(units=units) is None


def test_records_near_the_limit_are_refreshed_through_youtube_and_their_fetch_dates_move(
    youtube_emulator, product
) -> None:
    with time_machine.travel(NOW, tick=False):
        videos = store(youtube_emulator, corpus_ids(youtube_emulator, 3), fetched_at=NOW - 27 * DAY)
        for video in videos:
            match(product, video)
        youtube_emulator.update_video(videos[0].video_id, view_count=987_654)
        run = run_retention()

    refreshed = Video.objects.get(pk=videos[0].pk)
    assert refreshed.view_count == 987_654
    assert set(Video.objects.values_list("fetched_at", flat=True)) == {NOW}
    assert set(Channel.objects.values_list("fetched_at", flat=True)) == {NOW}
    assert Match.objects.count() == 3
    assert (run.videos_refreshed, run.channels_refreshed) == (3, Channel.objects.count())
    assert (run.videos_deleted, run.channels_deleted) == (0, 0)
    reached = youtube_emulator.calls
    assert {call.resource for call in reached} == {"videos", "channels"}
    assert run.units == len(reached) == QuotaDay.objects.get().units
    assert run.finished_at is not None


def test_a_video_retitled_at_youtube_gets_the_new_text_and_a_new_embedding(youtube_emulator, product) -> None:
    with time_machine.travel(NOW, tick=False):
        video = store(youtube_emulator, corpus_ids(youtube_emulator, 1), fetched_at=NOW - 26 * DAY)[0]
        Video.objects.filter(pk=video.pk).update(title="An old title", embedding_model="", contact_emails=["a@b.c"])
        match(product, video)
        run_retention()
    refreshed = Video.objects.get(pk=video.pk)
    assert refreshed.title == youtube_emulator.corpus.video(video.video_id).title
    assert refreshed.embedding is not None
    # The same kind of vector discovery stores, so the next run compares it as it is.
    assert refreshed.embedding_model == vector_label(get_embedder())
    assert refreshed.contact_emails != ["a@b.c"]


def test_records_far_from_the_limit_cost_nothing(youtube_emulator, product) -> None:
    with time_machine.travel(NOW, tick=False):
        video = store(youtube_emulator, corpus_ids(youtube_emulator, 1), fetched_at=NOW - 10 * DAY)[0]
        match(product, video)
        run = run_retention()
    assert youtube_emulator.calls == []
    assert Video.objects.get().fetched_at == NOW - 10 * DAY
    assert (run.videos_refreshed, run.videos_deleted, run.units) == (0, 0, 0)


def test_unreferenced_records_past_the_limit_are_deleted_and_referenced_ones_kept(youtube_emulator, product) -> None:
    with time_machine.travel(NOW, tick=False):
        kept, stale = store(youtube_emulator, corpus_ids(youtube_emulator, 2), fetched_at=NOW - 31 * DAY)
        young = store(youtube_emulator, corpus_ids(youtube_emulator, 1, skip=2), fetched_at=NOW - 3 * DAY)[0]
        match(product, kept)
        run = run_retention()
    assert set(Video.objects.values_list("video_id", flat=True)) == {kept.video_id, young.video_id}
    assert Video.objects.get(pk=kept.pk).fetched_at == NOW  # referenced: refreshed, not deleted
    assert not Video.objects.filter(pk=stale.pk).exists()
    assert run.videos_deleted >= 1
    assert cast(dt.datetime, oldest_record_fetched_at()) >= NOW - 3 * DAY


def test_without_budget_what_would_pass_the_limit_is_deleted_with_its_matches(
    settings, youtube_emulator, product
) -> None:
    settings.YOUTUBE_DAILY_UNITS = 5
    with time_machine.travel(NOW, tick=False):
        spend_units_today(5)
        two_channels = ids_on_distinct_channels(youtube_emulator, 2)
        doomed, waiting = store(youtube_emulator, two_channels, fetched_at=NOW - 27 * DAY)
        Video.objects.filter(pk=doomed.pk).update(fetched_at=NOW - dt.timedelta(days=29, hours=12))
        Channel.objects.filter(pk=doomed.channel_id).update(fetched_at=NOW - dt.timedelta(days=29, hours=12))
        match(product, doomed)
        match(product, waiting)
        run = run_retention()
    assert youtube_emulator.calls == []  # nothing left to spend: nothing sent
    assert not Video.objects.filter(pk=doomed.pk).exists()
    assert not Match.objects.filter(video_id=doomed.video_id).exists()
    assert not CreatorMatch.objects.filter(channel_id=doomed.channel_id).exists()
    # A day or more from the limit: kept for the next run to refresh when the budget allows.
    assert Video.objects.get(pk=waiting.pk).fetched_at == NOW - 27 * DAY
    assert "budget" in run.message


def test_a_video_youtube_no_longer_returns_is_deleted_with_its_matches(youtube_emulator, product) -> None:
    with time_machine.travel(NOW, tick=False):
        gone, alive = store(youtube_emulator, corpus_ids(youtube_emulator, 2), fetched_at=NOW - 26 * DAY)
        match(product, gone)
        match(product, alive)
        youtube_emulator.forget(video_ids=[gone.video_id])
        run = run_retention()
    assert not Video.objects.filter(pk=gone.pk).exists()
    assert not Match.objects.filter(video_id=gone.video_id).exists()
    assert Video.objects.get(pk=alive.pk).fetched_at == NOW
    assert (run.videos_refreshed, run.videos_deleted) == (1, 1)


def test_a_closed_channel_is_deleted_with_its_videos_matches_and_decisions(youtube_emulator, product) -> None:
    with time_machine.travel(NOW, tick=False):
        video = store(youtube_emulator, corpus_ids(youtube_emulator, 1), fetched_at=NOW - 26 * DAY)[0]
        match(product, video)
        CreatorDecision.objects.create(product=product, channel_id=video.channel_id, status="shortlisted")
        youtube_emulator.forget(channel_ids=[video.channel_id])
        run = run_retention()
    assert not Channel.objects.filter(pk=video.channel_id).exists()
    assert not Video.objects.exists() and not Match.objects.exists()
    assert not CreatorMatch.objects.exists() and not CreatorDecision.objects.exists()
    assert run.channels_deleted == 1
    assert [call.resource for call in youtube_emulator.calls] == ["channels"]  # its videos needed no call


def test_the_job_stays_within_the_unit_budget_and_spends_no_search_call(settings, youtube_emulator, product) -> None:
    with time_machine.travel(NOW, tick=False):
        videos = store(youtube_emulator, corpus_ids(youtube_emulator, 120), fetched_at=NOW - 27 * DAY)
        for video in videos:
            match(product, video)
        channel_calls = -(-Channel.objects.count() // 50)
        settings.YOUTUBE_DAILY_UNITS = 10 + channel_calls + 2
        spend_units_today(10)  # discovery spent some of today's units already
        run = run_retention()
    reached = youtube_emulator.calls
    assert [call.resource for call in reached].count("videos") == 2
    assert all(call.resource in ("videos", "channels") for call in reached)
    day = QuotaDay.objects.get()
    assert (day.search_calls, day.units) == (0, settings.YOUTUBE_DAILY_UNITS)
    assert run.units == len(reached) == channel_calls + 2
    assert run.videos_refreshed == 100
    assert Video.objects.filter(fetched_at=NOW - 27 * DAY).count() == 20  # next run's work, still in time
    assert "budget" in run.message


def test_a_database_left_running_for_60_days_holds_nothing_older_than_the_limit(
    settings, youtube_emulator, product
) -> None:
    limit = dt.timedelta(days=settings.YOUTUBE_DATA_MAX_AGE_DAYS)
    pool = corpus_ids(youtube_emulator, 180)
    first_matched = pool[0]
    with time_machine.travel(NOW, tick=False) as traveller:
        for day in range(60):
            now = NOW + day * DAY
            traveller.move_to(now)
            # Discovery finds three videos a day and matches one of them.
            fresh = [video_id for video_id in pool[day * 3 : day * 3 + 3] if not Video.objects.filter(pk=video_id)]
            for index, video in enumerate(store(youtube_emulator, fresh, fetched_at=now)):
                Channel.objects.filter(pk=video.channel_id).update(fetched_at=now)
                if index == 0:
                    match(product, video)
            if day % 7 == 6:  # a day when discovery spent the whole unit budget before retention ran
                spend_units_today(quota.remaining_today()[1])
            run_retention()
            oldest = oldest_record_fetched_at()
            assert oldest is None or now - oldest <= limit, f"day {day}: a record is {now - oldest} old"
    assert RetentionRun.objects.count() == 60
    # Matched records were refreshed rather than dropped; unmatched ones were dropped.
    assert Video.objects.filter(pk=first_matched).exists()
    assert Video.objects.filter(matches__isnull=True, fetched_at__lt=NOW + 59 * DAY - limit).count() == 0


# --- deletion on request --------------------------------------------------------------------------


def test_forget_channel_deletes_everything_about_it_and_suppresses_it(youtube_emulator, product) -> None:
    videos = store(youtube_emulator, corpus_ids(youtube_emulator, 1), fetched_at=NOW)
    channel_id = videos[0].channel_id
    videos += [
        Video.objects.create(video_id=f"extra{n}", channel_id=channel_id, title="another", fetched_at=NOW)
        for n in range(2)
    ]
    for video in videos:
        match(product, video)
    CreatorDecision.objects.create(product=product, channel_id=channel_id, status="dismissed")
    other = store(youtube_emulator, corpus_ids(youtube_emulator, 1, skip=50), fetched_at=NOW)[0]
    match(product, other)

    out = io.StringIO()
    call_command("forget_channel", channel_id, "--reason", "creator's e-mail", stdout=out)

    assert not Channel.objects.filter(pk=channel_id).exists()
    assert not Video.objects.filter(channel_id=channel_id).exists()
    assert not Match.objects.filter(video__channel_id=channel_id).exists()
    assert not CreatorMatch.objects.filter(channel_id=channel_id).exists()
    assert not CreatorDecision.objects.filter(channel_id=channel_id).exists()
    assert SuppressedChannel.objects.get(pk=channel_id).reason == "creator's e-mail"
    assert Video.objects.filter(pk=other.pk).exists() and Match.objects.filter(video=other).exists()
    assert "deleted 3 videos, 3 matches, 1 creator matches and 1 decisions" in out.getvalue()
    assert is_suppressed([channel_id, other.channel_id, ""]) == {channel_id}

    again = io.StringIO()
    call_command("forget_channel", channel_id, stdout=again)
    assert "already forgotten" in again.getvalue()


def test_forget_channel_refuses_an_unknown_or_malformed_id() -> None:
    with pytest.raises(CommandError, match="No stored channel"):
        call_command("forget_channel", "UCaaaaaaaaaaaaaaaaaaaaaa", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a YouTube channel id"):
        call_command("forget_channel", "https://youtube.com/@someone", stdout=io.StringIO())
    assert not SuppressedChannel.objects.exists()
    call_command("forget_channel", "UCaaaaaaaaaaaaaaaaaaaaaa", "--suppress-unknown", stdout=io.StringIO())
    assert is_suppressed(["UCaaaaaaaaaaaaaaaaaaaaaa"]) == {"UCaaaaaaaaaaaaaaaaaaaaaa"}


def test_the_admin_forgets_a_channel_and_shows_what_retention_did(client, youtube_emulator, product) -> None:
    admin = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-for-tests-only")
    client.force_login(admin)
    with time_machine.travel(NOW, tick=False):
        video = store(youtube_emulator, corpus_ids(youtube_emulator, 1), fetched_at=NOW - 27 * DAY)[0]
        match(product, video)
        run_retention()
        page = client.get("/admin/discovery/channel/")
        videos_page = client.get("/admin/discovery/video/").content.decode()
    assert "views, as of 24 Nov" in videos_page and "Oldest stored YouTube record" in videos_page
    text = page.content.decode()
    assert "Oldest stored YouTube record: fetched 0.0 days ago (limit 30 days)" in text
    assert "refreshed 1 videos and 1 channels, deleted 0 videos and 0 channels" in text
    assert "subscribers, as of 24 Nov" in text  # counts carry the day they were fetched

    response = client.post(
        "/admin/discovery/channel/", {"action": "forget_channels", "_selected_action": [video.channel_id]}
    )
    assert response.status_code == 302
    assert not Channel.objects.exists() and not Match.objects.exists()
    assert is_suppressed([video.channel_id]) == {video.channel_id}
