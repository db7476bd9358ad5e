"""The admin's discovery controls: "Run discovery now" on companies and products, their match counts, and runs.

The Company and Product admins of the lower apps are registered again here, extended: those apps know
nothing of discovery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from accounts.admin import CompanyAdmin
from accounts.models import Company
from pipeline.models import DiscoveryRun
from pipeline.triggers import trigger_discovery
from shopify_app.admin import ProductAdmin
from shopify_app.models import Product

if TYPE_CHECKING:
    from uuid import UUID


def _run_discovery_now(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    companies: list[Company],
    product_ids: dict[UUID, list[int]] | None = None,
) -> None:
    """Trigger discovery for each company (one active run per company; a running one is reported)."""
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


admin.site.unregister(Company)
admin.site.unregister(Product)


@admin.register(Company)
class CompanyDiscoveryAdmin(CompanyAdmin):
    list_display = ["name", "product_count", "match_count", "created_at"]
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


@admin.register(Product)
class ProductDiscoveryAdmin(ProductAdmin):
    list_display = ["title", "company", "product_type", "status", "match_count", "last_discovered_at"]
    actions = [run_discovery_for_products]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).annotate(_match_count=Count("matches"))

    @admin.display(description="Matches", ordering="_match_count")
    def match_count(self, obj: Product) -> int:
        return obj._match_count  # type: ignore[attr-defined]


@admin.register(DiscoveryRun)
class DiscoveryRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "company",
        "trigger",
        "status",
        "products_done",
        "search_calls",
        "units",
        "videos_found",
        "matches_made",
    ]
    list_filter = ["status", "trigger"]
    search_fields = ["company__name"]
    raw_id_fields = ["products"]
