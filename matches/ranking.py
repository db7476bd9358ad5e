"""Content-based matching of products to YouTube videos and creators (Django-free).

Usage (what the discovery pipeline does for one product)::

    product = ProductText(title=p.title, description=p.description, product_type=p.product_type,
                          vendor=p.vendor, tags=tuple(p.tags))
    videos = [VideoText(video_id=v.video_id, channel_id=v.channel_id, channel_title=v.channel_title,
                        title=v.title, description=v.description, tags=tuple(v.tags),
                        category=v.category_id) for v in candidates]
    product_vector = embed_product(product)        # (384,), store with get_embedder().model_name
    video_vectors = embed_videos(videos)           # (n, 384), one row per video, same order
    niche = predict_category(product_vector, embedder=get_embedder()).id   # discovery.categories
    scores = score_videos(product, product_vector, videos, video_vectors, niche_category=niche)  # best first
    creators = rank_creators(scores, exclude_channel_ids=company.own_channel_ids)  # best first

The score is content similarity only: statistics (views, likes, subscribers) never enter it, as
YouTube's derived-metrics policy requires (API_FACTS.md, "Storage and policy rules").
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from maatchaa.lib.embedding import Embedder, get_embedder
from maatchaa.lib.text import (
    INTENT_WORDS,
    ProductText,
    VideoText,
    clean_description,
    product_embedding_text,
    product_niche_text,
    stems,
    tokenize,
    video_embedding_text,
    video_headline_text,
)


def mean_of_views(*views: np.ndarray) -> np.ndarray:
    """Row-wise mean of several L2-normalised views, normalised again (one vector per row)."""
    combined = np.sum(np.stack([np.atleast_2d(v) for v in views]), axis=0)
    norms = np.linalg.norm(combined, axis=1, keepdims=True)
    return (combined / np.maximum(norms, 1e-12)).astype(np.float32)


def embed_product(product: ProductText, *, embedder: Embedder | None = None) -> np.ndarray:
    """The product's vector: the mean of two views, its full text and its type-and-tags niche.

    Measured on shared/eval/dev.json: nDCG@10 0.564 with the full text alone, 0.571 with type and
    tags alone, 0.599 with their mean: the prose brings detail, the niche view keeps a long
    description from pulling the vector away from what the product is.
    """
    embedder = embedder or get_embedder()
    full, niche = embedder.embed([product_embedding_text(product), product_niche_text(product)])
    return mean_of_views(full, niche)[0]


def embed_videos(videos: Sequence[VideoText], *, embedder: Embedder | None = None) -> np.ndarray:
    """One vector per video (rows in order): the mean of its full-text and headline views.

    On dev.json the two views score nDCG@10 0.610 against 0.599 for the full text alone; the
    result is still one unit vector in the model's space, so it is stored and searched as any.
    """
    embedder = embedder or get_embedder()
    if not videos:
        return np.zeros((0, embedder.embed([""]).shape[1]), np.float32)
    # Both views in one call: the embedder sorts all of them by length into batches of even width.
    both = embedder.embed([video_embedding_text(v) for v in videos] + [video_headline_text(v) for v in videos])
    return mean_of_views(both[: len(videos)], both[len(videos) :])


# --- words ------------------------------------------------------------------------------------


class BM25:
    """Okapi BM25 over a small set of token lists (a product's candidates, or a whole corpus)."""

    def __init__(self, documents: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._tf = [Counter(doc) for doc in documents]
        self._len = np.array([len(doc) for doc in documents], dtype=np.float64)
        mean = float(self._len.mean()) if len(documents) else 0.0
        self._avg = mean if mean > 0 else 1.0
        df: Counter[str] = Counter()
        for tf in self._tf:
            df.update(tf.keys())
        n = len(documents)
        self.idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}

    def scores(self, query: Iterable[str]) -> np.ndarray:
        out = np.zeros(len(self._tf), dtype=np.float64)
        norm = self.k1 * (1 - self.b + self.b * self._len / self._avg)
        for term in set(query):
            idf = self.idf.get(term)
            if idf is None:
                continue
            tf = np.array([doc.get(term, 0) for doc in self._tf], dtype=np.float64)
            out += idf * tf * (self.k1 + 1) / (tf + norm)
        return out


# --- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoScore:
    """How well one video matches one product, with the evidence a user sees."""

    video_id: str
    channel_id: str
    score: float  # in [0, 1]: what products are ranked by
    cosine: float  # product-video cosine of the embeddings, in [-1, 1]
    lexical: float  # in [0, 1]: share of the product's key words the video uses
    matched_terms: tuple[str, ...]  # product words found in the video
    matched_attributes: tuple[str, ...]  # e.g. "product type", "tag: hiking", "intent: review"
    # Posted in a YouTube category outside the product's niche, with a meaning not close to the product:
    # it shares words, not a subject (a band called Skillet for a skillet), and its score was lowered.
    off_niche: bool = False


@dataclass(frozen=True)
class CreatorScore:
    channel_id: str
    score: float  # in [0, 1]
    videos: tuple[VideoScore, ...]  # the creator's matched videos, best first


@dataclass(frozen=True)
class ScoringWeights:
    """The knobs of ``score_videos`` and ``rank_creators``; defaults chosen on shared/eval/dev.json.

    The semantic part maps cosine linearly from ``cosine_floor`` (score 0) to ``cosine_ceiling``
    (score 1). Lexical and attribute evidence only add to a video whose meaning is already close
    (the gate opens between ``gate_low`` and ``gate_high``), so a word-sharing distractor (the
    Serum synth for a face serum) gains nothing from its shared word.
    """

    cosine_floor: float = 0.10
    cosine_ceiling: float = 0.60
    lexical_weight: float = 0.15
    attribute_weight: float = 0.10
    intent_weight: float = 0.04
    gate_low: float = 0.20
    gate_high: float = 0.40
    # Creator aggregation: best video plus a decaying share of the next ones' scores.
    creator_decay: float = 0.35
    creator_videos: int = 5
    # Word sense (see ``apply_word_sense``): a video outside the niche's YouTube categories whose cosine
    # is below ``sense_cosine`` keeps ``off_niche_factor`` of its score. The niche is the product's
    # predicted category and every category holding ``niche_share`` of the score of the best
    # ``niche_videos`` candidates.
    sense_cosine: float = 0.55
    off_niche_factor: float = 0.5
    niche_videos: int = 10
    niche_share: float = 0.2


DEFAULT_WEIGHTS = ScoringWeights()


def _video_fields(video: VideoText) -> tuple[list[str], list[str], list[str]]:
    title = stems(video.title)
    tags = stems(" ".join(video.tags))
    description = stems(clean_description(video.description, max_chars=3000))
    return title, tags, description


def _phrase_stems(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s for s in stems(text) if not s.isdigit()))


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def score_videos(
    product: ProductText,
    product_vector: np.ndarray,
    videos: Sequence[VideoText],
    video_vectors: np.ndarray,
    *,
    weights: ScoringWeights = DEFAULT_WEIGHTS,
    niche_category: str | None = None,
) -> list[VideoScore]:
    """Score each video for ``product``, best first.

    With ``niche_category`` (the product's predicted YouTube category id; "" when unknown) the scores
    pass through ``apply_word_sense``, judged by each video's ``category``; with None they do not.

    ``product_vector`` and ``video_vectors`` (one row per video, same order) are L2-normalised
    embeddings of ``product_embedding_text(product)`` and ``video_embedding_text(video)`` from the
    same model. The score is content similarity only: no statistic (views, likes, subscribers)
    enters it.
    """
    if len(videos) != len(video_vectors):
        raise ValueError(f"{len(videos)} videos but {len(video_vectors)} vectors.")
    if not videos:
        return []
    cosines = np.asarray(video_vectors, dtype=np.float32) @ np.asarray(product_vector, dtype=np.float32)

    type_stems = _phrase_stems(product.product_type)
    tag_stems = [(tag.strip(), _phrase_stems(tag)) for tag in product.tags if _phrase_stems(tag)]
    title_stems = _phrase_stems(product.title)
    vendor_stems = _phrase_stems(product.vendor)
    # Key words: the product type counts double (it names what the product is), tags and title once.
    key_weight: dict[str, float] = defaultdict(float)
    for term in type_stems:
        key_weight[term] = 2.0
    for _, phrase in tag_stems:
        for term in phrase:
            key_weight[term] = max(key_weight[term], 1.0)
    for term in title_stems:
        key_weight[term] = max(key_weight[term], 1.0)

    fields = [_video_fields(v) for v in videos]
    # Words every candidate shares (they all came from a search for them) tell candidates apart
    # less than rare ones: weight by inverse document frequency within the candidate set.
    bm25 = BM25([title + tags + description for title, tags, description in fields])
    idf = {t: bm25.idf.get(t, 0.0) for t in key_weight}
    total_weight = sum(key_weight[t] * max(idf[t], 0.1) for t in key_weight) or 1.0

    results: list[VideoScore] = []
    for video, (title, tags, description), cosine in zip(videos, fields, cosines, strict=True):
        words = set(title) | set(tags) | set(description)
        matched = [t for t in key_weight if t in words]
        lexical = sum(key_weight[t] * max(idf[t], 0.1) for t in matched) / total_weight
        if any(t in set(title) for t in type_stems):
            lexical = min(1.0, lexical * 1.25)
        attributes: list[str] = []
        attribute = 0.0
        if type_stems and all(t in words for t in type_stems):
            attributes.append("product type")
            attribute += 0.6
        elif type_stems and type_stems[-1] in words:
            attributes.append("product kind")  # the head noun: "filter" of "lens filter"
            attribute += 0.3
        tag_hits = [tag for tag, phrase in tag_stems if all(t in words for t in phrase)]
        attributes.extend(f"tag: {tag}" for tag in tag_hits)
        if tag_stems:
            attribute += 0.4 * len(tag_hits) / len(tag_stems)
        if title_stems and len(title_stems) >= 1 and all(t in words for t in title_stems):
            attributes.append("product title")
            attribute += 0.4
        if vendor_stems and all(t in words for t in vendor_stems):
            attributes.append("vendor")
        intents = sorted({t for t in tokenize(video.title) if t in INTENT_WORDS})
        attributes.extend(f"intent: {t}" for t in intents[:2])

        cosine_value = float(cosine)
        semantic = _clip((cosine_value - weights.cosine_floor) / (weights.cosine_ceiling - weights.cosine_floor))
        gate = _clip((cosine_value - weights.gate_low) / (weights.gate_high - weights.gate_low))
        bonus = (
            weights.lexical_weight * lexical
            + weights.attribute_weight * _clip(attribute)
            + weights.intent_weight * (1.0 if intents else 0.0)
        )
        score = _clip(semantic * (1 - weights.lexical_weight - weights.attribute_weight) + gate * bonus)
        results.append(
            VideoScore(
                video_id=video.video_id,
                channel_id=video.channel_id,
                score=round(score, 6),
                cosine=round(cosine_value, 6),
                lexical=round(lexical, 6),
                matched_terms=tuple(matched),
                matched_attributes=tuple(attributes),
            )
        )
    results.sort(key=lambda r: (-r.score, -r.cosine, r.video_id))
    if niche_category is not None:
        category_of = {video.video_id: video.category for video in videos}
        return apply_word_sense(results, category_of, predicted=niche_category, weights=weights)
    return results


