from __future__ import annotations

from django.conf import settings
from django.db import models

from discovery.models import Channel, Video
from maatchaa.models import TimestampedModel
from shopify_app.models import Product


class Match(TimestampedModel):
    """A video that matches a product. `similarity_score` measures content similarity only."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="matches")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="matches", db_column="video_id")
    similarity_score = models.FloatField()
    # Why it matched: {"terms": [...], "attributes": [...], "query": "...", "cosine": 0.71, ...}
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "product_creator_matches"
        verbose_name_plural = "matches"
        constraints = [models.UniqueConstraint(fields=["product", "video"], name="match_unique_product_video")]
        indexes = [
            # A product's matches, best first.
            models.Index(fields=["product", "-similarity_score"], name="match_product_score_idx"),
            # The guide's "recent matches" query orders by created_at.
            models.Index(fields=["-created_at"], name="match_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product} ~ {self.video} ({self.similarity_score:.2f})"


class CreatorMatch(TimestampedModel):
    """A creator ranked for a product: the aggregate of its matched videos, with the evidence."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="creator_matches")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="creator_matches")
    score = models.FloatField()
    rank = models.PositiveIntegerField()
    video_count = models.PositiveIntegerField(default=0)
    # [{"video_id", "score", "terms": [...]}...] best first, and "attributes" matched. Videos by id only:
    # readers add each one's current stored title (matches.selectors), nothing copied from YouTube is kept.
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "creator matches"  # not Django's "creator matchs"
        constraints = [
            models.UniqueConstraint(fields=["product", "channel"], name="creatormatch_unique_product_channel"),
        ]
        indexes = [
            # GET /products/{id}/creators: a product's creators in rank order.
            models.Index(fields=["product", "rank"], name="creatormatch_product_rank_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.channel} for {self.product}"


class CreatorDecision(TimestampedModel):
    """A marketer's shortlist or dismissal of a creator for a product; it shapes the list."""

    class Status(models.TextChoices):
        SHORTLISTED = "shortlisted", "Shortlisted"
        DISMISSED = "dismissed", "Dismissed"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="creator_decisions")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="decisions")
    status = models.CharField(max_length=16, choices=Status.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "channel"], name="creatordecision_unique_product_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} for {self.product}"
