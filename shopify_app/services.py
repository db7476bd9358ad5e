"""Writes for shops and their products: OAuth install, tokens, product sync, webhooks, uninstall, redact.

Every refusal raises ApplicationError (one error shape; `status` is the HTTP answer) and stores nothing.
Products are saved one by one inside the sync's transaction so the post-save signal (shopify_app/signals.py)
can schedule discovery on commit, coalesced; this module never enqueues discovery itself.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Company
from maatchaa.api import ApplicationError
from maatchaa.lib.crypto import constant_time_equals
from shopify_app import shopify
from shopify_app.models import Product, Shop, WebhookDelivery
from shopify_app.selectors import discoverable_products
from shopify_app.shopify import ShopifyClient, ShopifyError, ShopifyProduct
from shopify_app.signals import catalog_changed

log = logging.getLogger("maatchaa.shopify")

OAUTH_SESSION_KEY = "shopify_oauth"
# A verified install (the App URL) waiting for its merchant to sign in or sign up.
INSTALL_SESSION_KEY = "shopify_install"
# Long enough to sign in to Shopify and press Install; the state is single-use either way.
OAUTH_STATE_TTL_SECONDS = 600
# API_FACTS §2.3: refresh about five minutes before the hour-long access token expires.
REFRESH_MARGIN = timedelta(minutes=5)
PRODUCT_TOPICS = ("products/create", "products/update", "products/delete")
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
HANDLED_TOPICS = (*PRODUCT_TOPICS, "app/uninstalled", *COMPLIANCE_TOPICS)
# An uninstall or redact event is older than a reinstall only by more than this: Shopify's clock and ours
# differ a little, and a reinstall takes a merchant longer than this anyway.
EVENT_CLOCK_TOLERANCE = timedelta(seconds=30)


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    deleted: int
    unchanged: int
    full: bool
    pages: int
    # The bulk operation the products were read with (pages is then 0); empty when they were paged.
    bulk_operation_id: str = ""

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


def _shopify_failure(exc: ShopifyError, *, what: str) -> ApplicationError:
    if exc.permanent:
        return ApplicationError(
            f"{what}: {exc.message}", status=502, details={"reason": "shopify_error", "permanent": True}
        )
    return ApplicationError(
        f"{what}: Shopify is unavailable right now, try again shortly.",
        status=503,
        details={"reason": "shopify_unavailable", "permanent": False},
    )


def _bulk_failure(exc: ShopifyError) -> ApplicationError:
    """Like _shopify_failure, but the message always says what happened: a failed bulk operation's reason
    and advice (run again, or enable bulk queries) matter even when retrying may help."""
    return ApplicationError(
        f"Could not read the store's products in bulk: {exc.message}",
        status=502 if exc.permanent else 503,
        details={
            "reason": "shopify_error" if exc.permanent else "shopify_unavailable",
            "permanent": exc.permanent,
            "code": exc.code,
        },
    )


def get_client(*, shop: Shop | str, access_token: str = "") -> ShopifyClient:
    domain = shop.domain if isinstance(shop, Shop) else shop
    return ShopifyClient(shop=domain, access_token=access_token)


# --- OAuth -----------------------------------------------------------------------------------------------


def start_oauth(*, session: MutableMapping[str, Any], company: Company, shop_domain: str, redirect_uri: str) -> str:
    """Remember a fresh state nonce in the session and return the shop's authorize URL to redirect to."""
    domain = shopify.normalize_shop_domain(shop_domain)
    if not domain:
        raise ApplicationError(
            "Enter your store's Shopify domain, like your-store.myshopify.com.",
            status=400,
            details={"field": "shop"},
        )
    if not settings.SHOPIFY_API_KEY or not settings.SHOPIFY_API_SECRET:
        raise ApplicationError("Shopify is not configured here (SHOPIFY_API_KEY and SHOPIFY_API_SECRET).", status=503)
    owner = Shop.objects.filter(domain=domain).exclude(company=company).first()
    if owner is not None:
        raise ApplicationError(
            "This store is connected to another Maatchaa account.", status=409, details={"reason": "shop_taken"}
        )
    state = secrets.token_urlsafe(32)
    session[OAUTH_SESSION_KEY] = {
        "state": state,
        "shop": domain,
        "company_id": str(company.pk),
        "created": int(time.time()),
    }
    return get_client(shop=domain).authorize_url(state=state, redirect_uri=redirect_uri)


def verify_install_request(*, query_string: str) -> str:
    """Check the query Shopify sends to the App URL (an install from the App Store, or the app opened
    from the store's admin) and return the shop's domain. The same three checks as the callback:
    Shopify's hmac, a *.myshopify.com shop, a fresh timestamp. Refusals name what is wrong."""
    try:
        params = shopify.parse_install(query_string)
    except ValueError as exc:
        raise ApplicationError(
            f"This install link is incomplete ({exc}). Open Maatchaa again from your Shopify "
            "admin, or connect your store from Maatchaa's settings.",
            status=400,
        ) from None
    if not settings.SHOPIFY_API_KEY or not settings.SHOPIFY_API_SECRET:
        raise ApplicationError("Shopify is not configured here (SHOPIFY_API_KEY and SHOPIFY_API_SECRET).", status=503)
    if not shopify.verify_oauth_hmac(query_string, secret=settings.SHOPIFY_API_SECRET):
        raise ApplicationError("This install link was not signed by Shopify (hmac).", status=403)
    if not shopify.is_valid_shop_domain(params.shop):
        raise ApplicationError("This install link names a shop that is not a *.myshopify.com domain.", status=400)
    if not shopify.timestamp_is_fresh(params.timestamp):
        raise ApplicationError(
            "This install link has expired (timestamp). Open Maatchaa again from your Shopify admin.", status=403
        )
    return params.shop


