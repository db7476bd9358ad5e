"""The OpenAPI schema describes the dashboard's API at the guide's paths."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.mark.django_db
def test_the_schema_lists_the_guides_paths_with_their_parameters() -> None:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in [
        "/products",
        "/products/{product_id}/creators",
        "/products/{product_id}/creators.csv",
        "/products/{product_id}/creators/{channel_id}/decision",
        "/products/{product_id}/trigger-discovery",
        "/products/resync",
    ]:
        assert path in paths, path
    creator_params = {p["name"] for p in paths["/products/{product_id}/creators"]["get"]["parameters"]}
    assert {
        "min_subscribers",
        "max_subscribers",
        "min_engagement",
        "country",
        "language",
        "uploaded_within_days",
        "ordering",
        "include_dismissed",
        "page",
    } <= creator_params
    assert set(paths["/products/{product_id}/creators/{channel_id}/decision"]) >= {"post", "delete"}
    statistic = schema["components"]["schemas"]["Statistic"]["properties"]
    assert {"value", "as_of", "display"} <= set(statistic)


@pytest.mark.django_db
def test_the_docs_page_is_served() -> None:
    assert Client().get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_the_schema_is_valid_and_generates_without_warnings(tmp_path) -> None:
    # A warning usually means two components share a name and one silently replaced the other.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
