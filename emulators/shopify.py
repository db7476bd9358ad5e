"""A Shopify emulator for development and tests (Django-free, standard library HTTP server).

What it serves (all on one host; every shop lives on it):
- GET  /admin/oauth/authorize          an approve page (or, with auto_approve, an immediate redirect) that
                                       sends the browser back to the app's redirect_uri with a correctly
                                       signed query: code, hmac, host, shop, state, timestamp.
- POST /admin/oauth/access_token       code exchange (expiring=1 gives expires_in/refresh_token) and the
                                       refresh grant (rotating tokens); a code works once.
- POST /admin/api/<version>/graphql.json
                                       the `products` connection (first/after/query/sortKey, pageInfo),
                                       cost extensions with a leaky bucket, THROTTLED errors and 429s on
                                       demand; requires a live X-Shopify-Access-Token.
                                       Also webhookSubscriptions / webhookSubscriptionCreate /
                                       webhookSubscriptionDelete (the app's per-shop subscriptions;
                                       `deliver()` sends an event to every subscribed uri).
                                       Also bulk queries (see `_bulk_graphql`): bulkOperationRunQuery over
                                       products (CREATED -> RUNNING -> COMPLETED over `bulk_polls_to_complete`
                                       polls of bulkOperation(id:) / currentBulkOperation), productsCount,
                                       and faults `bulk_denied` / `bulk_fail_code` / `bulk_corrupt_line`.
- GET  /_bulk/<token>.jsonl            a bulk operation's result file (JSONL, children with __parentId).
- GET  /cdn/<handle>.svg               a small generated product image (no network needed).
- /_emulator/...                       control endpoints for other processes (see `_control`).

New stores: with `any_shop`, a *.myshopify.com name the emulator does not know becomes a store of its own
(with a copy of the catalog it was started with) the moment an app asks to be installed on it, so every
person trying `make serve` can connect a store name of their own. With `state_file`, the stores so made
and the tokens issued are kept in a JSON file and read back at start (and whenever an app presents a token
this process did not issue), so a shop connected by `make demo` or before a restart stays connected.
`public_url` is the address written into product image URLs when it differs from where this process
listens (the demo's in-process emulator writes the address `make serve` will serve them at).

Which shop a request is for: real Shopify has one host per shop (https://{shop}). Here all shops share
the emulator's host, so the app sends the shop's domain in the `X-Shopify-Shop-Domain` header on API
calls, and the browser-facing authorize URL carries it as a `shop` query parameter. Without either,
the catalog's own shop is used.

Simplifications, on purpose: GraphQL documents are not parsed; the emulator recognises the `products`
query and answers with whole product nodes (all fields our query selects). The query cost follows
Shopify's rules (an object costs 1, a scalar 0, a connection 2 + first x its node's cost) with a fixed
node cost, `node_cost` (7 for the app's query: the product, featuredMedia.preview.image and
priceRangeV2.min/maxVariantPrice); a query above `max_query_cost` (1000) fails with MAX_COST_EXCEEDED.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from emulators.http import BackgroundServer, send_body
from maatchaa.lib.rfc3339 import format_rfc3339, parse_rfc3339

SHOP_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]*\.myshopify\.com$")
DEFAULT_SHOP = "juniper-pine.myshopify.com"
MAX_PAGE_SIZE = 250
REFRESH_TOKEN_TTL_SECONDS = 90 * 24 * 3600
MAX_LOG_ENTRIES = 10_000
MAX_QUERY_COST = 1000
NODE_COST = 7
# Topics the emulator lets an app subscribe to through the API (a subset of WebhookSubscriptionTopic). The
# compliance topics are not in Shopify's enum: they are configured in shopify.app.toml / the Dev Dashboard.
WEBHOOK_TOPICS = frozenset(
    {
        "APP_UNINSTALLED",
        "PRODUCTS_CREATE",
        "PRODUCTS_UPDATE",
        "PRODUCTS_DELETE",
        "COLLECTIONS_UPDATE",
        "INVENTORY_LEVELS_UPDATE",
        "ORDERS_CREATE",
        "SHOP_UPDATE",
        "BULK_OPERATIONS_FINISH",
    }
)
# Query costs (shopify.dev rate limits): a mutation costs 10; a connection 2 + first x its node (1 here).
MUTATION_COST = 10
LOOPBACK_WEBHOOK_RE = re.compile(r"^http://(127\.0\.0\.1|localhost)(:\d+)?(/|$)")
GRAPHQL_PATH_RE = re.compile(r"^/admin/api/(?P<version>[0-9]{4}-[0-9]{2}|unstable)/graphql\.json$")

# (status code, body, headers) of a webhook POST.
WebhookTransport = Callable[[str, bytes, dict[str, str]], tuple[int, str]]


# --- Signing (written independently of the app's verifier, so a test proves they agree) -------------


def sign_oauth_query(params: dict[str, str], secret: str) -> str:
    """Hex HMAC-SHA256 of the sorted, URL-encoded query (without hmac/signature), as Shopify signs it."""
    pairs = sorted((k, v) for k, v in params.items() if k not in ("hmac", "signature"))
    message = urlencode(pairs).replace("+", "%20")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_query(params: dict[str, str], secret: str) -> str:
    """The query string Shopify would send: the params plus their hmac."""
    return urlencode({**params, "hmac": sign_oauth_query(params, secret)})


def sign_webhook_body(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# --- Catalog --------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def load_catalog(path: str | Path) -> tuple[str, list[dict[str, Any]]]:
    """(shop domain, product nodes) from a catalog file: {"shop": {"domain"}, "products": [...]} or a list."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, list):
        return DEFAULT_SHOP, data
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        raise ValueError(f"{path}: expected a list of product nodes or an object with a 'products' list")
    domain = str((data.get("shop") or {}).get("domain") or DEFAULT_SHOP)
    return domain, data["products"]


def make_products(
    count: int, *, start_id: int = 5_000_000_000_001, updated_at: datetime | None = None
) -> list[dict[str, Any]]:
    """`count` plain product nodes for paging tests (ids ascending, one second apart in updatedAt)."""
    base = updated_at or datetime(2026, 10, 1, tzinfo=UTC)
    nodes = []
    for i in range(count):
        pid = start_id + i
        handle = f"test-product-{pid}"
        nodes.append(
            {
                "id": f"gid://shopify/Product/{pid}",
                "legacyResourceId": str(pid),
                "title": f"Test Product {i + 1}",
                "handle": handle,
                "description": f"Generated product number {i + 1}.",
                "descriptionHtml": f"<p>Generated product number {i + 1}.</p>",
                "productType": "Test",
                "vendor": "Emulator",
                "tags": ["test"],
                "status": "ACTIVE",
                "onlineStoreUrl": None,
                "updatedAt": format_rfc3339(base + timedelta(seconds=i)),
                "featuredMedia": {"preview": {"image": {"url": f"{{base}}/cdn/{handle}.svg", "altText": ""}}},
                "priceRangeV2": {
                    "minVariantPrice": {"amount": "10.00", "currencyCode": "USD"},
                    "maxVariantPrice": {"amount": "10.00", "currencyCode": "USD"},
                },
                "variants": {"nodes": [{"id": f"gid://shopify/ProductVariant/{pid}", "price": "10.00", "sku": ""}]},
            }
        )
    return nodes