def remember_install(*, session: MutableMapping[str, Any], shop_domain: str) -> None:
    """Keep a verified install's shop across sign-in or sign-up (install_resume picks it up)."""
    session[INSTALL_SESSION_KEY] = {"shop": shop_domain, "created": int(time.time())}


def pending_install(*, session: MutableMapping[str, Any]) -> str | None:
    """The shop of the install this session verified, once, if it is recent enough to continue."""
    pending = session.pop(INSTALL_SESSION_KEY, None)
    if not isinstance(pending, dict) or not isinstance(pending.get("shop"), str):
        return None
    if int(time.time()) - int(pending.get("created", 0)) > OAUTH_STATE_TTL_SECONDS:
        return None
    return pending["shop"]


def complete_oauth(*, session: MutableMapping[str, Any], query_string: str, company: Company) -> Shop:
    """Check Shopify's callback and store the shop's tokens, encrypted. Refusals store nothing.

    The state is popped first, so a callback URL works at most once whatever happens next.
    """
    pending = session.pop(OAUTH_SESSION_KEY, None)
    try:
        params = shopify.parse_callback(query_string)
    except ValueError as exc:
        raise ApplicationError(f"The callback from Shopify is malformed ({exc}).", status=400) from None
    if not isinstance(pending, dict) or not isinstance(pending.get("state"), str):
        raise ApplicationError("This connection attempt is unknown or has already been used. Start again.", status=403)
    if not constant_time_equals(params.state, pending["state"]):
        raise ApplicationError("The connection attempt does not match this session (state). Start again.", status=403)
    if int(time.time()) - int(pending.get("created", 0)) > OAUTH_STATE_TTL_SECONDS:
        raise ApplicationError("The connection attempt took too long. Start again.", status=403)
    if not shopify.verify_oauth_hmac(query_string, secret=settings.SHOPIFY_API_SECRET):
        raise ApplicationError("The callback's signature is not Shopify's (hmac).", status=403)
    if not shopify.is_valid_shop_domain(params.shop):
        raise ApplicationError("The callback names a shop that is not a *.myshopify.com domain.", status=400)
    if params.shop != pending.get("shop"):
        raise ApplicationError("The callback is for a different store than the one you asked to connect.", status=403)
    if not shopify.timestamp_is_fresh(params.timestamp):
        raise ApplicationError("The callback is too old or from the future (timestamp). Start again.", status=403)
    if str(company.pk) != str(pending.get("company_id")):
        raise ApplicationError("The connection was started for another company. Start again.", status=403)
    # Checked before the code exchange: an exchange would invalidate the other account's token
    # (only one expiring token per app and shop, API_FACTS §2.3).
    if Shop.objects.filter(domain=params.shop).exclude(company=company).exists():
        raise ApplicationError(
            "This store is connected to another Maatchaa account.", status=409, details={"reason": "shop_taken"}
        )

    try:
        grant = get_client(shop=params.shop).exchange_code(params.code)
    except ShopifyError as exc:
        if exc.permanent:
            # A replayed or forged code lands here: Shopify accepts each code once.
            raise ApplicationError("Shopify refused the authorization code. Start again.", status=403) from exc
        raise _shopify_failure(exc, what="Could not finish connecting") from exc
    required = {s.strip() for s in settings.SHOPIFY_SCOPES.split(",") if s.strip()}
    # A write_X scope includes read_X, and Shopify may list only the write scope.
    granted = set(grant.scopes) | {"read_" + s.removeprefix("write_") for s in grant.scopes if s.startswith("write_")}
    if not required.issubset(granted):
        raise ApplicationError(
            f"The store did not grant the access Maatchaa needs ({', '.join(sorted(required))}).", status=403
        )

    now = timezone.now()
    try:
        with transaction.atomic():
            shop = Shop.objects.select_for_update().filter(domain=params.shop).first()
            if shop is None:
                shop = Shop(domain=params.shop, company=company)
            elif shop.company_id != company.pk:
                raise ApplicationError(
                    "This store is connected to another Maatchaa account.", status=409, details={"reason": "shop_taken"}
                )
            _drop_tokens(shop)  # a new install replaces the whole pair, refresh token included
            _store_grant(shop, grant)
            shop.status = Shop.Status.ACTIVE
            shop.installed_at = now
            shop.uninstalled_at = None
            shop.save()
    except IntegrityError:
        # Two callbacks for a new shop raced; the other one created it.
        raise ApplicationError("This store was connected at the same moment elsewhere. Reload.", status=409) from None
    log.info("Shopify store %s connected for %s", shop.domain, company)
    return shop


