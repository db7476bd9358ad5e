"""The one module that talks to Shopify's Admin API (API_FACTS §2): OAuth, tokens, products, HMACs.

Everything returned is a frozen dataclass parsed strictly at this boundary; every vendor failure is a
`ShopifyError(message, permanent=...)`. Where a shop lives is injectable: https://{shop} in production,
settings.SHOPIFY_BASE_URL (the emulator) in development and tests; with a base URL set, the shop's
domain travels in the X-Shopify-Shop-Domain header (API calls) or a `shop` query parameter (authorize).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from django.conf import settings

from maatchaa.lib.crypto import constant_time_equals
from maatchaa.lib.http import make_session

log = logging.getLogger("maatchaa.shopify")

# API_FACTS §2.2: Shopify's own rule for shop domains.
SHOP_DOMAIN_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")
# Shopify's library rejects callbacks whose timestamp is more than 90 s off.
TIMESTAMP_TOLERANCE_SECONDS = 90
MAX_PAGE_SIZE = 250
# One query may cost at most 1000 points (API_FACTS §2.6). Cost rules (shopify.dev rate-limits): object 1,
# scalar 0, connection 2 + first x the node's cost. A node of PRODUCTS_QUERY is 7 objects (the product,
# featuredMedia.preview.image, priceRangeV2.min/maxVariantPrice), so `first: 250` would ask for 1752
# points and be refused; the default page is the largest that fits, and a MAX_COST_EXCEEDED answer
# (if Shopify counts differently) shrinks the page to what its figures allow.
MAX_QUERY_COST = 1000
PRODUCT_NODE_COST = 7
DEFAULT_PAGE_SIZE = min(MAX_PAGE_SIZE, (MAX_QUERY_COST - 2) // PRODUCT_NODE_COST)
# Shopify's own GraphQL client retries throttling a bounded number of times; so do we.
MAX_THROTTLE_RETRIES = 6
# Never wait longer than this for one throttle, whatever a header or the cost figures say.
MAX_THROTTLE_WAIT_SECONDS = 60.0

# What we read of a product, one definition for the paged query and the bulk query (so the two cannot
# drift apart and one parser, parse_product_node, serves both).
PRODUCT_NODE_FIELDS = """
      id legacyResourceId title handle description descriptionHtml productType vendor tags
      status onlineStoreUrl updatedAt
      featuredMedia { preview { image { url altText } } }
      priceRangeV2 { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }
""".strip("\n")

# §2.4, without `variants`: we store the price range, and variants(first:10) under first:250 would
# multiply the query cost by ten for data we never read.
PRODUCTS_QUERY = (
    """
query Products($first: Int!, $after: String, $q: String) {
  products(first: $first, after: $after, query: $q, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
%s
    }
  }
}
""".strip()
    % PRODUCT_NODE_FIELDS
)

# API_FACTS §2.8. A bulk query has no per-query cost cap, so the variants ride along (a few rows per
# product, and the price fallback of parse_product_node when a product has no price range). Connections
# are edges/node here and each variant comes back as its own JSONL row with __parentId; the client
# gathers them under `variants.nodes`, the shape the paged query would give.
BULK_PRODUCTS_QUERY = (
    """
{
  products {
    edges {
      node {
%s
        variants { edges { node { id price } } }
      }
    }
  }
}
""".strip()
    % PRODUCT_NODE_FIELDS
)

BULK_OPERATION_FIELDS = "id status errorCode objectCount rootObjectCount url partialDataUrl query"

# groupObjects: true puts each product's variant rows right below it, so a product is complete as soon as
# the next product's row arrives and the download streams product by product. (2026-07 made false the
# default: faster for Shopify, but then a child may come anywhere in the file.)
BULK_RUN_MUTATION = (
    """
