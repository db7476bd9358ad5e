"""Reads behind the dashboard and the API: products, their ranked creators, discovery runs.

Everything is reached through the caller's companies: a product that is not one of theirs is
indistinguishable from one that does not exist (`get_product_for_user` raises the same 404).
Engagement, views and subscribers are annotated for display and filters only; the order of a
product's creators is PIPELINE's `rank` (content similarity), never a function of statistics.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from discovery.models import DiscoveryRun, Video
from maatchaa.api import ApplicationError
from maatchaa.tenancy import companies_for
from matches.models import CreatorDecision, CreatorMatch, Match
from shopify_app.models import Company, Product, Shop

User = AbstractBaseUser | AnonymousUser

BIGINT_MAX = 2**63 - 1
CHANNEL_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
ORDERINGS = ("rank", "subscribers", "recent_upload")
MATCHED_VIDEOS_PER_CREATOR = 3


@dataclass(frozen=True)
class CreatorFilters:
    """The creator list's filters, already validated (matches/api.py's CreatorFilterSerializer)."""

    min_subscribers: int | None = None
    max_subscribers: int | None = None
    min_engagement: float | None = None
    country: str = ""
    language: str = ""
    uploaded_within_days: int | None = None
    ordering: str = "rank"
    include_dismissed: bool = False


# --- products -------------------------------------------------------------------------------------


def _count_of(model: type[Match] | type[CreatorMatch]) -> Subquery:
    # A correlated count per product: two joined Counts would multiply each other.
    rows = model.objects.filter(product=OuterRef("pk")).order_by().values("product")
    return Subquery(rows.annotate(n=Count("pk")).values("n"), output_field=IntegerField())


def products_for_user(*, user: User) -> QuerySet[Product]:
    return Product.objects.filter(company__in=companies_for(user))


def get_product_for_user(*, user: User, product_id: int) -> Product:
    """The product if it belongs to one of the user's companies; the same 404 whether foreign or missing."""
    if not 0 < product_id <= BIGINT_MAX:  # a URL's huge number must not reach the database as an overflow
        raise ApplicationError("Product not found.", status=404)
    product = products_for_user(user=user).select_related("company", "shop").filter(pk=product_id).first()
    if product is None:
        raise ApplicationError("Product not found.", status=404)
    return product


def get_company_for_user(*, user: User, company_id: Any) -> Company:
    """A company named in a request body or query: one of the caller's, else the same 404 as a missing one."""
    try:
        company_uuid = uuid.UUID(str(company_id))
    except ValueError:
        raise ApplicationError("Company not found.", status=404) from None
    company = companies_for(user).filter(pk=company_uuid).first()
    if company is None:
        raise ApplicationError("Company not found.", status=404)
    return company


def list_products(*, company: Company, search: str = "", status: str = "") -> QuerySet[Product]:
    """The company's products in title order, without counts: page this, then `with_counts(page)`."""
    products = Product.objects.filter(company=company)
    if search:
        products = products.annotate(
            tags_text=Func(F("tags"), Value(" "), function="array_to_string", output_field=TextField())
        )
        products = products.filter(
            Q(title__icontains=search)
            | Q(handle__icontains=search)
            | Q(product_type__icontains=search)
            | Q(vendor__icontains=search)
            | Q(tags_text__icontains=search)
        )
    if status:
        products = products.filter(status=status)
    return products.order_by("title", "pk")


