"""The YouTube emulator, driven through the real google-api-python-client (and raw HTTP where the client
would refuse to send a malformed request). Assertions are about response bodies and the emulator's calls log.
"""

from __future__ import annotations

import concurrent.futures
import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any, cast

import httplib2
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from emulators.testing.youtube_fixtures import DEMO_CORPUS, TEST_API_KEY, corpus_for
from emulators.youtube.corpus import EMULATED_KEY, CorpusError, load_corpus, parse_query
from emulators.youtube.server import EmulatorServer

REPO = Path(__file__).resolve().parents[2]
BRAND_CHANNEL = "UCjuniperPineCoOfficial0"


def youtube_api(emulator: EmulatorServer, key: str = TEST_API_KEY) -> Any:
    return build(
        "youtube",
        "v3",
        developerKey=key,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": emulator.url},
        http=httplib2.Http(timeout=10),
    )


def no_sleep(request: Any) -> Any:
    # The client's own backoff sleeps up to 2**n seconds; keep tests fast.
    request._sleep = lambda seconds: None
    return request


def raw_get(emulator: EmulatorServer, path: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(emulator.url + path.lstrip("/"), timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def raw_post(emulator: EmulatorServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        emulator.url + path.lstrip("/"),
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def reason_of(error: HttpError) -> str:
    return json.loads(error.content)["error"]["errors"][0]["reason"]


def videos_of(emulator: EmulatorServer, channel_title: str) -> list[str]:
    return [v.video_id for v in emulator.corpus.videos if v.channel_title == channel_title]


@pytest.fixture
def yt(youtube_emulator: EmulatorServer) -> Any:
    return youtube_api(youtube_emulator)


# --- search -------------------------------------------------------------------------------------------


def test_list_next_pages_through_every_result_without_repeats(yt, youtube_emulator) -> None:
    request = yt.search().list(part="snippet", q="trail", type="video", maxResults=5)
    seen: list[str] = []
    pages = 0
    total = None
    while request is not None:
        response = request.execute()
        pages += 1
        total = response["pageInfo"]["totalResults"]
        seen.extend(item["id"]["videoId"] for item in response["items"])
        request = yt.search().list_next(request, response)
    assert total is not None and total > 10
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // 5)
    tokens = [call.params.get("pageToken") for call in youtube_emulator.calls_to("search")]
    assert tokens[0] is None and all(tokens[1:]) and len(set(tokens[1:])) == pages - 1


def test_a_search_response_has_youtubes_shape_and_working_thumbnails(yt, youtube_emulator) -> None:
    response = (
        yt.search().list(part="snippet", q="cast iron skillet", type="video", maxResults=3, regionCode="US").execute()
    )
    assert response["kind"] == "youtube#searchListResponse"
    assert response["etag"] and response["regionCode"] == "US" and response["nextPageToken"]
    assert "prevPageToken" not in response
    assert response["pageInfo"]["resultsPerPage"] == 3 and len(response["items"]) == 3
    item = response["items"][0]
    assert item["kind"] == "youtube#searchResult" and item["id"]["kind"] == "youtube#video"
    assert set(item["snippet"]) == {
        "publishedAt",
        "channelId",
        "title",
        "description",
        "thumbnails",
        "channelTitle",
        "liveBroadcastContent",
        "publishTime",
    }
    assert "statistics" not in item and "skillet" in item["snippet"]["title"].lower()
    thumbnail = item["snippet"]["thumbnails"]["high"]
    assert thumbnail["url"].startswith(youtube_emulator.url) and thumbnail["width"] == 480
    with urllib.request.urlopen(thumbnail["url"], timeout=10) as served:
        assert served.headers["Content-Type"] == "image/svg+xml" and served.read().startswith(b"<svg")
    ids_only = yt.search().list(part="id", q="cast iron skillet", type="video", maxResults=3).execute()
    assert [set(item) for item in ids_only["items"]] == [{"kind", "etag", "id"}] * 3


def test_search_titles_come_html_escaped_as_on_youtube(yt) -> None:
    item = yt.search().list(part="snippet", q="Nonna's Table gnocchi", type="video").execute()["items"][0]
    assert item["snippet"]["channelTitle"] == "Nonna&#39;s Table"


def test_a_pipe_means_or_and_a_minus_means_not(yt) -> None:
    def titles(q: str) -> list[str]:
        response = yt.search().list(part="snippet", q=q, type="video", maxResults=50).execute()
        return [item["snippet"]["title"].lower() for item in response["items"]]

    harness, hammock = titles("harness"), titles("hammock")
    either = titles("harness|hammock")
    assert harness and hammock
    assert set(harness) | set(hammock) == set(either)
    without_racing = titles("harness -racing")
    assert without_racing and not any("racing" in t for t in without_racing)
    assert any("racing" in t for t in harness)


def test_a_quoted_phrase_must_appear_as_written() -> None:
    corpus = corpus_for(DEMO_CORPUS)
    page = corpus.search('"water bottle flip"', max_results=50)
    assert page.items
    assert all("water bottle flip" in f"{v.title} {v.description} {' '.join(v.tags)}".lower() for v in page.items)
    assert parse_query('a|b -c "d e"').excluded == (("c",),)


def test_the_corpus_ranks_ideal_creators_above_word_sharing_ones_in_process() -> None:
    corpus = corpus_for(DEMO_CORPUS)
    page = corpus.search("vitamin c serum review", max_results=5)
    channels = [v.channel_title for v in page.items]
    assert "Synth Lab Sessions" not in channels[:3]
    assert page.total_results > 5 and page.next_page_token
    assert page.scores == tuple(sorted(page.scores, reverse=True))


def test_order_and_published_after_are_honoured(yt) -> None:
    response = (
        yt.search()
        .list(
            part="snippet", q="review", type="video", maxResults=50, order="date", publishedAfter="2025-06-01T00:00:00Z"
        )
        .execute()
    )
    published = [item["snippet"]["publishedAt"] for item in response["items"]]
    assert published and published == sorted(published, reverse=True)
    assert min(published) >= "2025-06-01T00:00:00Z"
    corpus = corpus_for(DEMO_CORPUS)
    by_views = corpus.search("review", max_results=50, order="viewCount").items
    assert [v.view_count for v in by_views] == sorted((cast(int, v.view_count) for v in by_views), reverse=True)


def test_relevance_language_prefers_videos_in_that_language() -> None:
    corpus = corpus_for(DEMO_CORPUS)
    plain = corpus.search("trail", max_results=5).items
    french = corpus.search("trail", max_results=5, relevance_language="fr").items
    assert plain[0].language != "fr" and french[0].language == "fr"


# --- videos, channels, playlistItems ------------------------------------------------------------------


def test_video_details_have_the_real_shapes_and_only_the_requested_parts(yt, youtube_emulator) -> None:
    ids = videos_of(youtube_emulator, "Cast Iron Kenny")[:2]
    response = (
        yt.videos()
        .list(part="snippet,statistics,contentDetails,topicDetails", id=",".join([*ids, "doesNotExist"]))
        .execute()
    )
    assert response["kind"] == "youtube#videoListResponse"
    assert [item["id"] for item in response["items"]] == ids  # unknown ids are simply absent
    item = response["items"][0]
    assert item["snippet"]["tags"] and item["snippet"]["categoryId"] == "26"
    assert item["snippet"]["defaultAudioLanguage"] == "en"
    assert all(isinstance(value, str) for value in item["statistics"].values())
    assert item["contentDetails"]["duration"].startswith("PT")
    assert item["topicDetails"]["topicCategories"][0].startswith("https://en.wikipedia.org/wiki/")
    only_stats = yt.videos().list(part="statistics", id=ids[0]).execute()["items"][0]
    assert set(only_stats) == {"kind", "etag", "id", "statistics"}


def test_fields_trims_the_response(yt, youtube_emulator) -> None:
    video_id = videos_of(youtube_emulator, "Glow Chemistry")[0]
    response = (
        yt.videos()
        .list(part="snippet,statistics", id=video_id, fields="items(id,snippet(title,channelId),statistics/viewCount)")
        .execute()
    )
    assert response == {
        "items": [
            {
                "id": video_id,
                "snippet": {
                    "title": response["items"][0]["snippet"]["title"],
                    "channelId": youtube_emulator.corpus.video(video_id).channel_id,
                },
                "statistics": {"viewCount": str(youtube_emulator.corpus.video(video_id).view_count)},
            }
        ]
    }


def test_fifty_ids_are_served_and_fifty_one_refused(yt, youtube_emulator) -> None:
    ids = [v.video_id for v in youtube_emulator.corpus.videos]
    assert len(yt.videos().list(part="id", id=",".join(ids[:50])).execute()["items"]) == 50
    with pytest.raises(HttpError) as raised:
        yt.videos().list(part="id", id=",".join(ids[:51])).execute()
    assert raised.value.status_code == 400
    channel_ids = list(youtube_emulator.corpus.channels)
    with pytest.raises(HttpError):
        yt.channels().list(part="id", id=",".join(channel_ids[:51])).execute()
    assert [c.status for c in youtube_emulator.calls] == [200, 400, 400]


def test_channels_carry_made_up_statistics_marked_as_emulated(yt, youtube_emulator) -> None:
    corpus = youtube_emulator.corpus
    channel_id = corpus.videos[0].channel_id
    response = yt.channels().list(part="snippet,statistics,contentDetails,brandingSettings", id=channel_id).execute()
    assert response["kind"] == "youtube#channelListResponse"
    item = response["items"][0]
    assert item[EMULATED_KEY] == ["statistics", "snippet.customUrl", "snippet.publishedAt"]
    stats = item["statistics"]
    assert set(stats) == {"viewCount", "subscriberCount", "hiddenSubscriberCount", "videoCount"}
    assert stats["subscriberCount"].isdigit() and stats["hiddenSubscriberCount"] is False
    assert int(stats["videoCount"]) >= len(corpus.videos_of_channel(channel_id))
    assert item["contentDetails"]["relatedPlaylists"]["uploads"] == "UU" + channel_id[2:]
    # The demo sidecar (channels.csv) supplies the About text, with its business email.
    assert "@" in item["snippet"]["description"] and item["snippet"]["customUrl"].startswith("@")
    assert item["brandingSettings"]["channel"]["title"] == item["snippet"]["title"]
    again = yt.channels().list(part="statistics", id=channel_id).execute()["items"][0]
    assert again["statistics"] == stats  # deterministic
    by_handle = yt.channels().list(part="id", forHandle=item["snippet"]["customUrl"]).execute()["items"]
    assert [c["id"] for c in by_handle] == [channel_id]


def test_a_repeated_id_parameter_means_several_ids(yt, youtube_emulator) -> None:
    ids = [v.video_id for v in youtube_emulator.corpus.videos[:3]]
    response = yt.videos().list(part="id", id=ids).execute()  # sent as id=a&id=b&id=c
    assert [item["id"] for item in response["items"]] == ids


def test_a_channels_country_is_the_most_common_of_its_videos(tmp_path: Path) -> None:
    rows = [
        {
            "video_id": f"v{i}",
            "channel_id": "UCaaaaaaaaaaaaaaaaaaaaaa",
            "channel_title": "Mixed",
            "title": f"Video {i}",
            "published_at": "2025-01-0%dT10:00:00Z" % (i + 1),
            "country": country,
        }
        for i, country in enumerate(["GB", "US", "GB"])
    ]
    corpus = load_corpus(write_corpus(tmp_path, rows))
    assert corpus.channels["UCaaaaaaaaaaaaaaaaaaaaaa"].country == "GB"


def test_a_channels_sidecar_overrides_the_made_up_figures(tmp_path: Path, youtube_emulator_for) -> None:
    path = write_corpus(
        tmp_path,
        [
            {
                "video_id": "v1",
                "channel_id": "UCbbbbbbbbbbbbbbbbbbbbbb",
                "channel_title": "Real Figures",
                "title": "A video",
                "published_at": "2025-03-01T10:00:00Z",
                "country": "US",
            },
        ],
    )
    with (tmp_path / "channels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "channel_id",
                "title",
                "description",
                "custom_url",
                "country",
                "subscriber_count",
                "video_count",
                "view_count",
                "published_at",
            ]
        )
        writer.writerow(
            [
                "UCbbbbbbbbbbbbbbbbbbbbbb",
                "Real Figures",
                "For business: hi@real.example",
                "@realfigures",
                "CA",
                "12300",
                "42",
                "987654",
                "2019-05-01T00:00:00Z",
            ]
        )
    emulator = youtube_emulator_for(path)
    item = (
        youtube_api(emulator)
        .channels()
        .list(part="snippet,statistics", id="UCbbbbbbbbbbbbbbbbbbbbbb")
        .execute()["items"][0]
    )
    assert EMULATED_KEY not in item
    assert item["statistics"]["subscriberCount"] == "12300" and item["statistics"]["videoCount"] == "42"
    assert (item["snippet"]["country"], item["snippet"]["customUrl"]) == ("CA", "@realfigures")


def test_recent_uploads_come_newest_first_through_the_uploads_playlist(yt, youtube_emulator) -> None:
    channel_id = youtube_emulator.corpus.videos[0].channel_id
    request = yt.playlistItems().list(part="contentDetails", playlistId="UU" + channel_id[2:], maxResults=2)
    uploads: list[dict[str, str]] = []
    while request is not None:
        response = request.execute()
        assert response["kind"] == "youtube#playlistItemListResponse"
        uploads.extend(item["contentDetails"] for item in response["items"])
        request = yt.playlistItems().list_next(request, response)
    expected = youtube_emulator.corpus.videos_of_channel(channel_id)
    assert [u["videoId"] for u in uploads] == [v.video_id for v in expected]
    published = [u["videoPublishedAt"] for u in uploads]
    assert published == sorted(published, reverse=True)
    with pytest.raises(HttpError) as raised:
        yt.playlistItems().list(part="contentDetails", playlistId="UUnoSuchChannelAtAll000").execute()
    assert raised.value.status_code == 404 and reason_of(raised.value) == "playlistNotFound"


# --- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("youtube/v3/search?q=matcha&key=k", 400, "required"),
        ("youtube/v3/search?part=snippet&q=matcha&maxResults=51&key=k", 400, "invalidParameter"),
        ("youtube/v3/search?part=snippet&q=matcha&maxResults=-1&key=k", 400, "invalidParameter"),
        ("youtube/v3/search?part=snippet&q=matcha&videoDuration=medium&key=k", 400, "invalidSearchFilter"),
        ("youtube/v3/search?part=snippet&q=matcha&pageToken=bogus&key=k", 400, "invalidPageToken"),
        ("youtube/v3/search?part=snippet,statistics&q=matcha&key=k", 400, "unknownPart"),
        ("youtube/v3/videos?part=snippet&key=k", 400, "missingRequiredParameter"),
        ("youtube/v3/channels?part=snippet&key=k", 400, "missingRequiredParameter"),
        ("youtube/v3/playlistItems?part=snippet&key=k", 400, "missingRequiredParameter"),
        ("youtube/v3/search?part=snippet&q=matcha", 403, "forbidden"),
    ],
)
def test_malformed_requests_get_youtubes_error_bodies(youtube_emulator, path: str, status: int, reason: str) -> None:
    code, body = raw_get(youtube_emulator, path)
    assert code == status == body["error"]["code"]
    error = body["error"]["errors"][0]
    assert error["reason"] == reason and error["message"] and error["domain"]
    assert body["error"]["message"] == error["message"]


