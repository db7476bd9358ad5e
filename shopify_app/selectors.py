"""Reads for shops and products."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Company
from maatchaa.api import ApplicationError
from shopify_app.models import Product, Shop


def shop_for_company(*, company: Company) -> Shop | None:
    """The company's store (the most recently installed one if it ever had several)."""
    return company.shops.order_by("-installed_at", "-created_at").first()


def is_connected(*, company: Company, shop_domain: str) -> bool:
    """Whether this company holds a working connection to that store."""
    return company.shops.filter(domain=shop_domain, status=Shop.Status.ACTIVE).exists()


def discoverable_products(*, company: Company) -> QuerySet[Product]:
    return Product.objects.filter(company=company).discoverable()


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
