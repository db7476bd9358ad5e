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

    class FitBand(models.TextChoices):
        # Calibrated on labelled data (matches/fit_bands.py): what a score means to a marketer.
        STRONG = "strong", "Strong fit"
        GOOD = "good", "Good fit"
        WEAK = "weak", "Weak fit"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="creator_matches")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="creator_matches")
    score = models.FloatField()
    rank = models.PositiveIntegerField()
    video_count = models.PositiveIntegerField(default=0)
    fit_band = models.CharField(max_length=8, choices=FitBand.choices, default=FitBand.WEAK)
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


class OwnChannelGuess(TimestampedModel):
    """A channel taken for the brand's own (its title or handle spells the company's, a vendor's or the
    shop's name; matches/own_channels.py): kept out of the rankings until a member undoes it."""

    class Source(models.TextChoices):
        COMPANY = "company", "the company's name"
        VENDOR = "vendor", "a vendor's name"
        SHOP = "shop", "the shop's name"

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="own_channel_guesses")
    # An id, not a foreign key: the judgement (and its undoing) outlives the 30-day YouTube data it was made on.
    channel_id = models.CharField(max_length=64)
    matched_name = models.CharField(max_length=200)
    source = models.CharField(max_length=16, choices=Source.choices)
    # A member said "not our channel": ranked like any creator, and never guessed again.
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        verbose_name = "own channel guess"
        constraints = [
            models.UniqueConstraint(fields=["company", "channel_id"], name="ownchannelguess_unique_company_channel"),
        ]

    def __str__(self) -> str:
        state = "undone" if self.rejected_at else "kept out"
        return f"{self.channel_id} ({self.matched_name}, {state})"