def _store_grant(shop: Shop, grant: shopify.TokenGrant) -> None:
    shop.access_token = grant.access_token
    shop.access_token_expires_at = grant.access_token_expires_at
    # A refresh answer always carries the rotated refresh token; keep the old one only if none came.
    if grant.refresh_token:
        shop.refresh_token = grant.refresh_token
        shop.refresh_token_expires_at = grant.refresh_token_expires_at
    shop.scopes = ",".join(grant.scopes)


# --- Tokens --------------------------------------------------------------------------------------------


def _needs_refresh(shop: Shop) -> bool:
    expires = shop.access_token_expires_at
    return expires is not None and expires - REFRESH_MARGIN <= timezone.now()


def _copy_tokens(target: Shop, source: Shop) -> None:
    for name in (
        "access_token_encrypted",
        "access_token_expires_at",
        "refresh_token_encrypted",
        "refresh_token_expires_at",
        "scopes",
        "status",
    ):
        setattr(target, name, getattr(source, name))


def ensure_access_token(*, shop: Shop, force: bool = False, client: ShopifyClient | None = None) -> str:
    """A usable access token: refreshed under a per-shop row lock when it expires within five minutes,
    or always when `force` (after a 401). A refused refresh marks the shop NEEDS_REAUTH."""
    if shop.status != Shop.Status.ACTIVE:
        raise _not_connected(shop)
    if not force and not _needs_refresh(shop):
        return shop.access_token
    refused: ShopifyError | None = None
    with transaction.atomic():
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        # Another worker may have refreshed while we waited for the lock: use its token. (Fernet
        # ciphertexts differ on every encryption, so an equal ciphertext means the same token.)
        if locked.access_token_encrypted != shop.access_token_encrypted or (not force and not _needs_refresh(locked)):
            _copy_tokens(shop, locked)
            if locked.status != Shop.Status.ACTIVE:
                raise _not_connected(locked)
            return locked.access_token
        if locked.status != Shop.Status.ACTIVE:
            _copy_tokens(shop, locked)
            raise _not_connected(locked)
        expired_refresh = (
            locked.refresh_token_expires_at is not None and locked.refresh_token_expires_at <= timezone.now()
        )
        if not locked.refresh_token or expired_refresh:
            refused = ShopifyError("No usable refresh token", permanent=True)
        else:
            try:
                grant = (client or get_client(shop=locked)).refresh(locked.refresh_token)
            except ShopifyError as exc:
                if not exc.permanent:
                    raise _shopify_failure(exc, what="Could not refresh the store's access") from exc
                refused = exc
            else:
                _store_grant(locked, grant)
                locked.save(
                    update_fields=[
                        "access_token_encrypted",
                        "access_token_expires_at",
                        "refresh_token_encrypted",
                        "refresh_token_expires_at",
                        "scopes",
                        "updated_at",
                    ]
                )
        if refused is not None:
            locked.status = Shop.Status.NEEDS_REAUTH
            locked.save(update_fields=["status", "updated_at"])
            log.warning("Shopify refresh refused for %s: %s", locked.domain, refused.message)
        _copy_tokens(shop, locked)
    if refused is not None:
        raise _not_connected(shop)
    return shop.access_token


def _not_connected(shop: Shop) -> ApplicationError:
    if shop.status == Shop.Status.NEEDS_REAUTH:
        return ApplicationError(
            f"{shop.domain} needs to be reconnected: Shopify no longer accepts our access.",
            status=409,
            details={"reason": "needs_reauth", "permanent": True},
        )
    return ApplicationError(
        f"{shop.domain} is not connected.", status=409, details={"reason": "not_connected", "permanent": True}
    )


# --- Product sync -----------------------------------------------------------------------------------------


# What discovery reads about a product; a change to anything else (price, image, Shopify's timestamp, e.g.
# after an inventory change) is saved with update_fields naming only those, so the post-save signal can
# tell a catalog edit from bookkeeping.
CONTENT_FIELDS = ("shop", "shopify_id", "handle", "title", "description", "product_type", "vendor", "tags", "status")
SYNCED_FIELDS = (*CONTENT_FIELDS, "price", "currency", "image_url", "online_store_url", "shopify_updated_at")


def _apply(product: Product, item: ShopifyProduct, *, shop: Shop, from_webhook: bool = False) -> list[str]:
    """Copy Shopify's values onto `product`; returns the names of the fields that changed."""
    before = {name: getattr(product, name if name != "shop" else "shop_id") for name in SYNCED_FIELDS}
    product.shop = shop
    product.company_id = shop.company_id
    product.shopify_id = item.shopify_id
    product.handle = item.handle[:255]
    product.title = item.title[:500] or item.handle[:500] or item.shopify_id
    product.description = item.description
    product.product_type = item.product_type[:255]
    product.vendor = item.vendor[:255]
    product.tags = [t[:255] for t in item.tags]
    product.status = item.status
    product.price = item.price
    product.image_url = item.image_url[:1000]
    product.shopify_updated_at = item.updated_at
    if not from_webhook:
        product.currency = item.currency[:3]
        product.online_store_url = (item.online_store_url or "")[:1000]
    elif not product.currency:
        # REST webhook payloads carry no currency; a store prices everything in one, so take its products'.
        product.currency = (
            Product.objects.filter(shop=shop).exclude(currency="").values_list("currency", flat=True).first() or ""
        )
    return [name for name in SYNCED_FIELDS if getattr(product, name if name != "shop" else "shop_id") != before[name]]