# YouTube files an upload under People & Blogs unless its creator picks another category: it says
# nothing about the subject, so a video there is never judged off its product's niche.
DEFAULT_UPLOAD_CATEGORY = "22"


def niche_categories(
    scores: Sequence[VideoScore],
    category_of: Mapping[str, str],
    *,
    predicted: str = "",
    weights: ScoringWeights = DEFAULT_WEIGHTS,
) -> set[str]:
    """The YouTube categories (ids) the product's niche publishes in.

    The predicted category, and each category holding at least ``weights.niche_share`` of the summed
    score of the ``weights.niche_videos`` best-scoring candidates whose meaning is close to the product
    (cosine at least ``weights.sense_cosine``; all candidates when none is): where the videos that fit
    best were posted is where the niche's creators post (a water bottle's reviewers post under Howto &
    Style and Science & Technology alike), and a word-sharing video cannot make its own category the niche.
    """
    close = [r for r in scores if r.cosine >= weights.sense_cosine] or list(scores)
    best = sorted(close, key=lambda r: (-r.score, r.video_id))[: weights.niche_videos]
    mass: dict[str, float] = defaultdict(float)
    for result in best:
        category = category_of.get(result.video_id, "")
        if category:
            mass[category] += result.score
    total = sum(mass.values())
    niche = {category for category, score in mass.items() if total > 0 and score / total >= weights.niche_share}
    if predicted:
        niche.add(predicted)
    return niche


