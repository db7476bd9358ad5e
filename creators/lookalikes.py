"""Lookalikes: the channels Maatchaa already stores whose content is nearest to one creator's.

No search call, and no unit either: every company's searches have stored channels and embedded their
videos (within the 30-day rule), and a channel's vector is the mean of its videos' embeddings
(ChannelVector, in pgvector with an HNSW index). "More like this" ranks the other channels by cosine
distance to the creator's vector, leaving out the company's own channels and the creators it dismissed,
and says why each is alike: its video nearest to the creator's content and the words both channels use.

Vectors follow the videos: `refresh_channel_vectors` (run before each ranking) recomputes, in one
statement, the vectors of channels whose embedded videos changed since (new, updated, re-embedded),
and deletes those of channels with none left; the receivers delete the vectors of channels whose
videos a refresh changed or the retention job deleted, so they are recomputed from what remains.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from accounts.models import Company
from creators.models import ChannelVector
from creators.selectors import Moment, channel_record, channel_subscribers, get_channel, youtube_cutoff
from discovery.models import Channel, Video
from maatchaa.api import ApplicationError
from maatchaa.lib.embedding import get_embedder
from maatchaa.lib.text import tokenize
from matches.display import youtube_video_url
from matches.models import CreatorDecision, CreatorMatch
from matches.services import vector_label

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
SHARED_TERMS = 6
# pgvector's HNSW scan returns ef_search candidates before the WHERE clause: with the company's
# exclusions a plain scan could come back short, so it keeps scanning (pgvector 0.8's iterative scan).
EF_SEARCH = 100
NO_SEARCH_NOTE = (
    "Ranked from channels Maatchaa already stores, by what their videos are about: no YouTube search "
    "call and no quota unit was spent. Statistics are as of the date YouTube reported them."
)

_REFRESH = """
WITH current AS (
    SELECT channel_id, count(*) AS n, max(updated_at) AS latest
    FROM creator_videos
    WHERE embedding IS NOT NULL AND embedding_model = %(label)s
    GROUP BY channel_id
), stale AS (
    SELECT c.channel_id FROM current c
    LEFT JOIN creators_channelvector cv ON cv.channel_id = c.channel_id
    WHERE cv.channel_id IS NULL OR cv.embedding_model <> %(label)s OR cv.video_count <> c.n
       OR c.latest > cv.computed_at
)
INSERT INTO creators_channelvector (channel_id, embedding, embedding_model, video_count, computed_at)
SELECT v.channel_id, avg(v.embedding), %(label)s, count(*), %(now)s
FROM creator_videos v
WHERE v.channel_id IN (SELECT channel_id FROM stale) AND v.embedding IS NOT NULL AND v.embedding_model = %(label)s
GROUP BY v.channel_id
ON CONFLICT (channel_id) DO UPDATE SET
    embedding = EXCLUDED.embedding, embedding_model = EXCLUDED.embedding_model,
    video_count = EXCLUDED.video_count, computed_at = EXCLUDED.computed_at
"""
_DROP_EMPTY = """
DELETE FROM creators_channelvector cv
WHERE NOT EXISTS (
    SELECT 1 FROM creator_videos v
    WHERE v.channel_id = cv.channel_id AND v.embedding IS NOT NULL AND v.embedding_model = %(label)s
)
"""
_NEAREST = """
SELECT cv.channel_id, cv.embedding <=> %(seed)s::vector AS distance
FROM creators_channelvector cv
JOIN discovery_channel ch ON ch.channel_id = cv.channel_id
WHERE cv.channel_id <> %(seed_id)s AND cv.embedding_model = %(label)s
  AND NOT (cv.channel_id = ANY(%(excluded)s::text[]))
  AND coalesce(ch.fetched_at, ch.created_at) >= %(cutoff)s
ORDER BY cv.embedding <=> %(seed)s::vector
LIMIT %(limit)s
"""
_CLOSEST_VIDEOS = """
SELECT DISTINCT ON (v.channel_id) v.channel_id, v.video_id, v.title, v.embedding <=> %(seed)s::vector AS distance
FROM creator_videos v
WHERE v.channel_id = ANY(%(ids)s::text[]) AND v.embedding IS NOT NULL AND v.embedding_model = %(label)s
ORDER BY v.channel_id, v.embedding <=> %(seed)s::vector, v.video_id
"""


def _as_is(moment: dt.datetime | None) -> Any:
    return moment


def _vector_text(vector: Any) -> str:
    # pgvector's text form: psycopg sends it as a parameter, cast to vector in the statement.
    return "[" + ",".join(f"{float(x):.8g}" for x in vector) + "]"


def current_label() -> str:
    """The label of the vectors discovery makes now: only those are averaged and compared."""
    return vector_label(get_embedder())


def refresh_channel_vectors(*, now: dt.datetime, label: str | None = None) -> int:
    """Recompute the vectors of channels whose embedded videos changed; returns how many were written."""
    params: dict[str, Any] = {"label": label or current_label(), "now": now}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_REFRESH, params)
        written = cursor.rowcount
        cursor.execute(_DROP_EMPTY, params)
    return max(written, 0)


def forget_channel_vectors(*, channel_ids: Iterable[str]) -> int:
    """Drop these channels' vectors: recomputed from their remaining videos at the next refresh."""
    return ChannelVector.objects.filter(channel_id__in=list(channel_ids)).delete()[1].get(ChannelVector._meta.label, 0)