def test_a_video_filter_is_accepted_with_type_video(yt) -> None:
    response = yt.search().list(part="snippet", q="yoga", type="video", videoDuration="any").execute()
    assert response["items"]


def test_an_invalid_key_is_refused_with_api_key_invalid(youtube_emulator) -> None:
    with pytest.raises(HttpError) as raised:
        youtube_api(youtube_emulator, key="invalid-key").search().list(part="snippet", q="matcha").execute()
    assert raised.value.status_code == 400 and reason_of(raised.value) == "keyInvalid"
    assert raised.value.error_details[0]["reason"] == "API_KEY_INVALID"
    youtube_emulator.configure(invalid_keys=["revoked"])
    with pytest.raises(HttpError):
        youtube_api(youtube_emulator, key="revoked").videos().list(part="id", id="x").execute()


# --- quota --------------------------------------------------------------------------------------------


def test_quota_is_metered_as_youtube_meters_it(yt, youtube_emulator) -> None:
    yt.search().list(part="snippet", q="kettle", type="video").execute()
    response = yt.search().list(part="snippet", q="kettle", type="video").execute()
    yt.search().list_next(yt.search().list(part="snippet", q="kettle", type="video"), response).execute()
    ids = ",".join(v.video_id for v in youtube_emulator.corpus.videos[:50])
    yt.videos().list(part="snippet,statistics,contentDetails,topicDetails", id=ids).execute()
    yt.channels().list(part="snippet", id=youtube_emulator.corpus.videos[0].channel_id).execute()
    with pytest.raises(HttpError):  # invalid, still charged
        yt.videos().list(part="nonsense", id="x").execute()
    usage = youtube_emulator.usage()
    assert (usage["search_calls"], usage["units"]) == (3, 3)  # search has its own bucket; 1 unit per call
    assert [(c.resource, c.bucket, c.cost) for c in youtube_emulator.calls] == [
        ("search", "search", 1),
        ("search", "search", 1),
        ("search", "search", 1),
        ("videos", "units", 1),
        ("channels", "units", 1),
        ("videos", "units", 1),
    ]
    status, body = raw_get(youtube_emulator, "_emulator/quota")
    assert (body["search_calls"], body["units"], body["search_calls_per_day"]) == (3, 3, 100)


