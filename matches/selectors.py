"""Reads behind the dashboard and the API: products, their ranked creators, discovery runs.

Everything is reached through the caller's companies: a product that is not one of theirs is
indistinguishable from one that does not exist (`get_product_for_user` raises the same 404).
Engagement, views and subscribers are annotated for display and filters only; the order of a
product's creators is PIPELINE's `rank` (content similarity), never a function of statistics.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db import connection
from django.db.models import (
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Company
from accounts.tenancy import companies_for
from maatchaa.api import ApplicationError
from matches import derived
from matches.models import CreatorDecision, CreatorMatch, Match
from shopify_app.models import Product

User = AuthUser | AnonymousUser

BIGINT_MAX = 2**63 - 1
CHANNEL_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
ORDERINGS = ("rank", "subscribers", "engagement", "recent_upload")
# Lists go by fit band first (strong, good, weak): ordering by a statistic sorts within each band, so a
# weak fit with many subscribers never tops the strong ones.
_BAND_ORDER = "CASE cm.fit_band WHEN 'strong' THEN 0 WHEN 'good' THEN 1 ELSE 2 END"
MATCHED_VIDEOS_PER_CREATOR = 3


@dataclass(frozen=True)
class CreatorFilters:
    """The creator list's filters, already validated (web/api.py's CreatorFilterSerializer)."""

    min_subscribers: int | None = None
    max_subscribers: int | None = None
    min_engagement: float | None = None
    country: str = ""
    language: str = ""
    uploaded_within_days: int | None = None
    ordering: str = "rank"
    include_dismissed: bool = False
    # One creator only (the dashboard redraws a card after a decision).
    channel_id: str = ""


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
    if not user.is_authenticated:
        raise ApplicationError("Product not found.", status=404)
    # One join through the membership (unique per user and company), and without the product's embedding,
    # which no caller shows.
    product = (
        Product.objects.select_related("company", "shop")
        .defer("embedding")
        .filter(pk=product_id, company__memberships__user=user)
        .first()
    )
    if product is None:
        raise ApplicationError("Product not found.", status=404)
    return product


@dataclass(frozen=True)
class ProductRef:
    """What the creators list needs of a product: its id, handle and its company's own channels."""

    pk: int
    handle: str
    own_channel_ids: tuple[str, ...]

    @classmethod
    def of(cls, product: Product) -> ProductRef:
        return cls(pk=product.pk, handle=product.handle, own_channel_ids=tuple(product.company.own_channel_ids))


_PRODUCT_REF = """
SELECT p.id, p.handle, c.own_channel_ids
FROM company_products p
JOIN shopify_app_company c ON c.id = p.company_id
WHERE p.id = %s AND EXISTS (SELECT 1 FROM shopify_app_membership m WHERE m.company_id = p.company_id AND m.user_id = %s)
"""


def get_product_ref_for_user(*, user: User, product_id: int) -> ProductRef:
    """`get_product_for_user` (the same 404 whether foreign or missing) for the creators API, in one light
    query: the ORM's, with the company and shop models, cost 2-3 ms a request (bench/api_scale)."""
    if not user.is_authenticated or not 0 < product_id <= BIGINT_MAX:
        raise ApplicationError("Product not found.", status=404)
    with connection.cursor() as cursor:
        cursor.execute(_PRODUCT_REF, [product_id, user.pk])
        row = cursor.fetchone()
    if row is None:
        raise ApplicationError("Product not found.", status=404)
    return ProductRef(pk=row[0], handle=row[1], own_channel_ids=tuple(row[2] or ()))


# The product list's search, one rule for the dashboard (`list_products`) and the API (`ProductPages`):
# the text anywhere in a product's title, handle, type, vendor or tags, ignoring case.
PRODUCT_SEARCH_FIELDS = ("title", "handle", "product_type", "vendor", "tags")


