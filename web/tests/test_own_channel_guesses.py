"""The brand's own channel, found by its name: shown on the settings page and in the API, undone in one click."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from rest_framework.test import APIClient

from matches.models import CreatorMatch, Match, OwnChannelGuess
from matches.own_channels import detect_own_channels
from matches.services import rank_product_creators
from web.tests.dashboard_data import World, fast_hashing, make_channel, make_video

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

BRAND = "UCjuniperPineBrand000001"


@pytest.fixture
def guessed(world: World) -> str:
    """The brand's channel matched the whisk, was taken for the brand's own and left out of its ranking."""
    channel = make_channel(BRAND, "Juniper and Pine Official", fetched_at=world.fetched, custom_url="@juniperpineco")
    video = make_video(channel, "brandVideo1", "Meet our matcha whisk set", fetched_at=world.fetched)
    Match.objects.create(product=world.whisk, video=video, similarity_score=0.95, evidence={"terms": ["matcha"]})
    assert detect_own_channels(company=world.company, channel_ids={BRAND, world.channels["tea"].channel_id}) == {BRAND}
    rank_product_creators(product=world.whisk)
    return BRAND


def _ranked(world: World) -> list[str]:
    return list(CreatorMatch.objects.filter(product=world.whisk).order_by("rank").values_list("channel_id", flat=True))


def test_a_guess_is_kept_out_and_shown_on_the_settings_page(world: World, guessed: str) -> None:
    assert guessed not in _ranked(world)
    client = Client()
    client.force_login(world.user)

    html = unescape(client.get("/dashboard/settings").content.decode())

    assert "We think this is your channel:" in html
    assert "Juniper and Pine Official" in html
    assert "its name matches the company's name “Juniper & Pine Co.”" in html
    assert "Not our channel: rank it" in html


def test_one_click_on_the_settings_page_undoes_it_and_ranks_the_channel(world: World, guessed: str) -> None:
    client = Client()
    client.force_login(world.user)

    response = client.post(f"/dashboard/settings/channels/guesses/{guessed}", {"ours": "false"}, follow=True)

    assert "ranked like any creator again" in response.content.decode()
    assert _ranked(world)[0] == guessed  # its 0.95 video puts it first
    assert OwnChannelGuess.objects.get(channel_id=guessed).rejected_by == world.user
    assert "You said this is not your channel:" in response.content.decode()
    # Undone for good: a later detection leaves it alone.
    assert detect_own_channels(company=world.company, channel_ids={guessed}) == set()
    client.post(f"/dashboard/settings/channels/guesses/{guessed}", {"ours": "true"})
    assert guessed not in _ranked(world)


def test_the_api_lists_and_undoes_guesses(api: APIClient, world: World, guessed: str) -> None:
    listed = api.get("/own-channels").json()
    assert listed["named"] == []
    assert listed["detected"] == [
        {
            "channel_id": guessed,
            "title": "Juniper and Pine Official",
            "url": f"https://www.youtube.com/channel/{guessed}",
            "matched_name": "Juniper & Pine Co.",
            "matched_by": "company",
            "kept_out": True,
        }
    ]

    undone = api.post(f"/own-channels/{guessed}", {"ours": False}, format="json")

    assert undone.status_code == 200 and undone.json()["kept_out"] is False
    assert guessed in _ranked(world)
    assert api.post(f"/own-channels/{guessed}", {"ours": True}, format="json").json()["kept_out"] is True
    assert guessed not in _ranked(world)


def test_bad_requests_get_a_message_not_a_500(api: APIClient, world: World, guessed: str) -> None:
    missing = api.post("/own-channels/UCnobodyGuessedThis00001", {"ours": False}, format="json")
    assert missing.status_code == 404 and "message" in missing.json()
    bad = api.post(f"/own-channels/{guessed}", {"ours": "perhaps"}, format="json")
    assert bad.status_code == 400 and "ours" in str(bad.json()["details"])
    assert api.post(f"/own-channels/{guessed}", ["ours"], format="json").status_code == 400
    client = Client()
    client.force_login(world.user)
    assert client.post(f"/dashboard/settings/channels/guesses/{guessed}", {"ours": "maybe"}).status_code == 400


def test_another_companys_guesses_are_invisible(world: World, guessed: str) -> None:
    rival = APIClient()
    rival.force_login(world.other_user)
    assert rival.get("/own-channels").json()["detected"] == []
    assert rival.post(f"/own-channels/{guessed}", {"ours": False}, format="json").status_code == 404
    assert guessed not in _ranked(world)


def test_the_admin_lists_guesses_and_undoes_them(world: World, guessed: str, django_user_model) -> None:
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/matches/ownchannelguess/").content.decode()
    assert guessed in listing and "Juniper &amp; Pine Co." in listing
    guess = OwnChannelGuess.objects.get(channel_id=guessed)

    response = client.post(
        "/admin/matches/ownchannelguess/", {"action": "undo", "_selected_action": [guess.pk]}, follow=True
    )

    assert response.status_code == 200
    assert guessed in _ranked(world)
    band = CreatorMatch.objects.get(product=world.whisk, channel_id=guessed).fit_band
    assert band == CreatorMatch.FitBand.STRONG  # its 0.95 video
    assert "Strong fit" in client.get("/admin/matches/creatormatch/?fit_band__exact=strong").content.decode()
