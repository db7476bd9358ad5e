"""Fit bands in the API and on the product page: shown, sorted within, and weak fits folded away."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from discovery.models import Channel
from matches.models import CreatorDecision, CreatorMatch
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def _bands(world: World, **bands: str) -> None:
    for key, band in bands.items():
        CreatorMatch.objects.filter(product=world.whisk, channel=world.channels[key]).update(fit_band=band)


def _rows(api: APIClient, world: World, **params: str) -> list[dict]:
    response = api.get(f"/products/{world.whisk.pk}/creators", params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_each_creator_carries_its_fit_band(api: APIClient, world: World) -> None:
    _bands(world, tea="strong", brew="good", cafe="weak")

    rows = _rows(api, world)

    assert [(r["channel"]["title"], r["fit_band"]) for r in rows] == [
        ("Tea Master", "strong"),
        ("Brew Buddy", "good"),
        ("=Cafe Corner", "weak"),
    ]
    exported = list(csv.DictReader(io.StringIO(api.get(f"/products/{world.whisk.pk}/creators.csv").content.decode())))
    assert [row["fit_band"] for row in exported] == ["strong", "good", "weak"]


@pytest.mark.parametrize("ordering", ["subscribers", "engagement", "recent_upload"])
def test_an_ordering_by_statistics_sorts_within_the_bands_not_across_them(
    api: APIClient, world: World, ordering: str, settings
) -> None:
    settings.YOUTUBE_DERIVED_METRICS_ALLOWED = True  # engagement is a derived metric: opt-in only
    _bands(world, tea="good", brew="strong", cafe="weak")
    # The weak fit has by far the most subscribers, engagement and the latest upload.
    cafe = world.channels["cafe"]
    Channel.objects.filter(pk=cafe.pk).update(subscriber_count=50_000_000, last_upload_at=world.fetched)
    cafe.videos.update(view_count=1000, like_count=900, comment_count=90)

    rows = _rows(api, world, ordering=ordering)

    assert [r["fit_band"] for r in rows] == ["strong", "good", "weak"]
    assert rows[-1]["channel"]["title"] == "=Cafe Corner"


def test_within_one_band_an_ordering_still_sorts_by_the_statistic(api: APIClient, world: World) -> None:
    _bands(world, tea="good", brew="good", cafe="good")
    Channel.objects.filter(pk=world.channels["cafe"].pk).update(subscriber_count=50_000_000)

    assert _rows(api, world, ordering="subscribers")[0]["channel"]["title"] == "=Cafe Corner"


def test_ordering_by_engagement_without_the_opt_in_is_refused_with_a_reason(api: APIClient, world: World) -> None:
    response = api.get(f"/products/{world.whisk.pk}/creators", {"ordering": "engagement"})
    assert response.status_code == 400
    assert "derived-metrics opt-in" in response.json()["details"]["ordering"][0]


def test_the_schema_documents_the_fit_band() -> None:
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    creator = schema["components"]["schemas"]["Creator"]
    field = creator["properties"]["fit_band"]
    enum = schema["components"]["schemas"][field["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert enum["enum"] == ["strong", "good", "weak"]
    assert "calibrated on labelled products" in field["description"]
    assert "fit_band" in creator["required"]
    ordering = next(
        p for p in schema["paths"]["/products/{product_id}/creators"]["get"]["parameters"] if p["name"] == "ordering"
    )
    assert "engagement" in ordering["schema"]["enum"]


def test_the_product_page_folds_weak_fits_below_the_others(world: World) -> None:
    _bands(world, tea="strong", brew="good", cafe="weak")
    client = Client()
    client.force_login(world.user)

    html = client.get(f"/dashboard/products/{world.whisk.pk}").content.decode()

    fold = html.index('<details class="weaker">')
    assert "1 weaker match</summary>" in html
    assert html.index('data-channel-id="UCteaMasterChannel000001"') < fold
    assert html.index("Strong fit") < fold and html.index("Good fit") < fold
    cafe = world.channels["cafe"].channel_id
    assert html.index(f'data-channel-id="{cafe}"') > fold


def test_a_shortlisted_weak_fit_stays_above_the_fold(world: World) -> None:
    _bands(world, tea="strong", brew="good", cafe="weak")
    CreatorDecision.objects.create(product=world.whisk, channel=world.channels["cafe"], status="shortlisted")
    client = Client()
    client.force_login(world.user)

    html = client.get(f"/dashboard/products/{world.whisk.pk}").content.decode()

    assert '<details class="weaker">' not in html
    assert f'data-channel-id="{world.channels["cafe"].channel_id}"' in html
