"""Research harness for issue #14's levers 2 and 3 (not part of the test suite; the figure that counts is
``evaluate_matching``'s, on the real pipeline).

Simulates, over the emulator's search of the corpus and with ``bench.research_dev``'s embedding cache:
every product's first two searches (the niche query, the same within its category), then extra searches
(``discovery.queries.extra_searches``) given one at a time to a policy's choice of product until a budget
of search calls is spent, and prints the ranking's and the ceiling's nDCG@10 / P@5.

    .venv/bin/python -m bench.research_levers --budget 48
"""

from __future__ import annotations

import argparse
import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.research_dev import SHARED_DIR, Figures, VectorCache, product_vectors, video_text, video_vectors
from discovery.categories import predict_category
from discovery.queries import Search, extra_searches, planned_searches
from emulators.youtube.corpus import Corpus, load_corpus
from maatchaa.lib.text import VideoText
from matches.evaluation import LabelledProduct, LabelledSet, load_labels
from matches.ranking import CreatorScore, rank_creators, score_videos


@dataclass
class State:
    product: LabelledProduct
    vector: np.ndarray
    category: str
    found: dict[str, VideoText] = field(default_factory=dict)
    first: list[Search] = field(default_factory=list)
    pending: list[Search] = field(default_factory=list)
    creators: list[CreatorScore] = field(default_factory=list)
    extra: int = 0
    positions: dict[str, list[int]] = field(default_factory=dict)  # video id -> its place in each search
    searches: int = 0


def _search(corpus: Corpus, state: State, search: Search) -> None:
    state.searches += 1
    for place, video in enumerate(corpus.search(search.query, max_results=50, category_id=search.category_id).items):
        state.found.setdefault(video.video_id, video_text(video))
        state.positions.setdefault(video.video_id, []).append(place)


def _rank(cache: VectorCache, state: State) -> None:
    videos = list(state.found.values())
    vectors = video_vectors(cache, videos)
    scores = score_videos(state.product.text, state.vector, videos, vectors, niche_category=state.category)
    state.creators = rank_creators(scores)


def weakness(state: State) -> float:
    return sum(c.score for c in state.creators[:10]) / 10


def run(
    labels_path: Path, corpus_path: Path, *, budget: int, policy: str, stop_unchanged: bool, probe: bool = False
) -> None:
    labels = load_labels(labels_path)
    corpus = load_corpus(corpus_path)
    cache = VectorCache("candidates")
    states: list[State] = []
    for product, vector in zip(labels.products, product_vectors(cache, [p.text for p in labels.products]), strict=True):
        category = predict_category(vector, embedder=cache.embedder)
        state = State(product, vector, category.id if category else "")
        state.first = planned_searches(product.text, limit=2, category=category)
        for search in state.first:
            _search(corpus, state, search)
        videos = list(state.found.values())
        state.pending = extra_searches(
            product.text, vector, videos, video_vectors(cache, videos), first=state.first, category=category
        )
        _rank(cache, state)
        states.append(state)
    spent = 0
    if policy == "weakest":
        heap = [(weakness(s), i) for i, s in enumerate(states)]
        heapq.heapify(heap)
        while heap and spent < budget:
            _, i = heapq.heappop(heap)
            state = states[i]
            if not state.pending:
                continue
            before = [c.channel_id for c in state.creators[:10]]
            _search(corpus, state, state.pending.pop(0))
            spent += 1
            state.extra += 1
            _rank(cache, state)
            changed = set(before) != {c.channel_id for c in state.creators[:10]}
            if state.pending and (changed or not stop_unchanged):
                heapq.heappush(heap, (weakness(state), i))
    else:  # round robin
        while spent < budget and any(s.pending for s in states):
            for state in states:
                if state.pending and spent < budget:
                    _search(corpus, state, state.pending.pop(0))
                    spent += 1
                    state.extra += 1
        for state in states:
            _rank(cache, state)
    ours, oracle = Figures(), Figures()
    for state in states:
        qrels = labels.creator_qrels.get(state.product.id, {})
        n, _ = ours.add([c.channel_id for c in state.creators], qrels)
        reachable = {v.channel_id for v in state.found.values()}
        o, _ = oracle.add(sorted(reachable, key=lambda c: (-qrels.get(c, 0), c)), qrels)
        print(f"  {n:.2f} ceiling {o:.2f}  extra {state.extra}  {state.product.title[:40]}")
    print(f"policy {policy}, budget {budget}, spent {spent}, first searches {2 * len(states)}")
    print(ours.line("ours"))
    print(oracle.line("ceiling"))
    if probe:
        _probe(labels, corpus, cache, states)


