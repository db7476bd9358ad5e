"""Matching: a product's candidate videos scored, the best stored as Match rows, creators ranked.

`similarity_score` is content similarity only (never views, likes or subscribers: YouTube's
derived-metrics policy). The creator, not the video, is what users pick: a product's CreatorMatch rows
are recomputed from all of its Match rows (this run's and earlier runs'), so rotation across cycles
accumulates evidence instead of replacing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from accounts.models import Company
from discovery.categories import predict_category
from discovery.models import Video
from discovery.selectors import suppressed_channel_ids
from maatchaa.lib.embedding import Embedder, get_embedder
from matches import ranking, vectors
from matches.fit_bands import fit_band
from matches.models import CreatorMatch, Match
from matches.own_channels import detect_own_channels, kept_out_channel_ids
from matches.vectors import vector_label
from shopify_app.models import Product

# Evidence keeps a creator's best few videos: enough to judge, small enough to ship in every list.
EVIDENCE_VIDEOS = 5
# Match rows stored per kept creator and run: its best videos for this product, as many as the creator
# aggregation reads, so that ranking from stored matches equals ranking over the candidates.
MATCHES_PER_CREATOR = ranking.DEFAULT_WEIGHTS.creator_videos


# Creator evidence that re-ranking keeps (the creator's focus, read from its uploads by the pipeline).
CARRIED_EVIDENCE = ("focus", "creator_focus")


def _evidence(score: ranking.VideoScore) -> dict[str, Any]:
    """What a Match row keeps of a video's score: enough to rebuild it and to show why it matched."""
    return {
        "terms": list(score.matched_terms),
        "attributes": list(score.matched_attributes),
        "cosine": score.cosine,
        "lexical": score.lexical,
        # Posted outside the product's niche and not close in meaning: its score was lowered (word sense).
        **({"off_niche": True} if score.off_niche else {}),
    }


def _from_match(match: Match) -> ranking.VideoScore:
    evidence = match.evidence or {}
    return ranking.VideoScore(
        video_id=match.video.video_id,
        channel_id=match.video.channel_id,
        score=match.similarity_score,
        cosine=float(evidence.get("cosine", match.similarity_score)),
        lexical=float(evidence.get("lexical", 0.0)),
        matched_terms=tuple(evidence.get("terms", ())),
        matched_attributes=tuple(evidence.get("attributes", ())),
        off_niche=bool(evidence.get("off_niche", False)),
    )


@dataclass(frozen=True)
class MatchOutcome:
    matches_made: int  # Match rows created or updated for this product in this call
    creators: int  # creators ranked for the product afterwards


def embed_product(*, product: Product, embedder: Embedder | None = None) -> np.ndarray:
    """The product's vector for its current text, stored with the model that made it; embedded only when
    its text or the model changed since (matches.vectors)."""
    return vectors.product_vector(product=product, embedder=embedder or get_embedder())


def _excluded_channels(product: Product, channel_ids: set[str]) -> set[str]:
    """Never scored: the channels the brand named as its own, and those that asked to be forgotten."""
    own = set(product.company.own_channel_ids or ())
    return own | suppressed_channel_ids(channel_ids=channel_ids)


def match_product(
    *,
    product: Product,
    candidates: Mapping[str, Sequence[str]],
    keep: int,
    embedder: Embedder | None = None,
    product_vector: np.ndarray | None = None,
) -> MatchOutcome:
    """Score `candidates` (video id -> the queries that found it) for `product`; keep the best `keep` creators.

    Every candidate is scored; the `keep` best creators each get Match rows for their best
    MATCHES_PER_CREATOR videos.

    Match rows are upserted on (product, video), never duplicated; then the product's creators are
    re-ranked from all its Match rows.
    """
    embedder = embedder or get_embedder()
    if product_vector is None:
        product_vector = embed_product(product=product, embedder=embedder)
    # Earlier runs' matches are scored again with this run's candidates, so that every stored score is
    # the current scorer's on the product's current text, and the queries that found them are kept.
    earlier = dict(Match.objects.filter(product=product).values_list("video_id", "evidence"))
    found_by = {video_id: list((evidence or {}).get("queries", [])) for video_id, evidence in earlier.items()}
    for video_id, queries in candidates.items():
        found_by[video_id] = list(dict.fromkeys([*found_by.get(video_id, []), *queries]))
    videos = list(
        Video.objects.filter(
            video_id__in=list(found_by), embedding__isnull=False, embedding_model=vector_label(embedder)
        )
    )
    excluded = _excluded_channels(product, {v.channel_id for v in videos})
    videos = [v for v in videos if v.channel_id not in excluded]
    # Channels taken for the brand's own are scored and stored but never ranked, so that undoing the
    # guess ranks them at once (matches/own_channels.py).
    guessed = detect_own_channels(company=product.company, channel_ids={v.channel_id for v in videos})
    made = 0
    if videos:
        scored = ranking.score_videos(
            product.as_text(),
            np.asarray(product_vector, dtype=np.float32),
            [v.as_text() for v in videos],
            np.asarray([v.embedding for v in videos], dtype=np.float32),
            niche_category=predict_category(product_vector, embedder=embedder).id,
        )
        # Rank creators over every candidate, then keep the best `keep` creators with their best videos:
        # the creator is what users pick, and a top-N of videos would often be a few creators' uploads.
        ranked = ranking.rank_creators(scored)
        best = [
            v
            for creator in [c for c in ranked if c.channel_id not in guessed][:keep]
            + [c for c in ranked if c.channel_id in guessed]
            for v in creator.videos[:MATCHES_PER_CREATOR]
        ]
        kept = {v.video_id for v in best}
        best += [v for v in scored if v.video_id in earlier and v.video_id not in kept]
        now = timezone.now()
        rows = [
            Match(
                product=product,
                video_id=s.video_id,
                similarity_score=float(s.score),
                evidence={**_evidence(s), "queries": found_by.get(s.video_id, [])},
                created_at=now,
                updated_at=now,
            )
            for s in best
        ]
        with transaction.atomic():
            Match.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["product", "video"],
                update_fields=["similarity_score", "evidence", "updated_at"],
            )
        made = sum(1 for s in best if s.video_id in candidates)
    creators = rank_product_creators(product=product)
    return MatchOutcome(matches_made=made, creators=creators)


