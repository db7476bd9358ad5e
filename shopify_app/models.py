from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from pgvector.django import VectorField

from accounts.models import Company
from maatchaa.lib import crypto
from maatchaa.lib.text import ProductText
from maatchaa.models import EMBEDDING_DIMENSIONS, TimestampedModel, cosine_hnsw_index


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


class ProductQuerySet(models.QuerySet["Product"]):
    def discoverable(self) -> ProductQuerySet:
        """The one rule for which products discovery may search for: ACTIVE in Shopify, and not from a
        store that uninstalled the app or disconnected (products with no shop, e.g. created by hand, count).
        `Product.is_discoverable` says the same of one product."""
        return self.filter(status=Product.Status.ACTIVE).exclude(shop__status=Shop.Status.UNINSTALLED)


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
    # sha256 of the text `embedding` was computed from (matches.vectors): an unchanged product is not re-embedded.
    embedding_text_sha256 = models.CharField(max_length=64, blank=True, default="")
    last_discovered_at = models.DateTimeField(null=True, blank=True)

    objects = ProductQuerySet.as_manager()

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

    def as_text(self) -> ProductText:
        """The product as search and ranking read it: the one place a product's text is built."""
        return ProductText(
            title=self.title,
            description=self.description or "",
            product_type=self.product_type or "",
            vendor=self.vendor or "",
            tags=tuple(self.tags or ()),
        )

    @property
    def is_discoverable(self) -> bool:
        """`Product.objects.discoverable()` for this one product."""
        if self.status != self.Status.ACTIVE:
            return False
        return self.shop_id is None or self.shop.status != Shop.Status.UNINSTALLED  # type: ignore[union-attr]


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