def with_counts(products: Iterable[Product]) -> list[Product]:
    """One page of products again, in the same order, with `match_count`, `creator_count`,
    `shortlisted_count` and their shop.

    Counted after paging, not in the paged query: PostgreSQL evaluates a select list's subqueries for
    every row an OFFSET skips, so page 400 of 10,000 products would count the matches of all 10,000.
    """
    ids = [product.pk for product in products]
    shortlisted = CreatorDecision.objects.filter(product=OuterRef("pk"), status=CreatorDecision.Status.SHORTLISTED)
    rows = Product.objects.filter(pk__in=ids).select_related("shop").annotate(
        match_count=Coalesce(_count_of(Match), 0),
        creator_count=Coalesce(_count_of(CreatorMatch), 0),
        shortlisted_count=Coalesce(
            Subquery(
                shortlisted.order_by().values("product").annotate(n=Count("pk")).values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
    )
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def connected_shops(*, company: Company) -> QuerySet[Shop]:
    return Shop.objects.filter(company=company).order_by("domain")


def shop_to_sync(*, company: Company) -> Shop:
    """The company's connected store for a manual resync; a 400 that says what to do when there is none."""
    shop = connected_shops(company=company).filter(status=Shop.Status.ACTIVE).first()
    if shop is None:
        raise ApplicationError(
            "No Shopify store is connected for this company. Connect one at /dashboard/settings first.",
            status=400,
        )
    return shop


# --- creators -------------------------------------------------------------------------------------


def _language_q(language: str) -> Q:
    # "en" matches "en", "en-US" and "en-GB"; a channel without a default language is judged by its videos.
    lang = language.lower()
    channel_lang = Q(channel__default_language__iexact=lang) | Q(channel__default_language__istartswith=f"{lang}-")
    video_lang = Video.objects.filter(channel=OuterRef("channel_id")).filter(
        Q(language__iexact=lang) | Q(language__istartswith=f"{lang}-")
    )
    return channel_lang | (Q(channel__default_language="") & Exists(video_lang))


def list_product_creators(
    *, product: Product, filters: CreatorFilters, now: datetime | None = None
) -> QuerySet[CreatorMatch]:
    """A product's ranked creators: shortlisted pinned first, dismissed left out unless asked for.

    Annotates `decision` (shortlisted/dismissed/None), `engagement` ((likes + comments) per view over the
    creator's stored videos), `engagement_as_of` (the oldest fetch among them), `last_upload` and
    `language`. Statistics shape only filters and the optional orderings, never `rank`.
    """
    now = now or timezone.now()
    channel_videos = Video.objects.filter(channel=OuterRef("channel_id")).order_by().values("channel")
    with_views = channel_videos.filter(view_count__gt=0)
    engagement = with_views.annotate(
        e=Cast(Sum(Coalesce("like_count", 0) + Coalesce("comment_count", 0)), FloatField())
        / Cast(Sum("view_count"), FloatField())
    ).values("e")
    decision = CreatorDecision.objects.filter(product=OuterRef("product_id"), channel=OuterRef("channel_id"))
    first_video_language = (
        Video.objects.filter(channel=OuterRef("channel_id")).exclude(language="").order_by("-published_at")
    )
    creators = (
        CreatorMatch.objects.filter(product=product)
        .select_related("channel")
        .annotate(
            decision=Subquery(decision.values("status")[:1]),
            engagement=Subquery(engagement, output_field=FloatField()),
            engagement_as_of=Subquery(with_views.annotate(m=Min("fetched_at")).values("m")),
            last_upload=Coalesce(
                F("channel__last_upload_at"),
                Subquery(channel_videos.annotate(m=Max("published_at")).values("m")),
            ),
            language=Case(
                When(~Q(channel__default_language=""), then=F("channel__default_language")),
                default=Coalesce(Subquery(first_video_language.values("language")[:1]), Value("")),
            ),
            pinned=Case(
                When(decision=CreatorDecision.Status.SHORTLISTED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
    )
    # Own channels are kept out by PIPELINE already; this guards rows written before an own channel was set.
    if product.company.own_channel_ids:
        creators = creators.exclude(channel_id__in=product.company.own_channel_ids)
    if not filters.include_dismissed:
        # Exists, not exclude(decision=...): NOT (NULL = 'dismissed') is NULL in SQL and would drop undecided rows.
        creators = creators.filter(~Exists(decision.filter(status=CreatorDecision.Status.DISMISSED)))
    if filters.min_subscribers is not None:
        creators = creators.filter(
            channel__subscriber_count__gte=filters.min_subscribers, channel__hidden_subscriber_count=False
        )
    if filters.max_subscribers is not None:
        creators = creators.filter(
            channel__subscriber_count__lte=filters.max_subscribers, channel__hidden_subscriber_count=False
        )
    if filters.min_engagement is not None:
        creators = creators.filter(engagement__gte=filters.min_engagement)
    if filters.country:
        creators = creators.filter(channel__country__iexact=filters.country)
    if filters.language:
        creators = creators.filter(_language_q(filters.language))
    if filters.uploaded_within_days is not None:
        creators = creators.filter(last_upload__gte=now - timedelta(days=filters.uploaded_within_days))
    order: list[Any] = ["pinned"]
    if filters.ordering == "subscribers":
        order.append(F("channel__subscriber_count").desc(nulls_last=True))
    elif filters.ordering == "recent_upload":
        order.append(F("last_upload").desc(nulls_last=True))
    order += ["rank", "channel_id"]
    return creators.order_by(*order)


def attach_matched_videos(
    *, product: Product, creators: list[CreatorMatch], limit: int = MATCHED_VIDEOS_PER_CREATOR
) -> list[CreatorMatch]:
    """Sets `matched_videos` (best first, at most `limit` Match rows with their Video) and
    `contact_emails` / `sponsorship_signals` (the channel's and its matched videos') on each creator,
    in one query for the whole page."""
    by_channel: dict[str, list[Match]] = defaultdict(list)
    channel_ids = [creator.channel_id for creator in creators]
    matches = (
        Match.objects.filter(product=product, video__channel_id__in=channel_ids)
        .select_related("video")
        .order_by("-similarity_score", "video_id")
    )
    for match in matches:
        by_channel[match.video.channel_id].append(match)
    for creator in creators:
        mine = by_channel.get(creator.channel_id, [])
        creator.matched_videos = mine[:limit]  # type: ignore[attr-defined]
        emails = list(creator.channel.contact_emails)
        signals: list[str] = []
        for match in mine:
            emails += [e for e in match.video.contact_emails if e not in emails]
            signals += [s for s in match.video.sponsorship_signals if s not in signals]
        creator.contact_emails = emails  # type: ignore[attr-defined]
        creator.sponsorship_signals = signals  # type: ignore[attr-defined]
    return creators


def get_product_creator(*, product: Product, channel_id: str) -> CreatorMatch:
    """One of the product's ranked creators; 404 for a channel that is not ranked for this product."""
    if not CHANNEL_ID_SHAPE.fullmatch(channel_id):  # e.g. a NUL byte, which PostgreSQL refuses to compare
        raise ApplicationError("Creator not found for this product.", status=404)
    creator = CreatorMatch.objects.filter(product=product, channel_id=channel_id).select_related("channel").first()
    if creator is None:
        raise ApplicationError("Creator not found for this product.", status=404)
    return creator


# --- discovery runs -------------------------------------------------------------------------------


def list_discovery_runs(*, company: Company) -> QuerySet[DiscoveryRun]:
    return DiscoveryRun.objects.filter(company=company).order_by("-created_at", "-pk")


def latest_discovery_run(*, company: Company) -> DiscoveryRun | None:
    return list_discovery_runs(company=company).first()


def active_discovery_run(*, company: Company) -> DiscoveryRun | None:
    return list_discovery_runs(company=company).filter(status__in=DiscoveryRun.ACTIVE_STATUSES).first()
