"""Research harness for ranking quality on a labelled set (not part of the test suite).

Simulates the discovery pipeline on ``dev.json``: queries -> search (the YouTube emulator's text
search over the corpus) -> embed candidates -> score videos -> rank creators -> nDCG@10 / P@5,
beside the original's keyword heuristic and BM25 on the same candidates, and the same figures
without the search step (ranking the whole corpus).

    .venv/bin/python -m bench.research_dev --labels ../shared/eval/dev.json \
        --corpus ../shared/data/youtube/videos.csv [--per-product]

Embeddings are cached under /tmp (keyed by model and text), so reruns take seconds.

Figures on dev.json (2026-11-29; 21 products; mean nDCG@10 / P@5 over creators):

    pipeline setting (--mode pipeline), 2 searches a product (niche query, then the same within the
    product's YouTube category):
        ours 0.654 / 0.581   cosine only 0.647 / 0.581   BM25 0.376 / 0.352
        original heuristic 0.210 / 0.200   best reachable (oracle) 0.827 / 0.724
    same, 3 searches (the third learned from the results):   ours 0.672   oracle 0.872
    --mode feedback (niche query, then feedback query), as before the category search:
        ours 0.596 / 0.533   cosine only 0.588 / 0.543   BM25 0.378 / 0.324
        original heuristic 0.184 / 0.200   best reachable (oracle) 0.765 / 0.648
    same, static queries (build_queries(limit=2)):   ours 0.580   oracle 0.775
    same, plus the recent uploads of the top 10 creators:   ours 0.600
    one search a product:   ours 0.570   oracle 0.702
    no search step, over every video judged for any product (~1,000 videos):
        ours 0.650 / 0.562   cosine only 0.622 / 0.505   BM25 0.364 / 0.286   original 0.138 / 0.143
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from discovery.categories import predict_category
from discovery.queries import build_queries, next_query, planned_searches
from emulators.youtube.corpus import Corpus, Video, load_corpus
from maatchaa.lib.embedding import get_embedder
from maatchaa.lib.text import (
    ProductText,
    VideoText,
    product_embedding_text,
    product_niche_text,
    video_embedding_text,
    video_headline_text,
)
from matches.evaluation import (
    LabelledSet,
    bm25_video_scores,
    heuristic_video_scores,
    load_labels,
    ndcg_at_k,
    precision_at_k,
    rank_channels_by_best_video,
)
from matches.ranking import ScoringWeights, mean_of_views, rank_creators, score_videos

CACHE_DIR = Path("/tmp/maatchaa-ranking-cache")
# The shared data beside the checkout, as settings.SHARED_DATA_DIR (this harness runs without Django).
SHARED_DIR = Path(os.environ.get("MAATCHAA_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))


class VectorCache:
    """Video vectors by (model, text) hash, persisted under /tmp after every chunk, so that an
    interrupted run keeps its work and candidate sets of later runs reuse it."""

    def __init__(self, label: str, *, read_also: Sequence[str] = ()) -> None:
        self.embedder = get_embedder()
        self.path = CACHE_DIR / f"{label}-{self.embedder.model_name}.pkl"
        self.vectors: dict[str, np.ndarray] = {}
        # Other caches (e.g. the corpus job's, filled by another process) are read, never written.
        for other in (*read_also, label):
            path = CACHE_DIR / f"{other}-{self.embedder.model_name}.pkl"
            if path.exists():
                try:
                    with path.open("rb") as fh:
                        self.vectors.update(pickle.load(fh))  # noqa: S301 - our own file under /tmp
                except (EOFError, pickle.UnpicklingError):
                    pass

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def embed(self, texts: Sequence[str], *, log: Callable[[str], None] | None = None) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if self.key(t) not in self.vectors))
        started = time.monotonic()
        for start in range(0, len(missing), 256):
            chunk = missing[start : start + 256]
            for text, vector in zip(chunk, self.embedder.embed(chunk), strict=True):
                self.vectors[self.key(text)] = vector
            self.save()
            if log:
                log(f"  embedded {start + len(chunk)}/{len(missing)} ({time.monotonic() - started:.0f}s)")
        if not texts:
            return np.zeros((0, 384), np.float32)
        return np.vstack([self.vectors[self.key(t)] for t in texts])

    def save(self) -> None:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(self.vectors, fh)
        tmp.replace(self.path)


def video_vectors(cache: VectorCache, videos: Sequence[VideoText]) -> np.ndarray:
    """``embed_videos`` through the cache: the same two views, the same mean."""
    if not videos:
        return np.zeros((0, 384), np.float32)
    return mean_of_views(
        cache.embed([video_embedding_text(v) for v in videos]), cache.embed([video_headline_text(v) for v in videos])
    )


def product_vectors(cache: VectorCache, products: Sequence[ProductText]) -> np.ndarray:
    return mean_of_views(
        cache.embed([product_embedding_text(p) for p in products]),
        cache.embed([product_niche_text(p) for p in products]),
    )


def video_text(video: Video) -> VideoText:
    return VideoText(
        video_id=video.video_id,
        channel_id=video.channel_id,
        channel_title=video.channel_title,
        title=video.title,
        description=video.description,
        tags=tuple(video.tags),
        category=video.category_id,
    )


@dataclass
class Figures:
    ndcg: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)

    def add(self, ranked: Sequence[str], qrels: Mapping[str, int]) -> tuple[float, float]:
        n, p = ndcg_at_k(ranked, qrels, 10), precision_at_k(ranked, qrels, 5, 2)
        self.ndcg.append(n)
        self.precision.append(p)
        return n, p

    def line(self, label: str) -> str:
        mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
        return f"{label:<34} nDCG@10 {mean(self.ndcg):.3f}   P@5 {mean(self.precision):.3f}"


@dataclass
class Setup:
    """One configuration of the simulated pipeline."""

    # "pipeline": planned_searches (niche, niche within the category), then feedback_query;
    # "static": build_queries(limit); "feedback": 1 static + feedback_query.
    mode: str = "pipeline"
    searches: int = 2
    uploads_for_top: int = 0  # fetch the recent uploads of this many top creators (units, not searches)
    weights: ScoringWeights = field(default_factory=ScoringWeights)


def simulate(
    labels: LabelledSet, corpus: Corpus, cache: VectorCache, setup: Setup, *, per_product: bool = False
) -> dict[str, Figures]:
    """Run the pipeline's steps for every labelled product and score the creators it ranks."""
    figures = {name: Figures() for name in ("ours", "cosine only", "BM25", "original heuristic", "oracle")}
    vectors_of_products = product_vectors(cache, [p.text for p in labels.products])
    for product, product_vector in zip(labels.products, vectors_of_products, strict=True):
        qrels = labels.creator_qrels.get(product.id, {})
        found: dict[str, VideoText] = {}
        queries: list[str] = []  # as sent, for the feedback query's exclusions
        shown: list[str] = []  # with their category, for --per-product

        def search(q: str, category_id: str = "") -> None:
            queries.append(q)
            shown.append(q + (f" [category {category_id}]" if category_id else ""))
            for video in corpus.search(q, max_results=50, category_id=category_id).items:
                found.setdefault(video.video_id, video_text(video))

        def learn_until(searches: int) -> None:
            """Further queries learned from what was found, as the pipeline's next_query writes them."""
            while len(queries) < searches:
                videos = list(found.values())
                q = next_query(product.text, product_vector, videos, video_vectors(cache, videos), previous=queries)
                if q is None:
                    break
                search(q)

        if setup.mode == "pipeline":
            category = predict_category(product_vector, embedder=cache.embedder)
            for planned in planned_searches(product.text, limit=min(2, setup.searches), category=category):
                search(planned.query, planned.category_id)
            learn_until(setup.searches)
        elif setup.mode == "static":
            for q in build_queries(product.text, limit=setup.searches):
                search(q)
        else:
            for q in build_queries(product.text, limit=1):
                search(q)
            learn_until(setup.searches)
        videos = list(found.values())
        vectors = video_vectors(cache, videos)
        scores = score_videos(product.text, product_vector, videos, vectors, weights=setup.weights)
        creators = rank_creators(scores)
        if setup.uploads_for_top:
            for creator in creators[: setup.uploads_for_top]:
                for video in corpus.videos_of_channel(creator.channel_id)[:50]:
                    found.setdefault(video.video_id, video_text(video))
            videos = list(found.values())
            vectors = video_vectors(cache, videos)
            scores = score_videos(product.text, product_vector, videos, vectors, weights=setup.weights)
            creators = rank_creators(scores)
        channel_of = {v.video_id: v.channel_id for v in videos}
        n, p = figures["ours"].add([c.channel_id for c in creators], qrels)
        cosine = {v.video_id: float(c) for v, c in zip(videos, vectors @ product_vector, strict=True)}
        figures["cosine only"].add(rank_channels_by_best_video(cosine, channel_of), qrels)
        figures["BM25"].add(rank_channels_by_best_video(bm25_video_scores(product.text, videos), channel_of), qrels)
        figures["original heuristic"].add(
            rank_channels_by_best_video(heuristic_video_scores(product.text, videos), channel_of), qrels
        )
        reachable = set(channel_of.values())
        figures["oracle"].add(sorted(reachable, key=lambda c: (-qrels.get(c, 0), c)), qrels)
        if per_product:
            print(f"  {n:.2f} {p:.2f}  {product.title[:38]:<38} {len(videos):3} videos  {' || '.join(shown)[:150]}")
    return figures


