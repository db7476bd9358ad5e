"""The creators' rows follow the YouTube side's signals (discovery/signals.py); connected in CreatorsConfig.ready().

A company's notes (and, further on, its list entries) keep the channel they are about refreshed rather
than expired; what refers to a channel that goes is deleted with it and counted for the report; the
recent uploads, YouTube data kept here, go by the retention pass's cutoff; a channel's vector is
dropped (to be recomputed) when its videos change or go.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from creators import youtube_changes
from discovery.signals import (
    InUse,
    channels_deleting,
    videos_deleting,
    videos_refreshed,
    youtube_data_expiring,
    youtube_records_in_use,
)


@receiver(youtube_records_in_use, dispatch_uid="creators.records_in_use")
def records_in_use(sender: Any, **kwargs: Any) -> InUse:
    return youtube_changes.records_in_use()


@receiver(channels_deleting, dispatch_uid="creators.channels_deleting")
def channels_going(sender: Any, *, channel_ids: list[str], **kwargs: Any) -> dict[str, int]:
    return youtube_changes.delete_rows_of_channels(channel_ids=channel_ids)


@receiver(youtube_data_expiring, dispatch_uid="creators.youtube_data_expiring")
def data_expiring(sender: Any, *, delete_cutoff: dt.datetime, **kwargs: Any) -> dict[str, int]:
    return youtube_changes.delete_expired(delete_cutoff=delete_cutoff)


@receiver(videos_deleting, dispatch_uid="creators.videos_deleting")
def videos_going(sender: Any, *, video_ids: list[str], **kwargs: Any) -> None:
    # Returns nothing: a channel vector is ours, derived, and not part of what a deletion reports.
    youtube_changes.forget_vectors_of_videos(video_ids=video_ids)


@receiver(videos_refreshed, dispatch_uid="creators.videos_refreshed")
def videos_changed(sender: Any, *, video_ids: list[str], **kwargs: Any) -> None:
    youtube_changes.forget_vectors_of_videos(video_ids=video_ids)
