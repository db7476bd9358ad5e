"""What the YouTube side tells the layers above it about stored videos and channels.

Discovery imports no app above it (the layering of issue #13): matching keeps rows that refer to
videos and channels (matches, ranked creators, marketers' decisions) and learns from these signals
when the rows they refer to change or go. Receivers are connected in the listening app's
`AppConfig.ready()`; `send()` returns their answers, which the sender adds up.

- `youtube_records_in_use` is asked by the retention job: each receiver returns an `InUse` naming the
  stored videos and channels its rows still need, which are refreshed rather than left to expire.
- `videos_deleting` and `channels_deleting` are sent inside the deleting transaction, just before the
  rows go, with the ids (`video_ids` / `channel_ids`) and why (`reason`: "expired", "gone" or
  "forgotten"). A receiver deletes what it keeps about them, puts right what depended on them (a
  product's ranking), and returns how many rows of each kind it deleted, as {label: count} with
  labels for people ("matches"). They are sent before the rows go so that a receiver still sees which
  of its rows referred to them; whatever a receiver leaves, the foreign keys' CASCADE removes.
- `youtube_data_expiring` is sent by each retention pass, inside its deleting transaction, with
  `delete_cutoff`: a receiver that keeps YouTube data of its own (a creator's recent uploads) deletes
  what was fetched before it and returns {label: count}.
- `videos_refreshed` is sent after a refresh committed, with the ids of the videos whose text
  (title, description or tags) YouTube changed: whatever was derived from the old text (embeddings,
  scores, evidence) is rebuilt from the new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.dispatch import Signal

youtube_records_in_use = Signal()
videos_deleting = Signal()
channels_deleting = Signal()
videos_refreshed = Signal()
youtube_data_expiring = Signal()


@dataclass(frozen=True)
class InUse:
    """A receiver's answer to `youtube_records_in_use`: querysets of the ids its rows refer to
    (`.values("video_id")` and the like), used as subqueries, never evaluated in Python."""

    video_ids: Sequence[QuerySet[Any]] = field(default_factory=tuple)
    channel_ids: Sequence[QuerySet[Any]] = field(default_factory=tuple)


def deleted_counts(responses: Sequence[tuple[Any, Any]]) -> dict[str, int]:
    """The receivers' {label: count} answers to a deleting signal, added up in the order first seen."""
    totals: dict[str, int] = {}
    for _receiver, answer in responses:
        if isinstance(answer, Mapping):
            for label, count in answer.items():
                totals[str(label)] = totals.get(str(label), 0) + int(count)
    return totals


def in_use(sender: type) -> InUse:
    """Every receiver's `InUse`, in one."""
    videos: list[QuerySet[Any]] = []
    channels: list[QuerySet[Any]] = []
    for _receiver, answer in youtube_records_in_use.send(sender=sender):
        if isinstance(answer, InUse):
            videos += answer.video_ids
            channels += answer.channel_ids
    return InUse(video_ids=tuple(videos), channel_ids=tuple(channels))
