"""The DRF API at the worker guide's paths: products with match counts, ranked creators, decisions.

Everything is reached through the caller's companies (sessions for the dashboard, tokens for API
clients: `python manage.py create_api_token USER` or the button on /dashboard/settings). Another
company's product answers exactly like a missing one. Every error has one shape, {"message", "details"}.
"""

from __future__ import annotations

import csv
import io
from datetime import tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import orjson
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.views import APIView

from accounts import session_auth
from accounts.tenancy import (
    NO_COMPANY,
    SESSION_KEY,
    company_for_member,
    current_company_id,
)
from maatchaa.api import ERROR_RESPONSE, ApplicationError
from matches import derived as derived_metrics
from matches import selectors
from matches.decisions import decide_creator, restore_creator
from matches.display import creator_csv_row, creator_record, csv_columns, json_datetime
from matches.models import CreatorDecision
from pipeline.models import DiscoveryRun
from pipeline.triggers import trigger_discovery
from shopify_app.models import Product
from web.runs_api import trigger_response

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

CSV_ROW_LIMIT = 10_000
BIGINT_MAX = 2**63 - 1


class FastJSONRenderer(JSONRenderer):
    """DRF's JSON (compact, UTF-8, moments in ISO 8601 with "Z" for UTC, U+2028/9 escaped) written by
    orjson: a page of 25 creators is ~85 KB of nested records, which DRF's encoder took ~1 ms to write
    and orjson ~0.1 ms (bench/api_scale). The JSON values are the same; the spelling differs only for
    floats below 1e-4 (0.00005 where Python writes 5e-05). Anything orjson cannot write (an integer
    beyond 64 bits, an indent asked for in the Accept header) goes to DRF's renderer."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        # DRF's get_indent takes None (its own render passes it through); the stub says str.
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:  # type: ignore[arg-type]
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_JSON_FALLBACK.default, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)
        except (orjson.JSONEncodeError, TypeError):
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in text or b"\xe2\x80\xa9" in text:  # rare: look before copying 85 KB twice
            text = text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return text


class BrowsableRenderer(BrowsableAPIRenderer):
    """DRF's page for a person who opens the API in a browser (Accept: text/html, ?format=api). These views
    filter with a serializer, not filter backends, and have no queryset: DRF's filter form would ask for one
    (an AssertionError, a 500), and has nothing to show."""

    def get_filter_form(self, data: Any, view: Any, request: Any) -> None:
        return None


# What orjson does not know (lazy translations, Decimal, timedelta...) it hands to DRF's encoder.
_JSON_FALLBACK = encoders.JSONEncoder()


class CountedPaginator(Paginator):
    """Django's Paginator; over a source whose `page(offset, limit)` returns a page's rows with the list's total
    in one statement (matches.selectors.ProductPages and CreatorPages), one query a page, not a count and
    then a page (bench/api_scale). Past the end, where no row carries the total, the source counts, and the
    answer is Django's (EmptyPage, which DRF answers with its 404 "Invalid page.")."""

    def page(self, number: Any) -> Page:
        # A queryset (other lists share the pagination), or a last page's orphans, which need the total first.
        if self.orphans or not callable(getattr(self.object_list, "page", None)):
            return super().page(number)
        number = self.validate_number_format(number)
        offset = (number - 1) * self.per_page
        # An offset beyond PostgreSQL's bigint is past the end of any list: nothing to ask for.
        source = cast("selectors.ProductPages | selectors.CreatorPages", self.object_list)
        rows, total = source.page(offset, self.per_page) if offset <= BIGINT_MAX else ([], None)
        if total is not None:
            self.__dict__["count"] = total  # Paginator.count is a cached_property
        return Page(rows, self.validate_number(number), self)

    def validate_number_format(self, number: Any) -> int:
        """validate_number's checks that need no total: a whole number, 1 or more."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


class Pagination(PageNumberPagination):
    django_paginator_class = CountedPaginator
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


# --- serializers ----------------------------------------------------------------------------------


class StatisticSerializer(serializers.Serializer):
    value = serializers.FloatField(
        allow_null=True, help_text="The count (or a fraction for engagement); null if hidden"
    )
    as_of = serializers.DateTimeField(allow_null=True, help_text="When YouTube reported this figure")
    display = serializers.CharField(help_text='For people: "1.2M subscribers, as of 3 Nov"')
    hidden = serializers.BooleanField()
    emulated = serializers.BooleanField(help_text="Made up by the development emulator, not YouTube")


class ChannelSerializer(serializers.Serializer):
    channel_id = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    custom_url = serializers.CharField()
    thumbnail_url = serializers.CharField()
    country = serializers.CharField()
    language = serializers.CharField()


class DerivedStatisticSerializer(StatisticSerializer):
    derived = serializers.BooleanField(help_text="Always true: calculated by Maatchaa, not reported by YouTube")
    calculation = serializers.CharField(help_text=f'"{derived_metrics.CALCULATION}"')


OPT_IN = "Only with YOUTUBE_DERIVED_METRICS_ALLOWED on (the operator's opt-in under YouTube's derived-metrics policy)"
DERIVED_ONLY = f"{OPT_IN}; absent otherwise. "


class VideoStatisticsSerializer(serializers.Serializer):
    views = StatisticSerializer()
    likes = StatisticSerializer()
    comments = StatisticSerializer()
    engagement = DerivedStatisticSerializer(required=False, help_text=DERIVED_ONLY + "(likes + comments) per view")


class MatchedVideoSerializer(serializers.Serializer):
    video_id = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField(help_text="The video on YouTube")
    thumbnail_url = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    score = serializers.FloatField(help_text="Content similarity to the product, 0..1")
    terms = serializers.ListField(child=serializers.CharField(), help_text="Product terms found in the video")
    queries = serializers.ListField(child=serializers.CharField(), help_text="The searches that found it")
    evidence = serializers.DictField(help_text="Why this video matched, as the matcher recorded it")
    statistics = VideoStatisticsSerializer()


class CreatorStatisticsSerializer(serializers.Serializer):
    subscribers = StatisticSerializer()
    channel_views = StatisticSerializer()
    channel_videos = StatisticSerializer()
    engagement = DerivedStatisticSerializer(
        required=False, help_text=DERIVED_ONLY + "(likes + comments) per view over the creator's stored videos"
    )


class CreatorSerializer(serializers.Serializer):
    channel = ChannelSerializer()
    rank = serializers.IntegerField(help_text="1 = the best content fit; statistics never change it")
    score = serializers.FloatField(help_text="Content similarity of the creator's videos to the product")
    fit_band = serializers.ChoiceField(
        choices=["strong", "good", "weak"],
        help_text=(
            "What the score means, calibrated on labelled products: strong = the creator's videos are about "
            "this kind of product (an ideal partner); good = squarely in the product's niche; weak = loosely "
            "related or sharing words only. Lists go strong, good, weak; an ordering sorts within each band"
        ),
    )
    video_count = serializers.IntegerField(help_text="How many of the creator's videos match the product")
    decision = serializers.CharField(allow_null=True, help_text="shortlisted, dismissed or null")
    last_upload_at = serializers.DateTimeField(allow_null=True)
    statistics = CreatorStatisticsSerializer()
    matched_videos = MatchedVideoSerializer(many=True, help_text="The best matching videos, best first")
    matched_terms = serializers.ListField(child=serializers.CharField())
    attributes = serializers.ListField(child=serializers.JSONField(), help_text="Product attributes matched")
    evidence = serializers.DictField()
    contact_emails = serializers.ListField(child=serializers.EmailField())
    sponsorship_signals = serializers.ListField(child=serializers.CharField())


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    handle = serializers.CharField()
    status = serializers.CharField()
    product_type = serializers.CharField()
    vendor = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    image_url = serializers.CharField()
    online_store_url = serializers.CharField()
    match_count = serializers.IntegerField(help_text="Matched videos")
    creator_count = serializers.IntegerField(help_text="Ranked creators")
    shortlisted_count = serializers.IntegerField()
    last_discovered_at = serializers.DateTimeField(allow_null=True)


# --- products -------------------------------------------------------------------------------------

CENT = Decimal("0.01")


def product_record(row: dict[str, Any], *, zone: tzinfo) -> dict[str, Any]:
    """One row of `selectors.ProductPages` as ProductSerializer represents it (a test holds them equal);
    `zone`: the current time zone, which DRF's DateTimeField writes moments in."""
    price = row["price"]
    discovered = row["last_discovered_at"]
    return {
        "id": row["id"],
        "title": row["title"],
        "handle": row["handle"],
        "status": row["status"],
        "product_type": row["product_type"],
        "vendor": row["vendor"],
        # DecimalField(decimal_places=2): a string with two places; DateTimeField: ISO 8601, UTC as "Z".
        "price": None if price is None else f"{price.quantize(CENT):f}",
        "currency": row["currency"],
        "image_url": row["image_url"],
        "online_store_url": row["online_store_url"],
        "match_count": row["match_count"],
        "creator_count": row["creator_count"],
        "shortlisted_count": row["shortlisted_count"],
        "last_discovered_at": None if discovered is None else json_datetime(discovered.astimezone(zone)),
    }


class ProductFilterSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.ChoiceField(choices=Product.Status.choices, required=False)
    company_id = serializers.UUIDField(required=False, help_text="One of your companies; default: the current one")


PRODUCT_FILTER_NAMES = tuple(ProductFilterSerializer().fields)


class OneStatementSessionScheme(SessionScheme):
    """The schema's cookie authentication for accounts.session_auth's class, as for DRF's own."""

    target_class = "accounts.session_auth.OneStatementSessionAuthentication"


class ProductListApi(GenericAPIView):
    """GET /products: the company's products with match and creator counts, newest discovery included."""

    pagination_class = Pagination
    serializer_class = ProductSerializer
    renderer_classes = [FastJSONRenderer, BrowsableRenderer]
    FilterSerializer = ProductFilterSerializer

    @extend_schema(
        operation_id="products_list",
        parameters=[ProductFilterSerializer],
        responses={200: ProductSerializer(many=True), 400: ERROR_RESPONSE, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        query: dict[str, Any] = {}
        if any(name in request.query_params for name in PRODUCT_FILTER_NAMES):  # else nothing to validate
            params = self.FilterSerializer(data=request.query_params)
            params.is_valid(raise_exception=True)
            query = params.validated_data
        named = query.get("company_id")
        company_id: uuid.UUID | None
        if named:
            company_id = company_for_member(user=request.user, company_id=named).pk
        else:
            # company_for_request's choice, as an id: the company itself is not needed here. Session
            # authentication found it with the user (accounts.session_auth); a token caller asks here.
            company_id = getattr(request._request, session_auth.COMPANY_ATTRIBUTE, None) or current_company_id(
                user=request.user, chosen=request.session.get(SESSION_KEY)
            )
            if company_id is None:
                raise ApplicationError(NO_COMPANY, status=403)
        products = selectors.ProductPages(
            company=company_id,
            search=query.get("search", "").strip(),
            status=query.get("status", ""),
        )
        # One query for the page's rows with their counts and the total, as plain dicts; `product_record`
        # gives them ProductSerializer's exact representation without a serializer per row (bench/api_scale).
        # ProductPages has what the paginator uses (page(), count() and slices), not the whole Sequence type.
        page = self.paginate_queryset(cast("Sequence[dict[str, Any]]", products)) or []
        zone = timezone.get_current_timezone()
        return self.get_paginated_response([product_record(row, zone=zone) for row in page])


# --- creators -------------------------------------------------------------------------------------


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=csv_columns(), extrasaction="ignore")
        writer.writeheader()
        for row in data or []:
            writer.writerow(row)
        return out.getvalue().encode("utf-8")


class CreatorFilterSerializer(serializers.Serializer):
    """The creator list's filters and ordering; the dashboard's filter form uses the same rules."""

    min_subscribers = serializers.IntegerField(required=False, min_value=0, max_value=10**12)
    max_subscribers = serializers.IntegerField(required=False, min_value=0, max_value=10**12)
    min_engagement = serializers.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        help_text=f"{OPT_IN}; refused with a 400 otherwise. (likes + comments) per view, e.g. 0.02 for 2%",
    )
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        required=False,
        allow_blank=True,
        help_text="ISO 3166 code, e.g. US",
        error_messages={"invalid": "Use a two-letter country code such as US or GB."},
    )
    language = serializers.RegexField(
        r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        required=False,
        allow_blank=True,
        help_text="e.g. en (also matches en-US)",
        error_messages={"invalid": "Use a language code such as en or pt-BR."},
    )
    uploaded_within_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)
    ordering = serializers.ChoiceField(
        choices=selectors.ORDERINGS,
        required=False,
        default="rank",
        help_text="Within each fit band (strong, good, weak). engagement: " + OPT_IN,
    )
    include_dismissed = serializers.BooleanField(required=False, default=False)

    def validate_min_engagement(self, value: float) -> float:
        if not derived_metrics.allowed():
            raise serializers.ValidationError(derived_metrics.REFUSED)
        return value

    def validate_ordering(self, value: str) -> str:
        if value == "engagement" and not derived_metrics.allowed():
            raise serializers.ValidationError(derived_metrics.REFUSED)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("min_subscribers"), attrs.get("max_subscribers")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"max_subscribers": ["Must be at least min_subscribers."]})
        return attrs

    def to_filters(self) -> selectors.CreatorFilters:
        data = self.validated_data
        return selectors.CreatorFilters(
            min_subscribers=data.get("min_subscribers"),
            max_subscribers=data.get("max_subscribers"),
            min_engagement=data.get("min_engagement"),
            country=(data.get("country") or "").upper(),
            language=(data.get("language") or "").lower(),
            uploaded_within_days=data.get("uploaded_within_days"),
            ordering=data.get("ordering") or "rank",
            include_dismissed=bool(data.get("include_dismissed")),
        )


