"""POST /products/resync: the caller's connected store is synced; without one, a 400 that says why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from shopify_app.models import Product, Shop
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

DEMO_TITLES = ["Ceremonial Matcha Whisk Set", "Ridgeback Trail Running Shoes", "Natural Cork Yoga Mat"]


def test_without_a_connected_store_it_answers_400_with_a_message(api: APIClient, world: World) -> None:
    Shop.objects.filter(company=world.company).update(status=Shop.Status.UNINSTALLED)
    response = api.post("/products/resync", {}, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("No Shopify store is connected for this company.")


def test_another_companys_id_answers_404_and_syncs_nothing(api: APIClient, world: World) -> None:
    Shop.objects.create(company=world.other_company, domain="rival.myshopify.com")
    foreign = api.post("/products/resync", {"company_id": str(world.other_company.pk)}, format="json")
    missing = api.post("/products/resync", {"company_id": "00000000-0000-0000-0000-000000000000"}, format="json")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"message": "Company not found.", "details": {}}
    assert Shop.objects.get(domain="rival.myshopify.com").last_synced_at is None


@pytest.mark.parametrize("body", [{"company_id": "nope"}, ["x"]])
def test_a_bad_body_is_a_400_with_a_message(api: APIClient, body: object) -> None:
    response = api.post("/products/resync", body, format="json")
    assert response.status_code == 400 and response.json()["message"]


def test_strangers_cannot_resync(world: World) -> None:
    response = APIClient().post("/products/resync", {}, format="json")
    assert response.status_code in (401, 403) and response.json()["message"]


def test_it_syncs_the_callers_store_from_shopify(api: APIClient, world: World, shopify_emulator: Any) -> None:
    # The world's shop is renamed to the emulator's demo store and given a live token pair, as after an install.
    grant = shopify_emulator.grant_tokens()
    shop = Shop.objects.get(company=world.company)
    shop.domain = shopify_emulator.default_shop
    shop.access_token = grant["access_token"]
    shop.refresh_token = grant["refresh_token"]
    shop.access_token_expires_at = timezone.now() + timedelta(seconds=grant["expires_in"])
    shop.refresh_token_expires_at = timezone.now() + timedelta(seconds=grant["refresh_token_expires_in"])
    shop.save()

    response = api.post("/products/resync", {}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["shop_domain"] == shopify_emulator.default_shop
    synced = Product.objects.filter(shop=shop)
    assert body["result"]["created"] == synced.count() == 14  # twelve active demo products, a draft, an archived one
    assert set(DEMO_TITLES) <= set(synced.values_list("title", flat=True))
    assert shopify_emulator.graphql_calls()
    shop.refresh_from_db()
    assert shop.last_synced_at is not None
