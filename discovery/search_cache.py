"""Stored search answers (SearchQuery): what `search.list` returned, kept to answer a repeat for free.

They are YouTube API data like any other (Developer Policies III.E.4), so the 30-day rule holds for
them too, and a creator's deletion request reaches them:

- An answer is served while it is younger than DISCOVERY_QUERY_CACHE_HOURS and younger than
  YOUTUBE_DATA_MAX_AGE_DAYS, whichever is shorter. Never refreshed (that would spend a search call):
  the retention job deletes an answer once it can no longer be served, and in any case before it
  reaches the limit (`delete_expired`).
- Each answer keeps every video's channel (`channel_ids`, in step with `video_ids`). A suppressed
  channel's videos are left out when an answer is stored, and again when one is served, so that no
  detail call is ever spent on them; `forget_channels` takes them out of every stored answer.
  Answers stored before channels were kept (an empty `channel_ids`) cannot be screened and are not
  served.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from discovery.models import SearchQuery
from discovery.selectors import suppressed_channel_ids


@dataclass(frozen=True)
class Answer:
    """A search's video ids, best first, and each one's channel."""

    video_ids: tuple[str, ...]
    channels: dict[str, str]


def serving_window() -> dt.timedelta:
    """How long a stored answer may answer a repeat: the cache's own window, never past the 30-day rule."""
    return min(
        dt.timedelta(hours=settings.DISCOVERY_QUERY_CACHE_HOURS),
        dt.timedelta(days=settings.YOUTUBE_DATA_MAX_AGE_DAYS),
    )


def _screened(video_ids: Sequence[str], channel_ids: Sequence[str]) -> Answer:
    suppressed = suppressed_channel_ids(channel_ids=channel_ids)
    kept = [
        (video, channel) for video, channel in zip(video_ids, channel_ids, strict=True) if channel not in suppressed
    ]
    return Answer(video_ids=tuple(video for video, _ in kept), channels=dict(kept))


def cached_answer(*, query: str, params_key: str, now: dt.datetime | None = None) -> Answer | None:
    """The stored answer to `query` with these parameters if it may still be served, without the
    videos of suppressed channels; None when a search call is needed."""
    now = now or timezone.now()
    row = SearchQuery.objects.filter(
        query=query, params_key=params_key, searched_at__gte=now - serving_window()
    ).first()
    if row is None or len(row.channel_ids) != len(row.video_ids):
        return None
    return _screened(row.video_ids, row.channel_ids)


def is_cached(*, query: str, params_key: str, now: dt.datetime | None = None) -> bool:
    return cached_answer(query=query, params_key=params_key, now=now) is not None


def store_answer(
    *, query: str, params_key: str, items: Iterable[tuple[str, str]], now: dt.datetime | None = None
) -> Answer:
    """Keep a search's answer, `items` being its (video id, channel id) pairs in YouTube's order.

    Repeated and empty video ids are dropped, and so are the videos of suppressed channels, before the
    answer is stored or returned: what comes back is what discovery may look up."""
    first: dict[str, str] = {}
    for video_id, channel_id in items:
        if video_id and video_id not in first:
            first[video_id] = channel_id or ""
    answer = _screened(list(first), list(first.values()))
    SearchQuery.objects.update_or_create(
        query=query,
        params_key=params_key,
        defaults={
            "searched_at": now or timezone.now(),
            "video_ids": list(answer.video_ids),
            "channel_ids": [answer.channels[video_id] for video_id in answer.video_ids],
        },
    )
    return answer


def forget_channels(*, channel_ids: Sequence[str], video_ids: Sequence[str] = ()) -> int:
    """Take these channels' videos out of every stored answer (and `video_ids`, their videos we know
    of, from answers stored before channels were kept); returns how many answers changed."""
    channel_set, video_set = set(channel_ids), set(video_ids)
    if not channel_set and not video_set:
        return 0
    holding = Q(pk__in=[])
    if channel_set:
        holding |= Q(channel_ids__overlap=list(channel_set))
    if video_set:
        holding |= Q(video_ids__overlap=list(video_set))
    changed = 0
    with transaction.atomic():
        for row in SearchQuery.objects.select_for_update().filter(holding):
            if len(row.channel_ids) == len(row.video_ids):
                kept = [
                    (video, channel)
                    for video, channel in zip(row.video_ids, row.channel_ids, strict=True)
                    if channel not in channel_set and video not in video_set
                ]
                row.video_ids = [video for video, _ in kept]
                row.channel_ids = [channel for _, channel in kept]
            else:  # stored before channels were kept: only the videos we know of can be recognised
                row.video_ids = [video for video in row.video_ids if video not in video_set]
            row.save(update_fields=["video_ids", "channel_ids", "updated_at"])
            changed += 1
    return changed


def expired(*, delete_cutoff: dt.datetime, now: dt.datetime | None = None) -> Q:
    """Answers the retention job deletes: those that can no longer be served, and any searched before
    `delete_cutoff` (the job's margin before the 30-day limit), whichever moment is later."""
    now = now or timezone.now()
    return Q(searched_at__lt=max(delete_cutoff, now - serving_window()))


def delete_expired(*, delete_cutoff: dt.datetime, now: dt.datetime | None = None) -> int:
    return SearchQuery.objects.filter(expired(delete_cutoff=delete_cutoff, now=now)).delete()[0]


def oldest_answer_at() -> dt.datetime | None:
    return SearchQuery.objects.aggregate(oldest=Min("searched_at"))["oldest"]
