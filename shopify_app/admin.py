from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from shopify_app.models import ApiToken, Company, Membership, Product, Shop, SignInFailure, WebhookDelivery

if TYPE_CHECKING:
    from uuid import UUID


def _run_discovery_now(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    companies: list[Company],
    product_ids: dict[UUID, list[int]] | None = None,
) -> None:
    """Trigger discovery for each company (one active run per company; a running one is reported)."""
    from discovery.models import DiscoveryRun
    from discovery.scheduling import trigger_discovery

    started: list[str] = []
    running: list[str] = []
    for company in companies:
        run, created = trigger_discovery(
            company=company,
            trigger=DiscoveryRun.Trigger.MANUAL,
            user=request.user,
            product_ids=(product_ids or {}).get(company.pk),
        )
        (started if created else running).append(f"{company.name} (run #{run.pk})")
    if started:
        modeladmin.message_user(request, f"Discovery started for {len(started)} company(ies): {', '.join(started)}.")
    if running:
        modeladmin.message_user(
            request, f"Discovery already in progress for: {', '.join(running)}.", level=messages.WARNING
        )


@admin.action(description="Run discovery now")
def run_discovery_for_companies(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Company]
) -> None:
    _run_discovery_now(modeladmin, request, list(queryset))


@admin.action(description="Run discovery now")
def run_discovery_for_products(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Product]) -> None:
    """Discovery for the selected products (a company's run takes its selected products only)."""
    selected: dict[UUID, list[int]] = {}
    for product_id, company_id in queryset.values_list("pk", "company_id"):
        selected.setdefault(company_id, []).append(product_id)
    _run_discovery_now(modeladmin, request, list(Company.objects.filter(pk__in=selected)), selected)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "product_count", "match_count", "created_at"]
    search_fields = ["name", "shops__domain"]
    inlines = [MembershipInline]
    actions = [run_discovery_for_companies]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Company]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _product_count=Count("products", distinct=True),
                _match_count=Count("products__matches", distinct=True),
            )
        )

    @admin.display(description="Products", ordering="_product_count")
    def product_count(self, obj: Company) -> int:
        return obj._product_count  # type: ignore[attr-defined]

    @admin.display(description="Matches", ordering="_match_count")
    def match_count(self, obj: Company) -> int:
        return obj._match_count  # type: ignore[attr-defined]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "company__name"]
    autocomplete_fields = ["user", "company"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        # The add page prefilled from its query (?company=...): the autocomplete widget looks the company up
        # while rendering, and a value that is no UUID raised there (a 500) instead of leaving it empty.
        try:
            uuid.UUID(str(initial.get("company", uuid.UUID(int=0))))
        except ValueError:
            del initial["company"]
        return initial


@admin.action(description="Resync products from Shopify (full, in the worker)")
def resync_shops(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
    from shopify_app.services import enqueue_sync

    connected = [shop for shop in queryset if shop.status == Shop.Status.ACTIVE]
    for shop in connected:
        enqueue_sync(shop=shop, full=True)
    skipped = len(queryset) - len(connected)
    modeladmin.message_user(
        request,
        f"Queued a full product sync for {len(connected)} store(s)"
        + (f"; {skipped} not connected, skipped." if skipped else "."),
        messages.SUCCESS,
    )


@admin.action(description="Register webhooks")
def register_shop_webhooks(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
    from maatchaa.api import ApplicationError
    from shopify_app.services import register_webhooks

    for shop in queryset:
        try:
            result = register_webhooks(shop=shop)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{shop.domain}: {exc.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{shop.domain}: {result}", messages.SUCCESS)


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["domain", "company", "status", "installed_at", "uninstalled_at", "last_synced_at"]
    list_filter = ["status"]
    search_fields = ["domain", "company__name"]
    # Tokens are encrypted at rest and never shown.
    exclude = ["access_token_encrypted", "refresh_token_encrypted"]
    readonly_fields = [
        "access_token_expires_at",
        "refresh_token_expires_at",
        "installed_at",
        "uninstalled_at",
        "webhooks_registered_at",
        "webhooks_error",
    ]
    actions = [resync_shops, register_shop_webhooks]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "company", "product_type", "status", "match_count", "last_discovered_at"]
    list_filter = ["status", "company"]
    search_fields = ["title", "handle", "vendor", "product_type", "shopify_id"]
    exclude = ["embedding"]
    readonly_fields = ["embedding_model", "last_discovered_at", "shopify_updated_at"]
    actions = [run_discovery_for_products]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).select_related("company").annotate(_match_count=Count("matches"))

    @admin.display(description="Matches", ordering="_match_count")
    def match_count(self, obj: Product) -> int:
        return obj._match_count  # type: ignore[attr-defined]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["topic", "shop_domain", "webhook_id", "triggered_at", "processed_at"]
    list_filter = ["topic"]
    search_fields = ["shop_domain", "webhook_id"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Revoking is deleting; a token is made by its member (settings page) or create_api_token, which
    show the key once. The admin holds only the digest, so it shows and edits nothing else."""

    list_display = ["user", "last_four", "created_at", "last_used_at"]
    search_fields = ["user__username", "user__email", "last_four"]
    readonly_fields = ["user", "last_four", "created_at", "last_used_at"]
    exclude = ["digest"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SignInFailure)
class SignInFailureAdmin(admin.ModelAdmin):
    """Refused sign-ins in the last 15 minutes; deleting an email's rows unlocks it at once."""

    list_display = ["username", "created_at"]
    search_fields = ["username"]
    readonly_fields = ["username", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
