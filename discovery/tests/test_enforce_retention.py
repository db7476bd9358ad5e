"""`enforce_retention` on a world aged past the limit: no table keeps YouTube data older than the window."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, models

from discovery import quota
from discovery.models import Channel, QuotaDay, RetentionRun, SearchQuery, SuppressedChannel, Video
from discovery.retention import YOUTUBE_DATA_TABLES, forecast_retention, oldest_record_fetched_at, run_retention
from matches.models import CreatorDecision, CreatorMatch, Match
from pipeline.discover import discover_products
from pipeline.tests.pipeline_support import make_company, make_product, write_corpus
from pipeline.tests.test_compliance import tea_rows

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 10, 1, 18, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
AGED = T0 + 40 * DAY

# Models whose fields name YouTube videos or channels but hold no data fetched from YouTube, and why.
NOT_YOUTUBE_DATA = {
    SuppressedChannel: "the deletion-request list: ids we must never store again",
    apps.get_model("accounts", "Company"): "own_channel_ids: the brand's own channels, entered by the brand",
    apps.get_model(
        "matches", "OwnChannelGuess"
    ): "a channel id judged the brand's by the brand's own names; no YouTube text",
}
YOUTUBE_NAMES = ("video_id", "channel_id", "fetched_at", "searched_at")


def names_youtube_records(model: type[models.Model]) -> bool:
    """Whether a model has a field that holds, or points at, YouTube data."""
    for field in model._meta.get_fields():
        if field.is_relation and field.many_to_one and field.related_model in (Video, Channel):
            return True
        if not field.is_relation and any(name in field.name for name in YOUTUBE_NAMES):
            return True
    return False


def refers_to_youtube_records(model: type[models.Model]) -> list[str]:
    """The model's foreign keys to stored videos and channels."""
    return [
        field.name
        for field in model._meta.get_fields()
        if field.is_relation and field.many_to_one and field.related_model in (Video, Channel)
    ]


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for):
    return youtube_emulator_for(write_corpus(tmp_path, tea_rows()))


@pytest.fixture
def world(emulator):
    """Discovery for two products, a marketer's decision and an unused stored video, all at T0."""
    company = make_company("Juniper & Pine Co.")
    whisk = make_product(company, "Ceremonial Matcha Whisk Set", tags=["matcha", "chasen"])
    bowl = make_product(company, "Chawan Tea Bowl", tags=["matcha", "tea ceremony"])
    with time_machine.travel(T0, tick=False):
        discover_products(run=None, products=[whisk, bowl])
        best = CreatorMatch.objects.order_by("rank").first()
        assert best is not None
        CreatorDecision.objects.create(product=whisk, channel_id=best.channel_id, status="shortlisted")
        stray = Channel.objects.create(channel_id="UCstrayChannel0000000000", title="Stray", fetched_at=T0)
        Video.objects.create(video_id="strayVideo01", channel=stray, title="Unused", fetched_at=T0)
    assert SearchQuery.objects.exists() and Match.objects.exists()
    return whisk


def snapshot() -> dict[str, list]:
    with connection.cursor() as cursor:
        tables = {}
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f'SELECT t::text FROM "{table}" AS t ORDER BY 1')
            tables[table] = [row[0] for row in cursor.fetchall()]
    return tables


def test_every_model_naming_youtube_records_is_under_the_rule_or_says_why_not() -> None:
    under_rule = {model for _label, model, _fetched in YOUTUBE_DATA_TABLES}
    unaccounted = [
        model._meta.label
        for model in apps.get_models()
        if names_youtube_records(model)
        and model not in under_rule
        and model not in NOT_YOUTUBE_DATA
        and not refers_to_youtube_records(model)
    ]
    assert unaccounted == []
    assert {Video, Channel, SearchQuery} <= under_rule
    assert {Match, CreatorMatch, CreatorDecision} <= {m for m in apps.get_models() if refers_to_youtube_records(m)}