def _save(product: Product, changed: list[str]) -> None:
    if product.pk is None:
        product.save()
    else:
        product.save(update_fields=[*changed, "updated_at"])


def sync_shop_products(
    *,
    shop: Shop,
    full: bool = False,
    client: ShopifyClient | None = None,
    page_size: int = shopify.DEFAULT_PAGE_SIZE,
    product_count: int | None = None,
) -> SyncResult:
    """Bring the shop's products in step with Shopify.

    The first sync (or `full=True`) reads every product and removes the ones Shopify no longer has,
    with their matches; later syncs ask only for products updated since the newest one seen. Archived
    and draft products are kept with their status (discovery takes ACTIVE only). A full read of a shop
    with SHOPIFY_BULK_SYNC_THRESHOLD products or more runs as one bulk operation (paging stops at
    25,000), with the same outcome; if Shopify denies bulk queries the pages are read instead. Network
    first, then one transaction: a failure half-way changes nothing.
    """
    shop.refresh_from_db()
    if shop.status != Shop.Status.ACTIVE:
        raise _not_connected(shop)
    client = client or get_client(shop=shop)
    client.access_token = ensure_access_token(shop=shop, client=client)
    full = full or shop.products_synced_until is None
    started = timezone.now()

    if full:
        operation = _bulk_products_operation(shop=shop, client=client, count=product_count)
        if operation is not None:
            if operation.url is None:
                # COMPLETED without a file means no product at all, yet the count said thousands: reading
                # it as an empty catalog would delete every product, so stop instead.
                raise _bulk_failure(
                    ShopifyError(
                        f"Shopify's bulk operation {operation.id} completed without a file; run the sync again.",
                        permanent=False,
                    )
                )
            # The file is streamed into the transaction product by product (25,000 products need not sit in
            # memory); the operation is finished, so this is one download, and a broken one rolls back.
            try:
                return _store_products(
                    shop=shop,
                    items=client.iter_bulk_products(operation.url),
                    full=True,
                    started=started,
                    pages=0,
                    bulk_operation_id=operation.id,
                )
            except ShopifyError as exc:
                raise _bulk_failure(exc) from exc

    query = None if full else shopify.updated_since_query(shop.products_synced_until)  # type: ignore[arg-type]
    fetched: dict[str, ShopifyProduct] = {}
    pages = 0
    after: str | None = None
    refreshed = False
    while True:
        try:
            page = client.products_page(first=page_size, after=after, query=query)
        except ShopifyError as exc:
            if exc.status == 401 and not refreshed:
                refreshed = True
                client.access_token = ensure_access_token(shop=shop, force=True, client=client)
                continue
            if exc.code == "MAX_COST_EXCEEDED" and page_size > 1:
                page_size = shopify.page_size_within_cost(page_size, exc)
                log.info("Shopify query too costly for %s; pages of %d from now on", shop.domain, page_size)
                continue
            raise _shopify_failure(exc, what="Could not read the store's products") from exc
        pages += 1
        for item in page.products:
            known = fetched.get(item.shopify_id)
            if known is None or item.updated_at > known.updated_at:
                fetched[item.shopify_id] = item
        if not page.has_next_page:
            break
        after = page.end_cursor
    return _store_products(shop=shop, items=fetched.values(), full=full, started=started, pages=pages)


# A running bulk operation is polled after SHOPIFY_BULK_POLL_SECONDS, then ever more slowly up to this.
BULK_MAX_POLL_SECONDS = 30.0
# Products looked up (and locked) per query while storing a sync.
STORE_BATCH_SIZE = 500


def _with_token_refresh[T](*, shop: Shop, client: ShopifyClient, call: Callable[[], T]) -> T:
    """`call()`, once more with a refreshed token if Shopify answered 401."""
    try:
        return call()
    except ShopifyError as exc:
        if exc.status != 401:
            raise
    client.access_token = ensure_access_token(shop=shop, force=True, client=client)
    return call()


