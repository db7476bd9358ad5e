"""Ranking quality on labelled products: metrics, the labelled-file loader and two baselines.

The labelled format is ``shared/eval/README.md``'s: products with graded relevance of videos
(``video_qrels``) and creators (``creator_qrels``), grades 0-3. Metrics are computed over a
product's ranked creators (channel ids, best first).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from maatchaa.lib.text import ProductText, VideoText, tokenize
from matches.ranking import BM25

__all__ = [
    "BM25",
    "LabelledProduct",
    "LabelledSet",
    "LabelsError",
    "bm25_video_scores",
    "heuristic_video_scores",
    "load_labels",
    "ndcg_at_k",
    "original_heuristic_score",
    "precision_at_k",
    "rank_channels_by_best_video",
]

# --- metrics ----------------------------------------------------------------------------------


def _dedupe(ranked: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in ranked:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def ndcg_at_k(ranked_channel_ids: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with gain 2^grade - 1 and a log2 discount; the ideal ordering comes from ``qrels``.

    Unjudged ids count as grade 0; a repeated id counts once, at its first position. A product
    with no relevant creator at all scores 0.0 (nothing can be found, so nothing was).
    """
    ranked = _dedupe(ranked_channel_ids)[:k]
    dcg = sum((2 ** qrels.get(cid, 0) - 1) / math.log2(rank + 2) for rank, cid in enumerate(ranked))
    ideal_grades = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(rank + 2) for rank, g in enumerate(ideal_grades))
    return dcg / idcg if idcg > 0 else 0.0


def precision_at_k(
    ranked_channel_ids: Sequence[str], qrels: Mapping[str, int], k: int = 5, min_grade: int = 2
) -> float:
    """Share of the top k (k in the denominator even when fewer were ranked) graded >= min_grade."""
    ranked = _dedupe(ranked_channel_ids)[:k]
    return sum(1 for cid in ranked if qrels.get(cid, 0) >= min_grade) / k


# --- labelled sets ----------------------------------------------------------------------------


class LabelsError(ValueError):
    """The labelled file is missing, is not JSON, or does not follow shared/eval/README.md."""


@dataclass(frozen=True)
class LabelledProduct:
    id: str
    handle: str
    title: str
    description: str
    product_type: str
    vendor: str
    tags: tuple[str, ...]
    price: str

    @property
    def text(self) -> ProductText:
        return ProductText(
            title=self.title,
            description=self.description,
            product_type=self.product_type,
            vendor=self.vendor,
            tags=self.tags,
        )


@dataclass(frozen=True)
class LabelledSet:
    name: str
    corpus: str
    products: tuple[LabelledProduct, ...]
    video_qrels: Mapping[str, Mapping[str, int]]
    creator_qrels: Mapping[str, Mapping[str, int]]


def _qrels(raw: object, *, where: str, product_ids: set[str]) -> dict[str, dict[str, int]]:
    if not isinstance(raw, dict):
        raise LabelsError(f"{where} must be an object mapping product ids to {{id: grade}}.")
    out: dict[str, dict[str, int]] = {}
    for product_id, grades in raw.items():
        if product_id not in product_ids:
            raise LabelsError(f"{where} names product {product_id!r}, which is not in 'products'.")
        if not isinstance(grades, dict):
            raise LabelsError(f"{where}[{product_id!r}] must be an object mapping ids to grades.")
        for item_id, grade in grades.items():
            if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 3:
                raise LabelsError(f"{where}[{product_id!r}][{item_id!r}] is {grade!r}: grades are integers 0-3.")
        out[product_id] = dict(grades)
    return out