def test_quota_exceeded_once_spent_and_never_retried(yt, youtube_emulator) -> None:
    youtube_emulator.configure(search_calls_per_day=2, units_per_day=1)
    for _ in range(2):
        yt.search().list(part="snippet", q="matcha", type="video").execute()
    with pytest.raises(HttpError) as raised:
        no_sleep(yt.search().list(part="snippet", q="matcha", type="video")).execute(num_retries=3)
    body = json.loads(raised.value.content)["error"]
    assert raised.value.status_code == 403 and body["errors"][0]["reason"] == "quotaExceeded"
    assert body["errors"][0]["domain"] == "youtube.quota" and "exceeded your" in body["message"]
    assert len(youtube_emulator.calls_to("search")) == 3
    # The unit pool is separate: one unit left, then it is spent too.
    yt.videos().list(part="id", id=youtube_emulator.corpus.videos[0].video_id).execute()
    with pytest.raises(HttpError) as raised:
        yt.videos().list(part="id", id=youtube_emulator.corpus.videos[0].video_id).execute()
    assert reason_of(raised.value) == "quotaExceeded"
    assert youtube_emulator.usage()["units"] == 1


def test_quota_resets_at_midnight_pacific_time(yt, youtube_emulator) -> None:
    youtube_emulator.configure(search_calls_per_day=1, now="2026-11-25T07:59:00Z")  # 23:59 PST
    yt.search().list(part="snippet", q="matcha", type="video").execute()
    with pytest.raises(HttpError):
        yt.search().list(part="snippet", q="matcha", type="video").execute()
    youtube_emulator.configure(now="2026-11-25T08:00:01Z")  # 00:00:01 PST, a new Pacific day
    yt.search().list(part="snippet", q="matcha", type="video").execute()
    assert [(c.pacific_day, c.status) for c in youtube_emulator.calls] == [
        ("2026-11-24", 200),
        ("2026-11-24", 403),
        ("2026-11-25", 200),
    ]


