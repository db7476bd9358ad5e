"""Vector search at 100,000 videos: top-10 by cosine through the HNSW index against an exact scan.

    .venv/bin/python -m bench.vector_search [--videos 100000] [--queries 200]

Loads the video embeddings into creator_videos with binary COPY (the HNSW index and the other
secondary indexes dropped first, rebuilt after), then answers the same queries twice: through
video_embedding_hnsw at several hnsw.ef_search values and by an exact sequential scan (index scans
disabled). Prints p50/p95 latency, recall@10 against the exact answer and the ratios; writes
bench/results/vector_search.json. The database is a throwaway one (bench_vector_search).

Vectors: the 13,004 shared corpus videos' titles embedded with maatchaa/lib/embedding.py (cached in
bench/results/cache/), then extended to --videos by blending two random corpus vectors with noise,
so the set keeps the corpus's clusters rather than being uniform. --random uses random unit vectors.
Queries: the labelled products of dev.json embedded the same way, then fresh blends not in the table.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from bench._common import (
    bulk_load,
    default_required_columns,
    latency,
    log,
    ratio,
    setup_django,
    table,
    throwaway_database,
    write_results,
)

DATABASE = "bench_vector_search"
DIMENSIONS = 384
EF_SEARCH_VALUES = (10, 20, 40, 64, 100, 200)
TARGET_RECALL = 0.95


def _normalise(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def _blend(base: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """New vectors near the corpus: a + 0.35 b + noise, normalised (cosine to `a` about 0.85)."""
    first = base[rng.integers(0, len(base), count)]
    second = base[rng.integers(0, len(base), count)]
    noise = rng.standard_normal((count, base.shape[1])).astype(np.float32) / np.sqrt(base.shape[1])
    return _normalise(first + 0.35 * second + 0.45 * noise)


def build_vectors(
    *, videos: int, queries: int, use_random: bool, seed: int
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    if use_random:
        data = _normalise(rng.standard_normal((videos, DIMENSIONS)).astype(np.float32))
        query = _normalise(rng.standard_normal((queries, DIMENSIONS)).astype(np.float32))
        return data, query, {"vectors": "random unit vectors (--random)"}
    from bench.corpus import embed_texts, product_text, read_corpus, read_labels

    corpus = read_corpus()
    # Titles rather than the pipeline's full texts: 13,004 short texts embed in minutes on two cores,
    # and the index's behaviour depends on how the vectors cluster, which titles already show.
    base, model = embed_texts([video.title for video in corpus], cache_name="corpus-titles")
    base = _normalise(base)
    data = np.vstack([base, _blend(base, max(0, videos - len(base)), rng)])[:videos]
    products = read_labels()["products"]
    product_vectors, _ = embed_texts([product_text(product) for product in products], cache_name="dev-products")
    query = np.vstack([_normalise(product_vectors), _blend(base, max(0, queries - len(products)), rng)])[:queries]
    return (
        data,
        query,
        {
            "vectors": f"{len(base)} corpus video titles embedded with {model}, blended with noise up to {videos}",
            "queries": f"{min(len(products), queries)} dev.json products embedded with {model} + {max(0, queries - len(products))} fresh blends",
            "model": model,
        },
    )


def load(cursor: Any, vectors: np.ndarray) -> dict[str, float]:
    channels = 5_000
    started = time.perf_counter()
    with bulk_load(cursor, ["discovery_channel", "creator_videos"]):
        default_required_columns(cursor, "discovery_channel", filled={"channel_id", "title"})
        default_required_columns(cursor, "creator_videos", filled={"video_id", "channel_id", "title", "embedding"})
        with cursor.copy("COPY discovery_channel (channel_id, title) FROM STDIN") as copy:
            for index in range(channels):
                copy.write_row((f"UCbench{index:017d}", f"Bench creator {index}"))
        with cursor.copy(
            "COPY creator_videos (video_id, channel_id, title, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["varchar", "varchar", "varchar", "vector"])
            for index, vector in enumerate(vectors):
                copy.write_row((f"bv{index:09d}", f"UCbench{index % channels:017d}", f"Bench video {index}", vector))
        copied = time.perf_counter()
        log(f"COPY: {len(vectors):,} videos in {copied - started:.1f} s; rebuilding indexes (HNSW included)")
    indexed = time.perf_counter()
    return {"copy_seconds": round(copied - started, 2), "index_seconds": round(indexed - copied, 2)}


def search(cursor: Any, query: np.ndarray, *, exact: bool, ef_search: int) -> tuple[float, list[str]]:
    """The top-10 ids and the milliseconds the SELECT took (the SET LOCAL round trips excluded)."""
    # SET LOCAL inside a transaction, so each mode applies to its own query only.
    cursor.execute("BEGIN")
    if exact:
        cursor.execute("SET LOCAL enable_indexscan = off")
    else:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {int(ef_search)}")
    started = time.perf_counter()
    cursor.execute("SELECT video_id FROM creator_videos ORDER BY embedding <=> %s LIMIT 10", [query])
    ids = [row[0] for row in cursor.fetchall()]
    elapsed = (time.perf_counter() - started) * 1000
    cursor.execute("COMMIT")
    return elapsed, ids


def explain(cursor: Any, query: np.ndarray, *, exact: bool) -> str:
    cursor.execute("BEGIN")
    cursor.execute("SET LOCAL enable_indexscan = off" if exact else "SET LOCAL hnsw.ef_search = 40")
    cursor.execute("EXPLAIN SELECT video_id FROM creator_videos ORDER BY embedding <=> %s LIMIT 10", [query])
    plan = "\n".join(row[0] for row in cursor.fetchall())
    cursor.execute("COMMIT")
    return plan


def timed_pass(
    cursor: Any, queries: np.ndarray, *, exact: bool, ef_search: int = 0
) -> tuple[list[float], list[list[str]]]:
    samples, answers = [], []
    for query in queries:
        elapsed, ids = search(cursor, query, exact=exact, ef_search=ef_search)
        samples.append(elapsed)
        answers.append(ids)
    return samples, answers


def recall(answers: list[list[str]], truth: list[list[str]]) -> float:
    return float(
        np.mean([len(set(got) & set(expected)) / len(expected) for got, expected in zip(answers, truth, strict=True)])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--random", action="store_true", help="random unit vectors instead of corpus embeddings")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database for inspection")
    args = parser.parse_args()

    setup_django(database=DATABASE)
    from django.db import connection
    from pgvector.psycopg import register_vector

    data, queries, provenance = build_vectors(
        videos=args.videos, queries=args.queries, use_random=args.random, seed=args.seed
    )
    log(f"vectors: {provenance['vectors']}")
    with throwaway_database(database=DATABASE, keep=args.keep_db):
        # Register the vector type before opening the cursor: a psycopg cursor copies its adapters at creation.
        connection.ensure_connection()
        register_vector(connection.connection)
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            pgvector_version = cursor.fetchone()[0]
            cursor.execute("SHOW shared_buffers")
            shared_buffers = cursor.fetchone()[0]
            timings = load(cursor, data)
            cursor.execute(
                "SELECT pg_size_pretty(pg_relation_size('video_embedding_hnsw')), pg_size_pretty(pg_table_size('creator_videos'))"
            )
            index_size, table_size = cursor.fetchone()
            plans = {"hnsw": explain(cursor, queries[0], exact=False), "exact": explain(cursor, queries[0], exact=True)}
            if "video_embedding_hnsw" not in plans["hnsw"] or "video_embedding_hnsw" in plans["exact"]:
                raise SystemExit(f"Unexpected plans, the comparison would be void:\n{plans}")

            # Warm both paths (the table and the index into the page cache) before measuring.
            timed_pass(cursor, queries[:20], exact=True)
            timed_pass(cursor, queries[:20], exact=False, ef_search=max(EF_SEARCH_VALUES))
            exact_ms, truth = timed_pass(cursor, queries, exact=True)
            exact = latency(exact_ms)
            sweep = []
            for ef_search in EF_SEARCH_VALUES:
                samples, answers = timed_pass(cursor, queries, exact=False, ef_search=ef_search)
                sweep.append(
                    {"ef_search": ef_search, "recall_at_10": recall(answers, truth), **latency(samples).as_dict()}
                )

    chosen = next((row for row in sweep if row["recall_at_10"] >= TARGET_RECALL), sweep[-1])
    rows = [["method", "ef_search", "recall@10", "p50 ms", "p95 ms", "p50 vs exact", "p95 vs exact"]]
    rows.append(["exact scan", "-", "1.000", f"{exact.p50_ms:.2f}", f"{exact.p95_ms:.2f}", "1.00x", "1.00x"])
    for row in sweep:
        rows.append(
            [
                "HNSW" + (" *" if row is chosen else ""),
                str(row["ef_search"]),
                f"{row['recall_at_10']:.3f}",
                f"{row['p50_ms']:.2f}",
                f"{row['p95_ms']:.2f}",
                f"{ratio(row['p50_ms'], exact.p50_ms):.3f}x",
                f"{ratio(row['p95_ms'], exact.p95_ms):.3f}x",
            ]
        )
    log("")
    log(f"Vector search: {len(data):,} videos x {DIMENSIONS} dims, {len(queries)} queries, top-10 by cosine")
    log(f"  {provenance['vectors']}; queries: {provenance.get('queries', 'random unit vectors')}")
    log(
        f"  pgvector {pgvector_version}, HNSW m=16 ef_construction=64, shared_buffers {shared_buffers}; table {table_size}, index {index_size}"
    )
    log(f"  load: COPY {timings['copy_seconds']} s, index build {timings['index_seconds']} s")
    log(table(rows))
    speedup = ratio(exact.p50_ms, chosen["p50_ms"])
    log(
        f"=> ef_search={chosen['ef_search']} (smallest with recall@10 >= {TARGET_RECALL}): recall@10 {chosen['recall_at_10']:.3f}, "
        f"p50 {chosen['p50_ms']:.2f} ms vs exact {exact.p50_ms:.2f} ms: {speedup:.1f}x faster"
    )
    path = write_results(
        "vector_search",
        {
            "videos": len(data),
            "dimensions": DIMENSIONS,
            "queries": len(queries),
            "provenance": provenance,
            "pgvector": pgvector_version,
            "shared_buffers": shared_buffers,
            "table_size": table_size,
            "index_size": index_size,
            "load": timings,
            "exact": exact.as_dict(),
            "hnsw": sweep,
            "chosen_ef_search": chosen["ef_search"],
            "speedup_p50": round(speedup, 2),
            "plans": plans,
        },
    )
    log(f"results: {path}")


if __name__ == "__main__":
    main()
