"""Reads for discovery: which products a run takes, what is stored and still fresh."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from accounts.models import Company
from discovery.models import Channel, SuppressedChannel, Video
from shopify_app.models import Product


def products_in_rotation(
    *, company: Company, limit: int | None = None, product_ids: Sequence[int] | None = None
) -> list[Product]:
    """Never-discovered products first, then the least recently discovered: every product gets its turn."""
    products = Product.objects.filter(company=company).discoverable().select_related("company", "shop")
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    products = products.order_by(F("last_discovered_at").asc(nulls_first=True), "pk")
    if limit is not None:
        products = products[:limit]
    return list(products)


def search_params_key(
    *,
    order: str,
    published_after: datetime | None,
    region_code: str,
    relevance_language: str,
    video_category_id: str = "",
) -> str:
    """A stable key for the search parameters besides q, so a cached answer is only reused for the same ask."""
    after = published_after.date().isoformat() if published_after else ""
    key = f"order={order}|after={after}|region={region_code}|lang={relevance_language}"
    # Appended only when set, so the keys of unrestricted searches stored earlier stay valid.
    return f"{key}|category={video_category_id}" if video_category_id else key


def freshness_cutoff(*, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.DISCOVERY_FRESHNESS_DAYS)


def fresh_video_ids(*, video_ids: Iterable[str], now: datetime | None = None) -> set[str]:
    """Stored videos fetched within DISCOVERY_FRESHNESS_DAYS and already embedded: no need to fetch them."""
    return set(
        Video.objects.filter(
            video_id__in=list(video_ids), fetched_at__gte=freshness_cutoff(now=now), embedding__isnull=False
        ).values_list("video_id", flat=True)
    )


def fresh_channel_ids(*, channel_ids: Iterable[str], now: datetime | None = None) -> set[str]:
    return set(
        Channel.objects.filter(channel_id__in=list(channel_ids), fetched_at__gte=freshness_cutoff(now=now)).values_list(
            "channel_id", flat=True
        )
    )


def suppressed_channel_ids(*, channel_ids: Iterable[str]) -> set[str]:
    """The ids among `channel_ids` whose creators asked to be forgotten: the one suppression query."""
    ids = {channel_id for channel_id in channel_ids if channel_id}
    if not ids:
        return set()
    return set(SuppressedChannel.objects.filter(channel_id__in=ids).values_list("channel_id", flat=True))