def apply_word_sense(
    scores: Sequence[VideoScore],
    category_of: Mapping[str, str],
    *,
    predicted: str = "",
    weights: ScoringWeights = DEFAULT_WEIGHTS,
) -> list[VideoScore]:
    """Lower the videos that share only surface words with the product; best first again.

    A video is off the niche when it was posted in a YouTube category outside ``niche_categories``
    (People & Blogs, YouTube's default, and an unknown category never count) and its meaning is not
    close to the product (cosine below ``weights.sense_cosine``): a piano channel for a mechanical
    keyboard, harness racing for a dog harness. It keeps ``weights.off_niche_factor`` of its score,
    so that it cannot outrank the niche's creators, and is marked ``off_niche``.
    """
    niche = niche_categories(scores, category_of, predicted=predicted, weights=weights)
    out: list[VideoScore] = []
    for result in scores:
        category = category_of.get(result.video_id, "")
        if (
            category
            and category != DEFAULT_UPLOAD_CATEGORY
            and category not in niche
            and result.cosine < weights.sense_cosine
        ):
            result = replace(result, score=round(result.score * weights.off_niche_factor, 6), off_niche=True)
        out.append(result)
    out.sort(key=lambda r: (-r.score, -r.cosine, r.video_id))
    return out


def rank_creators(
    video_scores: Iterable[VideoScore],
    channel_of: Mapping[str, str] | None = None,
    *,
    exclude_channel_ids: Iterable[str] = (),
    weights: ScoringWeights = DEFAULT_WEIGHTS,
) -> list[CreatorScore]:
    """Creators best first: a creator's best video, plus a decaying share of its next ones.

    ``channel_of`` maps video ids to channel ids where it differs from ``VideoScore.channel_id``
    (None: use the scores' own channel ids). Channels in ``exclude_channel_ids`` (the store's own)
    never appear. More relevant videos raise a creator above a one-off match of the same best
    score, never above a clearly better single match.
    """
    excluded = set(exclude_channel_ids)
    by_channel: dict[str, list[VideoScore]] = defaultdict(list)
    for video_score in video_scores:
        channel = channel_of.get(video_score.video_id, video_score.channel_id) if channel_of else video_score.channel_id
        if channel and channel not in excluded:
            by_channel[channel].append(video_score)
    creators: list[CreatorScore] = []
    for channel, scored in by_channel.items():
        scored.sort(key=lambda r: (-r.score, -r.cosine, r.video_id))
        best = scored[0].score
        extra = sum(
            weights.creator_decay**rank * r.score for rank, r in enumerate(scored[1 : weights.creator_videos], 1)
        )
        # The extra closes part of the gap to 1, so the score stays in [0, 1].
        total = best + (1 - best) * _clip(extra) * best
        creators.append(CreatorScore(channel_id=channel, score=round(total, 6), videos=tuple(scored)))
    creators.sort(key=lambda c: (-c.score, c.channel_id))
    return creators
