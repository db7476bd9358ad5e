"""Odd input anywhere in the API answers 4xx with a message, never a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from matches.models import CreatorDecision
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

ODD_VALUES = [
    "",
    " ",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "0x10",
    "１２",
    "\x00",
    "' OR 1=1 --",
    "%",
    "a" * 5000,
    "9" * 40,
    "-0",
    "true",
    "[]",
    "{}",
]
CREATOR_PARAMS = [
    "min_subscribers",
    "max_subscribers",
    "min_engagement",
    "country",
    "language",
    "uploaded_within_days",
    "ordering",
    "include_dismissed",
    "page",
    "page_size",
    "format",
]


def assert_clean(response) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
        assert response.json()["message"]


@pytest.mark.parametrize("derived_metrics", [False, True])
def test_odd_creator_filters_never_fail_the_server(api: APIClient, world: World, settings, derived_metrics) -> None:
    settings.YOUTUBE_DERIVED_METRICS_ALLOWED = derived_metrics  # min_engagement is refused, or validated
    for name in CREATOR_PARAMS:
        for value in ODD_VALUES:
            assert_clean(api.get(f"/products/{world.whisk.pk}/creators", {name: value}))


def test_odd_product_list_parameters_never_fail_the_server(api: APIClient) -> None:
    for name in ["search", "status", "company_id", "page", "page_size"]:
        for value in ODD_VALUES:
            assert_clean(api.get("/products", {name: value}))


def test_odd_paths_and_bodies_never_fail_the_server(api: APIClient, world: World) -> None:
    tea = world.channels["tea"].pk
    for path in [
        f"/products/{world.whisk.pk}/creators/{'x' * 300}/decision",
        "/products/0/creators",
        f"/products/{world.whisk.pk}/creators/%00/decision",
        "/products/-1/creators",
    ]:
        assert_clean(api.get(path))
        assert_clean(api.post(path, {"status": "dismissed"}, format="json"))
    decision = f"/products/{world.whisk.pk}/creators/{tea}/decision"
    for body in [
        "null",
        "[]",
        '"x"',
        "1",
        '{"status": null}',
        '{"status": ["dismissed"]}',
        '{"status": "DISMISSED"}',
        "\xff\xfe",
        "{" * 500,
    ]:
        assert_clean(api.generic("POST", decision, body, content_type="application/json"))
        assert_clean(api.generic("POST", "/products/resync", body, content_type="application/json"))
    assert_clean(api.generic("POST", decision, "status=dismissed", content_type="text/plain"))
    assert_clean(api.put("/products", {}, format="json"))
    assert not CreatorDecision.objects.exists()


@pytest.mark.usefixtures("derived_metrics_on")
def test_nan_is_not_an_engagement(api: APIClient, world: World) -> None:
    response = api.get(f"/products/{world.whisk.pk}/creators", {"min_engagement": "nan"})
    assert response.status_code == 400 and response.json()["details"]["min_engagement"]


def test_odd_filters_on_the_dashboard_never_fail_the_server(api: APIClient, world: World) -> None:
    hostile = ["\x00", "nan", "9" * 40, "a" * 5000, "-inf", "１２"]
    for name in CREATOR_PARAMS:
        for value in hostile:
            assert api.get(f"/dashboard/products/{world.whisk.pk}", {name: value}).status_code < 500
    for name in ["search", "page"]:
        for value in hostile:
            assert api.get("/dashboard/products", {name: value}).status_code < 500
    for channel in ["\x00", "x" * 300, "%"]:
        url = f"/dashboard/products/{world.whisk.pk}/creators/{channel}/decision"
        response = api.post(url, {"action": "dismissed"})
        assert response.status_code == 404