def rest_payload(node: dict[str, Any], *, base_url: str = "") -> dict[str, Any]:
    """The REST-shaped webhook payload (products/create, products/update) for a product node."""
    legacy = int(node.get("legacyResourceId") or node["id"].rsplit("/", 1)[-1])
    image = ((node.get("featuredMedia") or {}).get("preview") or {}).get("image") or {}
    src = str(image.get("url") or "").replace("{base}", base_url)
    variants = (node.get("variants") or {}).get("nodes") or []
    return {
        "id": legacy,
        "admin_graphql_api_id": node["id"],
        "title": node.get("title", ""),
        "body_html": node.get("descriptionHtml", ""),
        "vendor": node.get("vendor", ""),
        "product_type": node.get("productType", ""),
        "handle": node.get("handle", ""),
        "created_at": node.get("createdAt", node.get("updatedAt")),
        "updated_at": node.get("updatedAt"),
        "published_at": node.get("updatedAt") if node.get("status") == "ACTIVE" else None,
        "status": str(node.get("status", "ACTIVE")).lower(),
        "tags": ", ".join(node.get("tags") or []),
        "variants": [
            {
                "id": int(str(v.get("id", "0")).rsplit("/", 1)[-1]),
                "product_id": legacy,
                "title": v.get("title", "Default Title"),
                "price": v.get("price", "0.00"),
                "sku": v.get("sku", ""),
            }
            for v in variants
        ],
        "image": {"src": src, "alt": image.get("altText")} if src else None,
        "images": [{"src": src, "alt": image.get("altText")}] if src else [],
    }


# --- State ----------------------------------------------------------------------------------------


@dataclass
class Bucket:
    """Shopify's leaky bucket for one app and shop (points refill at restore_rate per second)."""

    maximum: float = 2000.0
    restore_rate: float = 100.0
    available: float = 2000.0
    updated: float = field(default_factory=time.monotonic)

    def refill(self) -> None:
        now = time.monotonic()
        self.available = min(self.maximum, self.available + (now - self.updated) * self.restore_rate)
        self.updated = now

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available, 1),
            "restoreRate": self.restore_rate,
        }


@dataclass
class EmulatedShop:
    domain: str
    products: list[dict[str, Any]] = field(default_factory=list)
    bucket: Bucket = field(default_factory=Bucket)
    # The app's API-made webhook subscriptions: {"id": gid, "topic": enum, "uri": str}, in creation order.
    webhook_subscriptions: list[dict[str, str]] = field(default_factory=list)

    def find(self, product_id: str | int) -> dict[str, Any] | None:
        key = str(product_id)
        for node in self.products:
            if key in (node["id"], node.get("legacyResourceId"), node.get("handle")):
                return node
        return None


@dataclass
class _Fault:
    kind: str  # "THROTTLED" | "429" | "503"
    retry_after: float
    available: float


@dataclass
class _BulkOperation:
    id: str
    shop: str
    query: str
    group_objects: bool
    created_at: str
    status: str = "CREATED"
    polls: int = 0
    error_code: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    completed_at: str | None = None
    url: str | None = None
    partial_data_url: str | None = None
    file_size: int | None = None

    @property
    def running(self) -> bool:
        return self.status in ("CREATED", "RUNNING")

    def as_node(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "errorCode": self.error_code,
            "createdAt": self.created_at,
            "completedAt": self.completed_at,
            "objectCount": str(self.object_count),
            "rootObjectCount": str(self.root_object_count),
            "fileSize": None if self.file_size is None else str(self.file_size),
            "url": self.url,
            "partialDataUrl": self.partial_data_url,
            "query": self.query,
            "type": "QUERY",
        }


@dataclass
class _Code:
    shop: str
    scope: str
    used: bool = False


@dataclass
class _Token:
    shop: str
    expires_at: float | None
    revoked: bool = False
    issued_at: float = field(default_factory=time.time)


@dataclass
class _Refresh:
    shop: str
    expires_at: float
    # Rotation (API_FACTS §2.3): a refresh token that was exchanged stays valid until the access token
    # it was exchanged for is first used.
    retire_on_use_of: str = ""
    revoked: bool = False


def _admin_host(domain: str) -> str:
    """The `host` parameter Shopify adds for embedded apps: the store's admin address, base64url."""
    return base64.urlsafe_b64encode(f"admin.shopify.com/store/{domain.split('.')[0]}".encode()).decode().rstrip("=")


