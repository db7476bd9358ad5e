"""The API's session authentication in one statement (accounts.session_auth): the same answers as Django's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.tenancy import SESSION_KEY
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def test_a_signed_in_member_lists_products_with_one_statement_for_user_and_company(
    api: APIClient, world: World
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/products")
    assert response.status_code == 200 and response.json()["count"] == 3
    statements = [q["sql"] for q in queries.captured_queries]
    assert not any('FROM "auth_user"' in sql for sql in statements)  # the user came with the company
    assert sum("shopify_app_membership" in sql for sql in statements) == 1
    assert len(statements) == 2  # session with its user and companies; the page with its total


def test_the_company_chosen_in_the_session_is_the_one_listed(api: APIClient, world: World) -> None:
    Membership.objects.create(user=world.user, company=world.other_company)
    session = api.session
    session[SESSION_KEY] = str(world.other_company.pk)
    session.save()

    response = api.get("/products")

    assert [p["id"] for p in response.json()["results"]] == [world.other_product.pk]


def test_a_password_change_signs_the_api_session_out(api: APIClient, world: World) -> None:
    world.user.set_password("a-new-password-123")
    world.user.save()

    response = api.get("/products")

    assert response.status_code == 401
    assert api.get("/products").status_code == 401  # the stale session was flushed


def test_an_inactive_user_is_not_authenticated(api: APIClient, world: World) -> None:
    world.user.is_active = False
    world.user.save()

    assert api.get("/products").status_code == 401


def test_a_signed_in_member_of_no_company_is_refused(api: APIClient, world: World) -> None:
    Membership.objects.filter(user=world.user).delete()

    response = api.get("/products")

    assert response.status_code == 403