# --- faults, latency, calls log, control endpoints ----------------------------------------------------


def test_injected_server_errors_are_retried_by_the_client(yt, youtube_emulator) -> None:
    youtube_emulator.configure(fail_next=[503, 500, 429, 403])
    response = no_sleep(yt.search().list(part="snippet", q="candle", type="video")).execute(num_retries=4)
    assert response["items"]
    assert [(c.status, c.reason) for c in youtube_emulator.calls] == [
        (503, "backendError"),
        (500, "backendError"),
        (429, "rateLimitExceeded"),
        (403, "rateLimitExceeded"),
        (200, ""),
    ]
    assert youtube_emulator.usage()["search_calls"] == 5  # failed tries cost quota too


def test_fault_rates_are_seeded_and_deterministic(youtube_emulator) -> None:
    api = youtube_api(youtube_emulator)

    def statuses() -> list[int]:
        youtube_emulator.reset()
        out = []
        for _ in range(20):
            try:
                api.videos().list(part="id", id="x").execute()
                out.append(200)
            except HttpError as error:
                out.append(error.status_code)
        return out

    youtube_emulator.configure(error_rate=0.2, rate_limit_rate=0.2, seed=7)
    first = statuses()
    assert first == statuses()
    assert {200, 403}.issubset(first) and ({500, 503} & set(first))
    youtube_emulator.configure(error_rate=1.0, rate_limit_rate=0.0)
    assert set(statuses()) <= {500, 503}


