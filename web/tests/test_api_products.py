"""GET /products: the caller's company's products with counts, searchable and paginated."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from accounts.models import Membership
from accounts.tenancy import SESSION_KEY
from matches import selectors
from shopify_app.models import Product
from web.api import ProductSerializer
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def test_it_lists_the_companys_products_with_match_and_creator_counts(api: APIClient, world: World) -> None:
    response = api.get("/products")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    by_title = {p["title"]: p for p in body["results"]}
    assert set(by_title) == {"Ceremonial Matcha Whisk Set", "Gooseneck Pour-Over Kettle", "Lavender Soy Candle"}
    whisk = by_title["Ceremonial Matcha Whisk Set"]
    assert whisk["id"] == world.whisk.pk
    assert whisk["creator_count"] == 3
    assert whisk["match_count"] == 4
    assert whisk["image_url"] == "https://cdn.test/whisk.jpg"
    assert whisk["last_discovered_at"] is not None
    assert by_title["Gooseneck Pour-Over Kettle"]["creator_count"] == 1
    assert by_title["Lavender Soy Candle"]["status"] == "DRAFT"


def test_it_never_lists_another_companys_products(api: APIClient) -> None:
    body = api.get("/products").json()
    assert "Rival Secret Whisk" not in str(body)


def test_it_searches_titles_types_and_tags(api: APIClient) -> None:
    assert [p["title"] for p in api.get("/products", {"search": "KETTLE"}).json()["results"]] == [
        "Gooseneck Pour-Over Kettle"
    ]
    assert [p["title"] for p in api.get("/products", {"search": "kitchen"}).json()["results"]] == [
        "Gooseneck Pour-Over Kettle"
    ]
    assert [p["title"] for p in api.get("/products", {"search": "bamboo"}).json()["results"]] == [
        "Ceremonial Matcha Whisk Set"
    ]
    assert api.get("/products", {"search": "nothing-like-this"}).json()["count"] == 0


def test_it_filters_by_status(api: APIClient) -> None:
    body = api.get("/products", {"status": "DRAFT"}).json()
    assert [p["title"] for p in body["results"]] == ["Lavender Soy Candle"]


def test_it_paginates(api: APIClient) -> None:
    first = api.get("/products", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = api.get("/products", {"page_size": 2, "page": 2}).json()
    assert len(second["results"]) == 1 and second["next"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "SOLD"}, "status"), ({"company_id": "not-a-uuid"}, "company_id"), ({"search": "x" * 201}, "search")],
)
def test_it_refuses_bad_query_parameters_with_a_message(api: APIClient, params: dict, field: str) -> None:
    response = api.get("/products", params)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid input."
    assert field in response.json()["details"]


def test_an_unknown_page_is_a_404_with_a_message(api: APIClient) -> None:
    response = api.get("/products", {"page": 99})
    assert response.status_code == 404
    assert response.json()["message"]


def test_another_companys_id_answers_404_and_reveals_nothing(api: APIClient, world: World) -> None:
    foreign = api.get("/products", {"company_id": str(world.other_company.pk)})
    missing = api.get("/products", {"company_id": "00000000-0000-0000-0000-000000000000"})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"message": "Company not found.", "details": {}}


def test_a_member_may_name_their_own_company(api: APIClient, world: World) -> None:
    response = api.get("/products", {"company_id": str(world.company.pk)})
    assert response.status_code == 200 and response.json()["count"] == 3


def test_the_list_follows_the_company_chosen_on_the_dashboard(api: APIClient, world: World) -> None:
    Membership.objects.create(user=world.user, company=world.other_company)
    assert "Rival Secret Whisk" not in str(api.get("/products").json())  # the oldest membership's company
    session = api.session
    session[SESSION_KEY] = str(world.other_company.pk)
    session.save()
    assert "Rival Secret Whisk" in str(api.get("/products").json())
    session[SESSION_KEY] = "not-a-company"
    session.save()
    assert api.get("/products").json()["count"] == 3


def test_strangers_are_refused_with_a_message(db: None) -> None:
    response = APIClient().get("/products")
    assert response.status_code in (401, 403)
    assert response.json()["message"] == "Authentication credentials were not provided."


def test_a_user_without_a_company_is_told_so(db: None, django_user_model) -> None:
    client = APIClient()
    client.force_login(django_user_model.objects.create_user(username="loner@test", password="x"))
    response = client.get("/products")
    assert response.status_code == 403
    assert response.json()["message"] == "Your account is not a member of any company."


def test_api_clients_authenticate_with_a_token(world: World) -> None:
    from accounts.services import issue_api_token

    key = issue_api_token(user=world.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/products").json()["count"] == 3
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    refused = client.get("/products")
    assert refused.status_code in (401, 403)
    assert refused.json()["message"] == "Invalid token."


def test_counts_are_right_on_every_page(api: APIClient) -> None:
    pages = [api.get("/products", {"page_size": 1, "page": n}).json()["results"][0] for n in (1, 2, 3)]
    assert [(p["title"], p["creator_count"], p["match_count"]) for p in pages] == [
        ("Ceremonial Matcha Whisk Set", 3, 4),
        ("Gooseneck Pour-Over Kettle", 1, 0),
        ("Lavender Soy Candle", 0, 0),
    ]


def test_a_page_costs_the_same_few_queries_whatever_its_size(api: APIClient, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(6):
        assert len(api.get("/products", {"page_size": 100}).json()["results"]) == 3


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_each_product_is_exactly_what_the_documented_serializer_gives(api: APIClient, world: World, zone: str) -> None:
    # The list builds its rows without the serializer (web.api.product_record); the schema documents the serializer.
    Product.objects.filter(pk=world.whisk.pk).update(price=Decimal("24.5"), currency="USD")
    with timezone.override(zone):
        products = selectors.with_counts(Product.objects.filter(company=world.company).order_by("title", "pk"))
        documented = json.loads(JSONRenderer().render(ProductSerializer(products, many=True).data))
        listed = api.get("/products").json()["results"]
    assert listed == documented
    assert listed[0]["price"] == "24.50"
    assert listed[0]["last_discovered_at"].endswith("Z" if zone == "UTC" else ":00")
