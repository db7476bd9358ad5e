"""A creator's page (/dashboard/creators/{id}) and GET /creators/{id}: one channel as one company sees it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from creators.models import CreatorNote, RecentUpload
from discovery.models import Channel, QuotaDay
from discovery.quota import record_call
from matches.models import CreatorDecision
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


@pytest.fixture
def browser(world: World) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


@pytest.fixture
def rival(world: World) -> APIClient:
    client = APIClient()
    client.force_login(world.other_user)
    return client


def test_the_api_shows_a_creator_with_every_product_it_fits_and_dated_statistics(api: APIClient, world: World) -> None:
    tea = world.channels["tea"]
    CreatorDecision.objects.create(product=world.whisk, channel=tea, status="shortlisted", decided_by=world.user)
    body = api.get(f"/creators/{tea.pk}").json()
    assert body["channel"]["title"] == "Tea Master"
    assert body["channel"]["url"] == f"https://www.youtube.com/channel/{tea.pk}"
    assert body["channel"]["language"] == "ja" and body["channel"]["country"] == "JP"
    subscribers = body["statistics"]["subscribers"]
    assert subscribers["value"] == 1_200_000 and subscribers["as_of"] and ", as of " in subscribers["display"]
    assert "engagement" not in body["statistics"]  # derived: only with the operator's opt-in
    [fit] = body["products"]
    assert fit["product"]["id"] == world.whisk.pk and fit["rank"] == 1 and fit["decision"] == "shortlisted"
    assert "chasen" in fit["matched_terms"]
    assert [v["video_id"] for v in body["matched_videos"]] == ["teaVideo001", "teaVideo002"]
    assert body["matched_videos"][0]["products"] == [{"id": world.whisk.pk, "title": world.whisk.title}]
    assert body["contact_emails"] == ["tea@master.test"]
    assert body["decisions"][0]["status"] == "shortlisted" and body["decisions"][0]["decided_by"] == "ana@juniper.test"
    assert body["recent_uploads"] == {"as_of": None, "display": "Not fetched yet", "can_fetch": False, "items": []}


def test_a_creator_fitting_two_products_lists_both_best_fit_first(api: APIClient, world: World) -> None:
    body = api.get(f"/creators/{world.channels['brew'].pk}").json()
    assert [fit["product"]["title"] for fit in body["products"]] == [world.whisk.title, world.kettle.title]
    assert body["contact_emails"] == ["biz@brew.test"]  # found in a video's description


@pytest.mark.usefixtures("derived_metrics_on")
def test_with_the_opt_in_the_creator_shows_engagement_labelled_as_calculated(api: APIClient, world: World) -> None:
    engagement = api.get(f"/creators/{world.channels['tea'].pk}").json()["statistics"]["engagement"]
    assert engagement["derived"] is True and engagement["value"] == pytest.approx(1200 / 20_000)
    assert "calculated by Maatchaa" in engagement["display"]


def test_another_company_sees_the_same_channel_with_only_its_own_rows(
    api: APIClient, rival: APIClient, world: World
) -> None:
    tea = world.channels["tea"]
    CreatorDecision.objects.create(product=world.whisk, channel=tea, status="shortlisted")
    assert api.post(f"/creators/{tea.pk}/notes", {"text": "Ana's secret"}, format="json").status_code == 201
    seen_by_rival = rival.get(f"/creators/{tea.pk}").json()
    assert seen_by_rival["channel"]["title"] == "Tea Master"
    assert seen_by_rival["products"] == [] and seen_by_rival["decisions"] == [] and seen_by_rival["notes"] == []
    assert "Ana's secret" not in str(seen_by_rival) and world.whisk.title not in str(seen_by_rival)
    # And the other way round: the rival's product never shows on Ana's view of the rival's creator.
    mine = api.get(f"/creators/{world.other_channel.pk}").json()
    assert mine["products"] == [] and "Rival Secret Whisk" not in str(mine)


def test_a_channel_we_do_not_store_is_a_404(api: APIClient) -> None:
    for channel_id in ["UCnobodyAtAll000000000000", "x" * 300, "not a channel"]:
        response = api.get(f"/creators/{channel_id}")
        assert response.status_code == 404, channel_id
        assert response.json()["message"] == "Creator not found."
    # A NUL in a path is refused before any view (maatchaa/middleware.py).
    assert api.get("/creators/%00").status_code == 400


def test_another_companys_id_in_company_id_is_a_404(api: APIClient, world: World) -> None:
    response = api.get(f"/creators/{world.channels['tea'].pk}", {"company_id": str(world.other_company.pk)})
    assert response.status_code == 404
    assert api.get(f"/creators/{world.channels['tea'].pk}", {"company_id": "nope"}).status_code == 400


def test_notes_are_added_shown_newest_first_and_deleted(api: APIClient, world: World) -> None:
    tea = world.channels["tea"].pk
    first = api.post(f"/creators/{tea}/notes", {"text": "  Met at the tea fair  "}, format="json")
    assert first.status_code == 201 and first.json()["text"] == "Met at the tea fair"
    assert first.json()["author"] == "ana@juniper.test"
    api.post(f"/creators/{tea}/notes", {"text": "Prefers email"}, format="json")
    assert [n["text"] for n in api.get(f"/creators/{tea}").json()["notes"]] == ["Prefers email", "Met at the tea fair"]
    assert api.delete(f"/creators/{tea}/notes/{first.json()['id']}").status_code == 204
    assert list(CreatorNote.objects.values_list("text", flat=True)) == ["Prefers email"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": ""}, "text may not be empty."),
        ({"text": "   "}, "text may not be empty."),
        ({}, "text may not be empty."),
        ({"text": 12}, "text must be text."),
        ({"text": "x" * 5001}, "text is 5001 characters long; the most is 5000."),
        (["text"], 'Send a JSON object such as {"text": "Met at the tea fair"}.'),
    ],
)
def test_a_bad_note_is_a_400_with_a_message(api: APIClient, world: World, body: object, message: str) -> None:
    response = api.post(f"/creators/{world.channels['tea'].pk}/notes", body, format="json")
    assert response.status_code == 400 and response.json()["message"] == message
    assert not CreatorNote.objects.exists()


def test_another_companys_note_cannot_be_deleted(api: APIClient, rival: APIClient, world: World) -> None:
    tea = world.channels["tea"].pk
    note = api.post(f"/creators/{tea}/notes", {"text": "ours"}, format="json").json()
    assert rival.delete(f"/creators/{tea}/notes/{note['id']}").status_code == 404
    assert rival.delete(f"/creators/{tea}/notes/{2**70}").status_code == 404
    assert CreatorNote.objects.filter(pk=note["id"]).exists()


# --- recent uploads, fetched on demand ------------------------------------------------------------


def corpus_channel(youtube_emulator) -> Channel:
    """A channel of the emulator's corpus, stored as discovery would have stored it."""
    channel_id = next(iter(youtube_emulator.corpus.channels))
    return Channel.objects.create(
        channel_id=channel_id,
        title="From the corpus",
        uploads_playlist_id="UU" + channel_id[2:],
        fetched_at=timezone.now(),
    )