def test_added_latency_slows_every_answer(yt, youtube_emulator) -> None:
    youtube_emulator.configure(latency_ms=250)
    started = time.monotonic()
    yt.videos().list(part="id", id="x").execute()
    assert time.monotonic() - started >= 0.25


def test_calls_for_a_failing_query_or_id_answer_503_and_other_calls_do_not(yt, youtube_emulator) -> None:
    youtube_emulator.configure(fail_queries=["Cast Iron"])

    with pytest.raises(HttpError) as raised:
        yt.search().list(part="snippet", q="best cast iron skillet", type="video").execute()
    assert raised.value.status_code == 503 and reason_of(raised.value) == "backendError"
    assert yt.search().list(part="snippet", q="ukulele", type="video").execute()["items"]
    assert yt.videos().list(part="id", id="x").execute()["items"] == []
    assert [(c.resource, c.status) for c in youtube_emulator.calls] == [
        ("search", 503),
        ("search", 200),
        ("videos", 200),
    ]
    assert youtube_emulator.usage()["search_calls"] == 2  # the failed search was charged, as YouTube does
    youtube_emulator.configure(fail_ids=["y"])
    with pytest.raises(HttpError) as raised:
        yt.videos().list(part="id", id="x,y").execute()
    assert raised.value.status_code == 503
    assert yt.videos().list(part="id", id="x").execute()["items"] == []
    with pytest.raises(urllib.error.HTTPError):
        raw_post(youtube_emulator, "_emulator/config", {"fail_queries": "cast iron"})