class ShopifyEmulator:
    """The emulator's state and HTTP server. Start with `.start()`; `.url` is its base URL."""

    # The app's App URL (shopify.app.toml's application_url) below app_url.
    install_path = "/shopify/install"

    def __init__(
        self,
        products: Iterable[dict[str, Any]] = (),
        *,
        shop_domain: str = DEFAULT_SHOP,
        api_key: str = "emulator-api-key",
        api_secret: str = "emulator-api-secret",
        app_url: str = "http://127.0.0.1:8000",
        webhook_path: str = "/shopify/webhooks",
        host: str = "127.0.0.1",
        port: int = 0,
        auto_approve: bool = False,
        access_token_ttl: int = 3600,
        webhook_api_version: str = "2026-10",
        node_cost: int = NODE_COST,
        max_query_cost: int = MAX_QUERY_COST,
        any_shop: bool = False,
        public_url: str = "",
        state_file: str | Path | None = None,
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.app_url = app_url.rstrip("/")
        self.webhook_path = webhook_path
        self.host = host
        self.port = port
        self.auto_approve = auto_approve
        self.access_token_ttl = access_token_ttl
        self.webhook_api_version = webhook_api_version
        self.node_cost = node_cost
        self.max_query_cost = max_query_cost
        self.default_shop = shop_domain
        self.shops: dict[str, EmulatedShop] = {}
        self.requests: list[dict[str, Any]] = []
        self.webhooks_sent: list[dict[str, Any]] = []
        self.refuse_refresh = False
        # Replaced by tests to deliver webhooks through Django's test client instead of HTTP.
        self.webhook_transport: WebhookTransport | None = None
        self._codes: dict[str, _Code] = {}
        self._tokens: dict[str, _Token] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._faults: list[_Fault] = []
        self._next_subscription = 1
        # Bulk operations: a poll of a running one advances it; it finishes at this poll (CREATED -> RUNNING
        # at the first, COMPLETED at the second by default).
        self.bulk_polls_to_complete = 2
        # Faults, until reset: "user_error" or "graphql_error" (the two ways Shopify may deny a bulk query to
        # an app without "Allow bulk queries"); an errorCode the next operations FAIL with; a 1-based line
        # of the result file replaced by garbage.
        self.bulk_denied = ""
        self.bulk_fail_code = ""
        self.bulk_corrupt_line = 0
        self.bulk_operations: dict[str, _BulkOperation] = {}
        self._bulk_files: dict[str, bytes] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._background: BackgroundServer | None = None
        self.any_shop = any_shop
        self.public_url = public_url.rstrip("/")
        self.state_file = Path(state_file) if state_file else None
        self._state_mtime = 0.0
        # What a store made on demand starts with: the catalog as given.
        self.template_products = [copy.deepcopy(p) for p in products]
        self.add_shop(shop_domain, products)
        self._load_state()

    # --- lifecycle ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The emulator is not started.")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def _bind(self) -> BackgroundServer:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self._background = BackgroundServer(self._server, name="shopify-emulator")
        return self._background

    def start(self) -> ShopifyEmulator:
        self._bind().start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the management command); stop with KeyboardInterrupt or .stop()."""
        self._bind().serve_forever()

    def stop(self) -> None:
        if self._background is not None:
            self._background.stop()
            self._background = None

    # --- catalog controls ---------------------------------------------------------------------------

    def add_shop(self, domain: str, products: Iterable[dict[str, Any]] = ()) -> EmulatedShop:
        if not SHOP_RE.fullmatch(domain):
            raise ValueError(f"Not a *.myshopify.com domain: {domain!r}")
        with self._lock:
            shop = EmulatedShop(domain=domain, products=[copy.deepcopy(p) for p in products])
            self.shops[domain] = shop
            return shop

    def shop(self, domain: str | None = None) -> EmulatedShop:
        domain = domain or self.default_shop
        try:
            return self.shops[domain]
        except KeyError:
            raise KeyError(f"No shop {domain!r} in this emulator") from None

    def ensure_shop(self, domain: str) -> bool:
        """Whether `domain` is a store here; with `any_shop`, an unknown *.myshopify.com name becomes one
        (with the starting catalog) and is remembered in the state file."""
        with self._lock:
            if domain in self.shops:
                return True
            if not self.any_shop or not SHOP_RE.fullmatch(domain):
                return False
            self.add_shop(domain, self.template_products)
            self._save_state()
            return True

    # --- the state file (stores made on demand, tokens issued) ----------------------------------------

    def _load_state(self) -> None:
        """Merge the state file into memory: its stores, and its tokens that are not older than the newest
        token this process knows for the same store (one access token per app and store is live)."""
        if self.state_file is None:
            return
        try:
            self._state_mtime = self.state_file.stat().st_mtime
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict):
            return
        with self._lock:
            for domain in data.get("shops") or []:
                if isinstance(domain, str) and SHOP_RE.fullmatch(domain) and domain not in self.shops:
                    self.add_shop(domain, self.template_products)
            for token, info in (data.get("tokens") or {}).items():
                if token in self._tokens or not isinstance(info, dict) or info.get("shop") not in self.shops:
                    continue
                issued = float(info.get("issued_at") or 0)
                newer = [t for t in self._tokens.values() if t.shop == info["shop"] and t.issued_at > issued]
                if newer:
                    continue
                for other in self._tokens.values():
                    if other.shop == info["shop"]:
                        other.revoked = True
                expires = info.get("expires_at")
                self._tokens[token] = _Token(
                    shop=info["shop"], expires_at=None if expires is None else float(expires), issued_at=issued
                )
            for token, info in (data.get("refresh") or {}).items():
                if token in self._refresh or not isinstance(info, dict) or info.get("shop") not in self.shops:
                    continue
                self._refresh[token] = _Refresh(
                    shop=info["shop"],
                    expires_at=float(info.get("expires_at") or 0),
                    retire_on_use_of=str(info.get("retire_on_use_of") or ""),
                )

    def _reload_state_if_changed(self) -> None:
        if self.state_file is None:
            return
        try:
            changed = self.state_file.stat().st_mtime != self._state_mtime
        except OSError:
            return
        if changed:
            self._load_state()

    def _save_state(self) -> None:
        """Write what this process knows, merged with what another process wrote meanwhile."""
        if self.state_file is None:
            return
        with self._lock:
            self._load_state()
            data = {
                "shops": sorted(d for d in self.shops if d != self.default_shop),
                "tokens": {
                    token: {"shop": info.shop, "expires_at": info.expires_at, "issued_at": info.issued_at}
                    for token, info in self._tokens.items()
                    if not info.revoked
                },
                "refresh": {
                    token: {"shop": info.shop, "expires_at": info.expires_at, "retire_on_use_of": info.retire_on_use_of}
                    for token, info in self._refresh.items()
                    if not info.revoked and info.expires_at > time.time()
                },
            }
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.state_file.with_name(f".{self.state_file.name}.{uuid.uuid4().hex}")
            temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
            temporary.replace(self.state_file)
            self._state_mtime = self.state_file.stat().st_mtime

    def _image_base(self) -> str:
        return self.public_url or self._base_or_blank()

    def _bump(self, shop: EmulatedShop) -> str:
        """A fresh updatedAt: now, and always after every stamp already in the shop (incremental sync relies on it)."""
        latest = max((parse_rfc3339(p["updatedAt"]) for p in shop.products if p.get("updatedAt")), default=None)
        moment = _now()
        if latest is not None and moment <= latest:
            moment = latest + timedelta(seconds=1)
        return format_rfc3339(moment)

    def add_product(self, node: dict[str, Any], *, shop: str | None = None) -> dict[str, Any]:
        with self._lock:
            target = self.shop(shop)
            created = copy.deepcopy(node)
            created["updatedAt"] = self._bump(target)
            target.products.append(created)
            return copy.deepcopy(created)

    def update_product(self, product_id: str | int, *, shop: str | None = None, **fields: Any) -> dict[str, Any]:
        """Change fields of a product and bump its updatedAt; returns the new node."""
        with self._lock:
            target = self.shop(shop)
            node = target.find(product_id)
            if node is None:
                raise KeyError(f"No product {product_id!r} in {target.domain}")
            node.update(copy.deepcopy(fields))
            node["updatedAt"] = self._bump(target)
            return copy.deepcopy(node)

    def delete_product(self, product_id: str | int, *, shop: str | None = None) -> dict[str, Any]:
        with self._lock:
            target = self.shop(shop)
            node = target.find(product_id)
            if node is None:
                raise KeyError(f"No product {product_id!r} in {target.domain}")
            target.products.remove(node)
            return node

    def product(self, product_id: str | int, *, shop: str | None = None) -> dict[str, Any]:
        node = self.shop(shop).find(product_id)
        if node is None:
            raise KeyError(f"No product {product_id!r}")
        return copy.deepcopy(node)

    # --- fault and token controls -------------------------------------------------------------------

    def throttle(
        self, kind: str = "THROTTLED", *, times: int = 1, retry_after: float = 1.0, available: float = 0.0
    ) -> None:
        """The next `times` GraphQL calls fail: "THROTTLED" (200 with the error code and a bucket holding
        `available` points), "429" (with Retry-After: `retry_after`) or "503"."""
        if kind not in ("THROTTLED", "429", "503"):
            raise ValueError("kind must be THROTTLED, 429 or 503")
        with self._lock:
            self._faults.extend(_Fault(kind, retry_after, available) for _ in range(times))

    def set_bucket(
        self,
        *,
        maximum: float | None = None,
        restore_rate: float | None = None,
        available: float | None = None,
        shop: str | None = None,
    ) -> None:
        with self._lock:
            bucket = self.shop(shop).bucket
            bucket.refill()
            if maximum is not None:
                bucket.maximum = maximum
            if restore_rate is not None:
                bucket.restore_rate = restore_rate
            if available is not None:
                bucket.available = available

    def expire_access_tokens(self, shop: str | None = None) -> int:
        """Make every access token of the shop answer 401 (as after expiry or a revocation)."""
        domain = shop or self.default_shop
        with self._lock:
            count = 0
            for token in self._tokens.values():
                if token.shop == domain and not token.revoked:
                    token.revoked = True
                    count += 1
            return count

    def issue_code(self, shop: str | None = None, scope: str = "read_products") -> str:
        """An authorization code as the approve step would issue (for tests that build callbacks themselves)."""
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = _Code(shop=shop or self.default_shop, scope=scope)
        return code

    def install_url(self, shop: str | None = None, *, timestamp: int | None = None, secret: str | None = None) -> str:
        """Where Shopify sends the merchant's browser when they install the app from the App Store or open
        it from the store's admin: the App URL with a signed query (hmac, host, shop, timestamp)."""
        domain = shop or self.default_shop
        params = {
            "host": _admin_host(domain),
            "shop": domain,
            "timestamp": str(int(time.time()) if timestamp is None else timestamp),
        }
        return f"{self.app_url}{self.install_path}?{signed_query(params, secret or self.api_secret)}"

    def callback_query(
        self,
        *,
        state: str,
        shop: str | None = None,
        code: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> str:
        """A signed callback query string (code, hmac, host, shop, state, timestamp)."""
        domain = shop or self.default_shop
        params = {
            "code": code if code is not None else self.issue_code(domain),
            "host": _admin_host(domain),
            "shop": domain,
            "state": state,
            "timestamp": str(int(time.time()) if timestamp is None else timestamp),
        }
        return signed_query(params, secret or self.api_secret)

    def grant_tokens(self, shop: str | None = None, *, scope: str = "read_products") -> dict[str, Any]:
        """Issue an expiring token pair as a completed install would (for tests starting from a connected shop)."""
        with self._lock:
            return self._issue_tokens(shop or self.default_shop, scope, expiring=True)

    def tokens_for(self, shop: str | None = None) -> list[str]:
        domain = shop or self.default_shop
        with self._lock:
            return [t for t, info in self._tokens.items() if info.shop == domain and not info.revoked]

    def graphql_calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if r["kind"] == "graphql"]

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.webhooks_sent.clear()

    # --- webhooks -----------------------------------------------------------------------------------

    def webhook(
        self,
        topic: str,
        payload: dict[str, Any],
        *,
        shop: str | None = None,
        forged: bool = False,
        webhook_id: str | None = None,
        triggered_at: datetime | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a delivery, signed with the app's secret (or forged)."""
        body = json.dumps(payload).encode()
        secret = ("forged-" + secrets.token_hex(8)) if forged else self.api_secret
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-SHA256": sign_webhook_body(body, secret),
            "X-Shopify-Shop-Domain": shop or self.default_shop,
            "X-Shopify-API-Version": self.webhook_api_version,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": (triggered_at or datetime.now(UTC))
            .astimezone(UTC)
            .isoformat()
            .replace("+00:00", "Z"),
        }
        return body, headers

    def send_webhook(
        self,
        topic: str,
        payload: dict[str, Any],
        *,
        forged: bool = False,
        shop: str | None = None,
        webhook_id: str | None = None,
        triggered_at: datetime | None = None,
    ) -> tuple[int, str]:
        """Deliver a webhook to the app (through `webhook_transport`, else HTTP to app_url + webhook_path)."""
        body, headers = self.webhook(
            topic, payload, shop=shop, forged=forged, webhook_id=webhook_id, triggered_at=triggered_at
        )
        url = self.app_url + self.webhook_path
        transport = self.webhook_transport or _http_post
        status, text = transport(url, body, headers)
        with self._lock:
            self.webhooks_sent.append(
                {"topic": topic, "forged": forged, "status": status, "webhook_id": headers["X-Shopify-Webhook-Id"]}
            )
        return status, text

    def product_payload(self, product_id: str | int, *, shop: str | None = None) -> dict[str, Any]:
        """REST-shaped products/create|update payload for a product in the catalog."""
        return rest_payload(self.product(product_id, shop=shop), base_url=self._image_base())

    def _base_or_blank(self) -> str:
        return self.url if self._server is not None else ""

    # --- webhook subscriptions (the app's, made through the GraphQL API) -----------------------------

    def subscribe(self, topic: str, uri: str, *, shop: str | None = None) -> dict[str, str]:
        """Add a subscription as webhookSubscriptionCreate would, without its checks (a test's starting
        point, e.g. one left behind at an old address)."""
        with self._lock:
            return self._add_subscription(self.shop(shop), _topic_enum(topic), uri)

    def _add_subscription(self, shop: EmulatedShop, topic: str, uri: str) -> dict[str, str]:
        subscription = {
            "id": f"gid://shopify/WebhookSubscription/{self._next_subscription}",
            "topic": topic,
            "uri": uri,
        }
        self._next_subscription += 1
        shop.webhook_subscriptions.append(subscription)
        return dict(subscription)

    def subscriptions(self, shop: str | None = None) -> list[dict[str, str]]:
        with self._lock:
            return [dict(s) for s in self.shop(shop).webhook_subscriptions]

    def deliver(
        self, topic: str, payload: dict[str, Any], *, shop: str | None = None, triggered_at: datetime | None = None
    ) -> list[tuple[str, int, str]]:
        """Send `payload` as Shopify would for an event: one signed delivery (its own X-Shopify-Webhook-Id)
        to every subscription of the shop for `topic` ("products/update" or PRODUCTS_UPDATE). Returns
        (uri, status, body) per delivery; nothing is sent when nobody subscribed."""
        domain = shop or self.default_shop
        wanted = _topic_enum(topic)
        with self._lock:
            targets = [s["uri"] for s in self.shop(domain).webhook_subscriptions if s["topic"] == wanted]
        header_topic = _topic_header(wanted)
        results = []
        for uri in targets:
            body, headers = self.webhook(header_topic, payload, shop=domain, triggered_at=triggered_at)
            status, text = (self.webhook_transport or _http_post)(uri, body, headers)
            with self._lock:
                self.webhooks_sent.append(
                    {
                        "topic": header_topic,
                        "forged": False,
                        "status": status,
                        "url": uri,
                        "webhook_id": headers["X-Shopify-Webhook-Id"],
                    }
                )
            results.append((uri, status, text))
        return results

    def _graphql_webhook_subscriptions(
        self, shop: EmulatedShop, payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """webhookSubscriptions(first:) { nodes { id topic uri } }, webhookSubscriptionCreate(topic:,
        webhookSubscription: {uri:, format:}) and webhookSubscriptionDelete(id:). Variables as the app
        sends them ($first, $topic, $uri, $id); the document itself is only searched for the field name."""
        query = str(payload.get("query") or "")
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return (
                200,
                {"errors": [{"message": "variables must be an object", "extensions": {"code": "BAD_REQUEST"}}]},
                {},
            )
        if "webhookSubscriptionCreate" in query or "webhookSubscriptionDelete" in query:
            requested = MUTATION_COST
        else:
            first = variables.get("first")
            if not isinstance(first, int) or not 1 <= first <= MAX_PAGE_SIZE:
                return (
                    200,
                    {
                        "errors": [
                            {
                                "message": f"webhookSubscriptions: first must be 1..{MAX_PAGE_SIZE}",
                                "extensions": {"code": "BAD_REQUEST"},
                            }
                        ]
                    },
                    {},
                )
            requested = 2 + first
        with self._lock:
            bucket = shop.bucket
            if (throttled := _throttled(bucket, requested)) is not None:
                return throttled
            if "webhookSubscriptionCreate" in query:
                data = {"webhookSubscriptionCreate": self._create_subscription(shop, variables)}
                actual = requested
            elif "webhookSubscriptionDelete" in query:
                data = {"webhookSubscriptionDelete": self._delete_subscription(shop, variables)}
                actual = requested
            else:
                nodes = [dict(s) for s in shop.webhook_subscriptions[: variables["first"]]]
                data = {"webhookSubscriptions": {"nodes": nodes}}
                actual = 2 + len(nodes)
            bucket.available -= actual
            return (
                200,
                {
                    "data": data,
                    "extensions": {
                        "cost": {
                            "requestedQueryCost": requested,
                            "actualQueryCost": actual,
                            "throttleStatus": bucket.status(),
                        }
                    },
                },
                {},
            )

    def _create_subscription(self, shop: EmulatedShop, variables: dict[str, Any]) -> dict[str, Any]:
        topic = str(variables.get("topic") or "")
        uri = str(variables.get("uri") or "")

        def refused(field_name: list[str], message: str) -> dict[str, Any]:
            return {"webhookSubscription": None, "userErrors": [{"field": field_name, "message": message}]}

        if topic not in WEBHOOK_TOPICS:
            return refused(["topic"], f"Topic {topic!r} is not a webhook subscription topic")
        parts = urlsplit(uri)
        if not parts.netloc or not (parts.scheme == "https" or LOOPBACK_WEBHOOK_RE.match(uri)):
            return refused(
                ["webhookSubscription", "uri"],
                "Address protocol http:// is not supported" if parts.scheme == "http" else "Address is invalid",
            )
        if any(s["topic"] == topic and s["uri"] == uri for s in shop.webhook_subscriptions):
            return refused(["webhookSubscription", "uri"], "Address for this topic has already been taken")
        return {"webhookSubscription": self._add_subscription(shop, topic, uri), "userErrors": []}

    def _delete_subscription(self, shop: EmulatedShop, variables: dict[str, Any]) -> dict[str, Any]:
        gid = str(variables.get("id") or "")
        for subscription in shop.webhook_subscriptions:
            if subscription["id"] == gid:
                shop.webhook_subscriptions.remove(subscription)
                return {"deletedWebhookSubscriptionId": gid, "userErrors": []}
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
        }

    # --- request handling (called by _Handler) ------------------------------------------------------

    def _log(self, **entry: Any) -> None:
        with self._lock:
            self.requests.append({"at": time.time(), **entry})
            # A long-running dev emulator must not grow without bound; tests read far fewer.
            if len(self.requests) > MAX_LOG_ENTRIES:
                del self.requests[: len(self.requests) - MAX_LOG_ENTRIES]

    def _issue_tokens(self, shop: str, scope: str, *, expiring: bool) -> dict[str, Any]:
        access = "shpat_" + secrets.token_hex(16)
        # Only one expiring token is active per app and shop (API_FACTS §2.3).
        for token in self._tokens.values():
            if token.shop == shop:
                token.revoked = True
        expires_at = time.time() + self.access_token_ttl if expiring else None
        self._tokens[access] = _Token(shop=shop, expires_at=expires_at)
        body: dict[str, Any] = {"access_token": access, "scope": scope}
        if expiring:
            refresh = "shprt_" + secrets.token_hex(16)
            self._refresh[refresh] = _Refresh(shop=shop, expires_at=time.time() + REFRESH_TOKEN_TTL_SECONDS)
            body.update(
                expires_in=self.access_token_ttl,
                refresh_token=refresh,
                refresh_token_expires_in=REFRESH_TOKEN_TTL_SECONDS,
            )
        self._save_state()
        return body

    def _token_grant(self, data: dict[str, Any], shop: str = "") -> tuple[int, dict[str, Any]]:
        if data.get("client_id") != self.api_key or not hmac.compare_digest(
            str(data.get("client_secret", "")), self.api_secret
        ):
            return 401, {"error": "invalid_client", "error_description": "Client credentials are invalid"}
        with self._lock:
            if data.get("grant_type") == "refresh_token":
                if str(data.get("refresh_token", "")) not in self._refresh:
                    self._reload_state_if_changed()
                old = self._refresh.get(str(data.get("refresh_token", "")))
                if self.refuse_refresh or old is None or old.revoked or old.expires_at < time.time():
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "The refresh token is invalid or expired",
                    }
                body = self._issue_tokens(old.shop, "read_products", expiring=True)
                old.retire_on_use_of = body["access_token"]
                return 200, body
            code = self._codes.get(str(data.get("code", "")))
            if code is not None and shop and shop != code.shop:
                # A code is only good at the shop that issued it (on Shopify: that shop's own host).
                return 400, {
                    "error": "invalid_request",
                    "error_description": "The authorization code is for another shop",
                }
            if code is None or code.used:
                return 400, {
                    "error": "invalid_request",
                    "error_description": "The authorization code was not found or was already used",
                }
            code.used = True
            expiring = str(data.get("expiring", "0")) in ("1", "true", "True")
            return 200, self._issue_tokens(code.shop, code.scope, expiring=expiring)

    def _use_access_token(self, token: str, shop: str) -> bool:
        with self._lock:
            if token not in self._tokens:
                self._reload_state_if_changed()
            info = self._tokens.get(token)
            if info is None or info.revoked or info.shop != shop:
                return False
            if info.expires_at is not None and info.expires_at < time.time():
                return False
            # First use of a new pair retires the refresh token it was exchanged for.
            for refresh in self._refresh.values():
                if refresh.retire_on_use_of == token:
                    refresh.revoked = True
            return True

    def _graphql(self, shop: EmulatedShop, payload: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if "webhookSubscription" in str(payload.get("query") or ""):
            return self._graphql_webhook_subscriptions(shop, payload)
        if _root_field(str(payload.get("query") or "")) in BULK_ROOT_FIELDS:
            return self._bulk_graphql(shop, payload)
        query = str(payload.get("query") or "")
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict) or "products" not in query:
            return (
                200,
                {
                    "errors": [
                        {
                            "message": "The emulator answers only the products query.",
                            "extensions": {"code": "BAD_REQUEST"},
                        }
                    ]
                },
                {},
            )
        first = variables.get("first")
        if first is None:
            literal = re.search(r"products\s*\(\s*[^)]*first\s*:\s*(\d+)", query)
            first = int(literal.group(1)) if literal else None
        if not isinstance(first, int) or first < 1:
            return (
                200,
                {
                    "errors": [
                        {
                            "message": "products: you must provide one of first or last",
                            "extensions": {"code": "BAD_REQUEST"},
                        }
                    ]
                },
                {},
            )
        if first > MAX_PAGE_SIZE:
            return (
                200,
                {
                    "errors": [
                        {
                            "message": f"products: first must be at most {MAX_PAGE_SIZE}, got {first}",
                            "extensions": {"code": "BAD_REQUEST"},
                        }
                    ]
                },
                {},
            )
        after = variables.get("after")
        search = variables.get("q", variables.get("query")) or ""
        sort_match = re.search(r"sortKey\s*:\s*([A-Z_]+)", query)
        sort_key = sort_match.group(1) if sort_match else "ID"
        requested = 2 + first * self.node_cost
        if requested > self.max_query_cost:
            return (
                200,
                {
                    "errors": [
                        {
                            "message": f"Query cost is {requested}, which exceeds the single query max cost limit "
                            f"({self.max_query_cost}).",
                            "extensions": {
                                "code": "MAX_COST_EXCEEDED",
                                "cost": requested,
                                "maxCost": self.max_query_cost,
                                "documentation": "https://shopify.dev/api/usage/limits#rate-limits",
                            },
                        }
                    ]
                },
                {},
            )

        with self._lock:
            if self._faults:
                fault = self._faults.pop(0)
                shop.bucket.refill()
                status = {**shop.bucket.status(), "currentlyAvailable": fault.available}
                if fault.kind == "429":
                    return 429, {"errors": "Throttled"}, {"Retry-After": f"{fault.retry_after:g}"}
                if fault.kind == "503":
                    return 503, {"errors": "Service unavailable"}, {"Retry-After": f"{fault.retry_after:g}"}
                return (
                    200,
                    {
                        "errors": [
                            {
                                "message": "Throttled",
                                "extensions": {
                                    "code": "THROTTLED",
                                    "documentation": "https://shopify.dev/api/usage/limits#rate-limits",
                                },
                            }
                        ],
                        "extensions": {
                            "cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": status}
                        },
                    },
                    {},
                )
            bucket = shop.bucket
            if (throttled := _throttled(bucket, requested)) is not None:
                return throttled
            try:
                nodes = _filter(shop.products, str(search))
            except ValueError as exc:
                return 200, {"errors": [{"message": str(exc), "extensions": {"code": "BAD_REQUEST"}}]}, {}
            nodes = _sort(nodes, sort_key)
            if after:
                try:
                    position = _decode_cursor(str(after))
                except ValueError:
                    return 200, {"errors": [{"message": "Invalid cursor", "extensions": {"code": "BAD_REQUEST"}}]}, {}
                nodes = [n for n in nodes if _sort_value(n, sort_key) > position]
            page = nodes[:first]
            has_next = len(nodes) > first
            actual = 2 + len(page) * self.node_cost
            bucket.available -= actual
            base = self._image_base()
            out = [_render(n, base) for n in page]
            end_cursor = _encode_cursor(_sort_value(page[-1], sort_key)) if page else None
            body = {
                "data": {"products": {"pageInfo": {"hasNextPage": has_next, "endCursor": end_cursor}, "nodes": out}},
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": actual,
                        "throttleStatus": bucket.status(),
                    }
                },
            }
            return 200, body, {}

    # --- bulk operations (API_FACTS §2.8) -----------------------------------------------------------

    def _bulk_graphql(self, shop: EmulatedShop, payload: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """bulkOperationRunQuery, bulkOperation(id:), currentBulkOperation and productsCount."""
        query = str(payload.get("query") or "")
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return (
                200,
                {"errors": [{"message": "variables must be an object", "extensions": {"code": "BAD_REQUEST"}}]},
                {},
            )
        root = _root_field(query)
        cost = {
            "cost": {
                "requestedQueryCost": 10 if root == "bulkOperationRunQuery" else 1,
                "actualQueryCost": 10 if root == "bulkOperationRunQuery" else 1,
                "throttleStatus": shop.bucket.status(),
            }
        }
        with self._lock:
            if root == "productsCount":
                # Shopify counts up to `limit` (10,000 by default) and says AT_LEAST beyond it.
                count = len(shop.products)
                return (
                    200,
                    {
                        "data": {
                            "productsCount": {
                                "count": min(count, 10_000),
                                "precision": "EXACT" if count <= 10_000 else "AT_LEAST",
                            }
                        },
                        "extensions": cost,
                    },
                    {},
                )
            if root == "bulkOperationRunQuery":
                return 200, {**self._run_bulk_query(shop, query, variables), "extensions": cost}, {}
            if root == "currentBulkOperation":
                mine = [op for op in self.bulk_operations.values() if op.shop == shop.domain]
                current = self._advance(shop, mine[-1]) if mine else None
                return 200, {"data": {"currentBulkOperation": current}, "extensions": cost}, {}
            operation_id = variables.get("id")
            if operation_id is None:
                literal = re.search(r'bulkOperation\s*\(\s*id\s*:\s*"([^"]+)"', query)
                operation_id = literal.group(1) if literal else None
            operation = self.bulk_operations.get(str(operation_id))
            if operation is None or operation.shop != shop.domain:
                return 200, {"data": {"bulkOperation": None}, "extensions": cost}, {}
            return 200, {"data": {"bulkOperation": self._advance(shop, operation)}, "extensions": cost}, {}

    def _run_bulk_query(self, shop: EmulatedShop, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        def refused(code: str, message: str) -> dict[str, Any]:
            return {
                "data": {
                    "bulkOperationRunQuery": {
                        "bulkOperation": None,
                        "userErrors": [
                            {"field": ["query"] if code == "INVALID" else None, "message": message, "code": code}
                        ],
                    }
                }
            }

        if self.bulk_denied == "graphql_error":
            return {
                "data": {"bulkOperationRunQuery": None},
                "errors": [
                    {
                        "message": "Access denied for bulkOperationRunQuery field. Enable bulk queries for this app in the "
                        "Partner Dashboard.",
                        "extensions": {
                            "code": "ACCESS_DENIED",
                            "documentation": "https://shopify.dev/changelog/apps-must-enable-bulk-operations-before-use",
                        },
                        "path": ["bulkOperationRunQuery"],
                    }
                ],
            }
        if self.bulk_denied:
            return refused(
                "ACCESS_DENIED",
                "Access denied: this app may not run bulk queries. Enable "
                '"Allow bulk queries" in the Partner Dashboard.',
            )
        inner = variables.get("query")
        if inner is None:
            literal = re.search(r'query\s*:\s*"""(.*?)"""', query, re.S)
            inner = literal.group(1) if literal else None
        if not isinstance(inner, str) or not re.search(r"\bproducts\b[^{]*\{\s*edges\s*\{\s*node", inner):
            return refused("INVALID", "The emulator runs bulk queries over `products { edges { node { ... } } }` only.")
        grouped = variables.get("groupObjects")
        if grouped is None:
            literal = re.search(r"groupObjects\s*:\s*(true|false)", query)
            grouped = literal is not None and literal.group(1) == "true"  # false by default since 2026-07
        running = [op for op in self.bulk_operations.values() if op.shop == shop.domain and op.running]
        if running:
            return refused(
                "OPERATION_IN_PROGRESS",
                f"A bulk query operation for this app and shop is already in progress: {running[0].id}.",
            )
        operation = _BulkOperation(
            id=f"gid://shopify/BulkOperation/{len(self.bulk_operations) + 1}",
            shop=shop.domain,
            query=inner,
            group_objects=bool(grouped),
            created_at=format_rfc3339(_now()),
        )
        self.bulk_operations[operation.id] = operation
        return {"data": {"bulkOperationRunQuery": {"bulkOperation": operation.as_node(), "userErrors": []}}}

    def _advance(self, shop: EmulatedShop, operation: _BulkOperation) -> dict[str, Any]:
        """One poll: a running operation moves on (RUNNING, then finished at `bulk_polls_to_complete`)."""
        if operation.running:
            operation.polls += 1
            rows = _bulk_rows(shop.products, operation.query, grouped=operation.group_objects, base=self._image_base())
            if operation.polls < self.bulk_polls_to_complete:
                operation.status = "RUNNING"
                operation.object_count = len(rows) * operation.polls // self.bulk_polls_to_complete
                operation.root_object_count = (
                    sum(1 for r in rows if "__parentId" not in r) * operation.polls // self.bulk_polls_to_complete
                )
            else:
                self._finish(operation, rows)
        return operation.as_node()

    def _finish(self, operation: _BulkOperation, rows: list[dict[str, Any]]) -> None:
        operation.completed_at = format_rfc3339(_now())
        lines = [json.dumps(r, separators=(",", ":")) for r in rows]
        if self.bulk_fail_code:
            # A failed operation may leave what it read so far behind partialDataUrl.
            operation.status = "FAILED"
            operation.error_code = self.bulk_fail_code
            half = lines[: len(lines) // 2]
            operation.object_count = len(half)
            operation.partial_data_url = self._store_bulk_file(half) if half else None
            return
        if self.bulk_corrupt_line and lines:
            lines[min(self.bulk_corrupt_line, len(lines)) - 1] = '{"id": "gid://shopify/Product/1", "title": '
        operation.status = "COMPLETED"
        operation.object_count = len(rows)
        operation.root_object_count = sum(1 for r in rows if "__parentId" not in r)
        # Shopify gives no file when nothing matched.
        operation.url = self._store_bulk_file(lines) if lines else None
        operation.file_size = len(("\n".join(lines) + "\n").encode()) if lines else None

    def _store_bulk_file(self, lines: list[str]) -> str:
        token = secrets.token_urlsafe(16)
        self._bulk_files[token] = ("\n".join(lines) + "\n").encode()
        return f"{self._base_or_blank()}/_bulk/{token}.jsonl"


# --- bulk helpers ------------------------------------------------------------------------------------

BULK_ROOT_FIELDS = ("bulkOperationRunQuery", "bulkOperation", "currentBulkOperation", "productsCount")
# The connections of a product node the emulator can emit as child rows, by field name.
BULK_CHILD_CONNECTIONS = ("variants",)


def _root_field(query: str) -> str:
    """The first field of a GraphQL document's selection (past `query Name($x: T) {`), e.g. "products"."""
    body = query.split("{", 1)[1] if "{" in query else query
    match = re.match(r"\s*(\w+)", body)
    return match.group(1) if match else ""


def _bulk_rows(products: list[dict[str, Any]], query: str, *, grouped: bool, base: str) -> list[dict[str, Any]]:
    """The rows of a bulk products file as Shopify writes them: one per product without its connections,
    one per connection node with `__parentId`; grouped, each product's children right below it,
    otherwise (as ungrouped files may be) all products first."""
    parents: list[dict[str, Any]] = []
    children: list[list[dict[str, Any]]] = []
    for node in _sort(products, "ID"):
        rendered = _render(node, base)
        kids: list[dict[str, Any]] = []
        for name in BULK_CHILD_CONNECTIONS:
            connection = rendered.pop(name, None) or {}
            if re.search(rf"\b{name}\b", query):
                kids.extend({**child, "__parentId": rendered["id"]} for child in connection.get("nodes") or [])
        parents.append(rendered)
        children.append(kids)
    if grouped:
        return [row for parent, kids in zip(parents, children, strict=True) for row in (parent, *kids)]
    return [*parents, *(row for kids in children for row in kids)]


def _throttled(bucket: Bucket, requested: float) -> tuple[int, dict[str, Any], dict[str, str]] | None:
    """Shopify's THROTTLED answer when the bucket cannot pay `requested` now (the caller holds the lock)."""
    bucket.refill()
    if requested <= bucket.available:
        return None
    return (
        200,
        {
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {
                "cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": bucket.status()}
            },
        },
        {},
    )


# --- products query helpers --------------------------------------------------------------------------

_TERM_RE = re.compile(r"(?P<field>\w+):(?P<op>>=|<=|>|<|)?'?(?P<value>[^'\s]+)'?")


def _filter(nodes: list[dict[str, Any]], search: str) -> list[dict[str, Any]]:
    """Shopify search syntax, the parts the app uses: updated_at with comparators, status, handle."""
    result = list(nodes)
    for term in re.split(r"\s+(?:AND\s+)?", search.strip()) if search.strip() else []:
        match = _TERM_RE.fullmatch(term)
        if match is None:
            raise ValueError(f"Unsupported search term {term!r}")
        name, op, value = match["field"], match["op"] or "", match["value"]
        if name == "updated_at":
            moment = parse_rfc3339(value)
            compare = {
                ">": lambda a: a > moment,
                ">=": lambda a: a >= moment,
                "<": lambda a: a < moment,
                "<=": lambda a: a <= moment,
                "": lambda a: a == moment,
            }[op]
            result = [n for n in result if compare(parse_rfc3339(n["updatedAt"]))]
        elif name == "status":
            wanted = {v.upper() for v in value.split(",")}
            result = [n for n in result if str(n.get("status", "")).upper() in wanted]
        elif name == "handle":
            result = [n for n in result if n.get("handle") == value]
        else:
            raise ValueError(f"Unsupported search field {name!r}")
    return result


def _topic_enum(topic: str) -> str:
    """products/update -> PRODUCTS_UPDATE (an enum passes through)."""
    return topic.strip().upper().replace("/", "_")


def _topic_header(topic: str) -> str:
    """PRODUCTS_UPDATE -> products/update, INVENTORY_LEVELS_UPDATE -> inventory_levels/update (X-Shopify-Topic)."""
    resource, _, action = topic.lower().rpartition("_")
    return f"{resource}/{action}" if resource else action


def _numeric_id(node: dict[str, Any]) -> int:
    return int(str(node["id"]).rsplit("/", 1)[-1])


def _sort_value(node: dict[str, Any], sort_key: str) -> tuple[str, int]:
    if sort_key == "UPDATED_AT":
        return (format_rfc3339(parse_rfc3339(node["updatedAt"])), _numeric_id(node))
    if sort_key == "TITLE":
        return (str(node.get("title", "")), _numeric_id(node))
    return ("", _numeric_id(node))


def _sort(nodes: list[dict[str, Any]], sort_key: str) -> list[dict[str, Any]]:
    return sorted(nodes, key=lambda n: _sort_value(n, sort_key))


def _encode_cursor(value: tuple[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(value)).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return (str(raw[0]), int(raw[1]))
    except Exception as exc:  # any malformed cursor is the caller's error, not ours
        raise ValueError("invalid cursor") from exc


def _render(node: dict[str, Any], base: str) -> dict[str, Any]:
    out = copy.deepcopy(node)
    media = ((out.get("featuredMedia") or {}).get("preview") or {}).get("image")
    if media and isinstance(media.get("url"), str):
        media["url"] = media["url"].replace("{base}", base)
    return out


def _svg(handle: str) -> bytes:
    digest = hashlib.sha256(handle.encode()).hexdigest()
    hue = int(digest[:4], 16) % 360
    label = html.escape(handle.replace("-", " ").title()[:40])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600">'
        f'<rect width="600" height="600" fill="hsl({hue},45%,88%)"/>'
        f'<circle cx="300" cy="260" r="150" fill="hsl({hue},45%,55%)"/>'
        f'<text x="300" y="520" font-family="sans-serif" font-size="30" text-anchor="middle" '
        f'fill="hsl({hue},40%,25%)">{label}</text></svg>'
    ).encode()


def _http_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    from maatchaa.lib.http import make_session  # the project's one way out (Django-free)

    # No retries: a failed delivery is the test's or operator's signal, as Shopify's would be.
    session = make_session(timeout=10, retries=0)
    response = session.post(url, data=body, headers=headers)
    return response.status_code, response.text


# --- HTTP handler ------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    emulator: ShopifyEmulator
    server_version = "ShopifyEmulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        pass  # the request log (emulator.requests) replaces stderr noise

    # helpers
    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        send_body(self, status, json.dumps(data).encode(), "application/json; charset=utf-8", headers)

    def _html(self, status: int, text: str) -> None:
        send_body(self, status, text.encode(), "text/html; charset=utf-8")

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _body_data(self) -> dict[str, Any]:
        raw = self._body()
        if not raw:
            return {}
        if "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            return dict(parse_qsl(raw.decode(), keep_blank_values=True))
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def _shop_domain(self, query: dict[str, str]) -> str:
        return self.headers.get("X-Shopify-Shop-Domain") or query.get("shop") or self.emulator.default_shop

    # routes
    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path == "/admin/oauth/authorize":
            return self._authorize(query)
        if parts.path == "/admin/apps/install":
            # The App Store's Install button: Shopify opens the App URL, signed, for the chosen store.
            domain = self._shop_domain(query)
            if not self.emulator.ensure_shop(domain):
                return self._html(404, f"<h1>There is no store {html.escape(domain)} in this emulator.</h1>")
            self.emulator._log(kind="install", method="GET", path=parts.path, status=302, shop=domain)
            return self._redirect(self.emulator.install_url(domain))
        if parts.path.startswith("/_bulk/") and parts.path.endswith(".jsonl"):
            content = self.emulator._bulk_files.get(parts.path[len("/_bulk/") : -len(".jsonl")])
            # Shopify's file sits in cloud storage behind a signed URL: a client must not send it the shop's token.
            self.emulator._log(
                kind="bulk_file",
                method="GET",
                path=parts.path,
                status=200 if content is not None else 404,
                sent_access_token="X-Shopify-Access-Token" in self.headers,
            )
            if content is None:
                return self._json(404, {"errors": "Not Found"})
            return send_body(self, 200, content, "application/jsonl")
        if parts.path.startswith("/cdn/") and parts.path.endswith(".svg"):
            handle = parts.path[len("/cdn/") : -len(".svg")]
            self.emulator._log(kind="cdn", method="GET", path=parts.path, status=200)
            return send_body(self, 200, _svg(handle), "image/svg+xml")
        if parts.path.startswith("/_emulator/"):
            return self._control("GET", parts.path, query, {})
        self._json(404, {"errors": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            data = self._body_data()
        except (ValueError, UnicodeDecodeError):
            return self._json(400, {"errors": "Malformed request body"})
        if parts.path == "/admin/oauth/authorize/approve":
            return self._approve({**query, **{k: str(v) for k, v in data.items()}})
        if parts.path == "/admin/oauth/access_token":
            status, body = self.emulator._token_grant(data, self.headers.get("X-Shopify-Shop-Domain", ""))
            self.emulator._log(
                kind="token",
                method="POST",
                path=parts.path,
                status=status,
                grant="refresh_token" if data.get("grant_type") == "refresh_token" else "code",
                shop=self.headers.get("X-Shopify-Shop-Domain", ""),
            )
            return self._json(status, body)
        match = GRAPHQL_PATH_RE.match(parts.path)
        if match:
            return self._graphql_route(match["version"], query, data)
        if parts.path.startswith("/_emulator/"):
            return self._control("POST", parts.path, query, data)
        self._json(404, {"errors": "Not Found"})

    def _authorize(self, query: dict[str, str]) -> None:
        emulator = self.emulator
        shop = self._shop_domain(query)
        emulator._log(
            kind="authorize",
            method="GET",
            path="/admin/oauth/authorize",
            shop=shop,
            client_id=query.get("client_id", ""),
            scope=query.get("scope", ""),
            status=200,
        )
        if not emulator.ensure_shop(shop):
            return self._html(404, f"<h1>There is no store {html.escape(shop)} in this emulator.</h1>")
        if query.get("client_id") != emulator.api_key:
            return self._html(400, "<h1>Oauth error invalid_request: The client_id is not known.</h1>")
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri.startswith(emulator.app_url + "/"):
            return self._html(400, "<h1>Oauth error invalid_request: The redirect_uri is not whitelisted.</h1>")
        if emulator.auto_approve:
            return self._approve({**query, "shop": shop})
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in {
                "client_id": query.get("client_id", ""),
                "scope": query.get("scope", ""),
                "redirect_uri": redirect_uri,
                "state": query.get("state", ""),
                "shop": shop,
            }.items()
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>Install app</title>"
            "<style>body{font-family:sans-serif;max-width:32rem;margin:4rem auto;color:#1a1a1a}"
            "button{background:#008060;color:#fff;border:0;padding:.7rem 1.4rem;border-radius:.4rem;font-size:1rem}"
            "</style></head><body>"
            f"<p>Shopify emulator &middot; {html.escape(shop)}</p>"
            "<h1>Install Maatchaa?</h1>"
            f"<p>Maatchaa asks for: <strong>{html.escape(query.get('scope', ''))}</strong></p>"
            f"<form method='post' action='/admin/oauth/authorize/approve'>{fields}"
            "<button type='submit' id='approve'>Install app</button></form></body></html>"
        )
        self._html(200, page)

    def _approve(self, data: dict[str, str]) -> None:
        emulator = self.emulator
        shop = data.get("shop") or emulator.default_shop
        redirect_uri = data.get("redirect_uri", "")
        if not emulator.ensure_shop(shop) or not redirect_uri.startswith(emulator.app_url + "/"):
            return self._html(400, "<h1>Oauth error invalid_request</h1>")
        code = emulator.issue_code(shop, data.get("scope") or "read_products")
        query = emulator.callback_query(state=data.get("state", ""), shop=shop, code=code)
        separator = "&" if "?" in redirect_uri else "?"
        emulator._log(kind="approve", method="POST", path="/admin/oauth/authorize/approve", shop=shop, status=302)
        self._redirect(f"{redirect_uri}{separator}{query}")

    def _graphql_route(self, version: str, query: dict[str, str], data: dict[str, Any]) -> None:
        emulator = self.emulator
        domain = self._shop_domain(query)
        token = self.headers.get("X-Shopify-Access-Token", "")
        entry: dict[str, Any] = {
            "kind": "graphql",
            "method": "POST",
            "version": version,
            "shop": domain,
            "variables": data.get("variables") or {},
        }
        entry["operation"] = _root_field(str(data.get("query") or ""))
        if domain not in emulator.shops:
            emulator._log(**entry, status=404, returned=0)
            return self._json(404, {"errors": "Not Found"})
        if not emulator._use_access_token(token, domain):
            emulator._log(**entry, status=401, returned=0)
            return self._json(
                401, {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
            )
        status, body, headers = emulator._graphql(emulator.shops[domain], data)
        nodes = (((body.get("data") or {}).get("products") or {}).get("nodes")) if isinstance(body, dict) else None
        errors = body.get("errors") if isinstance(body, dict) else None
        code = ""
        if isinstance(errors, list) and errors:
            code = str((errors[0].get("extensions") or {}).get("code", ""))
        emulator._log(
            **entry,
            status=status,
            returned=len(nodes or []),
            error=code or (str(errors) if errors else ""),
            ids=[n["id"] for n in nodes or []],
        )
        self._json(status, body, headers)

    def _control(self, method: str, path: str, query: dict[str, str], data: dict[str, Any]) -> None:
        """Control endpoints for other processes (the demo, a browser test, a shell):
        GET  /_emulator/requests                         the request log
        GET  /_emulator/shops                            shops and product counts
        POST /_emulator/reset                            clear the request log
        POST /_emulator/products/add     {shop?, product}
        POST /_emulator/products/update  {shop?, id, fields}
        POST /_emulator/products/delete  {shop?, id}
        POST /_emulator/throttle         {kind, times?, retry_after?, available?}
        POST /_emulator/tokens/expire    {shop?}
        POST /_emulator/bulk             {denied?, fail_code?, corrupt_line?, polls_to_complete?}
        POST /_emulator/webhooks         {topic, payload? | product_id?, shop?, forged?, webhook_id?}
        GET  /_emulator/webhook_subscriptions?shop=      the app's subscriptions
        POST /_emulator/webhooks/deliver {topic, payload? | product_id?, shop?}   to every subscribed uri
        """
        emulator = self.emulator
        try:
            if method == "GET" and path == "/_emulator/requests":
                with emulator._lock:
                    return self._json(
                        200, {"requests": list(emulator.requests), "webhooks": list(emulator.webhooks_sent)}
                    )
            if method == "GET" and path == "/_emulator/webhook_subscriptions":
                return self._json(200, {"subscriptions": emulator.subscriptions(query.get("shop") or None)})
            if method == "GET" and path == "/_emulator/shops":
                return self._json(200, {"shops": {d: len(s.products) for d, s in emulator.shops.items()}})
            if method == "POST" and path == "/_emulator/reset":
                emulator.reset_log()
                return self._json(200, {"ok": True})
            shop = data.get("shop") or None
            if method == "POST" and path == "/_emulator/products/add":
                return self._json(200, {"product": emulator.add_product(dict(data["product"]), shop=shop)})
            if method == "POST" and path == "/_emulator/products/update":
                return self._json(
                    200, {"product": emulator.update_product(data["id"], shop=shop, **dict(data.get("fields") or {}))}
                )
            if method == "POST" and path == "/_emulator/products/delete":
                return self._json(200, {"product": emulator.delete_product(data["id"], shop=shop)})
            if method == "POST" and path == "/_emulator/throttle":
                emulator.throttle(
                    str(data.get("kind", "THROTTLED")),
                    times=int(data.get("times", 1)),
                    retry_after=float(data.get("retry_after", 1)),
                    available=float(data.get("available", 0)),
                )
                return self._json(200, {"ok": True})
            if method == "POST" and path == "/_emulator/bulk":
                with emulator._lock:
                    emulator.bulk_denied = str(data.get("denied", emulator.bulk_denied))
                    emulator.bulk_fail_code = str(data.get("fail_code", emulator.bulk_fail_code))
                    emulator.bulk_corrupt_line = int(data.get("corrupt_line", emulator.bulk_corrupt_line))
                    emulator.bulk_polls_to_complete = int(
                        data.get("polls_to_complete", emulator.bulk_polls_to_complete)
                    )
                return self._json(200, {"ok": True})
            if method == "POST" and path == "/_emulator/tokens/expire":
                return self._json(200, {"expired": emulator.expire_access_tokens(shop)})
            if method == "POST" and path == "/_emulator/webhooks/deliver":
                payload = data.get("payload")
                if payload is None and data.get("product_id") is not None:
                    payload = emulator.product_payload(data["product_id"], shop=shop)
                sent = emulator.deliver(str(data["topic"]), dict(payload or {}), shop=shop)
                return self._json(
                    200, {"deliveries": [{"uri": u, "status": st, "body": t[:2000]} for u, st, t in sent]}
                )
            if method == "POST" and path == "/_emulator/webhooks":
                topic = str(data["topic"])
                payload = data.get("payload")
                if payload is None and data.get("product_id") is not None:
                    payload = emulator.product_payload(data["product_id"], shop=shop)
                status, text = emulator.send_webhook(
                    topic,
                    dict(payload or {}),
                    forged=bool(data.get("forged")),
                    shop=shop,
                    webhook_id=data.get("webhook_id"),
                )
                return self._json(200, {"status": status, "body": text[:2000]})
        except KeyError as exc:
            return self._json(HTTPStatus.NOT_FOUND, {"errors": str(exc)})
        except (TypeError, ValueError) as exc:
            return self._json(HTTPStatus.BAD_REQUEST, {"errors": str(exc)})
        self._json(404, {"errors": f"No control endpoint {method} {path}"})
