"""The catalog announces changes with its own signal and knows nothing of who listens (pipeline does)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import Company
from emulators.shopify import ShopifyEmulator, make_products
from shopify_app import services
from shopify_app.models import Product, Shop
from shopify_app.signals import catalog_changed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def announced() -> Iterator[list[Company]]:
    companies: list[Company] = []

    def listener(sender: Any, company: Company, **kwargs: Any) -> None:
        companies.append(company)

    catalog_changed.connect(listener, dispatch_uid="test.catalog_changed")
    yield companies
    catalog_changed.disconnect(dispatch_uid="test.catalog_changed")


def test_a_sync_of_many_products_announces_its_company_once_after_commit(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, announced: list[Company]
) -> None:
    shopify_emulator.shop().products = make_products(120)

    services.sync_shop_products(shop=connected_shop)

    assert Product.objects.filter(shop=connected_shop).count() == 120
    assert [company.pk for company in announced] == [connected_shop.company_id]


def test_a_save_that_only_records_discovery_announces_nothing(
    connected_shop: Shop, shopify_emulator: ShopifyEmulator, announced: list[Company]
) -> None:
    services.sync_shop_products(shop=connected_shop)
    announced.clear()
    product = Product.objects.filter(shop=connected_shop).first()
    assert product is not None

    product.save(update_fields=["last_discovered_at", "updated_at"])

    assert announced == []
