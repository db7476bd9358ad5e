from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from pgvector.django import VectorField

from accounts.models import Company
from maatchaa.lib.text import VideoText
from maatchaa.models import EMBEDDING_DIMENSIONS, TimestampedModel, cosine_hnsw_index


class Channel(TimestampedModel):
    """A YouTube creator. Statistics are as of `fetched_at` (YouTube's 30-day rule applies)."""

    channel_id = models.CharField(max_length=64, primary_key=True)
    title = models.CharField(max_length=500, blank=True, default="")
    description = models.TextField(blank=True, default="")
    custom_url = models.CharField(max_length=255, blank=True, default="")
    country = models.CharField(max_length=8, blank=True, default="")
    default_language = models.CharField(max_length=16, blank=True, default="")
    thumbnail_url = models.URLField(max_length=1000, blank=True, default="")
    keywords = models.TextField(blank=True, default="")
    subscriber_count = models.BigIntegerField(null=True, blank=True)
    hidden_subscriber_count = models.BooleanField(default=False)
    video_count = models.BigIntegerField(null=True, blank=True)
    view_count = models.BigIntegerField(null=True, blank=True)
    uploads_playlist_id = models.CharField(max_length=64, blank=True, default="")
    contact_emails = ArrayField(models.CharField(max_length=254), default=list, blank=True)
    # True when the statistics were made up by the emulator (its corpus has no channel figures).
    statistics_emulated = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    last_upload_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        indexes = [
            # Retention: channels nearing YOUTUBE_DATA_MAX_AGE_DAYS.
            models.Index(fields=["fetched_at"], name="channel_fetched_at_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.channel_id


class Video(TimestampedModel):
    video_id = models.CharField(max_length=32, primary_key=True)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="videos", db_column="channel_id")
    channel_title = models.CharField(max_length=500, blank=True, default="")
    title = models.CharField(max_length=1000)
    description = models.TextField(blank=True, default="")
    tags = ArrayField(models.CharField(max_length=500), default=list, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    category_id = models.CharField(max_length=8, blank=True, default="")
    duration_seconds = models.IntegerField(null=True, blank=True)
    view_count = models.BigIntegerField(null=True, blank=True)
    like_count = models.BigIntegerField(null=True, blank=True)
    comment_count = models.BigIntegerField(null=True, blank=True)
    topic_categories = ArrayField(models.CharField(max_length=500), default=list, blank=True)
    thumbnail_url = models.URLField(max_length=1000, blank=True, default="")
    language = models.CharField(max_length=16, blank=True, default="")
    contact_emails = ArrayField(models.CharField(max_length=254), default=list, blank=True)
    sponsorship_signals = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    embedding_model = models.CharField(max_length=100, blank=True, default="")
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "creator_videos"
        ordering = ["-published_at"]
        indexes = [
            # Retention and freshness: videos fetched longest ago.
            models.Index(fields=["fetched_at"], name="video_fetched_at_idx"),
            # A creator's videos, newest first (evidence, last upload).
            models.Index(fields=["channel", "-published_at"], name="video_channel_published_idx"),
            # Nearest videos to a product's embedding (cosine).
            cosine_hnsw_index("video_embedding_hnsw"),
        ]

    def as_text(self) -> VideoText:
        """The video as search and ranking read it: the one place a video's text is built."""
        return VideoText(
            video_id=self.video_id,
            channel_id=self.channel_id,
            channel_title=self.channel_title,
            title=self.title,
            description=self.description,
            tags=tuple(self.tags or ()),
            category=self.category_id,
        )

    def __str__(self) -> str:
        return self.title


class SearchQuery(TimestampedModel):
    """One search call's answer, kept so that a recent repeat is answered without spending a call.

    YouTube API data like any other: served and kept within the 30-day rule (discovery/search_cache.py).
    """

    query = models.CharField(max_length=500)
    # The search parameters besides q (order, region, language, published after), as a stable key.
    params_key = models.CharField(max_length=500, blank=True, default="")
    searched_at = models.DateTimeField()
    video_ids = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    # Each video's channel, in the order of video_ids: a suppressed channel's videos are left out of an
    # answer before any detail call. Answers stored before this column (empty) are not served.
    channel_ids = ArrayField(models.CharField(max_length=64), default=list, blank=True)

    class Meta:
        verbose_name_plural = "search queries"
        constraints = [models.UniqueConstraint(fields=["query", "params_key"], name="searchquery_unique_query_params")]

    def __str__(self) -> str:
        return self.query


class QuotaDay(models.Model):
    """The quota ledger: what was spent on one Pacific day, search calls and units apart."""

    day = models.DateField(primary_key=True, help_text="The day in America/Los_Angeles")
    search_calls = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    # Set when YouTube answers quotaExceeded: no call is sent until this moment (the next Pacific midnight).
    breaker_open_until = models.DateTimeField(null=True, blank=True)
    breaker_reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-day"]
        verbose_name = "quota day"

    def __str__(self) -> str:
        return f"{self.day}: {self.search_calls} searches, {self.units} units"


class CompanyQuotaDay(models.Model):
    """What one company's discovery spent on one Pacific day: the basis of fair shares."""

    day = models.DateField()
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="quota_days")
    search_calls = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "company"], name="companyquotaday_unique_day_company")]

    def __str__(self) -> str:
        return f"{self.company} {self.day}"


class SuppressedChannel(TimestampedModel):
    """A creator who asked to be forgotten: never stored again."""

    channel_id = models.CharField(max_length=64, primary_key=True)
    reason = models.CharField(max_length=500, blank=True, default="")

    def __str__(self) -> str:
        return self.channel_id


class RetentionRun(TimestampedModel):
    """One pass of the 30-day retention job: what it refreshed and deleted."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    videos_refreshed = models.PositiveIntegerField(default=0)
    channels_refreshed = models.PositiveIntegerField(default=0)
    videos_deleted = models.PositiveIntegerField(default=0)
    channels_deleted = models.PositiveIntegerField(default=0)
    searches_deleted = models.PositiveIntegerField(default=0, help_text="Stored search answers deleted")
    units = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Retention run {self.started_at:%Y-%m-%d %H:%M}"