def test_after_enforce_retention_on_a_world_aged_40_days_nothing_is_older_than_the_limit(
    settings, emulator, world
) -> None:
    limit = dt.timedelta(days=settings.YOUTUBE_DATA_MAX_AGE_DAYS)
    discovery_calls = len(emulator.calls)
    out = io.StringIO()
    with time_machine.travel(AGED, tick=False):
        call_command("enforce_retention", stdout=out)
    text = out.getvalue()
    run = RetentionRun.objects.get()
    assert run.videos_refreshed > 0 and run.channels_refreshed > 0 and run.searches_deleted > 0
    assert (
        f"Refreshed {run.videos_refreshed} videos and {run.channels_refreshed} channels, deleted "
        f"{run.videos_deleted} videos, {run.channels_deleted} channels and {run.searches_deleted} stored search "
        f"answers, and spent {run.units} units (no search calls)." in text
    )
    job_calls = emulator.calls[discovery_calls:]
    assert run.units == len(job_calls) and {call.resource for call in job_calls} == {"videos", "channels"}

    # Every table holding YouTube's data: nothing fetched longer ago than the limit.
    for label, model, fetched in YOUTUBE_DATA_TABLES:
        oldest = model._default_manager.aggregate(oldest=models.Min(fetched))["oldest"]
        assert oldest is None or AGED - oldest <= limit, f"{label}: fetched {AGED - oldest} ago"
    # Every model referring to stored videos or channels: only to records inside the window.
    for model in apps.get_models():
        for name in refers_to_youtube_records(model):
            stale = model._default_manager.filter(**{f"{name}__fetched_at__lt": AGED - limit}).count()
            assert stale == 0, f"{model._meta.label}.{name}"
    # Whatever was in use was refreshed and kept; what was not, deleted; answers are never refreshed.
    assert Match.objects.exists() and CreatorDecision.objects.exists()
    assert not Video.objects.filter(pk="strayVideo01").exists()
    assert not SearchQuery.objects.exists()
    assert cast_moment(oldest_record_fetched_at()) == AGED
    assert "Oldest stored YouTube data (limit 30 days): videos 0.0 days, channels 0.0 days" in text


def cast_moment(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value


def test_the_dry_run_says_what_the_job_would_do_and_changes_and_spends_nothing(emulator, world) -> None:
    before, discovery_calls = snapshot(), len(emulator.calls)
    out = io.StringIO()
    with time_machine.travel(AGED, tick=False):
        call_command("enforce_retention", "--dry-run", stdout=out)
        forecast = forecast_retention()
    assert snapshot() == before
    assert len(emulator.calls) == discovery_calls
    text = out.getvalue()
    assert "Oldest stored YouTube data (limit 30 days): videos 40.0 days, channels 40.0 days" in text
    assert "stored search answers 40.0 days" in text
    assert "Nothing was changed and nothing was spent." in text

    with time_machine.travel(AGED, tick=False):
        run = run_retention()
    # Nothing was gone at YouTube, so the forecast is exactly what the job then did.
    assert (
        forecast.videos_refreshed,
        forecast.channels_refreshed,
        forecast.videos_deleted,
        forecast.channels_deleted,
        forecast.searches_deleted,
        forecast.units,
    ) == (
        run.videos_refreshed,
        run.channels_refreshed,
        run.videos_deleted,
        run.channels_deleted,
        run.searches_deleted,
        run.units,
    )
    assert (
        f"Dry run: would refresh {run.videos_refreshed} videos and {run.channels_refreshed} channels, delete "
        f"{run.videos_deleted} videos, {run.channels_deleted} channels and {run.searches_deleted} stored search "
        f"answers, and spend {run.units} units of the 10000 left today (no search calls)." in text
    )


def test_on_a_day_whose_search_calls_are_over_budget_the_job_still_refreshes_what_is_in_use(
    settings, emulator, world
) -> None:
    settings.YOUTUBE_DAILY_SEARCH_CALLS = 40
    with time_machine.travel(AGED, tick=False):
        today = quota.pacific_day()
        QuotaDay.objects.create(day=today, search_calls=41)
        run = run_retention()
    assert run.videos_refreshed > 0 and run.channels_refreshed > 0 and run.message == ""
    assert Match.objects.exists() and CreatorDecision.objects.exists()  # refreshed, not deleted
    assert QuotaDay.objects.get(day=today).units == run.units > 0


def test_the_admin_line_covers_stored_search_answers(client, emulator, world) -> None:
    admin = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-for-tests-only")
    client.force_login(admin)
    Video.objects.update(fetched_at=T0 + 20 * DAY)
    Channel.objects.update(fetched_at=T0 + 20 * DAY)
    with time_machine.travel(T0 + 25 * DAY, tick=False):
        page = client.get("/admin/discovery/searchquery/").content.decode()
    assert "Oldest stored YouTube record: fetched 25.0 days ago (limit 30 days), a stored search answer" in page
    assert "videos, channels, stored search answers" in page


def test_a_channels_last_upload_does_not_outlive_the_videos_it_was_copied_from(emulator, world) -> None:
    decided = CreatorDecision.objects.get().channel_id
    # The shortlisted creator keeps its channel in use, but none of its videos is matched any more.
    Match.objects.filter(video__channel_id=decided).delete()
    CreatorMatch.objects.filter(channel_id=decided).delete()
    assert Channel.objects.get(pk=decided).last_upload_at is not None
    with time_machine.travel(AGED, tick=False):
        run_retention()
    channel = Channel.objects.get(pk=decided)
    assert channel.fetched_at == AGED  # refreshed: in use
    assert not Video.objects.filter(channel_id=decided).exists()  # its unused videos went at the limit
    assert channel.last_upload_at is None
