"""The creator, not one video (issue #14, lever 3): how focused a top creator is on the product's niche.

For a product's top CREATOR_FOCUS_TOP creators, the newest 50 uploads of the channel's uploads playlist
(playlistItems.list: one unit from the 10,000-unit pool, never a search call) are compared in meaning
with the product: an upload whose title's cosine to the product's vector is at least FOCUS_COSINE is
about the niche. The count is evidence on the creator's row ("focus": "14 of their last 50 uploads are
about this product's niche", with the date it was read), shown with the other plain facts on the
dashboard and in the API. Only counts are kept, no copy of the titles.

It is not folded into the score: measured on dev.json (bench.research_levers' probe, README "Ranking"),
blending it in lowered nDCG@10 at every weight tried; most of the corpus's channels have fewer than five
uploads in it, so their focus says little.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.utils import timezone

from discovery.models import Channel
from discovery.youtube import BreakerOpen, PlaylistVideo, QuotaExhausted, YouTubeClient, YouTubeError
from matches.models import CreatorMatch
from shopify_app.models import Product

if TYPE_CHECKING:
    from pipeline.discover import Waits, _Pipeline, _Settling

UPLOADS = 50  # one page of playlistItems.list: one unit
FOCUS_COSINE = 0.35  # the threshold whose count agreed best with the labelled grades (dev.json probe)
FOCUS_KEY = "focus"  # the sentence people read (matches.display's why lines)
FOCUS_DATA_KEY = "creator_focus"  # {"on_niche", "uploads", "as_of"}: for the ranking and the refresh


def focus_sentence(on_niche: int, uploads: int, as_of: dt.datetime) -> str:
    return f"{on_niche} of their last {uploads} uploads are about this product's niche (as of {as_of:%Y-%m-%d})"


def _fresh(evidence: dict[str, object], now: dt.datetime) -> bool:
    data = evidence.get(FOCUS_DATA_KEY)
    as_of = data.get("as_of") if isinstance(data, dict) else None
    if not isinstance(as_of, str):
        return False
    try:
        read = dt.datetime.fromisoformat(as_of)
    except ValueError:
        return False
    return read >= now - dt.timedelta(days=settings.DISCOVERY_FRESHNESS_DAYS)


def _uploads_of(playlist: str) -> Callable[[YouTubeClient], list[PlaylistVideo]]:
    return lambda client: client.recent_uploads(playlist, max_results=UPLOADS)


def add_focus(pipeline: _Pipeline, product: Product, product_vector: np.ndarray) -> Waits[int]:
    """Read the top creators' recent uploads (one unit each, the reads in flight together) and record their
    focus; returns the units spent. Yields what it waits for (pipeline/discover.py's steps).

    A creator whose focus was read within DISCOVERY_FRESHNESS_DAYS keeps it at no cost.
    """
    top = settings.CREATOR_FOCUS_TOP
    if top <= 0 or pipeline.tally.stopped:
        return 0
    now = timezone.now()
    rows = list(CreatorMatch.objects.filter(product=product).order_by("rank")[:top])
    playlists = dict(
        Channel.objects.filter(channel_id__in=[r.channel_id for r in rows]).values_list(
            "channel_id", "uploads_playlist_id"
        )
    )
    due = [row for row in rows if playlists.get(row.channel_id) and not _fresh(dict(row.evidence or {}), now)]
    # A channel's uploads are read and embedded once a run, whichever of its products asks first; a product
    # waits for a read another product has in flight.
    reads: dict[str, Future[list[PlaylistVideo]]] = {}
    theirs: dict[str, _Settling] = {}

    def release(channel_id: str) -> None:
        pipeline.uploads_in_flight.pop(channel_id).settled = True

    for row in due:
        channel_id = row.channel_id
        if channel_id in pipeline.upload_vectors or channel_id in reads or channel_id in theirs:
            continue
        if channel_id in pipeline.uploads_in_flight:
            theirs[channel_id] = pipeline.uploads_in_flight[channel_id]
            continue
        left = pipeline.units_left()
        if (left is not None and left <= 0) or not pipeline.beat():
            break
        # Claimed before the call may wait for its turn, so that no other product reads it meanwhile.
        pipeline.uploads_in_flight[channel_id] = pipeline.settling()
        try:
            read = yield from pipeline.start_call("playlistItems", _uploads_of(playlists[channel_id]), product=product)
        except (QuotaExhausted, BreakerOpen) as exc:
            release(channel_id)
            pipeline.stop_for_quota(exc)
            break
        if read is None:
            release(channel_id)
            break
        reads[channel_id] = read
        pipeline.reserved_units += 1
    spent = 0
    for channel_id, pending in reads.items():
        try:
            uploads = yield from pipeline.finish_call(pending)
        except (QuotaExhausted, BreakerOpen) as exc:
            pipeline.stop_for_quota(exc)
            continue
        except YouTubeError as exc:
            pipeline.tally.units += 1
            spent += 1
            pipeline.youtube_failed(exc, f"recent uploads of {channel_id}", product=product)
            continue
        finally:
            pipeline.reserved_units -= 1
            release(channel_id)
        pipeline.tally.units += 1
        spent += 1
        titles = [u.title for u in uploads if u.title.strip()]
        pipeline.upload_vectors[channel_id] = (
            np.asarray(pipeline.embedder.embed(titles), dtype=np.float32)
            if titles
            else np.zeros((0, len(product_vector)), dtype=np.float32)
        )
    for flight in theirs.values():
        while not flight.ready():
            yield flight
    for row in due:
        vectors = pipeline.upload_vectors.get(row.channel_id)
        if vectors is None:  # not read: the budget, the breaker or YouTube said no
            continue
        evidence = dict(row.evidence or {})
        on_niche = int((vectors @ np.asarray(product_vector, dtype=np.float32) >= FOCUS_COSINE).sum())
        evidence[FOCUS_KEY] = focus_sentence(on_niche, len(vectors), now)
        evidence[FOCUS_DATA_KEY] = {"on_niche": on_niche, "uploads": len(vectors), "as_of": now.isoformat()}
        CreatorMatch.objects.filter(pk=row.pk).update(evidence=evidence)
    if spent:
        pipeline.emit(f"   🧭 Read the recent uploads of {spent} top creators ({spent} units, no search call)")
    return spent
