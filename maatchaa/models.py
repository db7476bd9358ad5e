"""What every app's models share: the timestamped base and the shape of an embedding column."""

from __future__ import annotations

from django.db import models
from pgvector.django import HnswIndex

EMBEDDING_DIMENSIONS = 384


def cosine_hnsw_index(name: str) -> HnswIndex:
    """The HNSW index every embedding column gets: cosine distance, pgvector's default build settings."""
    return HnswIndex(name=name, fields=["embedding"], m=16, ef_construction=64, opclasses=["vector_cosine_ops"])


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