mutation BulkProducts($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) {
    bulkOperation { %s }
    userErrors { field message code }
  }
}
""".strip()
    % BULK_OPERATION_FIELDS
)

BULK_OPERATION_QUERY = "query BulkOperation($id: ID!) { bulkOperation(id: $id) { %s } }" % BULK_OPERATION_FIELDS
CURRENT_BULK_OPERATION_QUERY = "query { currentBulkOperation(type: QUERY) { %s } }" % BULK_OPERATION_FIELDS
PRODUCTS_COUNT_QUERY = "query { productsCount { count precision } }"

BULK_FINISHED_STATUSES = ("COMPLETED", "FAILED", "CANCELED", "EXPIRED")
BULK_STATUSES = ("CREATED", "RUNNING", "CANCELING", *BULK_FINISHED_STATUSES)
# What to tell the operator for each way a bulk operation can end without a file (BulkOperationErrorCode).
BULK_ERROR_ADVICE = {
    "ACCESS_DENIED": 'the app may not run bulk queries: enable "Allow bulk queries" under API access '
    "requests in the Partner Dashboard (it lapses after 31 days without use)",
    "INTERNAL_SERVER_ERROR": "Shopify failed while reading the catalog; run the sync again",
    "TIMEOUT": "Shopify timed out reading the catalog; run the sync again",
}
# Ids of a bulk file's child rows, by the connection of the product node they belong under.
BULK_CHILD_CONNECTIONS = {"gid://shopify/ProductVariant/": "variants"}

PRODUCT_STATUSES = ("ACTIVE", "ARCHIVED", "DRAFT", "UNLISTED")

# API_FACTS §2.7, version 2026-10: `uri` (an https URL, a pubsub:// or an EventBridge ARN) replaced
# `callbackUrl` in 2025-10. An app holds a handful of subscriptions per shop; 100 is far more than we create.
WEBHOOK_SUBSCRIPTIONS_QUERY = """
query WebhookSubscriptions($first: Int!) {
  webhookSubscriptions(first: $first) { nodes { id topic uri } }
}
""".strip()
WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
""".strip()
WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
""".strip()
MAX_WEBHOOK_SUBSCRIPTIONS = 100


class ShopifyError(Exception):
    """Shopify said no or could not be reached. `permanent`: retrying the same call will not help.

    `status` is the HTTP status when there was one (401: the access token is no good), `code` the
    GraphQL error code or OAuth error name when Shopify gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        code: str = "",
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status
        self.code = code
        # The GraphQL error's extensions (e.g. cost and maxCost of MAX_COST_EXCEEDED).
        self.extensions = extensions or {}


# --- Results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    scopes: tuple[str, ...]
    access_token_expires_at: datetime | None
    refresh_token: str
    refresh_token_expires_at: datetime | None


@dataclass(frozen=True)
class ShopifyProduct:
    shopify_id: str
    legacy_id: str
    title: str
    handle: str
    description: str
    product_type: str
    vendor: str
    tags: tuple[str, ...]
    status: str
    online_store_url: str
    updated_at: datetime
    image_url: str
    price: Decimal | None
    currency: str


@dataclass(frozen=True)
class QueryCost:
    requested: float
    actual: float | None
    maximum_available: float
    currently_available: float
    restore_rate: float


@dataclass(frozen=True)
class ProductPage:
    products: tuple[ShopifyProduct, ...]
    has_next_page: bool
    end_cursor: str | None
    cost: QueryCost | None


@dataclass(frozen=True)
class WebhookSubscription:
    id: str
    topic: str  # the GraphQL enum, e.g. PRODUCTS_UPDATE
    uri: str


@dataclass(frozen=True)
class InstallParams:
    shop: str
    timestamp: int
    host: str = ""


@dataclass(frozen=True)
class BulkOperation:
    """A bulk operation as Shopify reports it. `url` is set once COMPLETED (None when nothing matched);
    `partial_data_url` may be set when it FAILED."""

    id: str
    status: str
    error_code: str
    object_count: int
    root_object_count: int
    url: str | None
    partial_data_url: str | None
    query: str = ""

    @property
    def finished(self) -> bool:
        return self.status in BULK_FINISHED_STATUSES

    @property
    def reads_our_products(self) -> bool:
        """Whether this is the products query this module runs (so its file can serve a sync)."""
        return " ".join(self.query.split()) == " ".join(BULK_PRODUCTS_QUERY.split())


@dataclass(frozen=True)
class CallbackParams:
    shop: str
    code: str
    state: str
    timestamp: int
    host: str


# --- Pure checks (no network) --------------------------------------------------------------------------


def is_valid_shop_domain(shop: str) -> bool:
    return bool(SHOP_DOMAIN_RE.fullmatch(shop or ""))


def normalize_shop_domain(raw: str) -> str:
    """What a member types ("Juniper-Pine", "https://juniper-pine.myshopify.com/") as a shop domain, or ""
    when it cannot be one. Only *.myshopify.com domains are accepted: custom storefront domains are not
    where the Admin API lives."""
    value = (raw or "").strip().lower()
    value = re.sub(r"^https?://", "", value).split("/", 1)[0].strip()
    if value and "." not in value:
        value = f"{value}.myshopify.com"
    return value if is_valid_shop_domain(value) else ""


def verify_oauth_hmac(query_string: str, *, secret: str) -> bool:
    """API_FACTS §2.2: hex HMAC-SHA256 (client secret) of the sorted query without hmac/signature."""
    if not secret:
        return False
    pairs = parse_qsl(query_string, keep_blank_values=True)
    given = [v for k, v in pairs if k == "hmac"]
    if len(given) != 1:
        return False
    message = urlencode(sorted((k, v) for k, v in pairs if k not in ("hmac", "signature"))).replace("+", "%20")
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return constant_time_equals(given[0], expected)


def timestamp_is_fresh(
    timestamp: int, *, now: float | None = None, tolerance: int = TIMESTAMP_TOLERANCE_SECONDS
) -> bool:
    current = time.time() if now is None else now
    return abs(current - timestamp) <= tolerance


def verify_webhook_hmac(body: bytes, header: str | None, *, secrets: Sequence[str]) -> bool:
    """base64 HMAC-SHA256 of the raw body; any of `secrets` (current first, then rotated-out ones) will do."""
    if not header:
        return False
    for secret in secrets:
        if not secret:
            continue
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        if constant_time_equals(header, expected):
            return True
    return False


