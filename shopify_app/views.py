"""Shopify's browser endpoints (connect, callback, disconnect) and the webhook receiver. Thin: each
validates, calls services and answers; refusals render a short page with the right 4xx status."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Company
from accounts.tenancy import current_company
from maatchaa.api import ApplicationError
from maatchaa.parsers import parse_json
from shopify_app import selectors, services, shopify

log = logging.getLogger("maatchaa.shopify")

SETTINGS_URL = "/dashboard/settings"
PRODUCTS_URL = "/dashboard/products"


def _refuse(
    request: HttpRequest,
    message: str,
    *,
    status: int,
    title: str = "Could not connect your store",
    taken: bool = False,
) -> HttpResponse:
    # The page itself says what went wrong (no flash message as well, or it would show twice). A store of
    # another account (`taken`) comes with what to do instead.
    return render(
        request,
        "shopify_app/message.html",
        {
            "title": title,
            "message": message,
            "back_url": SETTINGS_URL + ("#shop-domain" if taken else ""),
            "taken": taken,
            "emulated": bool(settings.SHOPIFY_BASE_URL),
        },
        status=status,
    )


def _taken(exc: ApplicationError) -> bool:
    return exc.details.get("reason") == "shop_taken"


def _redirect_uri(request: HttpRequest) -> str:
    return settings.APP_URL + reverse("shopify_app:callback")


@login_required
@require_POST
def connect(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    if company is None:
        return _refuse(request, "Your account is not part of a company yet.", status=403)
    return _to_shopify_approval(request, company, request.POST.get("shop", ""))


@require_GET
def install(request: HttpRequest) -> HttpResponse:
    """Shopify's App URL: where a merchant lands after pressing Install in the App Store, or opening the
    app from the store's admin. The query is Shopify's (hmac, shop, timestamp), checked before anything
    else. A merchant without a Maatchaa session signs up (or in) first; the verified shop waits in the
    session for install_resume."""
    try:
        domain = services.verify_install_request(query_string=request.META.get("QUERY_STRING", ""))
    except ApplicationError as exc:
        log.warning("Shopify install link refused: %s", exc.message)
        return _refuse(request, exc.message, status=exc.status, title="Could not install Maatchaa")
    if not request.user.is_authenticated:
        services.remember_install(session=request.session, shop_domain=domain)
        messages.info(request, f"Create your Maatchaa account, or sign in, to connect {domain}.")
        query = urlencode({"next": reverse("shopify_app:install_resume")})
        return HttpResponseRedirect(f"{reverse('signup')}?{query}")
    return _begin_install(request, domain)


@login_required
@require_GET
def install_resume(request: HttpRequest) -> HttpResponse:
    """The install that install() verified, continued once the merchant has signed up or in."""
    domain = services.pending_install(session=request.session)
    if domain is None:
        messages.info(request, "That install link has expired or was already used: connect your store here.")
        return HttpResponseRedirect(SETTINGS_URL)
    return _begin_install(request, domain)


def _begin_install(request: HttpRequest, domain: str) -> HttpResponse:
    company = current_company(request)
    if company is None:
        return _refuse(request, "Your account is not part of a company yet.", status=403)
    if selectors.is_connected(company=company, shop_domain=domain):
        # The app opened from the store's admin: it is installed already, nothing to ask Shopify.
        return HttpResponseRedirect(PRODUCTS_URL)
    return _to_shopify_approval(request, company, domain)


def _to_shopify_approval(request: HttpRequest, company: Company, shop_domain: str) -> HttpResponse:
    """Start the authorization code grant: the state goes in the session, the browser to Shopify."""
    try:
        url = services.start_oauth(
            session=request.session, company=company, shop_domain=shop_domain, redirect_uri=_redirect_uri(request)
        )
    except ApplicationError as exc:
        return _refuse(request, exc.message, status=exc.status, taken=_taken(exc))
    return HttpResponseRedirect(url)


@login_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    if company is None:
        return _refuse(request, "Your account is not part of a company yet.", status=403)
    try:
        shop = services.complete_oauth(
            session=request.session, query_string=request.META.get("QUERY_STRING", ""), company=company
        )
    except ApplicationError as exc:
        log.warning("Shopify callback refused: %s", exc.message)
        return _refuse(request, exc.message, status=exc.status, taken=_taken(exc))
    # Before the sync, so a change made while it runs arrives as a webhook. Never fails the install: the
    # failure is on the shop's row (webhooks_error) and `manage.py register_webhooks` retries it.
    try:
        services.register_webhooks(shop=shop)
    except ApplicationError as exc:
        log.warning("Webhooks not registered for %s at install: %s", shop.domain, exc.message)
        messages.warning(
            request,
            f"{shop.domain} is connected, but Shopify did not accept our update "
            "notifications yet; product changes will arrive with the next sync.",
        )
    try:
        result = services.sync_after_install(shop=shop)
    except ApplicationError as exc:
        # Connected all the same; a transient failure is retried by the worker, and the products page
        # says what is missing.
        if not exc.details.get("permanent", True):
            services.enqueue_sync(shop=shop, after_install=True)
        messages.warning(request, f"{shop.domain} is connected, but its products could not be read yet: {exc.message}")
        return HttpResponseRedirect(PRODUCTS_URL)
    if isinstance(result, int):
        messages.success(
            request,
            f"{shop.domain} is connected. Its {result:,} products are being read from Shopify "
            "in the background; finding creators starts as soon as they are in.",
        )
    else:
        # The store's whole catalog as Maatchaa now holds it: a reconnect reads only what changed meanwhile.
        total = shop.products.count()
        news = f" ({result.changed} new or changed since the last sync)" if 0 < result.changed < total else ""
        messages.success(
            request,
            f"{shop.domain} is connected: {total} product{'s' if total != 1 else ''} synced{news}. "
            "Finding creators has started.",
        )
    return HttpResponseRedirect(PRODUCTS_URL)


@login_required
@require_POST
def disconnect(request: HttpRequest) -> HttpResponse:
    company = current_company(request)
    shop = selectors.shop_for_company(company=company) if company is not None else None
    if shop is None:
        return _refuse(request, "There is no connected store to disconnect.", status=404, title="Nothing to disconnect")
    services.disconnect_shop(shop=shop)
    messages.success(request, f"{shop.domain} is disconnected. Its products are kept; discovery for them has stopped.")
    return HttpResponseRedirect(SETTINGS_URL)


def _triggered_at(raw: str) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@csrf_exempt
@require_POST
def webhooks(request: HttpRequest) -> HttpResponse:
    """All topics on one address, in STYLE rule 8's order: HMAC over the raw body (401), strict parsing
    (400), 200 for topics we ignore, idempotent record by webhook id, work enqueued after commit."""
    body = request.body  # the raw bytes, before anything parses them
    secrets = [settings.SHOPIFY_API_SECRET, *settings.SHOPIFY_API_SECRET_PREVIOUS]
    if not shopify.verify_webhook_hmac(body, request.headers.get("X-Shopify-Hmac-SHA256"), secrets=secrets):
        return HttpResponse("Invalid HMAC signature.", status=401, content_type="text/plain")
    topic = request.headers.get("X-Shopify-Topic", "")
    shop_domain = request.headers.get("X-Shopify-Shop-Domain", "")
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "")
    if not topic or not webhook_id or len(webhook_id) > 100 or not shopify.is_valid_shop_domain(shop_domain):
        return HttpResponse(
            "Missing or malformed X-Shopify-Topic, X-Shopify-Webhook-Id or X-Shopify-Shop-Domain.",
            status=400,
            content_type="text/plain",
        )
    if topic not in services.HANDLED_TOPICS:
        return HttpResponse("Ignored.", status=200, content_type="text/plain")
    try:
        payload = services.parse_webhook_payload(topic=topic, payload=parse_json(body))
    except (ValueError, UnicodeDecodeError) as exc:
        return HttpResponse(f"Malformed {topic} payload: {exc}", status=400, content_type="text/plain")
    receipt = services.receive_webhook(
        webhook_id=webhook_id,
        topic=topic,
        shop_domain=shop_domain,
        triggered_at=_triggered_at(request.headers.get("X-Shopify-Triggered-At", "")),
        payload=payload,
    )
    return HttpResponse("OK." if receipt.created else "Already received.", status=200, content_type="text/plain")
