"""Lookalikes ("More like this"): stored channels ranked by their videos' content, no YouTube call at all.

The world's videos get hand-made embeddings here, so that which channel is nearest is known: tea and
brew share a niche, cafe is half-way, the rival's secret creator is elsewhere.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Company
from creators.lookalikes import current_label, refresh_channel_vectors
from creators.models import ChannelVector
from discovery.models import Channel, Video
from discovery.signals import videos_deleting
from matches.models import CreatorDecision
from web.tests.dashboard_data import World, fast_hashing, make_channel, make_video

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def unit(*weights: tuple[int, float]) -> list[float]:
    vector = np.zeros(384, dtype=np.float32)
    for axis, weight in weights:
        vector[axis] = weight
    return list(vector / np.linalg.norm(vector))


def embed(video_id: str, *weights: tuple[int, float]) -> None:
    Video.objects.filter(pk=video_id).update(
        embedding=unit(*weights), embedding_model=current_label(), updated_at=timezone.now()
    )


@pytest.fixture
def embedded(world: World) -> World:
    embed("teaVideo001", (0, 1.0))
    embed("teaVideo002", (0, 1.0), (1, 0.2))
    embed("brewVideo01", (0, 1.0), (1, 0.4))
    embed("cafeVideo01", (0, 0.5), (1, 1.0))
    embed("secretVid01", (2, 1.0))
    return world


def names(body: dict) -> list[str]:
    return [result["channel"]["title"] for result in body["results"]]


def test_lookalikes_rank_stored_channels_by_content_with_why_and_no_youtube_call(
    api: APIClient, embedded: World, youtube_emulator
) -> None:
    response = api.get(f"/creators/{embedded.channels['tea'].pk}/lookalikes")
    assert response.status_code == 200, response.content
    body = response.json()
    # Every stored channel, another company's find included, nearest first; never the creator itself.
    assert names(body) == ["Brew Buddy", "=Cafe Corner", "Secret Creator"]
    assert body["search_calls"] == 0 and body["units"] == 0 and "no YouTube search" in body["note"]
    brew = body["results"][0]
    assert brew["similarity"] > body["results"][1]["similarity"] > body["results"][2]["similarity"]
    assert brew["evidence"]["closest_video"]["video_id"] == "brewVideo01"
    assert brew["evidence"]["videos_compared"] == 1
    assert brew["products"] == [  # best rank first
        {"id": embedded.kettle.pk, "title": embedded.kettle.title, "rank": 1},
        {"id": embedded.whisk.pk, "title": embedded.whisk.title, "rank": 2},
    ]
    assert ", as of " in brew["subscribers"]["display"]
    # The rival's product never shows, even beside the rival's own creator.
    assert body["results"][2]["products"] == []
    assert youtube_emulator.calls == []


def test_shared_terms_are_the_words_both_channels_use(api: APIClient, embedded: World) -> None:
    Video.objects.filter(pk="brewVideo01").update(title="Matcha whisk latte", tags=["matcha", "chasen"])
    Video.objects.filter(pk="teaVideo002").update(tags=["chasen", "matcha"])
    brew = api.get(f"/creators/{embedded.channels['tea'].pk}/lookalikes").json()["results"][0]
    assert brew["evidence"]["shared_terms"][:2] == ["matcha", "chasen"]


def test_dismissed_and_own_channels_are_left_out_for_this_company_only(
    api: APIClient, embedded: World, settings
) -> None:
    tea = embedded.channels["tea"].pk
    CreatorDecision.objects.create(product=embedded.whisk, channel=embedded.channels["brew"], status="dismissed")
    Company.objects.filter(pk=embedded.company.pk).update(own_channel_ids=[embedded.other_channel.pk])
    body = api.get(f"/creators/{tea}/lookalikes").json()
    assert names(body) == ["=Cafe Corner"] and body["excluded"] == 2
    rival = APIClient()
    rival.force_login(embedded.other_user)
    assert names(rival.get(f"/creators/{tea}/lookalikes").json()) == ["Brew Buddy", "=Cafe Corner", "Secret Creator"]


def test_channels_past_the_30_day_rule_are_not_offered(api: APIClient, embedded: World) -> None:
    Channel.objects.filter(pk=embedded.channels["brew"].pk).update(fetched_at=timezone.now() - dt.timedelta(days=31))
    assert "Brew Buddy" not in names(api.get(f"/creators/{embedded.channels['tea'].pk}/lookalikes").json())


def test_vectors_follow_the_videos(embedded: World) -> None:
    now = timezone.now()
    refresh_channel_vectors(now=now)
    assert ChannelVector.objects.count() == 4
    assert refresh_channel_vectors(now=now) == 0  # nothing changed: nothing recomputed
    brew = embedded.channels["brew"]
    before = np.array(ChannelVector.objects.get(channel=brew).embedding)
    # A second video of brew's, stored later: its vector is recomputed from both.
    make_video(brew, "brewVideo02", "Cafe tour", fetched_at=now)
    embed("brewVideo02", (1, 1.0))
    assert refresh_channel_vectors(now=timezone.now()) == 1
    after = ChannelVector.objects.get(channel=brew)
    assert after.video_count == 2 and not np.allclose(before, np.array(after.embedding))
    # The retention job deleting a channel's only video: the vector goes with it.
    videos_deleting.send(sender=Video, video_ids=["secretVid01"], reason="expired")
    Video.objects.filter(pk="secretVid01").delete()
    refresh_channel_vectors(now=timezone.now())
    assert not ChannelVector.objects.filter(channel=embedded.other_channel).exists()


def test_a_creator_without_analysed_videos_says_so(api: APIClient, embedded: World) -> None:
    quiet = make_channel("UCquietChannel0000000000", "Quiet", fetched_at=timezone.now())
    response = api.get(f"/creators/{quiet.pk}/lookalikes")
    assert response.status_code == 409 and "nothing to compare" in response.json()["message"]
    assert api.get("/creators/UCnobodyAtAll000000000000/lookalikes").status_code == 404


@pytest.mark.parametrize("limit", ["0", "51", "x", "1e3"])
def test_a_bad_limit_is_a_400(api: APIClient, embedded: World, limit: str) -> None:
    response = api.get(f"/creators/{embedded.channels['tea'].pk}/lookalikes", {"limit": limit})
    assert response.status_code == 400 and response.json()["message"]


def test_the_page_says_no_search_was_spent_and_links_each_creator(embedded: World) -> None:
    client = Client()
    client.force_login(embedded.user)
    tea = embedded.channels["tea"].pk
    assert (
        f'href="/dashboard/creators/{tea}/lookalikes">More like this</a>'
        in client.get(f"/dashboard/creators/{tea}").content.decode()
    )
    page = client.get(f"/dashboard/creators/{tea}/lookalikes").content.decode()
    assert "No YouTube search was spent" in page
    assert page.index("Brew Buddy") < page.index("=Cafe Corner")
    assert f'href="/dashboard/creators/{embedded.channels["brew"].pk}">Brew Buddy</a>' in page