def judged_pool(labels: LabelledSet, corpus: Corpus, cache: VectorCache, weights: ScoringWeights) -> dict[str, Figures]:
    """The rankings with no search step, over every video judged for any labelled product.

    The labels were pooled from the whole corpus (BM25 and MiniLM top 30 per product), so this pool
    holds each product's relevant videos and the corpus's closest distractors for all of them.
    (Embedding all 13k videos takes hours on two busy cores; this pool is the tractable stand-in.)
    """
    ids = sorted({vid for qrels in labels.video_qrels.values() for vid in qrels})
    videos = [video_text(v) for v in (corpus.video(i) for i in ids) if v is not None]
    vectors = video_vectors(cache, videos)
    channel_of = {v.video_id: v.channel_id for v in videos}
    figures = {name: Figures() for name in ("ours", "cosine only", "BM25", "original heuristic")}
    vectors_of_products = product_vectors(cache, [p.text for p in labels.products])
    for product, product_vector in zip(labels.products, vectors_of_products, strict=True):
        qrels = labels.creator_qrels.get(product.id, {})
        scores = score_videos(product.text, product_vector, videos, vectors, weights=weights)
        figures["ours"].add([c.channel_id for c in rank_creators(scores)], qrels)
        cosines = {v.video_id: float(c) for v, c in zip(videos, vectors @ product_vector, strict=True)}
        figures["cosine only"].add(rank_channels_by_best_video(cosines, channel_of), qrels)
        figures["BM25"].add(rank_channels_by_best_video(bm25_video_scores(product.text, videos), channel_of), qrels)
        figures["original heuristic"].add(
            rank_channels_by_best_video(heuristic_video_scores(product.text, videos), channel_of), qrels
        )
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=SHARED_DIR / "eval" / "dev.json")
    parser.add_argument("--corpus", type=Path, default=SHARED_DIR / "data" / "youtube" / "videos.csv")
    parser.add_argument("--mode", choices=("pipeline", "static", "feedback"), default="pipeline")
    parser.add_argument("--searches", type=int, default=2, help="search calls per product")
    parser.add_argument("--uploads", type=int, default=0, help="fetch recent uploads of the top N creators")
    parser.add_argument("--per-product", action="store_true")
    parser.add_argument("--no-search", action="store_true", help="also rank the judged pool with no search step")
    parser.add_argument("--embed-only", action="store_true", help="only fill the corpus embedding cache")
    args = parser.parse_args(argv)
    labels = load_labels(args.labels)
    corpus = load_corpus(args.corpus)
    cache = VectorCache("videos") if args.embed_only else VectorCache("candidates", read_also=("videos",))
    if args.embed_only:
        cache.embed([video_embedding_text(video_text(v)) for v in corpus.videos], log=print)
        return 0
    setup = Setup(mode=args.mode, searches=args.searches, uploads_for_top=args.uploads)
    started = time.monotonic()
    figures = simulate(labels, corpus, cache, setup, per_product=args.per_product)
    print(
        f"pipeline setting: {setup.mode}, {setup.searches} searches/product, uploads of top {setup.uploads_for_top}"
        f" ({time.monotonic() - started:.0f}s)"
    )
    for name, fig in figures.items():
        print("  " + fig.line(name))
    if args.no_search:
        print("no search step (every video judged for any product):")
        for name, fig in judged_pool(labels, corpus, cache, setup.weights).items():
            print("  " + fig.line(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
