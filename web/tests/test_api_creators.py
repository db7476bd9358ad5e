"""GET /products/{id}/creators (and its CSV): ranked creators, dated statistics, filters, decisions."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from discovery.models import Channel, Video
from matches.models import CreatorDecision
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def creators(api: APIClient, world: World, **params: str) -> list[dict]:
    response = api.get(f"/products/{world.whisk.pk}/creators", params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def names(rows: list[dict]) -> list[str]:
    return [row["channel"]["title"] for row in rows]


def test_it_lists_a_products_creators_in_rank_order(api: APIClient, world: World) -> None:
    assert names(creators(api, world)) == ["Tea Master", "Brew Buddy", "=Cafe Corner"]


def test_each_creator_carries_matched_videos_with_scores_links_and_evidence(api: APIClient, world: World) -> None:
    tea = creators(api, world)[0]
    assert tea["rank"] == 1 and tea["score"] == pytest.approx(0.91)
    assert tea["channel"]["url"] == "https://www.youtube.com/channel/UCteaMasterChannel000001"
    assert [v["video_id"] for v in tea["matched_videos"]] == ["teaVideo001", "teaVideo002"]
    best = tea["matched_videos"][0]
    assert best["url"] == "https://www.youtube.com/watch?v=teaVideo001"
    assert best["score"] == pytest.approx(0.93)
    assert best["terms"] == ["matcha", "whisk"]
    assert tea["matched_terms"] == ["matcha", "whisk", "chasen"]
    assert tea["attributes"] == ["bamboo"]
    assert tea["evidence"]["query"] == "matcha whisk review"
    assert tea["contact_emails"] == ["tea@master.test"]
    assert tea["sponsorship_signals"] == ["sponsored by"]
    assert tea["channel"]["country"] == "JP" and tea["channel"]["language"] == "ja"


def test_every_statistic_carries_the_date_it_was_fetched(api: APIClient, world: World) -> None:
    tea, brew, cafe = creators(api, world)
    subscribers = tea["statistics"]["subscribers"]
    assert subscribers["value"] == 1_200_000
    assert subscribers["as_of"].startswith(world.fetched.date().isoformat())
    day = f"{world.fetched.day} {world.fetched:%b}"
    assert subscribers["display"] == f"1.2M subscribers, as of {day}"
    views = tea["matched_videos"][0]["statistics"]["views"]
    assert views["display"] == f"10K views, as of {day}" and views["as_of"]
    assert cafe["statistics"]["subscribers"]["value"] is None
    assert cafe["statistics"]["subscribers"]["display"] == f"Subscribers hidden by the creator, as of {day}"


def test_emulated_statistics_say_so(api: APIClient, world: World) -> None:
    Channel.objects.filter(pk=world.channels["tea"].pk).update(statistics_emulated=True)
    tea = creators(api, world)[0]
    assert tea["statistics"]["subscribers"]["emulated"] is True
    assert tea["statistics"]["subscribers"]["display"].endswith("(emulated)")


def test_statistics_never_change_the_ranking(api: APIClient, world: World) -> None:
    cafe = Channel.objects.filter(pk=world.channels["cafe"].pk)
    cafe.update(subscriber_count=50_000_000, hidden_subscriber_count=False)
    Video.objects.filter(channel=world.channels["cafe"]).update(like_count=4_000, view_count=5_000)
    rows = creators(api, world)
    assert names(rows) == ["Tea Master", "Brew Buddy", "=Cafe Corner"]
    assert [r["score"] for r in rows] == pytest.approx([0.91, 0.74, 0.52])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"min_subscribers": 100_000}, ["Tea Master"]),
        ({"max_subscribers": 100_000}, ["Brew Buddy"]),
        ({"min_subscribers": 1_000, "max_subscribers": 2_000_000}, ["Tea Master", "Brew Buddy"]),
        ({"country": "us"}, ["Brew Buddy"]),
        ({"language": "en"}, ["Brew Buddy", "=Cafe Corner"]),
        ({"language": "ja"}, ["Tea Master"]),
        ({"uploaded_within_days": 7}, ["Tea Master"]),
        ({"uploaded_within_days": 90}, ["Tea Master", "Brew Buddy"]),
        ({"ordering": "subscribers"}, ["Tea Master", "Brew Buddy", "=Cafe Corner"]),
        ({"ordering": "recent_upload"}, ["Tea Master", "Brew Buddy", "=Cafe Corner"]),
    ],
)
def test_it_filters_and_orders_creators(api: APIClient, world: World, params: dict, expected: list[str]) -> None:
    assert names(creators(api, world, **params)) == expected


def test_ordering_by_subscribers_and_recent_upload_uses_the_statistics(api: APIClient, world: World) -> None:
    Channel.objects.filter(pk=world.channels["brew"].pk).update(subscriber_count=9_000_000)
    assert names(creators(api, world, ordering="subscribers")) == ["Brew Buddy", "Tea Master", "=Cafe Corner"]
    Channel.objects.filter(pk=world.channels["cafe"].pk).update(last_upload_at=world.fetched + timedelta(days=2))
    assert names(creators(api, world, ordering="recent_upload")) == ["=Cafe Corner", "Tea Master", "Brew Buddy"]


def test_shortlisted_creators_are_pinned_first_and_dismissed_ones_left_out(api: APIClient, world: World) -> None:
    CreatorDecision.objects.create(product=world.whisk, channel=world.channels["cafe"], status="shortlisted")
    CreatorDecision.objects.create(product=world.whisk, channel=world.channels["tea"], status="dismissed")
    rows = creators(api, world)
    assert names(rows) == ["=Cafe Corner", "Brew Buddy"]
    assert rows[0]["decision"] == "shortlisted" and rows[1]["decision"] is None
    everyone = creators(api, world, include_dismissed="true")
    assert names(everyone) == ["=Cafe Corner", "Tea Master", "Brew Buddy"]
    assert everyone[1]["decision"] == "dismissed"
    # Pinned whatever the ordering.
    assert names(creators(api, world, ordering="subscribers"))[0] == "=Cafe Corner"


def test_decisions_belong_to_one_product(api: APIClient, world: World) -> None:
    CreatorDecision.objects.create(product=world.kettle, channel=world.channels["brew"], status="dismissed")
    assert "Brew Buddy" in names(creators(api, world))
    kettle = api.get(f"/products/{world.kettle.pk}/creators").json()
    assert kettle["count"] == 0


def test_the_brands_own_channel_is_never_listed(api: APIClient, world: World) -> None:
    world.company.own_channel_ids = [world.channels["tea"].pk]
    world.company.save()
    assert "Tea Master" not in names(creators(api, world))


def test_it_paginates_creators(api: APIClient, world: World) -> None:
    body = api.get(f"/products/{world.whisk.pk}/creators", {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_subscribers": "lots"}, "min_subscribers"),
        ({"min_subscribers": -1}, "min_subscribers"),
        ({"min_subscribers": 10, "max_subscribers": 5}, "max_subscribers"),
        ({"country": "USA"}, "country"),
        ({"language": "english!"}, "language"),
        ({"uploaded_within_days": 0}, "uploaded_within_days"),
        ({"uploaded_within_days": "soon"}, "uploaded_within_days"),
        ({"ordering": "views"}, "ordering"),
        ({"include_dismissed": "perhaps"}, "include_dismissed"),
    ],
)
def test_it_refuses_bad_filters_with_a_message(api: APIClient, world: World, params: dict, field: str) -> None:
    response = api.get(f"/products/{world.whisk.pk}/creators", params)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Invalid input." and body["details"][field]


@pytest.mark.parametrize("suffix", ["", ".csv"])
def test_another_companys_product_answers_404_and_reveals_nothing(api: APIClient, world: World, suffix: str) -> None:
    foreign = api.get(f"/products/{world.other_product.pk}/creators{suffix}")
    missing = api.get(f"/products/987654321/creators{suffix}")
    huge = api.get(f"/products/99999999999999999999999/creators{suffix}")
    assert foreign.status_code == missing.status_code == huge.status_code == 404
    assert foreign.json() == missing.json() == huge.json() == {"message": "Product not found.", "details": {}}
    assert "Secret" not in foreign.content.decode()


def test_the_csv_export_has_every_creator_with_dated_statistics(api: APIClient, world: World) -> None:
    response = api.get(f"/products/{world.whisk.pk}/creators.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="maatchaa-creators-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["channel_title"] for r in rows] == ["Tea Master", "Brew Buddy", "'=Cafe Corner"]
    tea = rows[0]
    assert tea["subscribers"] == "1200000"
    assert tea["subscribers_as_of"].startswith(world.fetched.date().isoformat())
    assert tea["subscribers_display"].startswith("1.2M subscribers, as of ")
    assert "engagement" not in tea and "engagement_as_of" not in tea  # a derived metric: only with the opt-in
    assert "https://www.youtube.com/watch?v=teaVideo001" in tea["matched_videos"]
    assert "views, as of" in tea["matched_videos"]
    assert tea["contact_emails"] == "tea@master.test"


def test_the_csv_export_follows_filters_and_format_parameter(api: APIClient, world: World) -> None:
    CreatorDecision.objects.create(product=world.whisk, channel=world.channels["tea"], status="dismissed")
    response = api.get(f"/products/{world.whisk.pk}/creators", {"format": "csv", "country": "US"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["channel_title"] for r in rows] == ["Brew Buddy"]


def test_a_bad_filter_on_the_csv_export_answers_json(api: APIClient, world: World) -> None:
    response = api.get(f"/products/{world.whisk.pk}/creators.csv", {"country": "Narnia"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["details"]["country"]


def test_strangers_get_no_creators(world: World) -> None:
    response = APIClient().get(f"/products/{world.whisk.pk}/creators")
    assert response.status_code in (401, 403) and "Tea Master" not in response.content.decode()


def test_a_page_of_creators_costs_a_few_queries_whatever_its_size(
    api: APIClient, world: World, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(7):
        assert len(creators(api, world)) == 3


# --- derived metrics: off by default, labelled when the operator opted in -------------------------


def test_without_the_opt_in_no_derived_figure_is_computed_or_shown(api: APIClient, world: World) -> None:
    for creator in creators(api, world):
        assert "engagement" not in creator["statistics"]
        assert {"subscribers", "channel_views", "channel_videos"} == set(creator["statistics"])
        for video in creator["matched_videos"]:
            assert set(video["statistics"]) == {"views", "likes", "comments"}  # raw counts, with their dates
            assert all(", as of " in figure["display"] for figure in video["statistics"].values())
    exported = api.get(f"/products/{world.whisk.pk}/creators.csv").content.decode()
    header = next(csv.reader(io.StringIO(exported)))
    assert "engagement" not in header and "engagement_as_of" not in header and "subscribers_as_of" in header
    assert "%" not in exported


@pytest.mark.parametrize("suffix", ["", ".csv"])
def test_without_the_opt_in_a_derived_filter_is_refused_saying_why(api: APIClient, world: World, suffix: str) -> None:
    response = api.get(f"/products/{world.whisk.pk}/creators{suffix}", {"min_engagement": "0.02"})
    assert response.status_code == 400
    body = response.json()
    assert (
        "derived from YouTube's statistics" in body["message"] and "YOUTUBE_DERIVED_METRICS_ALLOWED" in body["message"]
    )
    assert body["details"]["min_engagement"] == [body["message"]]


@pytest.mark.usefixtures("derived_metrics_on")
def test_with_the_opt_in_engagement_is_shown_labelled_as_calculated_by_maatchaa(api: APIClient, world: World) -> None:
    tea = creators(api, world)[0]
    day = f"{world.fetched.day} {world.fetched:%b}"
    engagement = tea["statistics"]["engagement"]
    # (800 + 200 + 100 + 100) / 20,000 views over the creator's stored videos
    assert engagement["value"] == pytest.approx(0.06)
    assert engagement["display"] == (f"6.0% engagement, as of {day} (calculated by Maatchaa from YouTube's statistics)")
    assert engagement["derived"] is True and "(likes + comments) / views" in engagement["calculation"]
    video = tea["matched_videos"][0]["statistics"]["engagement"]
    assert video["derived"] is True and "calculated by Maatchaa" in video["display"]
    assert "derived" not in tea["statistics"]["subscribers"]  # YouTube's own counts are not labelled so
    rows = list(csv.DictReader(io.StringIO(api.get(f"/products/{world.whisk.pk}/creators.csv").content.decode())))
    assert rows[0]["engagement"] == "0.0600" and rows[0]["engagement_as_of"]


@pytest.mark.usefixtures("derived_metrics_on")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"min_engagement": 0.02}, ["Tea Master", "=Cafe Corner"]),
        ({"min_engagement": 0.05}, ["Tea Master"]),
    ],
)
def test_with_the_opt_in_it_filters_on_engagement(
    api: APIClient, world: World, params: dict, expected: list[str]
) -> None:
    assert names(creators(api, world, **params)) == expected


@pytest.mark.usefixtures("derived_metrics_on")
@pytest.mark.parametrize("value", [2, "high"])
def test_with_the_opt_in_a_bad_engagement_filter_is_refused(api: APIClient, world: World, value: int | str) -> None:
    response = api.get(f"/products/{world.whisk.pk}/creators", {"min_engagement": value})
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid input." and response.json()["details"]["min_engagement"]