CREATOR_FILTER_NAMES = tuple(CreatorFilterSerializer().fields)


def parse_creator_filters(query: Any) -> selectors.CreatorFilters:
    if not any(name in query for name in CREATOR_FILTER_NAMES):
        # Nothing to validate: the defaults, without building a serializer (~0.5 ms a request; bench/api_scale).
        return selectors.CreatorFilters()
    refused = [name for name in derived_metrics.DERIVED_FILTERS if name in query]
    if refused and not derived_metrics.allowed():
        # Said in the message, not only in the details: the filter is not wrong, this server may not apply it.
        raise ApplicationError(derived_metrics.REFUSED, details={name: [derived_metrics.REFUSED] for name in refused})
    params = CreatorFilterSerializer(data=query)
    params.is_valid(raise_exception=True)
    return params.to_filters()


class ProductCreatorsApi(GenericAPIView):
    """GET /products/{id}/creators: ranked creators with evidence; .csv (or ?format=csv) exports them all."""

    pagination_class = Pagination
    serializer_class = CreatorSerializer
    renderer_classes = [FastJSONRenderer, BrowsableRenderer, CSVRenderer]

    @extend_schema(
        operation_id="products_creators_list",
        parameters=[CreatorFilterSerializer],
        description=(
            "Shortlisted creators are pinned first; dismissed ones are left out unless include_dismissed=true. "
            "Then creators go by fit band (strong, good, weak): ordering=subscribers, engagement or "
            "recent_upload sorts within each band, never across them. "
            "Every statistic carries the date YouTube reported it. Add ?format=csv (or use creators.csv) "
            "for a CSV of the whole filtered list."
        ),
        responses={
            (200, "application/json"): CreatorSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The filtered list as CSV"),
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
        },
    )
    def get(self, request: Request, product_id: int, **kwargs: Any) -> Response:
        product = selectors.get_product_ref_for_user(user=request.user, product_id=product_id)
        filters = parse_creator_filters(request.query_params)
        now = timezone.now()
        creators = selectors.list_product_creators(product=product, filters=filters, now=now)
        if request.accepted_renderer.format == "csv":
            rows = selectors.attach_matched_videos(product=product, creators=list(creators[:CSV_ROW_LIMIT]))
            filename = f"maatchaa-creators-{product.handle or product.pk}-{now:%Y%m%d}.csv"
            return Response(
                [creator_csv_row(creator_record(c, now=now)) for c in rows],
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        page = self.paginate_queryset(cast("Sequence[dict[str, Any]]", creators))  # as ProductPages above
        page = selectors.attach_matched_videos(product=product, creators=list(page or []))
        # The records are already the documented shape (CreatorSerializer describes them for the schema);
        # passing 25 nested records through the serializer cost ~50 ms a page at 1M matches (bench/api_scale).
        # Their moments stay datetimes: FastJSONRenderer writes them as DRF's DateTimeField does.
        return self.get_paginated_response([creator_record(c, now=now) for c in page])

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Only the list's rows are CSV. Errors and OPTIONS' description are JSON even when CSV was asked
        # for: a spreadsheet of an error message helps nobody, and CSVRenderer can only write rows.
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is not None and renderer.format == "csv" and not isinstance(getattr(response, "data", None), list):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class ProductDiscoveryApi(APIView):
    """POST /products/{id}/trigger-discovery: search YouTube for this one product now.

    The guide's POST /products/trigger-discovery runs the company's rotation; this
    narrows a new run to one product. While the company has a run in progress, that run is returned
    (one run per company at a time) and nothing new is queued.
    """

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProductDiscoveryTriggered"

        message = serializers.CharField()
        company_id = serializers.UUIDField()
        product_id = serializers.IntegerField()
        status = serializers.CharField(help_text='"processing" while the run is queued or running')
        run_id = serializers.IntegerField(help_text="Poll GET /discovery/runs/{run_id} for progress")
        run_status = serializers.CharField()
        created = serializers.BooleanField(help_text="False when a run was already in progress")

    @extend_schema(
        operation_id="products_trigger_discovery_one",
        request=None,
        responses={202: OutputSerializer, 200: OutputSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def post(self, request: Request, product_id: int) -> Response:
        product = selectors.get_product_for_user(user=request.user, product_id=product_id)
        if not product.is_discoverable:
            reason = (
                f"this one is {product.get_status_display().lower()}"
                if product.status != Product.Status.ACTIVE
                else "this one's store is disconnected: reconnect it at /dashboard/settings"
            )
            raise ApplicationError(f"Only active products are searched; {reason}.", details={"status": product.status})
        run, created = trigger_discovery(
            company=product.company, trigger=DiscoveryRun.Trigger.MANUAL, user=request.user, product_ids=[product.pk]
        )
        return trigger_response(self.OutputSerializer, run=run, created=created, product_id=product.pk)


class CreatorDecisionInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CreatorDecision.Status.choices)


class CreatorDecisionApi(APIView):
    """POST shortlists or dismisses a creator for a product; DELETE restores it (forgets the decision)."""

    InputSerializer = CreatorDecisionInputSerializer

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CreatorDecision"

        product_id = serializers.IntegerField()
        channel_id = serializers.CharField()
        status = serializers.CharField(allow_null=True, help_text="shortlisted, dismissed, or null once restored")
        decided_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        operation_id="products_creators_decision_create",
        request=CreatorDecisionInputSerializer,
        responses={200: OutputSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def post(self, request: Request, product_id: int, channel_id: str) -> Response:
        product = selectors.get_product_for_user(user=request.user, product_id=product_id)
        if not isinstance(request.data, dict):
            raise ApplicationError('Send a JSON object such as {"status": "shortlisted"}.')
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decision = decide_creator(
            product=product, channel_id=channel_id, status=body.validated_data["status"], user=request.user
        )
        return Response(
            self.OutputSerializer(
                {
                    "product_id": product.pk,
                    "channel_id": decision.channel_id,
                    "status": decision.status,
                    "decided_at": decision.updated_at,
                }
            ).data
        )

    @extend_schema(
        operation_id="products_creators_decision_destroy",
        responses={200: OutputSerializer, 404: ERROR_RESPONSE},
    )
    def delete(self, request: Request, product_id: int, channel_id: str) -> Response:
        product = selectors.get_product_for_user(user=request.user, product_id=product_id)
        restore_creator(product=product, channel_id=channel_id)
        return Response(
            self.OutputSerializer(
                {"product_id": product.pk, "channel_id": channel_id, "status": None, "decided_at": None}
            ).data,
            status=status.HTTP_200_OK,
        )


@extend_schema_view(get=extend_schema(operation_id="products_creators_csv"))
class ProductCreatorsCsvApi(ProductCreatorsApi):
    """GET /products/{id}/creators.csv: the same list as CSV (the URL passes format=csv)."""