def _bulk_products_operation(
    *, shop: Shop, client: ShopifyClient, count: int | None = None
) -> shopify.BulkOperation | None:
    """The COMPLETED bulk operation over the shop's products when the catalog is large enough to need one;
    None to read pages instead (a small catalog, or bulk queries denied to the app). `count`: the store's
    product count when the caller has just asked it (else it is asked here)."""
    if count is None:
        try:
            count = _with_token_refresh(shop=shop, client=client, call=client.products_count)
        except ShopifyError as exc:
            raise _shopify_failure(exc, what="Could not count the store's products") from exc
    threshold = settings.SHOPIFY_BULK_SYNC_THRESHOLD
    if count < threshold:
        return None
    log.info(
        "%s has %s products (bulk from %s): reading them with a bulk operation",
        shop.domain,
        f"{count:,}",
        f"{threshold:,}",
    )
    try:
        try:
            operation = _with_token_refresh(shop=shop, client=client, call=client.run_bulk_products_query)
        except ShopifyError as exc:
            # A sync that gave up waiting leaves its operation running; the next one waits for that
            # operation instead of failing until it ends.
            current = (
                _with_token_refresh(shop=shop, client=client, call=client.current_bulk_operation)
                if exc.code == "OPERATION_IN_PROGRESS"
                else None
            )
            if current is None or current.finished or not current.reads_our_products:
                raise
            log.info("%s: waiting for the bulk operation %s already running", shop.domain, current.id)
            operation = current
        return _await_bulk_operation(shop=shop, client=client, operation=operation)
    except ShopifyError as exc:
        if exc.code == "ACCESS_DENIED":
            # The permission lapses after 31 days without bulk use; paging still reads up to 25,000.
            log.warning("Bulk query denied for %s, reading pages instead: %s", shop.domain, exc.message)
            return None
        raise _bulk_failure(exc) from exc


def _await_bulk_operation(
    *, shop: Shop, client: ShopifyClient, operation: shopify.BulkOperation
) -> shopify.BulkOperation:
    """Poll until the operation has finished, waiting longer each time (bounded); it COMPLETED or this
    raises ShopifyError. The waits go through client.sleep, so tests wait without waiting."""
    waited = 0.0
    interval = float(settings.SHOPIFY_BULK_POLL_SECONDS)
    timeout = float(settings.SHOPIFY_BULK_TIMEOUT_SECONDS)
    while not operation.finished:
        if waited >= timeout:
            raise ShopifyError(
                f"Shopify's bulk operation {operation.id} is still {operation.status} after "
                f"{waited:.0f} s; sync again later.",
                permanent=False,
                code="BULK_TIMEOUT",
            )
        pause = min(interval, timeout - waited)  # the last poll falls on the timeout, not past it
        client.sleep(pause)
        waited += pause
        interval = min(BULK_MAX_POLL_SECONDS, interval * 1.5)
        # Polls may outlast the hour-long access token; this refreshes it only when it is about to expire.
        client.access_token = ensure_access_token(shop=shop, client=client)
        operation_id = operation.id
        operation = _with_token_refresh(shop=shop, client=client, call=lambda: client.bulk_operation(operation_id))
        log.info(
            "%s: bulk operation %s %s, %s objects so far",
            shop.domain,
            operation.id,
            operation.status,
            f"{operation.object_count:,}",
        )
    return shopify.bulk_outcome(operation)


def _store_products(
    *,
    shop: Shop,
    items: Iterable[ShopifyProduct],
    full: bool,
    started: datetime,
    pages: int,
    bulk_operation_id: str = "",
) -> SyncResult:
    """Save what Shopify returned, in one transaction under the shop's row lock; on a full sync, delete the
    shop's products that were not among `items`. `items` may be a stream: it is read in batches."""
    created = updated = unchanged = deleted = 0
    seen: set[str] = set()
    newest: datetime | None = None
    with transaction.atomic():
        # One sync per shop at a time; a webhook or a second resync waits here instead of interleaving.
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        if locked.status != Shop.Status.ACTIVE:
            raise _not_connected(locked)
        stream = iter(items)
        while batch := list(itertools.islice(stream, STORE_BATCH_SIZE)):
            batch = [item for item in batch if item.shopify_id not in seen]
            seen.update(item.shopify_id for item in batch)
            existing = {
                p.shopify_id: p
                for p in Product.objects.select_for_update().filter(
                    company_id=locked.company_id, shopify_id__in=[i.shopify_id for i in batch]
                )
            }
            for item in batch:
                if newest is None or item.updated_at > newest:
                    newest = item.updated_at
                product = existing.get(item.shopify_id)
                if product is None:
                    product = Product()
                    _save(product, _apply(product, item, shop=locked))
                    created += 1
                elif (
                    product.shop_id == locked.pk
                    and product.shopify_updated_at is not None
                    and product.shopify_updated_at >= item.updated_at
                ):
                    unchanged += 1
                else:
                    _save(product, _apply(product, item, shop=locked))
                    updated += 1
        if full:
            gone = Product.objects.filter(shop=locked).exclude(shopify_id__in=list(seen))
            deleted = gone.count()
            gone.delete()  # matches and creator matches cascade
        if newest is not None and (locked.products_synced_until is None or newest > locked.products_synced_until):
            locked.products_synced_until = newest
        locked.last_synced_at = started
        locked.save(update_fields=["products_synced_until", "last_synced_at", "updated_at"])
        _copy_tokens(shop, locked)
        shop.products_synced_until = locked.products_synced_until
        shop.last_synced_at = locked.last_synced_at
    result = SyncResult(
        created=created,
        updated=updated,
        deleted=deleted,
        unchanged=unchanged,
        full=full,
        pages=pages,
        bulk_operation_id=bulk_operation_id,
    )
    log.info("Synced %s: %s", shop.domain, result)
    return result


# --- Webhook subscriptions ---------------------------------------------------------------------------