def test_recent_uploads_cost_one_unit_and_no_search_call(api: APIClient, world: World, youtube_emulator) -> None:
    channel = corpus_channel(youtube_emulator)
    response = api.post(f"/creators/{channel.pk}/recent-uploads")
    assert response.status_code == 200, response.content
    body = response.json()
    corpus_ids = [v.video_id for v in youtube_emulator.corpus.videos_of_channel(channel.pk)]
    assert [item["video_id"] for item in body["items"]] == corpus_ids[:10]
    assert all(item["title"] for item in body["items"]) and body["as_of"]
    assert [call.resource for call in youtube_emulator.calls] == ["playlistItems"]
    day = QuotaDay.objects.get()
    assert (day.search_calls, day.units) == (0, 1)
    # Asked again within the hour: what was fetched, and nothing spent.
    assert api.post(f"/creators/{channel.pk}/recent-uploads").json()["items"] == body["items"]
    assert len(youtube_emulator.calls) == 1
    shown = api.get(f"/creators/{channel.pk}").json()["recent_uploads"]
    assert shown["items"] == body["items"] and shown["display"].startswith("Recent uploads as of ")


def test_recent_uploads_older_than_the_30_day_rule_are_not_shown(
    api: APIClient, world: World, youtube_emulator
) -> None:
    channel = corpus_channel(youtube_emulator)
    api.post(f"/creators/{channel.pk}/recent-uploads")
    RecentUpload.objects.update(fetched_at=timezone.now() - dt.timedelta(days=31))
    assert api.get(f"/creators/{channel.pk}").json()["recent_uploads"]["items"] == []


def test_recent_uploads_are_refused_with_a_message_when_the_units_are_spent(
    api: APIClient, world: World, youtube_emulator, settings
) -> None:
    channel = corpus_channel(youtube_emulator)
    settings.YOUTUBE_DAILY_UNITS = 1
    assert record_call(units=1) is None
    response = api.post(f"/creators/{channel.pk}/recent-uploads")
    assert response.status_code == 429
    assert "budget is spent" in response.json()["message"]
    assert youtube_emulator.calls == []


def test_a_channel_without_a_known_uploads_playlist_says_why(api: APIClient, world: World) -> None:
    response = api.post(f"/creators/{world.channels['tea'].pk}/recent-uploads")
    assert response.status_code == 409 and "uploads playlist" in response.json()["message"]


# --- the page ------------------------------------------------------------------------------------


def test_the_page_shows_the_creator_its_fits_and_the_companys_notes_escaped(browser: Client, world: World) -> None:
    tea = world.channels["tea"].pk
    browser.post(f"/dashboard/creators/{tea}/notes", {"text": "<script>alert(1)</script> & more"})
    page = browser.get(f"/dashboard/creators/{tea}").content.decode()
    assert "<h1" in page and "Tea Master" in page
    assert ", as of " in page and f'href="/dashboard/products/{world.whisk.pk}"' in page
    assert "How to whisk matcha" in page and "tea@master.test" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page and "<script>alert(1)" not in page
    assert "Rival" not in page


def test_every_creator_name_on_a_product_page_links_to_its_page(browser: Client, world: World) -> None:
    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    for channel in world.channels.values():
        assert f'href="/dashboard/creators/{channel.pk}">{channel.title}</a>' in page


def test_the_page_of_a_channel_we_do_not_store_is_a_plain_404(browser: Client) -> None:
    assert browser.get("/dashboard/creators/UCnobodyAtAll000000000000").status_code == 404


def test_a_note_of_another_company_cannot_be_deleted_from_the_page(browser: Client, world: World) -> None:
    note = CreatorNote.objects.create(company=world.other_company, channel=world.other_channel, text="theirs")
    response = browser.post(f"/dashboard/creators/{world.other_channel.pk}/notes/{note.pk}/delete")
    assert response.status_code == 404 and CreatorNote.objects.filter(pk=note.pk).exists()
    assert "theirs" not in browser.get(f"/dashboard/creators/{world.other_channel.pk}").content.decode()


def test_strangers_are_sent_to_sign_in(world: World) -> None:
    response = Client().get(f"/dashboard/creators/{world.channels['tea'].pk}")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert APIClient().get(f"/creators/{world.channels['tea'].pk}").status_code in (401, 403)