def load_labels(path: Path | str) -> LabelledSet:
    """Read and validate a labelled set; every mistake raises LabelsError naming what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LabelsError(f"Labels file not found: {path}.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"Cannot read labels file {path}: {exc}.") from exc
    except json.JSONDecodeError as exc:
        raise LabelsError(f"Labels file {path} is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise LabelsError(f"Labels file {path} must hold a JSON object.")
    raw_products = data.get("products")
    if not isinstance(raw_products, list) or not raw_products:
        raise LabelsError(f"Labels file {path} has no 'products' list.")
    products: list[LabelledProduct] = []
    for index, raw in enumerate(raw_products):
        if not isinstance(raw, dict):
            raise LabelsError(f"products[{index}] must be an object.")
        for key in ("id", "title"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise LabelsError(f"products[{index}] has no {key!r} (a non-empty string).")
        tags = raw.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise LabelsError(f"products[{index}] ({raw['id']}): 'tags' must be a list of strings.")
        products.append(
            LabelledProduct(
                id=raw["id"],
                handle=str(raw.get("handle") or ""),
                title=raw["title"],
                description=str(raw.get("description") or ""),
                product_type=str(raw.get("product_type") or ""),
                vendor=str(raw.get("vendor") or ""),
                tags=tuple(tags),
                price=str(raw.get("price") or ""),
            )
        )
    ids = [p.id for p in products]
    if len(set(ids)) != len(ids):
        duplicated = sorted(i for i, n in Counter(ids).items() if n > 1)
        raise LabelsError(f"Duplicate product ids in {path}: {', '.join(duplicated)}.")
    if "creator_qrels" not in data:
        raise LabelsError(f"Labels file {path} has no 'creator_qrels'.")
    return LabelledSet(
        name=str(data.get("name") or path.stem),
        corpus=str(data.get("corpus") or ""),
        products=tuple(products),
        video_qrels=_qrels(data.get("video_qrels", {}), where="video_qrels", product_ids=set(ids)),
        creator_qrels=_qrels(data["creator_qrels"], where="creator_qrels", product_ids=set(ids)),
    )


# --- baselines --------------------------------------------------------------------------------

_REVIEW_WORDS = ("review", "tutorial", "unboxing", "how to", "guide", "test", "vs", "first impressions")


def original_heuristic_score(*, keyword: str, product_title: str, video_title: str, video_description: str) -> float:
    """The original system's 0-10 keyword heuristic (shared/ORIGINAL.md), for comparison only.

    Its two LLM-fed rules (category overlap with an LLM's categories, words in an LLM's "objects")
    need an LLM the original called at run time; they score 0 here, as they did for every product
    kind the original had not hard-coded. Substring matching stays as loose as it was.
    """
    title, description = video_title.lower(), video_description.lower()
    keyword = keyword.lower().strip()
    score = 0.0
    if keyword and keyword in title:
        score += 2
    if keyword and keyword in description:
        score += 1
    word_points = sum(1.5 for word in product_title.lower().split() if word in title or word in description)
    score += min(word_points, 3.0)
    if any(word in title for word in _REVIEW_WORDS):
        score += 2
    return min(score, 10.0)


def bm25_video_scores(product: ProductText, videos: Sequence[VideoText]) -> dict[str, float]:
    """The BM25 baseline: the product's text (title, type, tags, description) as the query, over
    the videos' title, tags and description, with IDF from the same videos."""
    documents = [tokenize(f"{v.title} {' '.join(v.tags)} {v.description}") for v in videos]
    query = tokenize(f"{product.title} {product.product_type} {' '.join(product.tags)} {product.description}")
    scores = BM25(documents).scores(query)
    return {v.video_id: float(s) for v, s in zip(videos, scores, strict=True)}


def heuristic_video_scores(product: ProductText, videos: Sequence[VideoText], *, keyword: str = "") -> dict[str, float]:
    """The original's heuristic for each video, with its default keyword "<title> review"."""
    keyword = keyword or f"{product.title} review"
    return {
        v.video_id: original_heuristic_score(
            keyword=keyword, product_title=product.title, video_title=v.title, video_description=v.description
        )
        for v in videos
    }


def rank_channels_by_best_video(
    video_scores: Mapping[str, float], channel_of: Mapping[str, str], *, exclude: Iterable[str] = ()
) -> list[str]:
    """Creators ordered by their best video's score (how the baselines rank creators)."""
    excluded = set(exclude)
    best: dict[str, float] = {}
    for video_id, score in video_scores.items():
        channel = channel_of[video_id]
        if channel in excluded:
            continue
        if score > best.get(channel, float("-inf")):
            best[channel] = score
    return sorted(best, key=lambda c: (-best[c], c))
