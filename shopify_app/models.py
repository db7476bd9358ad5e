from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from pgvector.django import HnswIndex, VectorField

from maatchaa.lib import crypto
from maatchaa.models import TimestampedModel

EMBEDDING_DIMENSIONS = 384


def cosine_hnsw_index(name: str) -> HnswIndex:
    """The HNSW index every embedding column gets: cosine distance, pgvector's default build settings."""
    return HnswIndex(name=name, fields=["embedding"], m=16, ef_construction=64, opclasses=["vector_cosine_ops"])


class Company(TimestampedModel):
    """The tenant: a brand. Users reach everything through their memberships."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    # The brand's own YouTube channels are never ranked as creators for its products.
    own_channel_ids = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="companies")

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimestampedModel):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user_company")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class ApiToken(models.Model):
    """A member's API token, stored as the SHA-256 of its key: the key is shown once, when issued, and
    a copy of the database holds nothing a script could authenticate with (maatchaa/accounts.py)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True)
    # Enough to tell tokens apart on the settings page, far too little to guess the rest.
    last_four = models.CharField(max_length=4)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"…{self.last_four} ({self.user})"


class SignInFailure(models.Model):
    """A refused sign-in, by the email it was for: enough of them within the window lock that email's
    sign-in for a while (maatchaa/accounts.py), in every web process at once. Rows older than the window
    are deleted as new ones come."""

    username = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["username", "created_at"], name="signinfailure_user_time_idx")]

    def __str__(self) -> str:
        return f"{self.username} at {self.created_at:%Y-%m-%d %H:%M}"


class Shop(TimestampedModel):
    """A connected Shopify store. Tokens are stored encrypted (settings.FIELD_ENCRYPTION_KEYS)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Connected"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
        UNINSTALLED = "uninstalled", "Uninstalled"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="shops")
    domain = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    access_token_encrypted = models.TextField(blank=True, default="")
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token_encrypted = models.TextField(blank=True, default="")
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=500, blank=True, default="")
    installed_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # The newest Shopify updated_at seen; the next sync asks only for products changed after it.
    products_synced_until = models.DateTimeField(null=True, blank=True)
    # The last time every webhook subscription was found or made (services.register_webhooks), and why
    # the last attempt failed ("" when it did not): an install still succeeds when registration fails.
    webhooks_registered_at = models.DateTimeField(null=True, blank=True)
    webhooks_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    @property
    def access_token(self) -> str:
        if not self.access_token_encrypted:
            return ""
        return crypto.decrypt(self.access_token_encrypted, keys=settings.FIELD_ENCRYPTION_KEYS)

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.access_token_encrypted = crypto.encrypt(value, keys=settings.FIELD_ENCRYPTION_KEYS) if value else ""

    @property
    def refresh_token(self) -> str:
        if not self.refresh_token_encrypted:
            return ""
        return crypto.decrypt(self.refresh_token_encrypted, keys=settings.FIELD_ENCRYPTION_KEYS)

    @refresh_token.setter
    def refresh_token(self, value: str) -> None:
        self.refresh_token_encrypted = crypto.encrypt(value, keys=settings.FIELD_ENCRYPTION_KEYS) if value else ""

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.ACTIVE


class Product(TimestampedModel):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "Active"
        ARCHIVED = "ARCHIVED", "Archived"
        DRAFT = "DRAFT", "Draft"
        UNLISTED = "UNLISTED", "Unlisted"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="products")
    shop = models.ForeignKey(Shop, on_delete=models.SET_NULL, null=True, blank=True, related_name="products")
    shopify_id = models.CharField(max_length=100, help_text="Shopify's GraphQL id, gid://shopify/Product/…")
    handle = models.CharField(max_length=255, blank=True, default="")
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    product_type = models.CharField(max_length=255, blank=True, default="")
    vendor = models.CharField(max_length=255, blank=True, default="")
    tags = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    image_url = models.URLField(max_length=1000, blank=True, default="")
    online_store_url = models.URLField(max_length=1000, blank=True, default="")
    shopify_updated_at = models.DateTimeField(null=True, blank=True)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    embedding_model = models.CharField(max_length=100, blank=True, default="")
    last_discovered_at = models.DateTimeField(null=True, blank=True)

    if TYPE_CHECKING:
        id: int

    class Meta:
        db_table = "company_products"
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["company", "shopify_id"], name="product_unique_company_shopify_id"),
        ]
        indexes = [
            # Fair rotation: a cycle picks never-discovered products first, then the least recently discovered.
            models.Index(fields=["company", "status", "last_discovered_at"], name="product_rotation_idx"),
            # GET /products: a company's products by title, a page at a time (no sort of the whole catalog).
            models.Index(fields=["company", "title", "id"], name="product_company_title_idx"),
            # Nearest products to a video's embedding (cosine).
            cosine_hnsw_index("product_embedding_hnsw"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_discoverable(self) -> bool:
        return self.status == self.Status.ACTIVE


class WebhookDelivery(TimestampedModel):
    """One row per Shopify webhook delivery, keyed by X-Shopify-Webhook-Id so a retry is processed once."""

    webhook_id = models.CharField(max_length=100, unique=True)
    topic = models.CharField(max_length=100)
    shop_domain = models.CharField(max_length=255)
    triggered_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        indexes = [
            # services.apply_product_change: was this product deleted by an earlier products/delete delivery?
            # And shop/redact scrubbing a shop's stored payloads.
            models.Index(fields=["shop_domain", "topic"], name="webhookdelivery_shop_topic_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} from {self.shop_domain}"
