"""What's new: creators that entered a product's strong band since the last visit (products page, API)
or the last digest (the weekly email, only with EMAIL_URL, and a member may turn it off)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Company
from creators.tasks import weekly_digest
from creators.whats_new import send_weekly_digests
from matches.models import CreatorDecision, CreatorMatch
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


@pytest.fixture
def browser(world: World) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


def news_on_page(client: Client) -> list[str]:
    page = client.get("/dashboard/products").content.decode()
    if "What's new since" not in page:
        return []
    section = page.split('id="whats-new"', 1)[1].split("</section>", 1)[0]
    return [title for title in ("Tea Master", "Brew Buddy", "=Cafe Corner", "Secret Creator") if title in section]


def band(score: float) -> str:
    # This world's bands, set by hand (the ranking sets them from fit_bands.json): strong from 0.8.
    return CreatorMatch.FitBand.STRONG if score >= 0.8 else CreatorMatch.FitBand.GOOD


@pytest.fixture(autouse=True)
def banded(world: World) -> None:
    for match in CreatorMatch.objects.all():
        CreatorMatch.objects.filter(pk=match.pk).update(fit_band=band(match.score))


def promote(world: World, name: str, *, score: float, at: dt.datetime) -> None:
    CreatorMatch.objects.filter(product=world.whisk, channel=world.channels[name]).update(
        score=score, fit_band=band(score), updated_at=at
    )


def test_the_products_page_lists_new_strong_fits_since_the_last_visit(browser: Client, world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        # A first visit looks back a week: Tea Master (0.91) is a strong fit, Brew Buddy (0.74) is not.
        assert news_on_page(browser) == ["Tea Master"]
    with time_machine.travel(start + 10 * dt.timedelta(minutes=1), tick=False):
        assert news_on_page(browser) == ["Tea Master"]  # the same visit: a reload keeps the list
    with time_machine.travel(start + 2 * HOUR, tick=False):
        assert news_on_page(browser) == []  # seen at the last visit
    promote(world, "brew", score=0.86, at=start + 3 * HOUR)  # a discovery run after that visit
    with time_machine.travel(start + 4 * HOUR, tick=False):
        page = browser.get("/dashboard/products").content.decode()
        assert f'href="/dashboard/creators/{world.channels["brew"].pk}">Brew Buddy</a>' in page
        assert "Secret Creator" not in page  # the rival's strong fit is the rival's news


def test_dismissed_and_own_channels_are_never_news(browser: Client, world: World) -> None:
    CreatorDecision.objects.create(product=world.whisk, channel=world.channels["tea"], status="dismissed")
    assert news_on_page(browser) == []
    CreatorDecision.objects.all().delete()
    Company.objects.filter(pk=world.company.pk).update(own_channel_ids=[world.channels["tea"].pk])
    assert news_on_page(Client()) == [] and "Tea Master" not in str(news_on_page(browser))


def test_a_creator_that_left_the_band_and_came_back_is_news_again(api: APIClient, world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert [n["channel"]["title"] for n in api.get("/whats-new").json()["results"]] == ["Tea Master"]
        promote(world, "tea", score=0.5, at=start)
        assert api.get("/whats-new").json()["results"] == []
    with time_machine.travel(start + DAY, tick=False):
        promote(world, "tea", score=0.95, at=timezone.now())
        since = (start + HOUR).isoformat()
        [back] = api.get("/whats-new", {"since": since}).json()["results"]
        assert back["channel"]["title"] == "Tea Master" and back["score"] == 0.95
        assert back["product"] == {"id": world.whisk.pk, "title": world.whisk.title}


def test_the_api_refuses_a_bad_since_and_another_companys_id(api: APIClient, world: World) -> None:
    assert api.get("/whats-new", {"since": "yesterday"}).status_code == 400
    assert api.get("/whats-new", {"company_id": str(world.other_company.pk)}).status_code == 404


# --- the weekly digest -----------------------------------------------------------------------------


def test_no_email_goes_out_without_email_url(world: World, settings, mailoutbox) -> None:
    settings.EMAIL_URL = ""
    assert weekly_digest() == "Weekly digest skipped: EMAIL_URL is not set."
    assert mailoutbox == []


def test_each_member_gets_their_own_companys_news_once_a_week(world: World, settings, mailoutbox) -> None:
    settings.EMAIL_URL = "smtp://mail.test:25"
    settings.APP_URL = "https://maatchaa.test"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert send_weekly_digests(now=start).sent == 2
    by_recipient = {mail.to[0]: mail for mail in mailoutbox}
    ana, bo = by_recipient["ana@juniper.test"], by_recipient["bo@rival.test"]
    assert ana.subject == "1 new strong creator fit for Juniper & Pine Co."
    assert f"Tea Master (fit 0.91): https://maatchaa.test/dashboard/creators/{world.channels['tea'].pk}" in ana.body
    assert "https://maatchaa.test/dashboard/settings#digest" in ana.body
    assert "Secret Creator" not in ana.body and "Tea Master" not in bo.body and "Secret Creator" in bo.body
    # The same day again: nobody is due.
    with time_machine.travel(start + HOUR, tick=False):
        assert send_weekly_digests(now=start + HOUR).due == 0
    # A week later with nothing new: due, nothing sent; then a new strong fit makes the next one.
    with time_machine.travel(start + 7 * DAY, tick=False):
        result = send_weekly_digests(now=start + 7 * DAY)
        assert (result.due, result.sent) == (2, 0)
        promote(world, "brew", score=0.9, at=start + 8 * DAY)
    with time_machine.travel(start + 14 * DAY, tick=False):
        assert send_weekly_digests(now=start + 14 * DAY).sent == 1
    assert "Brew Buddy (fit 0.90)" in mailoutbox[-1].body and mailoutbox[-1].to == ["ana@juniper.test"]


def test_a_member_turns_the_digest_off_on_the_settings_page(
    browser: Client, world: World, settings, mailoutbox
) -> None:
    settings.EMAIL_URL = "smtp://mail.test:25"
    page = browser.get("/dashboard/settings").content.decode()
    assert 'id="digest-enabled" name="enabled" value="true" checked' in page
    browser.post("/dashboard/settings/digest", {})
    assert 'id="digest-enabled" name="enabled" value="true" >' in browser.get("/dashboard/settings").content.decode()
    send_weekly_digests(now=timezone.now())
    assert [mail.to for mail in mailoutbox] == [["bo@rival.test"]]
    browser.post("/dashboard/settings/digest", {"enabled": "true"})
    send_weekly_digests(now=timezone.now())
    assert [mail.to for mail in mailoutbox][-1] == ["ana@juniper.test"]