def rank_product_creators(*, product: Product) -> int:
    """Recompute the product's CreatorMatch rows (score, rank, evidence) from its Match rows.

    The brand's own channels (named, or detected and not undone) and suppressed channels are left out.
    Each creator gets the fit band of its score. Returns how many creators are ranked.
    """
    matches = list(Match.objects.filter(product=product).select_related("video"))
    excluded = _excluded_channels(product, {m.video.channel_id for m in matches})
    excluded |= kept_out_channel_ids(company=product.company)
    matches = [m for m in matches if m.video.channel_id not in excluded]
    ranked = ranking.rank_creators([_from_match(m) for m in matches])
    now = timezone.now()
    rows = []
    for position, creator in enumerate(ranked, start=1):
        videos = sorted(creator.videos, key=lambda s: s.score, reverse=True)
        rows.append(
            CreatorMatch(
                product=product,
                channel_id=creator.channel_id,
                score=float(creator.score),
                rank=position,
                fit_band=fit_band(creator.score),
                video_count=len(videos),
                evidence={
                    # Videos by id only: their titles are read from the stored videos when shown
                    # (matches.selectors), so no copy of YouTube's text outlives a refresh or the 30-day rule.
                    "videos": [
                        {
                            "video_id": v.video_id,
                            "score": round(float(v.score), 4),
                            "terms": list(v.matched_terms),
                            "attributes": list(v.matched_attributes),
                        }
                        for v in videos[:EVIDENCE_VIDEOS]
                    ],
                    "terms": sorted({t for v in videos for t in v.matched_terms}),
                    "attributes": sorted({a for v in videos for a in v.matched_attributes}),
                },
                created_at=now,
                updated_at=now,
            )
        )
    # A creator's focus (pipeline/focus.py: read from its recent uploads, one unit) outlives re-ranking.
    kept = {
        channel_id: {k: evidence[k] for k in CARRIED_EVIDENCE if k in evidence}
        for channel_id, evidence in CreatorMatch.objects.filter(product=product).values_list("channel_id", "evidence")
        if isinstance(evidence, dict)
    }
    for row in rows:
        row.evidence.update(kept.get(row.channel_id, {}))
    with transaction.atomic():
        CreatorMatch.objects.filter(product=product).exclude(channel_id__in=[r.channel_id for r in rows]).delete()
        CreatorMatch.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["product", "channel"],
            update_fields=["score", "rank", "fit_band", "video_count", "evidence", "updated_at"],
        )
    return len(rows)


def set_own_channels(*, company: Company, channel_ids: list[str]) -> Company:
    """The brand's own YouTube channels: never ranked as creators for its products, from now on."""
    with transaction.atomic():
        company.own_channel_ids = channel_ids
        company.save(update_fields=["own_channel_ids", "updated_at"])
        # Rows ranked before the brand named its channels go now, and those products are ranked again so
        # that their ranks stay 1, 2, 3... without a gap; the next ranking leaves them out too.
        affected = set(
            CreatorMatch.objects.filter(product__company=company, channel_id__in=channel_ids).values_list(
                "product_id", flat=True
            )
        )
        CreatorMatch.objects.filter(product__company=company, channel_id__in=channel_ids).delete()
        for product in Product.objects.filter(pk__in=affected).select_related("company"):
            rank_product_creators(product=product)
    return company