def list_products(*, company: Company | uuid.UUID, search: str = "", status: str = "") -> QuerySet[Product]:
    """The company's products in title order, without counts: page this, then `with_counts(page)`
    (the API's ProductPages reads the same list in one statement a page)."""
    products = Product.objects.filter(company=company)
    if search:
        products = products.annotate(
            tags_text=Func(F("tags"), Value(" "), function="array_to_string", output_field=TextField())
        )
        searched = Q()
        for field in PRODUCT_SEARCH_FIELDS:
            searched |= Q(**{f"{'tags_text' if field == 'tags' else field}__icontains": search})
        products = products.filter(searched)
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
    rows = (
        Product.objects.filter(pk__in=ids)
        .select_related("shop")
        .annotate(
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
    )
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


# The columns GET /products returns for each product (web/api.py's ProductSerializer describes them), with
# `total`: how many products the list has, counted in the same statement (an InitPlan, run once; a window
# over the chosen ids would hold all 10,000 of them in memory first: 6 ms against 1 ms, bench/api_scale).
_PRODUCT_PAGE = """
WITH page (id) AS ({ids})
SELECT p.id, p.title, p.handle, p.status, p.product_type, p.vendor, p.price, p.currency, p.image_url,
       p.online_store_url, p.last_discovered_at,
       (SELECT count(*) FROM product_creator_matches m WHERE m.product_id = p.id) AS match_count,
       (SELECT count(*) FROM matches_creatormatch c WHERE c.product_id = p.id) AS creator_count,
       (SELECT count(*) FROM matches_creatordecision d WHERE d.product_id = p.id AND d.status = %s) AS shortlisted_count,
       ({counted}) AS total
FROM page JOIN company_products p ON p.id = page.id
ORDER BY p.title, p.id
"""


class ProductPages:
    """The company's products (`list_products`' list: its search and status filters, title order) for a
    paginator: `page(offset, limit)` is ONE statement for that page's rows as dicts of _PRODUCT_PAGE's
    columns (`match_count`, `creator_count`, `shortlisted_count`) with the list's total; `count()` and
    slices serve Django's own Paginator.

    Written in SQL, not compiled from the ORM's query: building and compiling that query twice a page
    (the page's ids and the total) cost ~1.2 ms of Python, a quarter of the statement (bench/api_scale).
    The counts are computed around the page's ids, for the same reason as `with_counts`: counting in the
    paged query itself would count the matches of every row the OFFSET skips.
    """

    def __init__(self, *, company: Company | uuid.UUID, search: str = "", status: str = "") -> None:
        where = ["company_id = %s"]
        params: list[Any] = [company.pk if isinstance(company, Company) else company]
        if search:
            # Django's icontains, as list_products asks it: UPPER(text) LIKE UPPER('%text%'), % and _ escaped.
            searched = [
                "UPPER(array_to_string(tags, ' '))" if field == "tags" else f"UPPER({field}::text)"
                for field in PRODUCT_SEARCH_FIELDS
            ]
            where.append("(" + " OR ".join(f"{column} LIKE UPPER(%s)" for column in searched) + ")")
            params += [_like_contains(search)] * len(searched)
        if status:
            where.append("status = %s")
            params.append(status)
        self._where = " AND ".join(where)
        self._params = params

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM company_products WHERE {self._where}", self._params)
            return int(cursor.fetchone()[0])

    def page(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """The rows from `offset` (at most `limit`) and how many the whole list has; None for the total when
        no row is there to carry it (past the end, or no products): `count()` answers then."""
        ids = (
            f"SELECT id FROM company_products WHERE {self._where} ORDER BY title, id"
            f" LIMIT {max(0, int(limit))} OFFSET {max(0, int(offset))}"
        )
        counted = f"SELECT count(*) FROM company_products WHERE {self._where}"
        rows = _rows(
            _PRODUCT_PAGE.format(ids=ids, counted=counted),
            [*self._params, CreatorDecision.Status.SHORTLISTED.value, *self._params],
        )
        return rows, (rows[0]["total"] if rows else None)

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        offset = page.start or 0
        rows, _ = self.page(offset, (page.stop - offset) if page.stop is not None else BIGINT_MAX)
        return rows


# --- creators -------------------------------------------------------------------------------------


# A product's ranked creators are read with hand-written SQL: the page is one statement of the shape
# bench/api_scale times as "the raw SQL the response needs". The ORM version of it (six correlated
# subquery annotations, a select_related channel, model instances) cost 10-15 ms of Python per page
# before the database saw it, several times the query itself. Each expression is named for the row
# field it feeds; tests/test_api_creators.py pins every filter and ordering.
_ENGAGEMENT = (
    "(SELECT sum(coalesce(v.like_count, 0) + coalesce(v.comment_count, 0))::float / sum(v.view_count)"
    " FROM creator_videos v WHERE v.channel_id = cm.channel_id AND v.view_count > 0)"
)
_ENGAGEMENT_AS_OF = (
    "(SELECT min(v.fetched_at) FROM creator_videos v WHERE v.channel_id = cm.channel_id AND v.view_count > 0)"
)
_LAST_UPLOAD = (
    "coalesce(ch.last_upload_at, (SELECT max(v.published_at) FROM creator_videos v WHERE v.channel_id = cm.channel_id))"
)
# A channel without a default language speaks the language of its latest video that declares one.
_LANGUAGE = (
    "CASE WHEN ch.default_language <> '' THEN ch.default_language ELSE coalesce("
    "(SELECT v.language FROM creator_videos v WHERE v.channel_id = cm.channel_id AND v.language <> ''"
    " ORDER BY v.published_at DESC LIMIT 1), '') END"
)
_CREATOR_COLUMNS = f"""
    cm.channel_id, cm.rank, cm.score, cm.fit_band, cm.video_count, cm.evidence, d.status AS decision,
    ch.title, ch.custom_url, ch.thumbnail_url, ch.country, ch.default_language,
    ch.subscriber_count, ch.hidden_subscriber_count, ch.view_count AS channel_view_count,
    ch.video_count AS channel_video_count, ch.contact_emails AS channel_contact_emails,
    ch.fetched_at, ch.statistics_emulated, ch.last_upload_at,
    {_LAST_UPLOAD} AS last_upload, {_LANGUAGE} AS language"""
# A derived metric: computed only with the operator's opt-in (matches/derived.py).
_DERIVED_COLUMNS = f""",
    {_ENGAGEMENT} AS engagement, {_ENGAGEMENT_AS_OF} AS engagement_as_of"""
_CHANNEL_JOIN = "\nJOIN discovery_channel ch ON ch.channel_id = cm.channel_id"
# The decision is unique per (product, channel), so its join never repeats a creator.
_CREATOR_FROM = f"""
FROM matches_creatormatch cm{_CHANNEL_JOIN}
LEFT JOIN matches_creatordecision d ON d.product_id = cm.product_id AND d.channel_id = cm.channel_id"""
_MATCHED_VIDEOS = """
SELECT v.channel_id, m.video_id, m.similarity_score, m.evidence, v.title, v.thumbnail_url, v.published_at,
       v.view_count, v.like_count, v.comment_count, v.fetched_at, v.contact_emails, v.sponsorship_signals
FROM product_creator_matches m
JOIN creator_videos v ON v.video_id = m.video_id
WHERE m.product_id = %s AND v.channel_id = ANY(%s)
ORDER BY m.similarity_score DESC, m.video_id"""


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_prefix(value: str) -> str:
    return _like_escaped(value) + "%"


def _like_contains(value: str) -> str:
    return "%" + _like_escaped(value) + "%"


def _rows(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class CreatorPages:
    """A product's ranked creators for a paginator: shortlisted pinned first, dismissed left out unless
    asked for. `count()` counts them; a slice is one query for that page's rows, as dicts.

    Each row has the creator's `channel_id`, `rank`, `score`, `fit_band`, `video_count`, `evidence`, `decision`
    (shortlisted/dismissed/None); its channel's `title`, `custom_url`, `thumbnail_url`, `country`,
    `default_language`, `subscriber_count`, `hidden_subscriber_count`, `channel_view_count`,
    `channel_video_count`, `channel_contact_emails`, `fetched_at`, `statistics_emulated`,
    `last_upload_at`; and `engagement` ((likes + comments) per view over the creator's stored videos),
    `engagement_as_of` (the oldest fetch among them), `last_upload` and `language`. Statistics shape
    only filters and the optional orderings, never `rank`; an ordering sorts within each fit band.
    """

    def __init__(self, *, product: ProductRef, filters: CreatorFilters, now: datetime) -> None:
        where = ["cm.product_id = %s"]
        params: list[Any] = [product.pk]
        # Own channels are kept out by PIPELINE already; this guards rows written before an own channel was set.
        if product.own_channel_ids:
            where.append("NOT (cm.channel_id = ANY(%s))")
            params.append(list(product.own_channel_ids))
        if filters.channel_id:
            where.append("cm.channel_id = %s")
            params.append(filters.channel_id)
        if not filters.include_dismissed:
            where.append("d.status IS DISTINCT FROM %s")
            params.append(CreatorDecision.Status.DISMISSED.value)
        if filters.min_subscribers is not None:
            where.append("ch.subscriber_count >= %s AND NOT ch.hidden_subscriber_count")
            params.append(filters.min_subscribers)
        if filters.max_subscribers is not None:
            where.append("ch.subscriber_count <= %s AND NOT ch.hidden_subscriber_count")
            params.append(filters.max_subscribers)
        if filters.min_engagement is not None:
            if not derived.allowed():  # the API and the pages refuse it first; never computed regardless
                raise ApplicationError(derived.REFUSED, details={"min_engagement": [derived.REFUSED]})
            where.append(f"{_ENGAGEMENT} >= %s")
            params.append(filters.min_engagement)
        if filters.country:
            where.append("upper(ch.country) = upper(%s)")
            params.append(filters.country)
        if filters.language:
            # "en" matches "en", "en-US" and "en-GB"; a channel without a default language is judged by its videos.
            lang = filters.language.lower()
            where.append(
                "(upper(ch.default_language) = upper(%s) OR upper(ch.default_language) LIKE upper(%s)"
                " OR (ch.default_language = '' AND EXISTS (SELECT 1 FROM creator_videos v"
                " WHERE v.channel_id = cm.channel_id"
                " AND (upper(v.language) = upper(%s) OR upper(v.language) LIKE upper(%s)))))"
            )
            params += [lang, _like_prefix(f"{lang}-"), lang, _like_prefix(f"{lang}-")]
        if filters.uploaded_within_days is not None:
            where.append(f"{_LAST_UPLOAD} >= %s")
            params.append(now - timedelta(days=filters.uploaded_within_days))
        order = ["CASE WHEN d.status = 'shortlisted' THEN 0 ELSE 1 END", _BAND_ORDER]
        if filters.ordering == "subscribers":
            order.append("ch.subscriber_count DESC NULLS LAST")
        elif filters.ordering == "engagement":
            if not derived.allowed():  # refused by the API and the pages first; never computed regardless
                raise ApplicationError(derived.REFUSED, details={"ordering": [derived.REFUSED]})
            order.append(f"{_ENGAGEMENT} DESC NULLS LAST")
        elif filters.ordering == "recent_upload":
            order.append(f"{_LAST_UPLOAD} DESC NULLS LAST")
        order += ["cm.rank", "cm.channel_id"]
        self._where = " AND ".join(f"({condition})" for condition in where)
        self._filters_channel = any("ch." in condition for condition in where)
        self._params = params
        self._order = ", ".join(order)

    @property
    def _count_from(self) -> str:
        # Every creator has its channel (a foreign key): the join only matters when a filter reads the channel.
        return _CREATOR_FROM if self._filters_channel else _CREATOR_FROM.replace(_CHANNEL_JOIN, "")

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) {self._count_from} WHERE {self._where}", self._params)
            return int(cursor.fetchone()[0])

    def page(self, offset: int, limit: int | None) -> tuple[list[dict[str, Any]], int | None]:
        """The rows from `offset` (at most `limit`) and how many creators the filtered list has, counted by the
        same statement; None for the total when no row is there to carry it: `count()` answers then."""
        columns = _CREATOR_COLUMNS + (_DERIVED_COLUMNS if derived.allowed() else "")
        # The total as an uncorrelated subquery (an InitPlan, run once), not a window: a window would hold
        # every filtered row, evidence and all, before the LIMIT.
        total = f"(SELECT count(*) {self._count_from} WHERE {self._where}) AS total"
        sql = f"SELECT {columns}, {total} {_CREATOR_FROM} WHERE {self._where} ORDER BY {self._order}"
        limited = "" if limit is None else f" LIMIT {max(0, int(limit))}"
        rows = _rows(f"{sql}{limited} OFFSET {int(offset)}", [*self._params, *self._params])
        for row in rows:
            row["evidence"] = _json(row["evidence"])
        return rows, (rows[0]["total"] if rows else None)

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        offset = page.start or 0
        rows, _ = self.page(offset, None if page.stop is None else int(page.stop) - offset)
        return rows


_VIDEO_TITLES = "SELECT video_id, title FROM creator_videos WHERE video_id = ANY(%s)"


def _add_current_titles(rows: list[dict[str, Any]], *, known: dict[str, str]) -> None:
    """Evidence names its videos by id: each gets the stored video's current title, so a title YouTube
    changed shows as changed, and no copy of it is kept beside the video. `known`: titles already read
    (the page's matched videos, which are usually the evidence's); the others in one query a page."""
    listed = [
        video
        for row in rows
        if isinstance(row["evidence"], dict)
        for video in row["evidence"].get("videos") or []
        if isinstance(video, dict)
    ]
    if not listed:
        return
    missing = list({str(video.get("video_id", "")) for video in listed} - known.keys())
    titles = known
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(_VIDEO_TITLES, [missing])
            titles = {**known, **dict(cursor.fetchall())}
    for video in listed:
        video["title"] = titles.get(str(video.get("video_id", "")), "")
        # In jsonb's key order (shorter keys first), where a stored title used to be: the same bytes out.
        ordered = sorted(video.items(), key=lambda item: (len(item[0]), item[0]))
        video.clear()
        video.update(ordered)


def _json(value: Any) -> Any:
    # Django reads jsonb as text and leaves decoding to JSONField; these rows bypass the field. orjson reads
    # a page's ~125 documents in a third of json's time, but reads an integer of over 18 digits as a float
    # (and refuses what overflows a double): those documents are json's.
    if not isinstance(value, str):
        return value
    if _LONG_NUMBER.search(value) is None:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            pass
    return json.loads(value)


_LONG_NUMBER = re.compile(r"\d{19}")


def list_product_creators(
    *, product: Product | ProductRef, filters: CreatorFilters, now: datetime | None = None
) -> CreatorPages:
    """A product's ranked creators, filtered and ordered, for a paginator (see CreatorPages)."""
    ref = product if isinstance(product, ProductRef) else ProductRef.of(product)
    return CreatorPages(product=ref, filters=filters, now=now or timezone.now())


def attach_matched_videos(
    *, product: Product | ProductRef, creators: list[dict[str, Any]], limit: int = MATCHED_VIDEOS_PER_CREATOR
) -> list[dict[str, Any]]:
    """Sets `matched_videos` (best first, at most `limit` rows of the matched video with its
    `similarity_score` and `evidence`) and `contact_emails` / `sponsorship_signals` (the channel's and
    its matched videos') on each creator row, in one query for the whole page; and the current titles of the
    videos the creators' evidence names (see `_add_current_titles`)."""
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    titles: dict[str, str] = {}
    if creators:
        for match in _rows(_MATCHED_VIDEOS, [product.pk, [creator["channel_id"] for creator in creators]]):
            match["evidence"] = _json(match["evidence"])
            by_channel[match["channel_id"]].append(match)
            titles[match["video_id"]] = match["title"]
    _add_current_titles(creators, known=titles)
    for creator in creators:
        mine = by_channel.get(creator["channel_id"], [])
        creator["matched_videos"] = mine[:limit]
        emails = list(creator["channel_contact_emails"])
        signals: list[str] = []
        for match in mine:
            emails += [e for e in match["contact_emails"] if e not in emails]
            signals += [s for s in match["sponsorship_signals"] if s not in signals]
        creator["contact_emails"] = emails
        creator["sponsorship_signals"] = signals
    return creators


def get_product_creator(*, product: Product, channel_id: str) -> CreatorMatch:
    """One of the product's ranked creators; 404 for a channel that is not ranked for this product."""
    if not CHANNEL_ID_SHAPE.fullmatch(channel_id):  # e.g. a NUL byte, which PostgreSQL refuses to compare
        raise ApplicationError("Creator not found for this product.", status=404)
    creator = CreatorMatch.objects.filter(product=product, channel_id=channel_id).select_related("channel").first()
    if creator is None:
        raise ApplicationError("Creator not found for this product.", status=404)
    return creator


_CHANNEL_CREATOR_ROWS = f"""
SELECT {{columns}}, cm.product_id, p.title AS product_title, p.handle AS product_handle,
       p.image_url AS product_image_url, p.online_store_url AS product_url
{_CREATOR_FROM}
JOIN company_products p ON p.id = cm.product_id
WHERE cm.channel_id = %s AND p.company_id = %s
ORDER BY cm.score DESC, p.title, p.id"""


def channel_creator_rows(*, company: Company | uuid.UUID, channel_id: str) -> list[dict[str, Any]]:
    """One channel as ranked for each of the company's products (and only the company's), best fit
    first: rows of `CreatorPages`' shape with the product's `product_id`, `product_title`,
    `product_handle`, `product_image_url` and `product_url`, each with its matched videos attached."""
    if not CHANNEL_ID_SHAPE.fullmatch(channel_id):
        return []
    company_id = company.pk if isinstance(company, Company) else company
    columns = _CREATOR_COLUMNS + (_DERIVED_COLUMNS if derived.allowed() else "")
    rows = _rows(_CHANNEL_CREATOR_ROWS.format(columns=columns), [channel_id, company_id])
    for row in rows:
        row["evidence"] = _json(row["evidence"])
    return [
        attach_matched_videos(
            product=ProductRef(pk=row["product_id"], handle=row["product_handle"], own_channel_ids=()), creators=[row]
        )[0]
        for row in rows
    ]
