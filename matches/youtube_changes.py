"""Matching kept in step with the stored YouTube data it refers to (what matches/receivers.py calls).

The YouTube side refreshes, expires and forgets videos and channels (discovery/retention.py) and says
so with its signals (discovery/signals.py). Matches, ranked creators and decisions refer to those
records; these services delete what refers to records that go, re-rank the products that lost
something, and rebuild what was derived from a video's text when YouTube changed it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from discovery.models import Video
from discovery.signals import InUse
from maatchaa.lib.embedding import get_embedder
from matches import ranking
from matches.models import CreatorDecision, CreatorMatch, Match
from matches.services import match_product, rank_product_creators, vector_label
from shopify_app.models import Product


def records_in_use() -> InUse:
    """The stored videos and channels a match, a ranked creator or a marketer's decision needs."""
    return InUse(
        video_ids=(Match.objects.values("video_id"),),
        channel_ids=(
            Match.objects.values("video__channel_id"),
            CreatorMatch.objects.values("channel_id"),
            CreatorDecision.objects.values("channel_id"),
        ),
    )


def _rerank(product_ids: Iterable[int]) -> None:
    for product in Product.objects.filter(pk__in=list(product_ids)).select_related("company"):
        rank_product_creators(product=product)


def delete_matches_of_videos(*, video_ids: list[str]) -> dict[str, int]:
    """Delete the matches on these videos and re-rank the products that had them; {label: count}."""
    matches = Match.objects.filter(video_id__in=video_ids)
    with transaction.atomic():
        product_ids = set(matches.values_list("product_id", flat=True))
        deleted = matches.delete()[1].get(Match._meta.label, 0)
        # A creator whose matched videos all went has no evidence left and drops out of the ranking.
        _rerank(product_ids)
    return {"matches": deleted}


def delete_matches_of_channels(*, channel_ids: list[str]) -> dict[str, int]:
    """Delete everything matching keeps about these channels (matches on their videos, their ranking
    for every product, marketers' decisions about them) and re-rank the products concerned."""
    matches = Match.objects.filter(video__channel_id__in=channel_ids)
    creators = CreatorMatch.objects.filter(channel_id__in=channel_ids)
    with transaction.atomic():
        product_ids = set(matches.values_list("product_id", flat=True)) | set(
            creators.values_list("product_id", flat=True)
        )
        counts = {
            "matches": matches.delete()[1].get(Match._meta.label, 0),
            "creator matches": creators.delete()[1].get(CreatorMatch._meta.label, 0),
            "decisions": CreatorDecision.objects.filter(channel_id__in=channel_ids)
            .delete()[1]
            .get(CreatorDecision._meta.label, 0),
        }
        _rerank(product_ids)
    return counts


def rebuild_for_new_text(*, video_ids: list[str]) -> int:
    """Videos whose text YouTube changed: their embeddings, the scores and evidence of their matches
    and their creators' rankings follow the new text. Returns how many products were re-scored."""
    videos = list(Video.objects.filter(video_id__in=video_ids))
    if not videos:
        return 0
    embedder = get_embedder()
    label = vector_label(embedder)
    # The same two-view vectors and label as discovery's, so nothing is re-embedded or mixed later.
    vectors = ranking.embed_videos([video.as_text() for video in videos], embedder=embedder)
    for video, vector in zip(videos, vectors, strict=True):
        video.embedding = vector
        video.embedding_model = label
    Video.objects.bulk_update(videos, ["embedding", "embedding_model"])
    product_ids = set(Match.objects.filter(video_id__in=video_ids).values_list("product_id", flat=True))
    products = Product.objects.filter(pk__in=product_ids).select_related("company")
    for product in products:
        # No new candidates and none kept beyond the product's own: its stored matches scored again on
        # the videos' current text (terms and cosine), then its creators ranked again from them.
        match_product(product=product, candidates={}, keep=0, embedder=embedder)
    return len(product_ids)