FEATURES = ("score", "cosine", "lexical", "videos", "best_place", "returned", "focus", "focus_share")
FEATURE_SETS = (
    ("score",),
    ("score", "best_place"),
    ("score", "returned"),
    ("score", "best_place", "returned"),
    ("score", "focus"),
    ("score", "focus_share"),
    ("score", "cosine", "lexical", "videos"),
    ("score", "cosine", "lexical", "videos", "best_place", "returned"),
    FEATURES,
)
FOCUS_COSINE = 0.35  # pipeline/focus.py's


def _features(cache: VectorCache, corpus: Corpus, state: State, creator: CreatorScore) -> dict[str, float]:
    places = [p for v in creator.videos for p in state.positions.get(v.video_id, [])]
    titles = [v.title for v in corpus.videos_of_channel(creator.channel_id)[:50]]
    on_niche = int((cache.embed(titles) @ state.vector >= FOCUS_COSINE).sum()) if titles else 0
    return {
        "score": creator.score,
        "cosine": creator.videos[0].cosine,
        "lexical": creator.videos[0].lexical,
        "videos": float(np.log1p(len(creator.videos))),
        # YouTube's own answer: the best place of the creator's videos in the product's searches, and how
        # many times its videos were returned.
        "best_place": float(np.log1p(min(places) if places else 50)),
        "returned": float(np.log1p(len(places))),
        "focus": float(np.log1p(on_niche)),
        "focus_share": on_niche / max(1, len(titles)),
    }


def _fit(rows: list[tuple[list[float], int]], l2: float = 1.0) -> Callable[[list[float]], float]:
    """Logistic regression (grade >= 2) by Newton's method with an L2 penalty, on standardised features."""
    x = np.asarray([f for f, _ in rows], dtype=np.float64)
    y = np.asarray([1.0 if g >= 2 else 0.0 for _, g in rows])
    mu, sd = x.mean(0), x.std(0) + 1e-9
    a = np.c_[(x - mu) / sd, np.ones(len(x))]
    w = np.zeros(a.shape[1])
    penalty = np.r_[np.ones(len(w) - 1), 0.0] * l2
    for _ in range(50):
        p = 1 / (1 + np.exp(-a @ w))
        w -= np.linalg.solve((a.T * (p * (1 - p))) @ a + np.diag(penalty), a.T @ (p - y) + penalty * w)
    return lambda f: float(np.r_[(np.asarray(f) - mu) / sd, 1.0] @ w)


def _probe(labels: LabelledSet, corpus: Corpus, cache: VectorCache, states: list[State]) -> None:
    """Levers 3 and 1: the creators' focus and YouTube's own answer as features of a logistic regression over
    each product's top 40 creators, fitted on the judged ones, in sample and leave one product out."""
    table = {s.product.id: [(c.channel_id, _features(cache, corpus, s, c)) for c in s.creators[:40]] for s in states}

    def rows_of(ids: list[str], names: Sequence[str]) -> list[tuple[list[float], int]]:
        out = []
        for pid in ids:
            qrels = labels.creator_qrels.get(pid, {})
            out += [([f[n] for n in names], qrels[c]) for c, f in table[pid] if c in qrels]
        return out

    def figures(names: Sequence[str], model_for: Callable[[str], Callable[[list[float]], float]]) -> str:
        result = Figures()
        for pid, creators in table.items():
            model = model_for(pid)
            ranked = sorted(creators, key=lambda cf: -model([cf[1][n] for n in names]))
            result.add([c for c, _ in ranked], labels.creator_qrels.get(pid, {}))
        return result.line("")[-26:]

    ids = list(table)
    for names in FEATURE_SETS:
        everywhere = _fit(rows_of(ids, names))
        in_sample = figures(names, lambda pid: everywhere)
        held_out = figures(names, lambda pid: _fit(rows_of([i for i in ids if i != pid], names)))
        print(f"{'+'.join(names):<58} in sample {in_sample}   held out {held_out}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=SHARED_DIR / "eval" / "dev.json")
    parser.add_argument("--corpus", type=Path, default=SHARED_DIR / "data" / "youtube" / "videos.csv")
    parser.add_argument("--budget", type=int, default=48)
    parser.add_argument("--policy", choices=("weakest", "round"), default="weakest")
    parser.add_argument("--probe", action="store_true", help="also fit levers 1 and 3's features (in/held out)")
    parser.add_argument("--keep-going", action="store_true", help="do not stop a product whose top ten held")
    args = parser.parse_args(argv)
    run(
        args.labels,
        args.corpus,
        budget=args.budget,
        policy=args.policy,
        stop_unchanged=not args.keep_going,
        probe=args.probe,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
