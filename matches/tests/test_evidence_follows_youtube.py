"""Creator evidence refers to videos by id and shows their current text; nothing copied outlives a refresh."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import cast

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from discovery.models import Channel, Video
from discovery.retention import run_retention
from matches.models import CreatorMatch, Match
from pipeline.discover import discover_products
from pipeline.tests.pipeline_support import make_company, make_product, write_corpus
from pipeline.tests.test_compliance import tea_rows
from web.tests.dashboard_data import make_member

pytestmark = pytest.mark.django_db

STRIP_TITLES = importlib.import_module("matches.migrations.0002_evidence_without_copied_titles").STRIP_TITLES

T0 = dt.datetime(2026, 11, 2, 18, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def emulator(tmp_path, youtube_emulator_for):
    return youtube_emulator_for(write_corpus(tmp_path, tea_rows()))


@pytest.fixture
def member_and_whisk():
    user, company = make_member("ana@juniper.test", "Juniper & Pine Co.")
    return user, make_product(company, "Ceremonial Matcha Whisk Set", tags=["matcha", "chasen"])


def evidence_titles(api: APIClient, product_id: int) -> dict[str, str]:
    response = api.get(f"/products/{product_id}/creators")
    assert response.status_code == 200, response.content
    return {
        video["video_id"]: video["title"]
        for creator in response.json()["results"]
        for video in creator["evidence"]["videos"]
    }


def test_a_video_renamed_at_youtube_shows_its_new_title_in_the_evidence_after_the_refresh(
    emulator, member_and_whisk
) -> None:
    user, whisk = member_and_whisk
    with time_machine.travel(T0, tick=False):
        discover_products(run=None, products=[whisk])
    top = cast(CreatorMatch, CreatorMatch.objects.order_by("rank").first())
    renamed = top.evidence["videos"][0]["video_id"]
    old_title = Video.objects.get(pk=renamed).title
    api = APIClient()
    api.force_login(user)
    with time_machine.travel(T0, tick=False):
        assert evidence_titles(api, whisk.pk)[renamed] == old_title

    emulator.update_video(renamed, title="Chasen care: keeping a bamboo matcha whisk in shape")
    refresh_day = T0 + 26 * DAY  # within the refresh margin of the 30-day limit
    with time_machine.travel(refresh_day, tick=False):
        run = run_retention()
        shown = evidence_titles(api, whisk.pk)
    assert run.videos_refreshed > 0
    assert shown[renamed] == "Chasen care: keeping a bamboo matcha whisk in shape"
    # What matching derived from the old text was rebuilt from the new, not left as it was.
    assert Match.objects.get(product=whisk, video_id=renamed).updated_at == refresh_day
    assert CreatorMatch.objects.get(pk=top.pk).updated_at == refresh_day
    # And no YouTube title is stored in any creator's evidence.
    for evidence in CreatorMatch.objects.values_list("evidence", flat=True):
        assert all("title" not in video for video in evidence["videos"])


def test_the_migration_takes_copied_titles_out_of_stored_evidence() -> None:
    company = make_company("Juniper & Pine Co.")
    product = make_product(company, "Matcha Whisk")
    channel = Channel.objects.create(channel_id="UCteaMaker000000000000", title="Tea")
    Video.objects.create(video_id="chasen00000a", channel=channel, title="Whisking matcha")
    creator = CreatorMatch.objects.create(
        product=product,
        channel=channel,
        score=0.8,
        rank=1,
        evidence={
            "videos": [{"video_id": "chasen00000a", "title": "An old copied title", "score": 0.8, "terms": ["matcha"]}],
            "terms": ["matcha"],
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(STRIP_TITLES)
    creator.refresh_from_db()
    assert creator.evidence == {
        "videos": [{"video_id": "chasen00000a", "score": 0.8, "terms": ["matcha"]}],
        "terms": ["matcha"],
    }
