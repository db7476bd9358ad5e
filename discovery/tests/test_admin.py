"""The admin shows YouTube's counts only with the day they were fetched, lists and forms alike."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from discovery.models import Channel, Video

pytestmark = pytest.mark.django_db

FETCHED = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def late_november():
    # "as of 3 Nov" leaves the year out within the same year: keep the test's "today" fixed.
    with time_machine.travel(dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC), tick=True):
        yield


@pytest.fixture
def admin_client_fast(settings) -> Client:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


@pytest.fixture
def video() -> Video:
    channel = Channel.objects.create(
        channel_id="UCadmin0000000000000000", title="Tea Time", subscriber_count=1_234_000, fetched_at=FETCHED
    )
    return Video.objects.create(
        video_id="adminvid001",
        channel=channel,
        title="Whisking matcha",
        view_count=56_000,
        like_count=1_200,
        fetched_at=FETCHED,
    )


def test_the_channel_form_shows_subscribers_with_the_day_they_were_fetched(
    admin_client_fast: Client, video: Video
) -> None:
    page = admin_client_fast.get(reverse("admin:discovery_channel_change", args=[video.channel_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "1.2M subscribers, as of 3 Nov" in text
    assert 'name="subscriber_count"' not in text


def test_the_video_form_shows_views_and_likes_with_the_day_they_were_fetched(
    admin_client_fast: Client, video: Video
) -> None:
    page = admin_client_fast.get(reverse("admin:discovery_video_change", args=[video.video_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "56K views, as of 3 Nov" in text
    assert "1.2K likes, as of 3 Nov" in text
    assert 'name="view_count"' not in text


def test_the_channel_list_dates_its_counts(admin_client_fast: Client, video: Video) -> None:
    page = admin_client_fast.get(reverse("admin:discovery_channel_changelist"))
    assert "1.2M subscribers, as of 3 Nov" in page.content.decode()