def test_the_most_requests_in_flight_at_once_are_counted(youtube_emulator) -> None:
    # The first three requests are held until all three are being served: three at once, whatever the load.
    youtube_emulator.configure(gather=3)
    apis = [youtube_api(youtube_emulator) for _ in range(3)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda api: api.videos().list(part="id", id="x").execute(), apis))

    assert answers == [answers[0]] * 3 and len(youtube_emulator.calls) == 3
    assert raw_get(youtube_emulator, "_emulator/in-flight")[1] == {"in_flight": 0, "most_in_flight": 3}
    # One at a time afterwards: the gather held only the first three, and a reset starts the count again.
    youtube_emulator.reset()
    apis[0].videos().list(part="id", id="x").execute()
    apis[0].videos().list(part="id", id="y").execute()
    assert youtube_emulator.most_in_flight == 1


def test_the_calls_log_records_params_without_the_key(yt, youtube_emulator) -> None:
    yt.search().list(part="snippet", q="ukulele", type="video", maxResults=7).execute()
    status, body = raw_get(youtube_emulator, "_emulator/calls")
    assert status == 200 and len(body["calls"]) == 1
    call = body["calls"][0]
    assert call["method"] == "youtube.search.list" and call["status"] == 200
    assert call["params"] == {"part": "snippet", "q": "ukulele", "type": "video", "maxResults": "7", "alt": "json"}
    assert call["time"].endswith("Z")
    yt.videos().list(part="id", id="x").execute()
    assert [c["resource"] for c in raw_get(youtube_emulator, "_emulator/calls?resource=videos")[1]["calls"]] == [
        "videos"
    ]


