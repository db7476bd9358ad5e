"""Embedding throughput: the pipeline's rate against the model's own, on the same corpus texts.

    .venv/bin/python -m bench.embedding [--videos 200] [--rounds 3]

A fixed set of corpus videos (the shared corpus, shuffled with a fixed seed, the first --videos), each
with the two views the pipeline embeds (RANKING's full text and headline). Measured in the same run,
alternately, --rounds times each, best round kept (the machine is shared; the best round is the one
least disturbed):

  - raw: the ONNX session alone (maatchaa/lib/embedding.py's model and session options) on inputs
    prepared beforehand: every text tokenized, sorted by token length and padded into batches, at the
    batch shape that the sweep found fastest (fixed 1 to 32 texts a batch, or 256 to 2,048 tokens a
    batch). Nothing but `session.run` is timed: the model's own speed on this machine.
  - pipeline: `matches.ranking.embed_videos` on the same videos, as discovery calls it: texts in,
    one unit vector per video out (tokenizing, batching, pooling, normalising, both views).

Prints both rates in texts a second and raw / pipeline (target: within 1.2x); writes
bench/results/embedding.json. Needs no database.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench._common import log, ratio, setup_django, table, write_results

TARGET = 1.2
SEED = 18
FIXED_SHAPES = (1, 4, 8, 16, 32)
TOKEN_SHAPES = (256, 512, 1024, 2048)


def corpus_videos(count: int) -> list[Any]:
    from bench.corpus import read_corpus
    from maatchaa.lib.text import VideoText

    videos = read_corpus()
    random.Random(SEED).shuffle(videos)
    return [
        VideoText(
            video_id=v.video_id,
            channel_id=v.channel_id,
            channel_title=v.channel_title,
            title=v.title,
            description=v.description,
            tags=v.tags,
            category=v.category,
        )
        for v in videos[:count]
    ]


def padded_batches(embedder: Any, texts: Sequence[str], shape: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The texts tokenized, sorted by length and padded into batches of `shape` ("8 texts", "512 tokens")."""
    token_ids = embedder.token_ids(texts)
    lengths = np.array([len(ids) for ids in token_ids], dtype=np.int64)
    amount, unit = shape.split()
    saved = embedder.batch_size, embedder.tokens_per_batch
    embedder.batch_size = int(amount) if unit == "texts" else None
    embedder.tokens_per_batch = int(amount) if unit == "tokens" else saved[1]
    try:
        chunks = embedder.batches(lengths)
    finally:
        embedder.batch_size, embedder.tokens_per_batch = saved
    out = []
    for chunk in chunks:
        width = int(lengths[chunk].max())
        ids = np.zeros((len(chunk), width), dtype=np.int64)
        mask = np.zeros((len(chunk), width), dtype=np.int64)
        for row, i in enumerate(chunk):
            ids[row, : lengths[i]] = token_ids[i]
            mask[row, : lengths[i]] = 1
        out.append((ids, mask))
    return out


def time_raw(embedder: Any, batches: list[tuple[np.ndarray, np.ndarray]]) -> float:
    session = embedder.session
    started = time.perf_counter()
    for ids, mask in batches:
        session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    return time.perf_counter() - started


def time_pipeline(embedder: Any, videos: Sequence[Any]) -> float:
    from matches import ranking

    started = time.perf_counter()
    ranking.embed_videos(videos, embedder=embedder)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=200, help="corpus videos (two texts each)")
    parser.add_argument("--rounds", type=int, default=3, help="alternate raw and pipeline this many times")
    parser.add_argument("--sweep-videos", type=int, default=60, help="videos for the batch-shape sweep")
    args = parser.parse_args()
    setup_django(database="bench_embedding")  # settings only (the shared data's path): no database is used

    from maatchaa.lib.embedding import MiniLMOnnxEmbedder
    from maatchaa.lib.text import video_embedding_text, video_headline_text

    embedder = MiniLMOnnxEmbedder()
    embedder.embed(["warm the model up"])
    videos = corpus_videos(args.videos)
    texts = [video_embedding_text(v) for v in videos] + [video_headline_text(v) for v in videos]
    lengths = [len(ids) for ids in embedder.token_ids(texts)]
    log(
        f"{len(videos)} corpus videos, {len(texts)} texts (both views), {sum(lengths):,} tokens "
        f"(mean {np.mean(lengths):.0f}, max {max(lengths)})"
    )

    sweep_videos = videos[: args.sweep_videos]
    sweep_texts = [video_embedding_text(v) for v in sweep_videos] + [video_headline_text(v) for v in sweep_videos]
    sweep: dict[str, float] = {}
    for shape in [f"{n} texts" for n in FIXED_SHAPES] + [f"{n} tokens" for n in TOKEN_SHAPES]:
        batches = padded_batches(embedder, sweep_texts, shape)
        seconds = min(time_raw(embedder, batches) for _ in range(2))
        sweep[shape] = round(len(sweep_texts) / seconds, 2)
        log(f"  sweep, raw session at {shape} a batch: {sweep[shape]:.1f} texts/s")
    best_shape = max(sweep, key=lambda s: sweep[s])
    log(f"best batch shape: {best_shape}")

    batches = padded_batches(embedder, texts, best_shape)
    raw_rounds: list[float] = []
    pipeline_rounds: list[float] = []
    for index in range(args.rounds):
        raw_rounds.append(time_raw(embedder, batches))
        pipeline_rounds.append(time_pipeline(embedder, videos))
        log(f"  round {index + 1}: raw {raw_rounds[-1]:.1f} s, pipeline {pipeline_rounds[-1]:.1f} s")
    raw_rate = len(texts) / min(raw_rounds)
    pipeline_rate = len(texts) / min(pipeline_rounds)
    result_ratio = ratio(raw_rate, pipeline_rate)
    results = {
        "videos": len(videos),
        "texts": len(texts),
        "tokens": sum(lengths),
        "sweep_texts_per_second": sweep,
        "best_shape": best_shape,
        "raw_seconds": [round(s, 3) for s in raw_rounds],
        "pipeline_seconds": [round(s, 3) for s in pipeline_rounds],
        "raw_texts_per_second": round(raw_rate, 2),
        "pipeline_texts_per_second": round(pipeline_rate, 2),
        "ratio_raw_to_pipeline": round(result_ratio, 3),
        "pipeline_shape": f"{embedder.tokens_per_batch} tokens (at most 64 texts)",
        "threads": embedder.session.get_session_options().intra_op_num_threads,
    }
    log("")
    log(
        table(
            [
                ["", "texts/s (best round)", "seconds per round"],
                [f"raw session ({best_shape})", f"{raw_rate:.1f}", ", ".join(f"{s:.1f}" for s in raw_rounds)],
                [
                    "pipeline (ranking.embed_videos)",
                    f"{pipeline_rate:.1f}",
                    ", ".join(f"{s:.1f}" for s in pipeline_rounds),
                ],
            ]
        )
    )
    verdict = "within" if result_ratio <= TARGET else "OVER"
    log(f"=> raw / pipeline: {result_ratio:.2f}x ({verdict} the {TARGET}x target)")
    log(f"results: {write_results('embedding', results)}")


if __name__ == "__main__":
    main()