def _signed_query_values(query_string: str, required: Sequence[str]) -> tuple[dict[str, str], int]:
    """A signed query's parameters, each at most once and the required ones present, and its timestamp
    (ValueError names what is wrong)."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    values: dict[str, str] = {}
    for key, value in pairs:
        if key in values:
            raise ValueError(f"'{key}' appears more than once")
        values[key] = value
    missing = [k for k in required if not values.get(k)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    try:
        timestamp = int(values["timestamp"])
    except ValueError:
        raise ValueError("timestamp is not a number") from None
    return values, timestamp


def parse_callback(query_string: str) -> CallbackParams:
    """The callback's parameters, each required exactly once (ValueError names what is wrong)."""
    values, timestamp = _signed_query_values(query_string, ("code", "hmac", "shop", "state", "timestamp"))
    return CallbackParams(
        shop=values["shop"],
        code=values["code"],
        state=values["state"],
        timestamp=timestamp,
        host=values.get("host", ""),
    )


def parse_install(query_string: str) -> InstallParams:
    """The App URL's parameters when Shopify opens it (install from the App Store, or the app from the
    store's admin): `hmac`, `shop`, `timestamp`, plus `host` for embedded apps (API_FACTS §2.2 step 1)."""
    values, timestamp = _signed_query_values(query_string, ("hmac", "shop", "timestamp"))
    return InstallParams(shop=values["shop"], timestamp=timestamp, host=values.get("host", ""))


# --- Parsing ------------------------------------------------------------------------------------------


def _parse_datetime(value: Any, what: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is missing")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} is not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{what} has no time zone: {value!r}")
    return moment.astimezone(UTC)


# Product.price is NUMERIC(12, 2): anything at or above this (or "Infinity", "NaN", "1e30") is not a price.
PRICE_LIMIT = Decimal(10) ** 10


def _parse_price(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"price is not a decimal: {str(value)[:40]!r}") from None
    if not price.is_finite() or abs(price) >= PRICE_LIMIT:
        raise ValueError(f"price is not an amount of money: {str(value)[:40]!r}")
    return price.quantize(Decimal("0.01"))


def _str(node: dict[str, Any], key: str) -> str:
    value = node.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def parse_product_node(node: Any) -> ShopifyProduct:
    """A GraphQL product node as a ShopifyProduct (ValueError on anything malformed)."""
    if not isinstance(node, dict):
        raise ValueError("product node is not an object")
    gid = _str(node, "id")
    if not gid.startswith("gid://shopify/Product/"):
        raise ValueError(f"unexpected product id {gid!r}")
    status = _str(node, "status").upper()
    if status not in PRODUCT_STATUSES:
        raise ValueError(f"unknown product status {status!r}")
    tags = node.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("tags is not a list of strings")
    image = (((node.get("featuredMedia") or {}).get("preview") or {}).get("image")) or {}
    price_range = node.get("priceRangeV2") or {}
    minimum = price_range.get("minVariantPrice") or {}
    price = _parse_price(minimum.get("amount"))
    if price is None:
        # No price range (none selected, or none computed yet): the cheapest variant, as webhooks do.
        variants = (node.get("variants") or {}).get("nodes") or []
        if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
            raise ValueError("variants is not a list of objects")
        prices = [p for p in (_parse_price(v.get("price")) for v in variants) if p is not None]
        price = min(prices) if prices else None
    return ShopifyProduct(
        shopify_id=gid,
        legacy_id=_str(node, "legacyResourceId") or gid.rsplit("/", 1)[-1],
        title=_str(node, "title"),
        handle=_str(node, "handle"),
        description=_str(node, "description"),
        product_type=_str(node, "productType"),
        vendor=_str(node, "vendor"),
        tags=tuple(tags),
        status=status,
        online_store_url=_str(node, "onlineStoreUrl"),
        updated_at=_parse_datetime(node.get("updatedAt"), "updatedAt"),
        image_url=str(image.get("url") or ""),
        price=price,
        currency=str(minimum.get("currencyCode") or ""),
    )


def _node_gid(node: Any, kind: str, what: str) -> str:
    """The `id` of a GraphQL node that must be a `kind` (ValueError names `what` otherwise)."""
    if not isinstance(node, dict):
        raise ValueError(f"{what} is not an object")
    gid = _str(node, "id")
    if not gid.startswith(f"gid://shopify/{kind}/"):
        raise ValueError(f"unexpected {what} id {gid!r}")
    return gid