def test_control_endpoints_reset_configure_forget_and_update(yt, youtube_emulator) -> None:
    assert raw_get(youtube_emulator, "_emulator/health")[1] == {
        "status": "ok",
        "videos": len(youtube_emulator.corpus.videos),
        "channels": len(youtube_emulator.corpus.channels),
    }
    kenny = youtube_emulator.corpus.videos_of_channel(
        next(c.channel_id for c in youtube_emulator.corpus.channels.values() if c.title == "Cast Iron Kenny")
    )
    video_id, channel_id = kenny[0].video_id, kenny[0].channel_id

    raw_post(youtube_emulator, "_emulator/update", {"video_id": video_id, "statistics": {"viewCount": 123}})
    stats = yt.videos().list(part="statistics", id=video_id).execute()["items"][0]["statistics"]
    assert stats["viewCount"] == "123"
    raw_post(youtube_emulator, "_emulator/update", {"video_id": video_id, "snippet": {"title": "Renamed"}})
    assert yt.videos().list(part="snippet", id=video_id).execute()["items"][0]["snippet"]["title"] == "Renamed"

    raw_post(youtube_emulator, "_emulator/forget", {"channel_ids": [channel_id]})
    assert yt.videos().list(part="id", id=video_id).execute()["items"] == []
    assert yt.channels().list(part="id", id=channel_id).execute()["items"] == []
    found = yt.search().list(part="snippet", q="cast iron", type="video", maxResults=50).execute()["items"]
    assert found and all(item["snippet"]["channelId"] != channel_id for item in found)

    config = raw_post(youtube_emulator, "_emulator/config", {"search_calls_per_day": 0})
    assert config["config"]["search_calls_per_day"] == 0
    with pytest.raises(HttpError):
        yt.search().list(part="snippet", q="cast iron", type="video").execute()

    raw_post(youtube_emulator, "_emulator/reset", {})
    assert youtube_emulator.calls == [] and youtube_emulator.usage()["units"] == 0
    raw_post(youtube_emulator, "_emulator/reset", {"all": True})
    assert yt.videos().list(part="id", id=video_id).execute()["items"]
    assert youtube_emulator.state.config.search_calls_per_day == 100


def test_a_bad_control_request_is_a_400(youtube_emulator) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        raw_post(youtube_emulator, "_emulator/config", {"error_rate": 3})
    assert raised.value.code == 400


# --- corpus loading and the command -------------------------------------------------------------------


