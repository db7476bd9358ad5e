"""Reads for shops and products."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shopify_app.models import Company, Product, Shop


def shop_for_company(*, company: Company) -> Shop | None:
    """The company's store (the most recently installed one if it ever had several)."""
    return company.shops.order_by("-installed_at", "-created_at").first()


def is_connected(*, company: Company, shop_domain: str) -> bool:
    """Whether this company holds a working connection to that store."""
    return company.shops.filter(domain=shop_domain, status=Shop.Status.ACTIVE).exists()


def discoverable_products_filter() -> Q:
    """Which products discovery may search for: ACTIVE in Shopify, and not from a store that uninstalled
    the app or disconnected (products with no shop, e.g. created by hand, are kept)."""
    return Q(status=Product.Status.ACTIVE) & (Q(shop__isnull=True) | ~Q(shop__status=Shop.Status.UNINSTALLED))


def discoverable_products(*, company: Company) -> QuerySet[Product]:
    return Product.objects.filter(discoverable_products_filter(), company=company)
