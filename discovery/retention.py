"""YouTube's 30-day rule (Developer Policies III.E.4), kept without operator action.

Data fetched with an API key may be stored for at most YOUTUBE_DATA_MAX_AGE_DAYS, then it must be
refreshed or deleted. `run_retention` does both, daily just after YouTube's Pacific-midnight quota
reset (the "maatchaa-retention" schedule in pipeline/schedules.py, task pipeline.tasks.retention,
which calls `retention_task` here):

1. Stored videos and channels that the layers above still need (matching answers
   `signals.youtube_records_in_use`: a match, a ranked creator, a marketer's decision) and that are
   within YOUTUBE_REFRESH_MARGIN_DAYS of the limit are fetched again by id, 50 per call, oldest first,
   within what is left of today's unit budget. Never a search call. What YouTube no longer returns
   (removed or private videos, closed channels) is deleted with its matches.
2. Then everything that would pass the limit before the next runs could refresh it (fetched more than
   max age minus DELETE_AHEAD ago) is deleted: unreferenced records, and referenced ones the budget
   could not refresh. Deleting early is compliant; keeping late is not.

`forget_channel` handles a creator's deletion request (III.E.4.g): everything stored about the
channel goes at once, and the id joins SuppressedChannel so discovery never stores it again.

Discovery imports no app above it: what refers to the records that go or change (matches, rankings,
decisions) is put right by its owner, told through discovery/signals.py before a deletion and after a
refresh; the counts it reports come back as the receivers' answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Func, Max, Min, Model, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Company
from discovery import quota, search_cache, signals, text_signals
from discovery.models import Channel, RetentionRun, SearchQuery, SuppressedChannel, Video
from discovery.selectors import suppressed_channel_ids
from discovery.youtube import (
    MAX_IDS_PER_CALL,
    ChannelDetails,
    QuotaExhausted,
    VideoDetails,
    YouTubeClient,
    YouTubeError,
    get_client,
)

logger = logging.getLogger("maatchaa.retention")

# Records are deleted this long before they reach the limit when they could not be refreshed: the
# job runs daily, so one late or missed run (a worker restart) still never leaves one past the limit.
DELETE_AHEAD = dt.timedelta(days=2)

# YouTube channel ids: "UC" and 22 URL-safe base64 characters.
CHANNEL_ID_RE = re.compile(r"^UC[A-Za-z0-9_-]{22}$")


# --- suppression (deletion requests) --------------------------------------------------------------


def is_suppressed(channel_ids: Iterable[str]) -> set[str]:
    """The ids among `channel_ids` whose creators asked to be forgotten: never store these."""
    return suppressed_channel_ids(channel_ids=channel_ids)


@dataclass(frozen=True)
class ForgetResult:
    channel_id: str
    title: str
    videos: int
    # What the layers above deleted with it, as their receivers answered: (("matches", 3), ...).
    related: tuple[tuple[str, int], ...]
    already_suppressed: bool

    @property
    def deleted_anything(self) -> bool:
        return bool(self.videos or any(count for _label, count in self.related))

    def deleted_text(self) -> str:
        """ "3 videos, 3 matches, 1 creator matches and 1 decisions" """
        parts = [f"{self.videos} videos", *(f"{count} {label}" for label, count in self.related)]
        return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


class UnknownChannel(Exception):
    """forget_channel was given an id that is malformed, or that we never stored nor suppressed."""


def forget_channel(*, channel_id: str, reason: str = "", suppress_unknown: bool = False) -> ForgetResult:
    """Delete everything stored about a channel at once and suppress it from being stored again.

    Idempotent: forgetting a channel that is already suppressed and no longer stored deletes nothing
    and reports already_suppressed. Raises UnknownChannel for a malformed id, or an id we neither
    store nor suppress (most likely a typo: refusing is safer than suppressing the wrong creator),
    unless `suppress_unknown` says to suppress a well-formed id we hold nothing about yet.
    """
    channel_id = channel_id.strip()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().filter(channel_id=channel_id).first()
        suppressed = SuppressedChannel.objects.filter(channel_id=channel_id).first()
        if channel is None and suppressed is None:
            if not CHANNEL_ID_RE.fullmatch(channel_id):
                raise UnknownChannel(
                    f"{channel_id!r} is not a YouTube channel id (they look like UC followed by 22 letters, "
                    "digits, - or _; the channel page's URL /channel/<id> shows it)."
                )
            if not suppress_unknown:
                raise UnknownChannel(
                    f"No stored channel has the id {channel_id}; nothing was deleted or suppressed "
                    "(--suppress-unknown suppresses it anyway)."
                )
        videos = 0
        related: dict[str, int] = {}
        title = ""
        # Its videos leave every stored search answer, and the id every brand's list of its own channels:
        # after this, the id is stored nowhere but in the suppression list.
        known_videos = list(Video.objects.filter(channel_id=channel_id).values_list("pk", flat=True))
        search_cache.forget_channels(channel_ids=[channel_id], video_ids=known_videos)
        Company.objects.filter(own_channel_ids__contains=[channel_id]).update(
            own_channel_ids=Func(F("own_channel_ids"), Value(channel_id), function="array_remove")
        )
        if channel is not None:
            title = channel.title
            videos, related = _delete_channels([channel_id], reason="forgotten")
        if suppressed is None:
            SuppressedChannel.objects.create(channel_id=channel_id, reason=reason[:500])
        elif reason and not suppressed.reason:
            SuppressedChannel.objects.filter(channel_id=channel_id).update(reason=reason[:500])
    result = ForgetResult(
        channel_id=channel_id,
        title=title,
        videos=videos,
        related=tuple(related.items()),
        already_suppressed=suppressed is not None,
    )
    logger.info("Forgot channel %s (%s): deleted %s", channel_id, title, result.deleted_text())
    return result


# --- deleting, with the layers above told first ---------------------------------------------------


def _delete_videos(video_ids: list[str], *, reason: str) -> int:
    """Delete these videos, after the layers above removed what refers to them; how many went."""
    if not video_ids:
        return 0
    with transaction.atomic():
        signals.videos_deleting.send(sender=Video, video_ids=video_ids, reason=reason)
        videos = Video.objects.filter(video_id__in=video_ids)
        channel_ids = set(videos.values_list("channel_id", flat=True))
        deleted = videos.delete()[1].get(Video._meta.label, 0)
        # A channel's last upload is the newest of its stored videos: a date copied from a deleted video
        # must not outlive it.
        Channel.objects.filter(channel_id__in=channel_ids).update(
            last_upload_at=Subquery(
                Video.objects.filter(channel_id=OuterRef("channel_id"))
                .order_by()
                .values("channel_id")
                .annotate(newest=Max("published_at"))
                .values("newest")
            )
        )
        return deleted


def _delete_channels(channel_ids: list[str], *, reason: str) -> tuple[int, dict[str, int]]:
    """Delete these channels and their videos, after the layers above removed what refers to them.

    Returns (videos deleted, what the receivers said they deleted)."""
    if not channel_ids:
        return 0, {}
    with transaction.atomic():
        answers = signals.channels_deleting.send(sender=Channel, channel_ids=channel_ids, reason=reason)
        videos = Video.objects.filter(channel_id__in=channel_ids).delete()[1].get(Video._meta.label, 0)
        Channel.objects.filter(channel_id__in=channel_ids).delete()
    return videos, signals.deleted_counts(answers)


# --- the retention job ----------------------------------------------------------------------------


def _any_of(ids: tuple[QuerySet, ...] | list[QuerySet]) -> Q:
    # Each receiver's ids as a subquery; nothing referenced when no app listens.
    condition = Q(pk__in=[])
    for queryset in ids:
        condition |= Q(pk__in=queryset)
    return condition


def _referenced_videos() -> QuerySet[Video]:
    return Video.objects.filter(_any_of(list(signals.in_use(Video).video_ids)))


def _referenced_channels() -> QuerySet[Channel]:
    return Channel.objects.filter(_any_of(list(signals.in_use(Channel).channel_ids)))


def _fetched_before(cutoff: dt.datetime) -> Q:
    # A row never fetched on its own (discovery's placeholder channel, named from a video) holds
    # API data since it was created.
    return Q(fetched_at__lt=cutoff) | Q(fetched_at__isnull=True, created_at__lt=cutoff)


def _due(queryset: QuerySet, cutoff: dt.datetime) -> list[str]:
    return list(
        queryset.filter(_fetched_before(cutoff))
        .order_by(F("fetched_at").asc(nulls_first=True), "created_at")
        .values_list("pk", flat=True)
    )


def _apply_channel(details: ChannelDetails, *, now: dt.datetime) -> None:
    Channel.objects.filter(channel_id=details.channel_id).update(
        title=details.title,
        description=details.description,
        contact_emails=text_signals.extract_emails(details.description),
        custom_url=details.custom_url,
        country=details.country,
        default_language=details.default_language,
        thumbnail_url=details.thumbnail_url,
        keywords=details.keywords,
        subscriber_count=details.subscriber_count,
        hidden_subscriber_count=details.hidden_subscriber_count,
        video_count=details.video_count,
        view_count=details.view_count,
        uploads_playlist_id=details.uploads_playlist_id,
        statistics_emulated=details.statistics_emulated,
        published_at=details.published_at,
        fetched_at=now,
        updated_at=now,
    )


def _apply_video(details: VideoDetails, *, now: dt.datetime) -> None:
    Video.objects.filter(video_id=details.video_id).update(
        channel_title=details.channel_title,
        title=details.title[:1000],
        description=details.description,
        tags=list(details.tags),
        published_at=details.published_at,
        category_id=details.category_id,
        duration_seconds=details.duration_seconds,
        view_count=details.view_count,
        like_count=details.like_count,
        comment_count=details.comment_count,
        topic_categories=list(details.topic_categories),
        thumbnail_url=details.thumbnail_url,
        fetched_at=now,
        updated_at=now,
    )


@dataclass
class _Tally:
    videos_refreshed: int = 0
    channels_refreshed: int = 0
    videos_deleted: int = 0
    channels_deleted: int = 0
    searches_deleted: int = 0
    stopped: str = ""


def _refresh_channels(client: YouTubeClient, ids: list[str], tally: _Tally, *, now: dt.datetime) -> None:
    for start in range(0, len(ids), MAX_IDS_PER_CALL):
        chunk = ids[start : start + MAX_IDS_PER_CALL]
        found = client.channels(chunk)
        with transaction.atomic():
            for details in found:
                _apply_channel(details, now=now)
            gone = sorted(set(chunk) - {details.channel_id for details in found})
            # A closed or terminated channel: its videos, matches and decisions go with it.
            videos, _related = _delete_channels(gone, reason="gone")
            tally.videos_deleted += videos
            tally.channels_deleted += len(gone)
        tally.channels_refreshed += len(found)


def _reanalyse_changed(video_ids: list[str]) -> None:
    """Videos whose text changed at YouTube: their signals follow the new text, and the layers above
    rebuild what they derived from it (embeddings, scores, evidence)."""
    videos = list(Video.objects.filter(video_id__in=video_ids))
    for video in videos:
        video.contact_emails = text_signals.extract_emails(video.description)
        video.sponsorship_signals = [s[:200] for s in text_signals.sponsorship_signals(video.description)]
    Video.objects.bulk_update(videos, ["contact_emails", "sponsorship_signals"])
    signals.videos_refreshed.send(sender=Video, video_ids=[video.video_id for video in videos])


def _refresh_videos(client: YouTubeClient, ids: list[str], tally: _Tally, *, now: dt.datetime) -> None:
    for start in range(0, len(ids), MAX_IDS_PER_CALL):
        chunk = ids[start : start + MAX_IDS_PER_CALL]
        found = client.videos(chunk)
        before = {
            video_id: (title, description, tuple(tags))
            for video_id, title, description, tags in Video.objects.filter(video_id__in=chunk).values_list(
                "video_id", "title", "description", "tags"
            )
        }
        changed = [d.video_id for d in found if before.get(d.video_id) != (d.title[:1000], d.description, d.tags)]
        with transaction.atomic():
            for details in found:
                _apply_video(details, now=now)
            gone = sorted(set(chunk) - {details.video_id for details in found})
            tally.videos_deleted += _delete_videos(gone, reason="gone")
        if changed:
            _reanalyse_changed(changed)
        tally.videos_refreshed += len(found)


@dataclass(frozen=True)
class RetentionPlan:
    """What a pass of the job is due to do at `now`, read without changing or spending anything."""

    now: dt.datetime
    delete_cutoff: dt.datetime
    channel_ids: list[str]  # in use and due for refresh, oldest first
    video_ids: list[str]
    channel_calls: int  # the calls today's units (and the caller's limit) allow, channels first
    video_calls: int

    @property
    def units_needed(self) -> int:
        return -(-len(self.channel_ids) // MAX_IDS_PER_CALL) + -(-len(self.video_ids) // MAX_IDS_PER_CALL)

    @property
    def short_of_budget(self) -> str:
        calls = self.channel_calls + self.video_calls
        return f"the unit budget allowed {calls} of {self.units_needed} calls" if calls < self.units_needed else ""


def plan_retention(*, now: dt.datetime | None = None, unit_limit: int | None = None) -> RetentionPlan:
    now = now or timezone.now()
    max_age = dt.timedelta(days=settings.YOUTUBE_DATA_MAX_AGE_DAYS)
    margin = dt.timedelta(days=min(settings.YOUTUBE_REFRESH_MARGIN_DAYS, settings.YOUTUBE_DATA_MAX_AGE_DAYS))
    refresh_cutoff = now - (max_age - margin)
    # Never delete a referenced record before it was due for refresh: the margin bounds the lead.
    delete_cutoff = now - (max_age - min(DELETE_AHEAD, margin))
    channel_ids = _due(_referenced_channels(), refresh_cutoff)
    video_ids = _due(_referenced_videos(), refresh_cutoff)
    channel_calls = video_calls = 0
    if channel_ids or video_ids:
        # The ledger runs on the clock the client records with, not on `now`. Units only: never a search call.
        units_left = quota.remaining_today()[1]
        if unit_limit is not None:
            units_left = min(units_left, unit_limit)
        # Oldest first within each kind; channels before videos, since a closed channel takes its
        # videos with it and spares their calls.
        channel_calls = min(units_left, -(-len(channel_ids) // MAX_IDS_PER_CALL))
        video_calls = min(units_left - channel_calls, -(-len(video_ids) // MAX_IDS_PER_CALL))
    return RetentionPlan(
        now=now,
        delete_cutoff=delete_cutoff,
        channel_ids=channel_ids,
        video_ids=video_ids,
        channel_calls=channel_calls,
        video_calls=video_calls,
    )


def run_retention(
    *, now: dt.datetime | None = None, unit_limit: int | None = None, client: YouTubeClient | None = None
) -> RetentionRun:
    """One pass of the retention job; returns the RetentionRun row saying what it did.

    `unit_limit` caps the units this pass may spend below what is left of today's budget.
    Refreshing stops at the first YouTube error (budget spent, breaker open, YouTube down); the
    deletion pass runs regardless, so a failure never leaves data past the limit.
    """
    started = time.monotonic()
    plan = plan_retention(now=now, unit_limit=unit_limit)
    now, delete_cutoff = plan.now, plan.delete_cutoff
    run = RetentionRun.objects.create(started_at=now)
    tally = _Tally(stopped=plan.short_of_budget)
    units_spent = 0
    if plan.units_needed:
        try:
            client = client or get_client()
            spent_before = client.units_sent
            try:
                _refresh_channels(client, plan.channel_ids[: plan.channel_calls * MAX_IDS_PER_CALL], tally, now=now)
                remaining = set(Video.objects.filter(video_id__in=plan.video_ids).values_list("pk", flat=True))
                video_ids = [video_id for video_id in plan.video_ids if video_id in remaining]
                _refresh_videos(client, video_ids[: plan.video_calls * MAX_IDS_PER_CALL], tally, now=now)
            finally:
                units_spent = client.units_sent - spent_before
        except QuotaExhausted as exc:
            tally.stopped = f"the unit budget ran out: {exc.message}"
        except YouTubeError as exc:
            tally.stopped = f"YouTube failed: {exc.message}"
        if tally.stopped:
            logger.warning("Retention refreshed less than was due: %s", tally.stopped)

    with transaction.atomic():
        # Past (or about to pass) the limit: unreferenced records, and those the refresh did not reach.
        expired_videos = list(Video.objects.filter(_fetched_before(delete_cutoff)).values_list("pk", flat=True))
        tally.videos_deleted += _delete_videos(expired_videos, reason="expired")
        expired_channels = list(Channel.objects.filter(_fetched_before(delete_cutoff)).values_list("pk", flat=True))
        videos, _related = _delete_channels(expired_channels, reason="expired")
        tally.channels_deleted += len(expired_channels)
        tally.videos_deleted += videos
        # Stored search answers are never refreshed (a search call each): deleted once they cannot be served.
        tally.searches_deleted = search_cache.delete_expired(delete_cutoff=delete_cutoff, now=now)
        # YouTube data the layers above keep themselves (a creator's recent uploads) goes by the same cutoff.
        signals.youtube_data_expiring.send(sender=RetentionRun, delete_cutoff=delete_cutoff)

    run.finished_at = now + dt.timedelta(seconds=time.monotonic() - started)
    run.videos_refreshed = tally.videos_refreshed
    run.channels_refreshed = tally.channels_refreshed
    run.videos_deleted = tally.videos_deleted
    run.channels_deleted = tally.channels_deleted
    run.searches_deleted = tally.searches_deleted
    run.units = units_spent
    run.message = (f"Stopped refreshing: {tally.stopped}" if tally.stopped else "")[:500]
    run.save()
    return run


@dataclass(frozen=True)
class RetentionForecast:
    """What `run_retention` would do now (a dry run): the same counts as a RetentionRun, nothing changed."""

    videos_refreshed: int
    channels_refreshed: int
    videos_deleted: int
    channels_deleted: int
    searches_deleted: int
    units: int
    units_left: int
    message: str


def forecast_retention(*, now: dt.datetime | None = None, unit_limit: int | None = None) -> RetentionForecast:
    """The dry run: what a pass would refresh, delete and spend, read without a call or a write.

    It cannot know what YouTube no longer returns (only a call tells), so records a refresh would find
    gone are counted as refreshed; everything else is what the pass would do."""
    plan = plan_retention(now=now, unit_limit=unit_limit)
    channels = set(plan.channel_ids[: plan.channel_calls * MAX_IDS_PER_CALL])
    videos = set(plan.video_ids[: plan.video_calls * MAX_IDS_PER_CALL])
    expired_channels = set(
        Channel.objects.filter(_fetched_before(plan.delete_cutoff))
        .exclude(pk__in=channels)
        .values_list("pk", flat=True)
    )
    expired_videos = Video.objects.filter(
        (_fetched_before(plan.delete_cutoff) & ~Q(pk__in=videos)) | Q(channel_id__in=expired_channels)
    )
    units_left = quota.remaining_today()[1] if unit_limit is None else min(quota.remaining_today()[1], unit_limit)
    return RetentionForecast(
        videos_refreshed=len(videos),
        channels_refreshed=len(channels),
        videos_deleted=expired_videos.count(),
        channels_deleted=len(expired_channels),
        searches_deleted=SearchQuery.objects.filter(
            search_cache.expired(delete_cutoff=plan.delete_cutoff, now=plan.now)
        ).count(),
        units=plan.channel_calls + plan.video_calls,
        units_left=units_left,
        message=f"Would stop refreshing: {plan.short_of_budget}" if plan.short_of_budget else "",
    )


def retention_task() -> str:
    """The django-q2 entry point for the scheduled job (pipeline/schedules.py)."""
    run = run_retention()
    return retention_summary(run)


# --- what the admin shows -------------------------------------------------------------------------


# Every table holding data fetched from YouTube, with the moment each row's data was fetched. The rows
# of the layers above (matches, rankings, decisions) hold ids and our own scores, not YouTube's data,
# and go when the videos and channels they refer to go (discovery/signals.py).
YOUTUBE_DATA_TABLES: tuple[tuple[str, type[Model], Combinable], ...] = (
    ("video", Video, Coalesce("fetched_at", "created_at")),
    ("channel", Channel, Coalesce("fetched_at", "created_at")),
    ("stored search answer", SearchQuery, F("searched_at")),
)


def oldest_records() -> dict[str, dt.datetime]:
    """When the oldest row of each table in YOUTUBE_DATA_TABLES was fetched (tables with rows only)."""
    oldest = {
        label: model._default_manager.aggregate(oldest=Min(fetched))["oldest"]
        for label, model, fetched in YOUTUBE_DATA_TABLES
    }
    return {label: moment for label, moment in oldest.items() if moment is not None}


def oldest_record_fetched_at() -> dt.datetime | None:
    """When the oldest stored YouTube record (video, channel or search answer) was fetched; None if none is."""
    oldest = oldest_records()
    return min(oldest.values()) if oldest else None


def retention_summary(run: RetentionRun | None = None) -> str:
    """One line for operators: the oldest record's age and what the last retention run did."""
    now = timezone.now()
    records = oldest_records()
    limit = settings.YOUTUBE_DATA_MAX_AGE_DAYS
    tables = ", ".join(f"{label}s" for label, _model, _fetched in YOUTUBE_DATA_TABLES)
    if not records:
        age = f"No YouTube data is stored ({tables})."
    else:
        kind, oldest = min(records.items(), key=lambda item: item[1])
        days = (now - oldest).total_seconds() / 86400
        age = f"Oldest stored YouTube record: fetched {days:.1f} days ago (limit {limit} days), a {kind}; tables: {tables}."
    run = run or RetentionRun.objects.filter(finished_at__isnull=False).first()
    if run is None:
        last = "No retention run yet."
    else:
        last = (
            f"Last retention run {run.started_at:%Y-%m-%d %H:%M} UTC: refreshed {run.videos_refreshed} videos "
            f"and {run.channels_refreshed} channels, deleted {run.videos_deleted} videos and "
            f"{run.channels_deleted} channels and {run.searches_deleted} stored search answers, {run.units} units."
        )
        if run.message:
            last += f" {run.message}"
    return f"{age} {last}"