def parse_bulk_operation(node: Any) -> BulkOperation:
    """A BulkOperation object (ValueError on anything malformed)."""
    gid = _node_gid(node, "BulkOperation", "bulk operation")
    status = _str(node, "status")
    if status not in BULK_STATUSES:
        raise ValueError(f"unknown bulk operation status {status!r}")

    def _count(key: str) -> int:
        # UnsignedInt64 travels as a string.
        try:
            return int(node.get(key) or 0)
        except (TypeError, ValueError):
            raise ValueError(f"{key} is not a number") from None

    return BulkOperation(
        id=gid,
        status=status,
        error_code=_str(node, "errorCode"),
        object_count=_count("objectCount"),
        root_object_count=_count("rootObjectCount"),
        url=_str(node, "url") or None,
        partial_data_url=_str(node, "partialDataUrl") or None,
        query=_str(node, "query"),
    )


def _bulk_operation_from(node: Any) -> BulkOperation:
    """parse_bulk_operation for an answer from Shopify: a malformed one is a permanent ShopifyError."""
    try:
        return parse_bulk_operation(node)
    except ValueError as exc:
        raise ShopifyError(f"Malformed bulk operation from Shopify: {exc}", permanent=True) from exc


def assemble_bulk_nodes(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Product nodes from a grouped bulk file's rows: each product row followed by its child rows
    (`__parentId`), which are gathered under `<connection>.nodes` as the paged query shapes them.

    A product is yielded as soon as the next product's row (or the end) shows it is complete, so only
    one product is held at a time. ValueError for a child row that is not right below its product
    (an ungrouped file) or of a kind we did not ask for.
    """
    current: dict[str, Any] | None = None
    for row in rows:
        parent = row.get("__parentId")
        if parent is None:
            if current is not None:
                yield current
            current = row
            continue
        if current is None or parent != current.get("id"):
            raise ValueError(
                f"child row {row.get('id')!r} is not below its product {parent!r} (the file must be grouped)"
            )
        child_id = str(row.get("id") or "")
        connection = next(
            (name for prefix, name in BULK_CHILD_CONNECTIONS.items() if child_id.startswith(prefix)), None
        )
        if connection is None:
            raise ValueError(f"unexpected child row {child_id!r}")
        child = {k: v for k, v in row.items() if k != "__parentId"}
        current.setdefault(connection, {"nodes": []})["nodes"].append(child)
    if current is not None:
        yield current


_TAG_RE = re.compile(r"<[^>]+>")


def html_to_text(value: str) -> str:
    text = _TAG_RE.sub(" ", value.replace("</p>", "\n").replace("<br>", "\n"))
    return re.sub(r"[ \t]+", " ", html.unescape(text)).strip()


def parse_webhook_product(payload: Any) -> ShopifyProduct:
    """A REST-shaped products/create|update webhook payload (API_FACTS §2.7) as a ShopifyProduct."""
    if not isinstance(payload, dict):
        raise ValueError("payload is not an object")
    legacy = payload.get("id")
    if not isinstance(legacy, int) or isinstance(legacy, bool):
        raise ValueError("id is not a number")
    gid = payload.get("admin_graphql_api_id") or f"gid://shopify/Product/{legacy}"
    if gid != f"gid://shopify/Product/{legacy}":
        raise ValueError("admin_graphql_api_id does not match id")
    status = str(payload.get("status") or "active").upper()
    if status not in PRODUCT_STATUSES:
        raise ValueError(f"unknown product status {status!r}")
    raw_tags = payload.get("tags") or ""
    if not isinstance(raw_tags, str):
        raise ValueError("tags is not a string")
    variants = payload.get("variants") or []
    if not isinstance(variants, list):
        raise ValueError("variants is not a list")
    prices = [p for p in (_parse_price(v.get("price")) for v in variants if isinstance(v, dict)) if p is not None]
    image = payload.get("image") or {}
    handle = str(payload.get("handle") or "")
    return ShopifyProduct(
        shopify_id=gid,
        legacy_id=str(legacy),
        title=str(payload.get("title") or ""),
        handle=handle,
        description=html_to_text(str(payload.get("body_html") or "")),
        product_type=str(payload.get("product_type") or ""),
        vendor=str(payload.get("vendor") or ""),
        tags=tuple(t.strip() for t in raw_tags.split(",") if t.strip()),
        status=status,
        # REST payloads carry no storefront URL; keep what the last GraphQL sync stored (see services).
        online_store_url="",
        updated_at=_parse_datetime(payload.get("updated_at"), "updated_at"),
        image_url=str(image.get("src") or "") if isinstance(image, dict) else "",
        price=min(prices) if prices else None,
        currency="",
    )


def updated_since_query(moment: datetime) -> str:
    """The search for products updated at or after `moment` (incremental sync).

    ">=" rather than ">": updatedAt has one-second precision, so a product changed later in the same
    second as the newest one we saw would be missed by ">"; the few products read again are no-ops.
    """
    return f"updated_at:>='{moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def parse_webhook_subscription_node(node: Any) -> WebhookSubscription:
    """A WebhookSubscription node ({id topic uri}) as a WebhookSubscription (ValueError if malformed)."""
    gid = _node_gid(node, "WebhookSubscription", "webhook subscription")
    topic = _str(node, "topic")
    if not topic:
        raise ValueError("webhook subscription has no topic")
    return WebhookSubscription(id=gid, topic=topic, uri=_str(node, "uri"))


def _user_errors(payload: Any, what: str) -> None:
    """A mutation's userErrors as a permanent ShopifyError: Shopify refused the input, resending it won't help."""
    errors = payload.get("userErrors") if isinstance(payload, dict) else None
    if errors is None:
        raise ShopifyError(f"Malformed {what} answer from Shopify: no userErrors", permanent=True)
    if not isinstance(errors, list):
        raise ShopifyError(f"Malformed {what} answer from Shopify: userErrors is not a list", permanent=True)
    if errors:
        messages = []
        for error in errors:
            if not isinstance(error, dict):
                continue
            field = ".".join(str(f) for f in error.get("field") or [])
            message = str(error.get("message") or "refused")
            messages.append(f"{field}: {message}" if field else message)
        raise ShopifyError(
            f"Shopify refused {what}: {'; '.join(messages) or 'no reason given'}", permanent=True, code="USER_ERROR"
        )


def _parse_cost(body: dict[str, Any]) -> QueryCost | None:
    cost = ((body.get("extensions") or {}).get("cost")) if isinstance(body, dict) else None
    if not isinstance(cost, dict):
        return None
    status = cost.get("throttleStatus") or {}
    try:
        return QueryCost(
            requested=float(cost.get("requestedQueryCost") or 0),
            actual=float(cost["actualQueryCost"]) if cost.get("actualQueryCost") is not None else None,
            maximum_available=float(status.get("maximumAvailable") or 0),
            currently_available=float(status.get("currentlyAvailable") or 0),
            restore_rate=float(status.get("restoreRate") or 0),
        )
    except (TypeError, ValueError):
        return None


def page_size_within_cost(first: int, error: ShopifyError) -> int:
    """A smaller `first` after MAX_COST_EXCEEDED: scaled by Shopify's own cost and maxCost figures, or
    halved when it gave none. Always smaller than `first` (and at least 1)."""
    try:
        cost = float(error.extensions["cost"])
        max_cost = float(error.extensions["maxCost"])
        per_node = max(1.0, (cost - 2) / first)
        fitted = int((max_cost - 2) // per_node)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        fitted = first // 2
    return max(1, min(first - 1, fitted))


def throttle_wait_seconds(cost: QueryCost | None) -> float:
    """API_FACTS §2.6: after a throttle wait (requested - available) / restoreRate seconds."""
    if cost is None or cost.restore_rate <= 0:
        return 1.0
    return min(MAX_THROTTLE_WAIT_SECONDS, max(0.0, (cost.requested - cost.currently_available) / cost.restore_rate))


def _retry_after_seconds(response: requests.Response) -> float:
    raw = response.headers.get("Retry-After", "")
    try:
        return min(MAX_THROTTLE_WAIT_SECONDS, max(0.0, float(raw)))
    except ValueError:
        return 1.0


# --- The client -------------------------------------------------------------------------------------------


class ShopifyClient:
    """Calls for one shop. `sleep` is injectable so throttling tests wait without waiting."""

    def __init__(
        self,
        *,
        shop: str,
        access_token: str = "",
        base_url: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        api_version: str | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not is_valid_shop_domain(shop):
            raise ShopifyError(f"Not a Shopify shop domain: {shop!r}", permanent=True)
        self.shop = shop
        self.access_token = access_token
        configured = settings.SHOPIFY_BASE_URL if base_url is None else base_url
        self.base_url = (configured or f"https://{shop}").rstrip("/")
        self.api_key = settings.SHOPIFY_API_KEY if api_key is None else api_key
        self.api_secret = settings.SHOPIFY_API_SECRET if api_secret is None else api_secret
        self.api_version = api_version or settings.SHOPIFY_API_VERSION
        # Connection errors are retried by the session; throttling (429/503, THROTTLED) is handled here,
        # because the wait comes from the cost figures and must stay bounded and testable.
        self.session = session or make_session(timeout=settings.SHOPIFY_TIMEOUT_SECONDS, retries=2, status_forcelist=())
        self.sleep = sleep
        self.waits: list[float] = []
        self.last_cost: QueryCost | None = None

    @property
    def _routes_by_header(self) -> bool:
        return self.base_url != f"https://{self.shop}"

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._routes_by_header:
            headers["X-Shopify-Shop-Domain"] = self.shop
        return headers

    def authorize_url(self, *, state: str, redirect_uri: str, scopes: str | None = None) -> str:
        params = {
            "client_id": self.api_key,
            "scope": settings.SHOPIFY_SCOPES if scopes is None else scopes,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if self._routes_by_header:
            params["shop"] = self.shop
        return f"{self.base_url}/admin/oauth/authorize?{urlencode(params)}"

    # --- tokens ---

    def exchange_code(self, code: str) -> TokenGrant:
        """Trade an authorization code for an expiring offline token (API_FACTS §2.2 step 4)."""
        return self._token_request(
            {"client_id": self.api_key, "client_secret": self.api_secret, "code": code, "expiring": 1}
        )

    def refresh(self, refresh_token: str) -> TokenGrant:
        """Rotate the token pair (API_FACTS §2.3): the answer carries a new refresh token too."""
        return self._token_request(
            {
                "client_id": self.api_key,
                "client_secret": self.api_secret,
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
            }
        )

    def _token_request(self, body: dict[str, Any]) -> TokenGrant:
        url = f"{self.base_url}/admin/oauth/access_token"
        try:
            response = self.session.post(url, json=body, headers=self._headers())
        except requests.RequestException as exc:
            raise ShopifyError(f"Could not reach Shopify ({type(exc).__name__})", permanent=False) from exc
        data = self._json(response)
        if response.status_code != 200:
            code = str(data.get("error", "")) if isinstance(data, dict) else ""
            description = str(data.get("error_description", "")) if isinstance(data, dict) else ""
            permanent = response.status_code < 500 and response.status_code != 429
            raise ShopifyError(
                f"Shopify refused the token request ({response.status_code} {code}: {description})".strip(),
                permanent=permanent,
                status=response.status_code,
                code=code,
            )
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str) or not data["access_token"]:
            raise ShopifyError("Shopify's token answer has no access_token", permanent=True)
        now = datetime.now(UTC)

        def _expiry(key: str) -> datetime | None:
            value = data.get(key)
            if value is None:
                return None
            if not isinstance(value, int) or value <= 0:
                raise ShopifyError(f"Shopify's token answer has a bad {key}", permanent=True)
            return now + timedelta(seconds=value)

        scope = data.get("scope") or ""
        if not isinstance(scope, str):
            raise ShopifyError("Shopify's token answer has a bad scope", permanent=True)
        refresh_token = data.get("refresh_token") or ""
        if not isinstance(refresh_token, str):
            raise ShopifyError("Shopify's token answer has a bad refresh_token", permanent=True)
        return TokenGrant(
            access_token=data["access_token"],
            scopes=tuple(s.strip() for s in scope.split(",") if s.strip()),
            access_token_expires_at=_expiry("expires_in"),
            refresh_token=refresh_token,
            refresh_token_expires_at=_expiry("refresh_token_expires_in"),
        )

    # --- GraphQL ---

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The `data` of a GraphQL answer; waits out throttling (THROTTLED and 429/503 with Retry-After)."""
        if not self.access_token:
            raise ShopifyError("No access token for this shop", permanent=True, status=401)
        url = f"{self.base_url}/admin/api/{self.api_version}/graphql.json"
        headers = {**self._headers(), "X-Shopify-Access-Token": self.access_token}
        for attempt in range(MAX_THROTTLE_RETRIES + 1):
            try:
                response = self.session.post(url, json={"query": query, "variables": variables}, headers=headers)
            except requests.RequestException as exc:
                raise ShopifyError(f"Could not reach Shopify ({type(exc).__name__})", permanent=False) from exc
            if response.status_code in (429, 503):
                wait = _retry_after_seconds(response)
                if attempt < MAX_THROTTLE_RETRIES:
                    self._wait(wait)
                    continue
                raise ShopifyError(
                    f"Shopify kept answering {response.status_code}",
                    permanent=False,
                    status=response.status_code,
                    code="THROTTLED",
                )
            if response.status_code == 401:
                raise ShopifyError("Shopify rejected the access token", permanent=True, status=401)
            if response.status_code == 403:
                raise ShopifyError("The app lacks a scope for this call", permanent=True, status=403)
            if response.status_code == 404:
                raise ShopifyError("Shopify does not know this shop", permanent=True, status=404)
            if response.status_code >= 500:
                raise ShopifyError(
                    f"Shopify failed ({response.status_code})", permanent=False, status=response.status_code
                )
            body = self._json(response)
            if response.status_code != 200 or not isinstance(body, dict):
                raise ShopifyError(
                    f"Unexpected answer from Shopify ({response.status_code})",
                    permanent=True,
                    status=response.status_code,
                )
            errors = body.get("errors")
            if errors:
                codes = [str((e.get("extensions") or {}).get("code", "")) for e in errors if isinstance(e, dict)]
                if "THROTTLED" in codes:
                    if attempt < MAX_THROTTLE_RETRIES:
                        self._wait(throttle_wait_seconds(_parse_cost(body)))
                        continue
                    raise ShopifyError("Shopify kept throttling", permanent=False, status=200, code="THROTTLED")
                first = errors[0] if isinstance(errors, list) and errors else errors
                message = first.get("message") if isinstance(first, dict) else str(first)
                extensions = first.get("extensions") if isinstance(first, dict) else None
                raise ShopifyError(
                    f"Shopify GraphQL error: {message}",
                    permanent=True,
                    status=200,
                    code=codes[0] if codes else "",
                    extensions=extensions if isinstance(extensions, dict) else None,
                )
            data = body.get("data")
            if not isinstance(data, dict):
                raise ShopifyError("Shopify's GraphQL answer has no data", permanent=True, status=200)
            self.last_cost = _parse_cost(body)
            return data
        raise AssertionError("unreachable")  # the loop returns or raises

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        log.info("Shopify throttled %s; waiting %.2f s", self.shop, seconds)
        self.sleep(seconds)

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    def products_page(
        self, *, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, query: str | None = None
    ) -> ProductPage:
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise ValueError(f"first must be 1..{MAX_PAGE_SIZE}")
        data = self.graphql(PRODUCTS_QUERY, {"first": first, "after": after, "q": query})
        try:
            connection = data["products"]
            nodes = connection["nodes"]
            info = connection["pageInfo"]
            products = tuple(parse_product_node(n) for n in nodes)
            has_next = info["hasNextPage"]
            end_cursor = info.get("endCursor")
            if not isinstance(has_next, bool) or (end_cursor is not None and not isinstance(end_cursor, str)):
                raise ValueError("bad pageInfo")
        except (KeyError, TypeError, ValueError) as exc:
            raise ShopifyError(f"Malformed products answer from Shopify: {exc}", permanent=True) from exc
        if has_next and not end_cursor:
            raise ShopifyError("Shopify says there is a next page but gave no cursor", permanent=True)
        return ProductPage(products=products, has_next_page=has_next, end_cursor=end_cursor, cost=self.last_cost)

    def iter_product_pages(
        self, *, updated_since: datetime | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[ProductPage]:
        """Every page of products, or only those updated at or after `updated_since` (incremental)."""
        query = updated_since_query(updated_since) if updated_since is not None else None
        after: str | None = None
        while True:
            page = self.products_page(first=page_size, after=after, query=query)
            yield page
            if not page.has_next_page:
                return
            after = page.end_cursor

    # --- webhook subscriptions (API_FACTS §2.7) ---

    def webhook_subscriptions(self) -> list[WebhookSubscription]:
        """The shop's webhook subscriptions made by this app through the API (those declared in
        shopify.app.toml are the app's, not the shop's, and are not listed)."""
        data = self.graphql(WEBHOOK_SUBSCRIPTIONS_QUERY, {"first": MAX_WEBHOOK_SUBSCRIPTIONS})
        try:
            nodes = data["webhookSubscriptions"]["nodes"]
            if not isinstance(nodes, list):
                raise ValueError("nodes is not a list")
            return [parse_webhook_subscription_node(n) for n in nodes]
        except (KeyError, TypeError, ValueError) as exc:
            raise ShopifyError(f"Malformed webhookSubscriptions answer from Shopify: {exc}", permanent=True) from exc

    def create_webhook_subscription(self, *, topic: str, uri: str) -> WebhookSubscription:
        """Subscribe the shop's `topic` (the enum, e.g. PRODUCTS_UPDATE) to `uri`, JSON payloads."""
        data = self.graphql(WEBHOOK_SUBSCRIPTION_CREATE, {"topic": topic, "uri": uri})
        payload: Any = data.get("webhookSubscriptionCreate")
        _user_errors(payload, f"the {topic} subscription")
        try:
            return parse_webhook_subscription_node(payload["webhookSubscription"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ShopifyError(
                f"Malformed webhookSubscriptionCreate answer from Shopify: {exc}", permanent=True
            ) from exc

    def delete_webhook_subscription(self, subscription_id: str) -> str:
        """Delete one subscription; returns the id Shopify says it deleted."""
        data = self.graphql(WEBHOOK_SUBSCRIPTION_DELETE, {"id": subscription_id})
        payload = data.get("webhookSubscriptionDelete")
        _user_errors(payload, f"deleting the subscription {subscription_id}")
        deleted = payload.get("deletedWebhookSubscriptionId") if isinstance(payload, dict) else None
        if not isinstance(deleted, str) or not deleted:
            raise ShopifyError("Malformed webhookSubscriptionDelete answer from Shopify: no deleted id", permanent=True)
        return deleted

    # --- bulk operations (API_FACTS §2.8) ---

    def products_count(self) -> int:
        """How many products the shop has (Shopify caps the count at 10,000 by default, precision
        AT_LEAST: enough to decide between paging and a bulk operation)."""
        data = self.graphql(PRODUCTS_COUNT_QUERY, {})
        try:
            count = data["productsCount"]["count"]
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise ValueError("count is not a number")
        except (KeyError, TypeError, ValueError) as exc:
            raise ShopifyError(f"Malformed productsCount answer from Shopify: {exc}", permanent=True) from exc
        return count

    def run_bulk_products_query(self) -> BulkOperation:
        """Start a bulk query over every product (the paged query's fields, plus variants).

        ShopifyError codes: ACCESS_DENIED (the app lacks the "Allow bulk queries" permission, whether
        Shopify says so as a GraphQL error or a userError), OPERATION_IN_PROGRESS / LIMIT_REACHED (another
        bulk query runs; not permanent), INVALID."""
        try:
            data = self.graphql(BULK_RUN_MUTATION, {"query": BULK_PRODUCTS_QUERY})
        except ShopifyError as exc:
            if exc.code == "ACCESS_DENIED" or exc.status == 403:
                raise _bulk_access_denied(exc.message) from exc
            raise
        try:
            payload = data["bulkOperationRunQuery"]
            errors = payload.get("userErrors") or []
            if not isinstance(errors, list):
                raise ValueError("userErrors is not a list")
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ShopifyError(f"Malformed bulkOperationRunQuery answer from Shopify: {exc}", permanent=True) from exc
        if errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            code = str(first.get("code") or "")
            message = str(first.get("message") or "no message")
            if code == "ACCESS_DENIED" or "access denied" in message.lower():
                raise _bulk_access_denied(message)
            if code in ("OPERATION_IN_PROGRESS", "LIMIT_REACHED"):
                raise ShopifyError(
                    f"Shopify is already running a bulk query for this shop ({message}); "
                    "the sync can run again once it has finished.",
                    permanent=False,
                    code=code,
                )
            raise ShopifyError(
                f"Shopify refused the bulk query ({code or 'userError'}: {message})", permanent=True, code=code
            )
        return _bulk_operation_from(payload.get("bulkOperation"))

    def bulk_operation(self, operation_id: str) -> BulkOperation:
        data = self.graphql(BULK_OPERATION_QUERY, {"id": operation_id})
        return _bulk_operation_from(data.get("bulkOperation"))

    def current_bulk_operation(self) -> BulkOperation | None:
        """The app's most recent bulk query on this shop, or None when it never ran one."""
        data = self.graphql(CURRENT_BULK_OPERATION_QUERY, {})
        node = data.get("currentBulkOperation")
        if node is None:
            return None
        return _bulk_operation_from(node)

    def iter_bulk_products(self, url: str) -> Iterator[ShopifyProduct]:
        """The products of a bulk operation's JSONL file, streamed: read line by line, each product parsed
        once its rows are complete, never the whole file in memory."""
        try:
            # A signed storage URL: no Shopify headers, and nothing to retry by hand (the session retries).
            response = self.session.get(url, stream=True)
        except requests.RequestException as exc:
            raise ShopifyError(
                f"Could not download the bulk operation's file ({type(exc).__name__})", permanent=False
            ) from exc
        with response:
            if response.status_code != 200:
                raise ShopifyError(
                    f"Downloading the bulk operation's file failed ({response.status_code}); "
                    "it expires 7 days after the operation, so run the sync again.",
                    permanent=response.status_code in (403, 404, 410),
                    status=response.status_code,
                )

            def rows() -> Iterator[dict[str, Any]]:
                try:
                    for number, raw in enumerate(response.iter_lines(), start=1):
                        if not raw.strip():
                            continue
                        try:
                            row = json.loads(raw)
                        except ValueError:
                            raise ShopifyError(
                                f"Line {number} of the bulk operation's file is not JSON; the "
                                "download is broken, run the sync again.",
                                permanent=True,
                            ) from None
                        if not isinstance(row, dict):
                            raise ShopifyError(
                                f"Line {number} of the bulk operation's file is not an object; run the sync again.",
                                permanent=True,
                            )
                        yield row
                except requests.RequestException as exc:
                    raise ShopifyError(
                        f"The bulk operation's download broke off ({type(exc).__name__}); run the sync again.",
                        permanent=False,
                    ) from exc

            try:
                for node in assemble_bulk_nodes(rows()):
                    yield parse_product_node(node)
            except ValueError as exc:
                raise ShopifyError(f"Malformed product in the bulk operation's file: {exc}", permanent=True) from exc


def bulk_outcome(operation: BulkOperation) -> BulkOperation:
    """A finished operation if it COMPLETED; otherwise the ShopifyError saying what happened and what to do."""
    if operation.status == "COMPLETED":
        return operation
    if operation.status == "FAILED":
        if operation.error_code == "ACCESS_DENIED":
            raise _bulk_access_denied(f"bulk operation {operation.id} failed with ACCESS_DENIED")
        advice = BULK_ERROR_ADVICE.get(operation.error_code, "run the sync again")
        raise ShopifyError(
            f"Shopify's bulk operation {operation.id} failed ({operation.error_code or 'no error code'}): {advice}.",
            permanent=operation.error_code not in ("INTERNAL_SERVER_ERROR", "TIMEOUT"),
            code=operation.error_code or "FAILED",
        )
    if operation.status in ("CANCELED", "EXPIRED"):
        # Someone cancelled it, or its file is older than 7 days: only a new operation helps.
        raise ShopifyError(
            f"Shopify's bulk operation {operation.id} is {operation.status}; run the sync again to start a new one.",
            permanent=False,
            code=operation.status,
        )
    raise ValueError(f"bulk operation {operation.id} has not finished ({operation.status})")


def _bulk_access_denied(detail: str) -> ShopifyError:
    return ShopifyError(
        f"Shopify denied the bulk query ({detail}): {BULK_ERROR_ADVICE['ACCESS_DENIED']}.",
        permanent=True,
        code="ACCESS_DENIED",
    )