def write_corpus(directory: Path, rows: list[dict[str, str]], name: str = "videos.csv") -> Path:
    columns = (
        "video_id,channel_id,channel_id_source,channel_title,title,description,tags,category_id,"
        "category,published_at,view_count,like_count,comment_count,country,countries,trending_date"
    )
    path = directory / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns.split(","), restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_broken_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    path = write_corpus(
        tmp_path,
        [
            {
                "video_id": "ok1",
                "channel_id": "UCcccccccccccccccccccccc",
                "title": "Fine",
                "published_at": "2025-01-01T00:00:00Z",
                "view_count": "10",
            },
            {"video_id": "bad1", "channel_id": "UCcccccccccccccccccccccc", "title": "No date", "published_at": "soon"},
            {
                "video_id": "bad2",
                "channel_id": "UCcccccccccccccccccccccc",
                "title": "Views",
                "view_count": "many",
                "published_at": "2025-01-01T00:00:00Z",
            },
            {
                "video_id": "ok1",
                "channel_id": "UCcccccccccccccccccccccc",
                "title": "Duplicate",
                "published_at": "2025-01-01T00:00:00Z",
            },
        ],
    )
    corpus = load_corpus(path)
    assert [v.video_id for v in corpus.videos] == ["ok1"] and corpus.skipped_rows == 3


def test_a_missing_or_foreign_corpus_is_a_clear_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not found"):
        call_command("youtube_emulator", corpus=str(tmp_path / "nope.csv"), port=0)
    (tmp_path / "other.csv").write_text("name,age\nann,3\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        call_command("youtube_emulator", corpus=str(tmp_path / "other.csv"), port=0)
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00video_id\x00")
    with pytest.raises(CorpusError):
        load_corpus(tmp_path / "binary.csv")
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("youtube_emulator", error_rate=2.0)


def test_the_command_serves_the_demo_corpus_and_stops_cleanly_on_sigterm() -> None:
    env = {**os.environ, "MAATCHAA_DEV": "true", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "youtube_emulator", "--port", "0", "--search-calls-per-day", "5"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        assert process.stdout is not None
        while not any(line.startswith("URL:") for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        url = next(line for line in lines if line.startswith("URL:")).split()[1]
        assert any("308 videos" in line or "videos from" in line for line in lines)
        with urllib.request.urlopen(url + "_emulator/quota", timeout=10) as response:
            assert json.loads(response.read())["search_calls_per_day"] == 5
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0 and "Stopped after" in output


def test_the_demo_corpus_covers_the_twelve_products_and_the_brand_channel() -> None:
    corpus = corpus_for(DEMO_CORPUS)
    assert 300 <= len(corpus.videos) <= 400
    assert BRAND_CHANNEL in corpus.channels
    labels = json.loads((DEMO_CORPUS.parent / "labels.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in labels["products"]] == [f"gid://shopify/Product/{1000000000000 + n}" for n in range(1, 13)]
    for product in labels["products"]:
        grades = Counter(labels["creator_qrels"][product["id"]].values())
        assert grades[3] >= 3 and grades[2] >= 2 and grades[0] >= 2
        assert BRAND_CHANNEL not in labels["creator_qrels"][product["id"]]
        assert set(labels["video_qrels"][product["id"]]) <= set(corpus.by_id)
    languages = Counter(v.language for v in corpus.videos)
    assert languages["en"] < len(corpus.videos) and len(languages) >= 5


@pytest.mark.slow
def test_the_whole_shared_corpus_loads_and_answers_a_search(youtube_emulator_for) -> None:
    path = Path(django_settings.SHARED_DATA_DIR) / "data" / "youtube" / "videos.csv"
    if not path.is_file():
        pytest.skip(f"the shared corpus is not at {path} (set MAATCHAA_SHARED_DIR)")
    started = time.monotonic()
    emulator = youtube_emulator_for(path)
    load_seconds = time.monotonic() - started
    assert len(emulator.corpus.videos) == 13_004
    response = (
        youtube_api(emulator).search().list(part="snippet", q="iphone review", type="video", maxResults=50).execute()
    )
    assert len(response["items"]) == 50 and response["nextPageToken"]
    assert any("iphone" in item["snippet"]["title"].lower() for item in response["items"][:5])
    assert load_seconds < 60
