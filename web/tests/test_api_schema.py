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


@pytest.mark.django_db
def test_the_schema_says_which_fields_depend_on_the_derived_metrics_opt_in() -> None:
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    for name in ("CreatorStatistics", "VideoStatistics"):
        engagement = components[name]["properties"]["engagement"]
        assert "engagement" not in components[name]["required"]  # absent without the opt-in
        assert "YOUTUBE_DERIVED_METRICS_ALLOWED" in engagement["description"]
        assert engagement["allOf"] == [{"$ref": "#/components/schemas/DerivedStatistic"}]
    assert {"derived", "calculation"} <= set(components["DerivedStatistic"]["properties"])
    assert "derived" not in components["Statistic"]["properties"]  # YouTube's own counts
    parameters = schema["paths"]["/products/{product_id}/creators"]["get"]["parameters"]
    min_engagement = next(p for p in parameters if p["name"] == "min_engagement")
    assert "YOUTUBE_DERIVED_METRICS_ALLOWED" in min_engagement["description"]
