"""The shared corpus and labelled set, read the same way by every benchmark (paths from settings)."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import RESULTS_DIR, log, shared_dir


@dataclass(frozen=True)
class CorpusVideo:
    video_id: str
    channel_id: str
    channel_title: str
    title: str
    description: str
    tags: tuple[str, ...]
    category: str = ""

    @property
    def text(self) -> str:
        """What the pipeline embeds for this video (RANKING's video_embedding_text)."""
        from maatchaa.lib.text import VideoText, video_embedding_text

        return video_embedding_text(
            VideoText(
                video_id=self.video_id,
                channel_id=self.channel_id,
                channel_title=self.channel_title,
                title=self.title,
                description=self.description,
                tags=self.tags,
                category=self.category,
            )
        )


def corpus_path() -> Path:
    return shared_dir() / "data" / "youtube" / "videos.csv"


def labels_path() -> Path:
    return shared_dir() / "eval" / "dev.json"


def read_corpus(path: Path | None = None) -> list[CorpusVideo]:
    path = path or corpus_path()
    csv.field_size_limit(sys.maxsize)
    videos: dict[str, CorpusVideo] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            # The same tags as RANKING's readers (research_dev.load_videos), so the embedded texts agree.
            tags = tuple(tag for tag in (row.get("tags") or "").split("|") if tag and tag != "[none]")
            videos.setdefault(
                row["video_id"],
                CorpusVideo(
                    video_id=row["video_id"],
                    channel_id=row["channel_id"],
                    channel_title=row.get("channel_title", ""),
                    title=row.get("title", ""),
                    description=row.get("description", ""),
                    tags=tags,
                    category=row.get("category", ""),
                ),
            )
    return list(videos.values())


def read_labels(path: Path | None = None) -> dict[str, Any]:
    return json.loads((path or labels_path()).read_text())


def product_text(product: dict[str, Any]) -> str:
    """What the pipeline embeds for a product (RANKING's product_embedding_text)."""
    from maatchaa.lib.text import ProductText, product_embedding_text

    return product_embedding_text(
        ProductText(
            title=product.get("title", ""),
            description=product.get("description", ""),
            product_type=product.get("product_type", ""),
            vendor=product.get("vendor", ""),
            tags=tuple(product.get("tags", [])),
        )
    )


# RANKING's research script caches the corpus's vectors here under the same key (model + texts):
# reuse them when present rather than spend minutes of CPU on identical vectors.
RANKING_CACHE_DIR = Path("/tmp/maatchaa-ranking-cache")


def embed_texts(texts: list[str], *, cache_name: str) -> tuple[np.ndarray, str]:
    """Embed with RANKING's embedder (maatchaa/lib/embedding.py), cached by model and texts.

    Returns the (n, 384) float32 matrix and the embedder's model name.
    """
    from maatchaa.lib.embedding import get_embedder

    embedder = get_embedder()
    key = hashlib.sha256((embedder.model_name + "\x00" + "\x00".join(texts)).encode()).hexdigest()[:16]
    cache = RESULTS_DIR / "cache" / f"{cache_name}-{key}.npy"
    for candidate in (cache, *RANKING_CACHE_DIR.glob(f"*-{key}.npy")):
        if candidate.exists():
            log(f"embeddings: {len(texts)} {cache_name} texts from cache {candidate}")
            return np.load(candidate), embedder.model_name
    log(f"embeddings: embedding {len(texts)} {cache_name} texts with {embedder.model_name} (cached afterwards)")
    started = time.perf_counter()
    chunks = []
    for start in range(0, len(texts), 256):
        chunks.append(np.asarray(embedder.embed(texts[start : start + 256]), dtype=np.float32))
        log(f"  {min(start + 256, len(texts))}/{len(texts)} ({time.perf_counter() - started:.0f} s)")
    matrix = np.vstack(chunks)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, matrix)
    return matrix, embedder.model_name
