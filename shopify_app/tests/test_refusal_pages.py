"""A refused connection is a page of the dashboard that says what to do next, never a dead end."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Company
from shopify_app.models import Shop

pytestmark = pytest.mark.django_db


def test_a_store_of_another_account_says_what_to_do_instead(member_client: Any, shopify_emulator: Any) -> None:
    other = Company.objects.create(name="Someone Else")
    Shop.objects.create(company=other, domain="juniper-pine.myshopify.com", status=Shop.Status.ACTIVE)

    response = member_client.post("/shopify/connect", {"shop": "juniper-pine.myshopify.com"})

    assert response.status_code == 409
    page = response.content.decode()
    assert "This store is connected to another Maatchaa account." in page
    assert "What you can do" in page and "sign in with that account" in page
    assert 'href="/dashboard/settings#shop-domain"' in page and "Connect another store" in page
    # Against the emulator (make serve), any other store name is a store of its own.
    assert "your-brand.myshopify.com" in page
    assert 'href="/dashboard/products"' in page  # the dashboard's navigation: a way on


def test_other_refusals_keep_the_plain_way_back(member_client: Any, shopify_emulator: Any) -> None:
    response = member_client.post("/shopify/connect", {"shop": "not a store"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "What you can do" not in page and "Back to settings" in page
