"""Matching listens to the YouTube side's signals (discovery/signals.py); connected in MatchesConfig.ready().

Thin: each receiver calls one service of matches/youtube_changes.py and returns its answer, which the
sender reads from `send()`.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from discovery.signals import InUse, channels_deleting, videos_deleting, videos_refreshed, youtube_records_in_use
from matches import youtube_changes


@receiver(youtube_records_in_use, dispatch_uid="matches.records_in_use")
def records_in_use(sender: Any, **kwargs: Any) -> InUse:
    return youtube_changes.records_in_use()


@receiver(videos_deleting, dispatch_uid="matches.videos_deleting")
def videos_going(sender: Any, *, video_ids: list[str], **kwargs: Any) -> dict[str, int]:
    return youtube_changes.delete_matches_of_videos(video_ids=video_ids)


@receiver(channels_deleting, dispatch_uid="matches.channels_deleting")
def channels_going(sender: Any, *, channel_ids: list[str], **kwargs: Any) -> dict[str, int]:
    return youtube_changes.delete_matches_of_channels(channel_ids=channel_ids)


@receiver(videos_refreshed, dispatch_uid="matches.videos_refreshed")
def videos_changed(sender: Any, *, video_ids: list[str], **kwargs: Any) -> int:
    return youtube_changes.rebuild_for_new_text(video_ids=video_ids)