def _excluded(company: Company) -> list[str]:
    """The company's own channels and the creators it dismissed for any of its products."""
    dismissed = CreatorDecision.objects.filter(
        product__company=company, status=CreatorDecision.Status.DISMISSED
    ).values_list("channel_id", flat=True)
    return sorted(set(company.own_channel_ids or ()) | set(dismissed))


_WORD = re.compile(r"^[^\W\d_]{3,}$")


def _words(texts: Iterable[str]) -> Counter[str]:
    return Counter(token for text in texts for token in tokenize(text) if _WORD.match(token))


def _channel_words(channel_ids: list[str]) -> dict[str, Counter[str]]:
    texts: dict[str, list[str]] = {channel_id: [] for channel_id in channel_ids}
    for channel_id, title, tags in Video.objects.filter(channel_id__in=channel_ids).values_list(
        "channel_id", "title", "tags"
    ):
        texts[channel_id] += [title, *(tags or [])]
    return {channel_id: _words(found) for channel_id, found in texts.items()}


def _shared_terms(seed: Counter[str], other: Counter[str]) -> list[str]:
    shared = [(min(seed[word], other[word]), word) for word in seed.keys() & other.keys()]
    return [word for _count, word in sorted(shared, key=lambda item: (-item[0], item[1]))[:SHARED_TERMS]]


def lookalikes(
    *, company: Company, channel_id: str, now: dt.datetime, limit: int = DEFAULT_LIMIT, moment: Moment = _as_is
) -> dict[str, Any]:
    """Up to `limit` stored channels nearest in content to the creator's, best first, each with why.

    404 for a channel we do not store; 409 for one with no analysed video yet (nothing to compare)."""
    seed_channel = get_channel(channel_id=channel_id)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApplicationError(f"limit must be between 1 and {MAX_LIMIT}.", details={"limit": ["Out of range."]})
    label = current_label()
    refresh_channel_vectors(now=now, label=label)
    seed = ChannelVector.objects.filter(channel=seed_channel, embedding_model=label).first()
    if seed is None:
        raise ApplicationError(
            "None of this creator's videos has been analysed yet, so there is nothing to compare: "
            "lookalikes come from the videos discovery stored.",
            status=409,
        )
    excluded = _excluded(company)
    params: dict[str, Any] = {
        "seed": _vector_text(seed.embedding),
        "seed_id": seed_channel.channel_id,
        "label": label,
        "excluded": excluded,
        "cutoff": youtube_cutoff(now),
        "limit": limit,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [max(EF_SEARCH, limit)])
        cursor.execute(_NEAREST, params)
        nearest = sorted(cursor.fetchall(), key=lambda row: (row[1], row[0]))  # relaxed order: sorted here
        ids = [channel_id for channel_id, _distance in nearest]
        cursor.execute(_CLOSEST_VIDEOS, {**params, "ids": ids})
        closest = {row[0]: row[1:] for row in cursor.fetchall()}
    channels = {c.channel_id: c for c in Channel.objects.filter(channel_id__in=ids).select_related("vector")}
    words = _channel_words([seed_channel.channel_id, *ids])
    fits: dict[str, list[dict[str, Any]]] = {}
    for row in (
        CreatorMatch.objects.filter(product__company=company, channel_id__in=ids)
        .order_by("rank", "product__title")
        .values("channel_id", "product_id", "product__title", "rank")
    ):
        fits.setdefault(row["channel_id"], []).append(
            {"id": row["product_id"], "title": row["product__title"], "rank": row["rank"]}
        )
    results = []
    for channel_id, distance in nearest:
        channel = channels[channel_id]
        video = closest.get(channel_id)
        results.append(
            {
                "channel": channel_record(channel),
                "subscribers": channel_subscribers(channel, now=now, moment=moment),
                "similarity": round(1 - float(distance), 4),
                "evidence": {
                    "closest_video": (
                        {
                            "video_id": video[0],
                            "title": video[1],
                            "url": youtube_video_url(video[0]),
                            "similarity": round(1 - float(video[2]), 4),
                        }
                        if video
                        else None
                    ),
                    "shared_terms": _shared_terms(words[seed_channel.channel_id], words.get(channel_id, Counter())),
                    "videos_compared": channel.vector.video_count if hasattr(channel, "vector") else 0,
                },
                "products": fits.get(channel_id, []),
            }
        )
    return {
        "channel": channel_record(seed_channel),
        "videos_compared": seed.video_count,
        "search_calls": 0,
        "units": 0,
        "note": NO_SEARCH_NOTE,
        "excluded": len(excluded),
        "results": results,
    }
