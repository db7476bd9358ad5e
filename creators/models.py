"""A company's relationship with creators: notes, lists with a pipeline, outreach, lookalikes, what's new.

Every row here but the YouTube-derived ones (recent uploads, channel vectors) belongs to one company
and is reached only through it (creators/selectors.py). Rows that refer to a channel go with it: a
creator's deletion request or the 30-day rule deletes the channel, and CASCADE (after the receivers
in creators/receivers.py counted them) takes these rows along.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from pgvector.django import VectorField

from accounts.models import Company, Membership
from discovery.models import Channel
from maatchaa.models import EMBEDDING_DIMENSIONS, TimestampedModel, cosine_hnsw_index
from shopify_app.models import Product


class CreatorNote(TimestampedModel):
    """A marketer's note about a creator, seen only by the marketer's company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="creator_notes")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # A creator's page: the company's notes about one channel, newest first.
            models.Index(fields=["company", "channel", "-created_at"], name="creatornote_company_chan_idx"),
        ]

    def __str__(self) -> str:
        return f"Note on {self.channel_id} by {self.company}"


class RecentUpload(models.Model):
    """One of a channel's newest uploads as its uploads playlist listed them (playlistItems.list, one unit),
    fetched when a member asks. YouTube data: shown only while younger than YOUTUBE_DATA_MAX_AGE_DAYS and
    deleted by the retention pass at the same cutoff as videos (creators/receivers.py)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="recent_uploads")
    video_id = models.CharField(max_length=32)
    title = models.CharField(max_length=1000, blank=True, default="")
    thumbnail_url = models.URLField(max_length=1000, blank=True, default="")
    published_at = models.DateTimeField(null=True, blank=True)
    # The playlist's order, newest first.
    position = models.PositiveIntegerField(default=0)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["channel", "position"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "video_id"], name="recentupload_unique_channel_video"),
        ]
        indexes = [
            # Retention: recent uploads fetched before the cutoff.
            models.Index(fields=["fetched_at"], name="recentupload_fetched_at_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.video_id


class CreatorList(TimestampedModel):
    """A company's named list of creators (a campaign, a season), each entry moving through a pipeline."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="creator_lists")
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # Names are unique per company whatever their case: "Spring launch" and "spring launch" are one list.
            models.UniqueConstraint(Lower("name"), "company", name="creatorlist_unique_company_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ListEntry(TimestampedModel):
    """A creator on a list, with where the relationship stands and the company's notes."""

    class Status(models.TextChoices):
        TO_CONTACT = "to_contact", "To contact"
        CONTACTED = "contacted", "Contacted"
        REPLIED = "replied", "Replied"
        AGREED = "agreed", "Agreed"
        DECLINED = "declined", "Declined"

    creator_list = models.ForeignKey(CreatorList, on_delete=models.CASCADE, related_name="entries")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="list_entries")
    # The product the creator was added for (its outreach draft names it); kept if the product goes.
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TO_CONTACT)
    notes = models.TextField(blank=True, default="")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Who last changed the status or the notes, and when.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "list entries"
        constraints = [
            models.UniqueConstraint(fields=["creator_list", "channel"], name="listentry_unique_list_channel"),
        ]
        indexes = [
            # A list page filtered by status.
            models.Index(fields=["creator_list", "status"], name="listentry_list_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} on {self.creator_list} ({self.status})"


class OutreachTemplate(TimestampedModel):
    """A company's email template for reaching a creator about a product (creators/outreach.py fills it)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="outreach_template")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    def __str__(self) -> str:
        return f"Outreach template of {self.company}"


class ChannelVector(models.Model):
    """What a channel's stored videos are about, as one vector: the mean of their embeddings (each a unit
    vector of the same model). Lookalikes rank channels by its cosine distance (creators/lookalikes.py).
    Derived from stored videos and recomputed when they change or go; deleted with the channel."""

    channel = models.OneToOneField(
        Channel, on_delete=models.CASCADE, primary_key=True, related_name="vector", db_column="channel_id"
    )
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    embedding_model = models.CharField(max_length=100)
    video_count = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Lookalikes: the channels nearest to one channel's vector (cosine).
            cosine_hnsw_index("channelvector_embedding_hnsw"),
        ]

    def __str__(self) -> str:
        return f"Vector of {self.channel_id} ({self.video_count} videos)"


class StrongBandEntry(models.Model):
    """A creator in a product's strong band (its stored fit band is strong) and since when
    we saw it there: what's new on the products page and in the weekly digest. Synced from the rankings
    when read; a creator that leaves the band loses its row, and one that comes back is new again."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "channel"], name="strongband_unique_product_channel"),
        ]
        indexes = [
            # What's new: a company's entries since a moment.
            models.Index(fields=["entered_at"], name="strongband_entered_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} strong for {self.product_id} since {self.entered_at:%Y-%m-%d}"


class MemberPreference(models.Model):
    """A member's visits to the products page (what's new is "since the last visit") and weekly digest."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="creator_preference")
    digest_enabled = models.BooleanField(default=True, help_text="The weekly what's-new email (with EMAIL_URL set)")
    last_products_visit_at = models.DateTimeField(null=True, blank=True)
    previous_products_visit_at = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Preferences of {self.membership}"