# What the app subscribes each shop to through the API (enum names of WebhookSubscriptionTopic). The
# mandatory compliance topics (customers/data_request, customers/redact, shop/redact) are not in that enum
# and cannot be subscribed through the API: they are declared once for the app in shopify.app.toml / the
# Dev Dashboard (API_FACTS §2.7).
WEBHOOK_TOPICS = ("PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "APP_UNINSTALLED")


@dataclass(frozen=True)
class RegistrationResult:
    """What register_webhooks did, by topic. `skipped`: SHOPIFY_WEBHOOK_URL is blank, nothing was asked."""

    uri: str
    created: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "skipped (SHOPIFY_WEBHOOK_URL is not set)"
        return (
            f"{len(self.created)} created, {len(self.replaced)} replaced, {len(self.unchanged)} already there "
            f"-> {self.uri}"
        )


def register_webhooks(*, shop: Shop, client: ShopifyClient | None = None) -> RegistrationResult:
    """Subscribe the shop to WEBHOOK_TOPICS at settings.SHOPIFY_WEBHOOK_URL. Idempotent: reads the shop's
    subscriptions first and creates only what is missing. A subscription for one of our topics at another
    address (the public host moved) is deleted and made again at the right one; another app's or another
    topic's subscriptions are never touched (Shopify lists only this app's anyway).

    Every topic is tried even when one fails. The outcome is recorded on the shop (webhooks_registered_at,
    webhooks_error); any failure then raises ApplicationError naming each refused topic, so a caller that
    must not fail (the install) catches it, and `manage.py register_webhooks` retries.
    """
    uri = settings.SHOPIFY_WEBHOOK_URL
    if not uri:
        log.info(
            "Not registering webhooks for %s: SHOPIFY_WEBHOOK_URL is not set (subscriptions must come "
            "from shopify.app.toml)",
            shop.domain,
        )
        return RegistrationResult(uri="", skipped=True)
    shop.refresh_from_db()
    if shop.status != Shop.Status.ACTIVE:
        raise _not_connected(shop)
    client = client or get_client(shop=shop)
    try:
        client.access_token = ensure_access_token(shop=shop, client=client)
        existing = _with_token_refresh(shop=shop, client=client, call=client.webhook_subscriptions)
    except ShopifyError as exc:
        failure = _shopify_failure(exc, what="Could not read the store's webhook subscriptions")
        _record_registration(shop, error=failure.message)
        raise failure from exc
    except ApplicationError as exc:
        _record_registration(shop, error=exc.message)
        raise

    created: list[str] = []
    replaced: list[str] = []
    unchanged: list[str] = []
    errors: list[str] = []
    for topic in WEBHOOK_TOPICS:
        mine = [s for s in existing if s.topic == topic]
        stale = [s for s in mine if s.uri != uri]
        present = len(stale) < len(mine)
        try:
            # The new address first, so no event falls between the deletion and the creation.
            if not present:
                client.create_webhook_subscription(topic=topic, uri=uri)
            # Then the old ones: they would get every event too, to a host that may no longer answer.
            for subscription in stale:
                client.delete_webhook_subscription(subscription.id)
                log.info(
                    "Deleted %s subscription %s of %s at %s (now %s)",
                    topic,
                    subscription.id,
                    shop.domain,
                    subscription.uri,
                    uri,
                )
        except ShopifyError as exc:
            errors.append(f"{topic}: {exc.message}")
            continue
        (replaced if stale else unchanged if present else created).append(topic)

    result = RegistrationResult(uri=uri, created=tuple(created), replaced=tuple(replaced), unchanged=tuple(unchanged))
    if errors:
        message = "Webhook registration failed for " + "; ".join(errors)
        _record_registration(shop, error=message)
        log.warning("%s (%s): %s", shop.domain, result, message)
        raise ApplicationError(message, status=502, details={"reason": "webhook_registration", "result": str(result)})
    _record_registration(shop, error="")
    log.info("Webhooks for %s: %s", shop.domain, result)
    return result


def retry_webhook_registrations() -> str:
    """The worker's hourly retry: register every connected shop whose registration failed or never ran
    (an install while Shopify was down, a host that moved). Shops already registered are not asked."""
    if not settings.SHOPIFY_WEBHOOK_URL:
        return "skipped: SHOPIFY_WEBHOOK_URL is not set"
    shops = list(
        Shop.objects.filter(status=Shop.Status.ACTIVE)
        .filter(Q(webhooks_registered_at__isnull=True) | ~Q(webhooks_error=""))
        .order_by("domain")
    )
    failed = []
    for shop in shops:
        try:
            register_webhooks(shop=shop)
        except ApplicationError as exc:
            failed.append(f"{shop.domain}: {exc.message}")
    if failed:
        log.warning("Webhook registration still failing for %d shop(s): %s", len(failed), " | ".join(failed))
    return f"{len(shops) - len(failed)} registered, {len(failed)} still failing"


def _record_registration(shop: Shop, *, error: str) -> None:
    """Store the outcome on the shop's row without touching anything else a concurrent sync may write."""
    fields: dict[str, Any] = {"webhooks_error": error, "updated_at": timezone.now()}
    if not error:
        fields["webhooks_registered_at"] = fields["updated_at"]
    Shop.objects.filter(pk=shop.pk).update(**fields)
    for name, value in fields.items():
        setattr(shop, name, value)


def start_discovery_after_install(*, shop: Shop, result: SyncResult | None) -> None:
    """After an install, discovery must start by itself. Saved products already queued it through the
    post-save signal; a reinstall that changed nothing saved none, so announce the catalog here (a
    company's active run is handed back instead of a second one made)."""
    if result is not None and result.created + result.updated > 0:
        return
    if discoverable_products(company=shop.company).exists():
        catalog_changed.send(sender=Shop, company=shop.company)


def enqueue_sync(*, shop: Shop, full: bool = False, after_install: bool = False) -> None:
    """Sync the shop in the worker, after the current transaction commits. `after_install`: then start
    discovery as the install would have (start_discovery_after_install)."""
    from django_q.tasks import async_task

    shop_id = shop.pk
    transaction.on_commit(
        lambda: async_task(
            "shopify_app.tasks.sync_shop", shop_id, full, after_install, task_name=f"shopify-sync-{shop_id}"
        ),
        robust=True,
    )


def count_products(*, shop: Shop) -> int:
    """How many products the store has (Shopify's productsCount: one cheap query)."""
    client = get_client(shop=shop)
    try:
        client.access_token = ensure_access_token(shop=shop, client=client)
        return _with_token_refresh(shop=shop, client=client, call=client.products_count)
    except ShopifyError as exc:
        raise _shopify_failure(exc, what="Could not count the store's products") from exc


def sync_after_install(*, shop: Shop) -> SyncResult | int:
    """The install's first sync: now, for a catalog small enough to read while the merchant waits for the
    page (the SyncResult); in the worker for a larger one (its product count, queued). Discovery starts
    after it either way."""
    try:
        count: int | None = count_products(shop=shop)
    except ApplicationError:
        count = None  # unknown: the sync below asks again, meets the same failure and says so
    if count is not None and count > settings.SHOPIFY_INLINE_SYNC_MAX_PRODUCTS:
        enqueue_sync(shop=shop, full=True, after_install=True)
        log.info("%s: %s products, read by the worker", shop.domain, f"{count:,}")
        return count
    # The count just asked decides pages or a bulk operation too: no second productsCount.
    result = sync_shop_products(shop=shop, product_count=count)
    start_discovery_after_install(shop=shop, result=result)
    return result


# --- Disconnect, uninstall, redact -------------------------------------------------------------------


def _drop_tokens(shop: Shop) -> None:
    shop.access_token = ""
    shop.refresh_token = ""
    shop.access_token_expires_at = None
    shop.refresh_token_expires_at = None


def disconnect_shop(*, shop: Shop) -> Shop:
    """The member disconnects: our tokens are dropped and discovery stops; products stay for a reconnect."""
    with transaction.atomic():
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        _drop_tokens(locked)
        locked.status = Shop.Status.UNINSTALLED
        locked.uninstalled_at = timezone.now()
        locked.save()
    return locked


def _reinstalled_since(shop: Shop, triggered_at: datetime | None) -> bool:
    if triggered_at is None or shop.installed_at is None:
        return False
    return shop.installed_at > triggered_at + EVENT_CLOCK_TOLERANCE


def uninstall_shop(*, shop_domain: str, triggered_at: datetime | None = None) -> Shop | None:
    """app/uninstalled: revoke (drop) the tokens and mark the shop UNINSTALLED. Idempotent; an event older
    than a later reinstall changes nothing."""
    with transaction.atomic():
        shop = Shop.objects.select_for_update().filter(domain=shop_domain).first()
        if shop is None:
            return None
        if _reinstalled_since(shop, triggered_at):
            log.info("Ignoring app/uninstalled for %s: reinstalled since", shop_domain)
            return shop
        _drop_tokens(shop)
        shop.status = Shop.Status.UNINSTALLED
        shop.uninstalled_at = shop.uninstalled_at or timezone.now()
        shop.save()
    log.info("Shopify store %s uninstalled", shop_domain)
    return shop


def redact_shop(*, shop_domain: str, triggered_at: datetime | None = None) -> int:
    """shop/redact (48 h after uninstall): delete the shop, its products and their matches, and scrub stored
    webhook payloads from it. Returns the number of products deleted. A shop reinstalled since is kept."""
    with transaction.atomic():
        shop = Shop.objects.select_for_update().filter(domain=shop_domain).first()
        deleted = 0
        if shop is not None:
            if shop.status == Shop.Status.ACTIVE and _reinstalled_since(shop, triggered_at):
                log.info("Ignoring shop/redact for %s: reinstalled since", shop_domain)
                return 0
            products = Product.objects.filter(shop=shop)
            deleted = products.count()
            products.delete()
            shop.delete()
        WebhookDelivery.objects.filter(shop_domain=shop_domain).update(payload={})
    log.info("Shopify store %s redacted (%d products)", shop_domain, deleted)
    return deleted


# --- Webhooks ---------------------------------------------------------------------------------------------

# Shopify retries a delivery for about four hours; a week of ids is plenty to deduplicate.
WEBHOOK_RETENTION = timedelta(days=7)


def prune_webhook_deliveries(*, older_than: timedelta = WEBHOOK_RETENTION) -> int:
    """Delete processed deliveries older than `older_than` (products/update fires on every inventory change,
    so the table grows fast). products/delete rows are kept: they stop a late update resurrecting a product."""
    cutoff = timezone.now() - older_than
    deleted, _ = (
        WebhookDelivery.objects.filter(created_at__lt=cutoff, processed_at__isnull=False)
        .exclude(topic="products/delete")
        .delete()
    )
    return deleted


@dataclass(frozen=True)
class WebhookReceipt:
    delivery: WebhookDelivery | None
    created: bool


def parse_webhook_payload(*, topic: str, payload: Any) -> dict[str, Any]:
    """Strict check of a handled topic's payload; ValueError names what is wrong. Returns what we store."""
    if not isinstance(payload, dict):
        raise ValueError("the body is not a JSON object")
    if topic in ("products/create", "products/update"):
        shopify.parse_webhook_product(payload)
        return payload
    if topic == "products/delete":
        if not isinstance(payload.get("id"), int) or isinstance(payload.get("id"), bool):
            raise ValueError("id is not a number")
        return {"id": payload["id"]}
    if topic == "app/uninstalled":
        return {k: payload[k] for k in ("id", "domain", "myshopify_domain") if k in payload}
    if topic in COMPLIANCE_TOPICS:
        if not isinstance(payload.get("shop_domain"), str):
            raise ValueError("shop_domain is missing")
        # We hold no customer data; keep none of what these carry (emails, phones, order ids).
        return {"shop_domain": payload["shop_domain"]}
    raise ValueError(f"unhandled topic {topic}")


def receive_webhook(
    *, webhook_id: str, topic: str, shop_domain: str, triggered_at: datetime | None, payload: dict[str, Any]
) -> WebhookReceipt:
    """Record a verified delivery once (by X-Shopify-Webhook-Id) and enqueue its processing after commit.
    A repeated id is acknowledged and changes nothing."""
    from django_q.tasks import async_task

    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.get_or_create(
            webhook_id=webhook_id,
            defaults={"topic": topic, "shop_domain": shop_domain, "triggered_at": triggered_at, "payload": payload},
        )
        if created:
            if topic in ("customers/data_request", "customers/redact"):
                # Nothing to export or erase: Maatchaa stores no customer data. Acknowledged as processed.
                delivery.processed_at = timezone.now()
                delivery.save(update_fields=["processed_at", "updated_at"])
            else:
                delivery_id = delivery.pk
                transaction.on_commit(
                    lambda: async_task(
                        "shopify_app.tasks.process_webhook_delivery",
                        delivery_id,
                        task_name=f"shopify-webhook-{delivery_id}",
                    )
                )
    return WebhookReceipt(delivery=delivery, created=created)


def apply_product_change(*, shop: Shop, item: ShopifyProduct) -> str:
    """A product from a webhook: "created", "updated", "stale" (older than or as old as what we hold) or
    "deleted earlier"."""
    product = Product.objects.select_for_update().filter(company_id=shop.company_id, shopify_id=item.shopify_id).first()
    if (
        product is None
        and WebhookDelivery.objects.filter(
            topic="products/delete", shop_domain=shop.domain, payload__id=int(item.legacy_id)
        ).exists()
    ):
        # Deliveries arrive in any order and Shopify never reuses a product id: an update delivered
        # after the product's deletion must not bring it back.
        return "deleted earlier"
    if product is not None and product.shopify_updated_at is not None and item.updated_at <= product.shopify_updated_at:
        return "stale"
    outcome = "updated" if product is not None else "created"
    product = product or Product()
    _save(product, _apply(product, item, shop=shop, from_webhook=True))
    return outcome


def process_webhook_delivery(*, delivery_id: int) -> str:
    """Do what a recorded delivery asks, once. Returns what happened (for logs and tests)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id, processed_at__isnull=True).first()
        if delivery is None:
            return "already processed"
        outcome = _process(delivery)
        delivery.processed_at = timezone.now()
        delivery.save(update_fields=["processed_at", "updated_at"])
    log.info("Webhook %s %s from %s: %s", delivery.webhook_id, delivery.topic, delivery.shop_domain, outcome)
    return outcome


def _process(delivery: WebhookDelivery) -> str:
    topic, domain = delivery.topic, delivery.shop_domain
    if topic == "app/uninstalled":
        return (
            "uninstalled" if uninstall_shop(shop_domain=domain, triggered_at=delivery.triggered_at) else "unknown shop"
        )
    if topic == "shop/redact":
        return f"redacted {redact_shop(shop_domain=domain, triggered_at=delivery.triggered_at)} products"
    if topic not in PRODUCT_TOPICS:
        return "nothing to do"
    shop = Shop.objects.select_for_update().filter(domain=domain).first()
    if shop is None or shop.status == Shop.Status.UNINSTALLED:
        return "shop not connected"
    if topic == "products/delete":
        gid = f"gid://shopify/Product/{int(delivery.payload['id'])}"
        count, _ = Product.objects.filter(company_id=shop.company_id, shop=shop, shopify_id=gid).delete()
        return "deleted" if count else "already gone"
    item = shopify.parse_webhook_product(delivery.payload)
    return apply_product_change(shop=shop, item=item)
