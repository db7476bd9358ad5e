"""Vectors computed once: a product's only when its text changes, a video's only when its text changes.

A video's vector is stored on its one row (discovery's Video, shared by every company, product and run),
so a video found again by another search, product, company or run is never embedded again while it is
fresh; when a stale video is fetched again (DISCOVERY_FRESHNESS_DAYS) and its text is what we embedded,
its vector is kept (`unchanged_video_vectors`). A product's vector is stored with the sha256 of the text
it came from (`Product.embedding_text_sha256`): a discovery of an unchanged product embeds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from discovery.models import Video
from maatchaa.lib.embedding import Embedder
from maatchaa.lib.text import ProductText, product_embedding_text, product_niche_text
from matches import ranking
from shopify_app.models import Product


def vector_label(embedder: Embedder) -> str:
    """What `embedding_model` records for our vectors: the model and how its views are combined.

    RANKING's vectors are the mean of two views (full text and title/tags, or type/tags for a
    product); a vector made another way (say a single view) carries another label and is re-embedded
    before it is compared, never mixed in.
    """
    return f"{embedder.model_name}+two-view"[:100]


def product_text_sha256(text: ProductText, *, label: str) -> str:
    """The fingerprint of what a product's vector is made of: the model label and both views' texts."""
    views = "\x00".join([label, product_embedding_text(text), product_niche_text(text)])
    return hashlib.sha256(views.encode()).hexdigest()


def product_vector(*, product: Product, embedder: Embedder) -> np.ndarray:
    """The product's vector: the stored one if its text and model are unchanged, else embedded and stored."""
    label = vector_label(embedder)
    text = product.as_text()
    digest = product_text_sha256(text, label=label)
    if product.embedding is not None and product.embedding_model == label and product.embedding_text_sha256 == digest:
        return np.asarray(product.embedding, dtype=np.float32)
    vector = ranking.embed_product(text, embedder=embedder)
    Product.objects.filter(pk=product.pk).update(embedding=vector, embedding_model=label, embedding_text_sha256=digest)
    product.embedding = vector
    product.embedding_model = label
    product.embedding_text_sha256 = digest
    return vector


def unchanged_video_vectors(rows: Sequence[Video], *, label: str) -> dict[str, np.ndarray]:
    """Stored vectors (of model `label`) of the videos in `rows` whose text is the same as the stored one's.

    `rows` are freshly fetched, unsaved Video rows; a video whose title, description, tags or channel
    title changed is not in the answer and is embedded again.
    """
    if not rows:
        return {}
    stored = {
        video.video_id: video
        for video in Video.objects.filter(
            video_id__in=[row.video_id for row in rows], embedding__isnull=False, embedding_model=label
        ).only("video_id", "channel_id", "channel_title", "title", "description", "tags", "embedding")
    }
    out: dict[str, np.ndarray] = {}
    for row in rows:
        old = stored.get(row.video_id)
        if old is not None and old.as_text() == row.as_text():
            out[row.video_id] = np.asarray(old.embedding, dtype=np.float32)
    return out
