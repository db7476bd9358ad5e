"""Vectors kept in files by what they were made of: the model and the exact text, nothing else.

A text's vector is a function of two things: the model that read it (weights, tokenizer, truncation,
pooling: `embedder_fingerprint`) and the text itself. So the cache is content-addressed: one folder per
model fingerprint, and in it each vector under the sha256 of the exact text it was computed from. There
is no view, product or video in the key: a change to the rules that build the texts (a view, a cleaned
description) yields other texts, hence other keys, and a change to how views are combined happens after
the lookup; neither can serve a stale vector. Nothing is invalidated by hand.

`CachingEmbedder` wraps any `Embedder`: it answers what the cache holds, embeds the rest in one call to
the wrapped model and adds them. The files are append-only segments (`<time>-<pid>-<random>.npz`, with
`keys` (n, 32) uint8 digests and `vectors` (n, d) float32), each written under a temporary name and
renamed into place, so two processes can write at once, a reader never sees half a segment, and a
segment that cannot be read is skipped (its texts are embedded again). On open, many segments are
merged into one.

It holds vectors and digests, never texts. The discovery pipeline does not use it: its vectors live on
the database rows they describe, which retention and deletion requests govern (README, "YouTube data");
`evaluate_matching` uses it, over a throwaway database that keeps nothing between runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from maatchaa.lib.embedding import Embedder

logger = logging.getLogger("maatchaa.vector_cache")

DIGEST_BYTES = 32
# More segments than this in a folder are merged into one when the cache is opened.
MERGE_SEGMENTS_OVER = 8
FINGERPRINT_FILE = "FINGERPRINT"


def embedder_fingerprint(embedder: Embedder) -> str:
    """What an embedder's vectors depend on besides the text: its own `fingerprint` when it has one
    (MiniLMOnnxEmbedder: model and tokenizer digests, truncation, pooling), else its `model_name`."""
    fingerprint = getattr(embedder, "fingerprint", None)
    return fingerprint if isinstance(fingerprint, str) and fingerprint else embedder.model_name


def text_digest(text: str) -> bytes:
    """The key of a text's vector within its model's folder."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def cache_folder(root: Path, fingerprint: str) -> Path:
    """`root`/<readable model name>-<16 hex digits of the whole fingerprint>."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", fingerprint.split("|", 1)[0])[:60] or "model"
    return root / f"{readable}-{hashlib.sha256(fingerprint.encode()).hexdigest()[:16]}"


class VectorCache:
    """One model's vectors by text digest, read from and appended to a folder of segments.

    Thread-safe. `flush()` writes what was added since the last flush as one new segment.
    """

    def __init__(self, root: Path, *, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.folder = cache_folder(Path(root), fingerprint)
        self._lock = threading.Lock()
        self._rows: dict[bytes, np.ndarray] = {}
        self._new: dict[bytes, np.ndarray] = {}
        self.loaded = 0  # vectors read from earlier segments
        self._load()

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    def get_many(self, digests: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        with self._lock:
            return {d: self._rows[d] for d in digests if d in self._rows}

    def put_many(self, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        with self._lock:
            for digest, vector in items:
                if digest in self._rows:
                    continue  # the first vector of a text stays its vector: reruns see the same floats
                row = np.array(vector, dtype=np.float32, copy=True)
                row.setflags(write=False)
                self._rows[digest] = row
                self._new[digest] = row

    def flush(self) -> Path | None:
        """Write the vectors added since the last flush as one segment; returns it (None: nothing new)."""
        with self._lock:
            if not self._new:
                return None
            new, self._new = self._new, {}
        return self._write_segment(new)

    # --- files ---------------------------------------------------------------------------------
    def _segments(self) -> list[Path]:
        try:
            return sorted(self.folder.glob("*.npz")) if self.folder.is_dir() else []
        except OSError as exc:
            logger.warning("Vector cache: cannot read %s (%s); embedding afresh", self.folder, exc)
            return []

    def _read_segment(self, path: Path) -> dict[bytes, np.ndarray] | None:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError, EOFError) as exc:
            logger.warning("Vector cache: skipping unreadable segment %s (%s)", path, exc)
            return None
        if (
            keys.ndim != 2
            or keys.shape[1] != DIGEST_BYTES
            or keys.dtype != np.uint8
            or vectors.ndim != 2
            or vectors.shape[0] != keys.shape[0]
            or vectors.dtype != np.float32
            or not np.isfinite(vectors).all()
        ):
            logger.warning("Vector cache: skipping segment %s, not a keys/vectors pair", path)
            return None
        vectors.setflags(write=False)
        return {bytes(key): vector for key, vector in zip(keys, vectors, strict=True)}

    def _load(self) -> None:
        segments = self._segments()
        read: list[Path] = []
        for path in segments:
            rows = self._read_segment(path)
            if rows is None:
                continue
            read.append(path)
            for digest, vector in rows.items():
                self._rows.setdefault(digest, vector)
        dims = {v.shape[0] for v in self._rows.values()}
        if len(dims) > 1:
            # One model, one width: a mix means a fingerprint that did not tell two models apart.
            logger.warning("Vector cache: %s holds vectors of widths %s; ignoring all of them", self.folder, dims)
            self._rows.clear()
            return
        self.loaded = len(self._rows)
        if len(read) > MERGE_SEGMENTS_OVER:
            self._write_segment(dict(self._rows))
            for path in read:
                path.unlink(missing_ok=True)

    def _write_segment(self, rows: dict[bytes, np.ndarray]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        marker = self.folder / FINGERPRINT_FILE
        if not marker.exists():
            marker.write_text(self.fingerprint + "\n", encoding="utf-8")
        keys = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), DIGEST_BYTES)
        vectors = np.stack(list(rows.values())).astype(np.float32, copy=False)
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}.npz"
        temporary = self.folder / f".{name}.tmp"
        with temporary.open("wb") as fh:
            np.savez(fh, keys=keys, vectors=vectors)
        final = self.folder / name
        os.replace(temporary, final)
        return final


class CachingEmbedder:
    """An `Embedder` that answers from a `VectorCache` and embeds only the texts it does not hold.

    `embedded` counts the distinct texts sent to the wrapped model, `reused` the texts answered without
    it (from an earlier run's segments, or computed earlier in this one). The wrapped model's
    `model_name` is kept, so the vectors it stores on rows are labelled as the model's own.
    """

    def __init__(self, inner: Embedder, cache: VectorCache) -> None:
        fingerprint = embedder_fingerprint(inner)
        if fingerprint != cache.fingerprint:
            raise ValueError(f"The cache holds vectors of {cache.fingerprint!r}, not of {fingerprint!r}.")
        self.inner = inner
        self.cache = cache
        self.model_name = inner.model_name
        self.fingerprint = fingerprint
        self.embedded = 0
        self.reused = 0
        self._lock = threading.Lock()

    @classmethod
    def over(cls, inner: Embedder, *, root: Path) -> CachingEmbedder:
        """`inner` with the cache of its fingerprint under `root`."""
        return cls(inner, VectorCache(root, fingerprint=embedder_fingerprint(inner)))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string.")
        if not texts:
            return self.inner.embed([])
        digests = [text_digest(text) for text in texts]
        found = self.cache.get_many(digests)
        missing: dict[bytes, str] = {}
        for digest, text in zip(digests, texts, strict=True):
            if digest not in found:
                missing.setdefault(digest, text)
        if missing:
            computed = np.asarray(self.inner.embed(list(missing.values())), dtype=np.float32)
            self.cache.put_many(zip(missing, computed, strict=True))
            # Another thread may have stored the same text meanwhile: the cache's first vector wins.
            found.update(self.cache.get_many(missing))
        with self._lock:
            self.embedded += len(missing)
            self.reused += len(texts) - len(missing)
        return np.stack([found[digest] for digest in digests]).astype(np.float32, copy=True)
