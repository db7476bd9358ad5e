"""The creators' rows kept in step with the stored YouTube data they refer to (what receivers.py calls)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from creators.lookalikes import forget_channel_vectors
from creators.models import CreatorNote, ListEntry, RecentUpload
from creators.services import delete_expired_recent_uploads
from discovery.models import Video
from discovery.signals import InUse


def records_in_use() -> InUse:
    """The channels a company's rows are about: refreshed by the retention job while those rows last."""
    return InUse(channel_ids=(CreatorNote.objects.values("channel_id"), ListEntry.objects.values("channel_id")))


def delete_rows_of_channels(*, channel_ids: list[str]) -> dict[str, int]:
    """Everything kept here about these channels, before they go: {label: count}."""
    with transaction.atomic():
        notes = CreatorNote.objects.filter(channel_id__in=channel_ids).delete()[1].get(CreatorNote._meta.label, 0)
        entries = ListEntry.objects.filter(channel_id__in=channel_ids).delete()[1].get(ListEntry._meta.label, 0)
        uploads = RecentUpload.objects.filter(channel_id__in=channel_ids).delete()[1].get(RecentUpload._meta.label, 0)
    return _nonzero({"creator notes": notes, "list entries": entries, "recent uploads": uploads})


def forget_vectors_of_videos(*, video_ids: list[str]) -> int:
    """Videos that go or whose text changed: their channels' vectors are recomputed from what remains
    (at the next lookalike ranking). Derived, not YouTube's data: not counted in deletion reports."""
    channel_ids = set(Video.objects.filter(video_id__in=video_ids).values_list("channel_id", flat=True))
    return forget_channel_vectors(channel_ids=channel_ids)


def delete_expired(*, delete_cutoff: dt.datetime) -> dict[str, int]:
    return _nonzero({"recent uploads": delete_expired_recent_uploads(delete_cutoff=delete_cutoff)})


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    # A deletion report names what went: a kind of row this channel never had is not news.
    return {label: count for label, count in counts.items() if count}
