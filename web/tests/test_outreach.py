"""Outreach drafts: the company's template on the settings page, a draft for a creator and a product, and
"contacted" once the member sent it. Maatchaa sends nothing itself."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from rest_framework.test import APIClient

from creators.models import CreatorList, ListEntry, OutreachTemplate
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


@pytest.fixture
def browser(world: World) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


def test_the_default_template_is_served_until_the_company_saves_its_own(api: APIClient, world: World) -> None:
    default = api.get("/outreach-template").json()
    assert default["is_default"] is True and "{creator_name}" in default["body"]
    assert {p["name"] for p in default["placeholders"]} >= {"creator_name", "product_title", "product_url", "why"}
    saved = api.put(
        "/outreach-template",
        {"subject": "Hello {creator_name}", "body": "We make {product_title}: {product_url}\n{why}"},
        format="json",
    )
    assert saved.status_code == 200 and saved.json()["is_default"] is False
    assert saved.json()["updated_by"] == "ana@juniper.test"
    assert OutreachTemplate.objects.get().company == world.company


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"subject": "Hi {creatorname}", "body": "ok"}, "Unknown placeholder {creatorname} in the subject"),
        ({"subject": "Hi", "body": "Dear {first_name}"}, "Unknown placeholder {first_name} in the body"),
        ({"subject": "Hi", "body": "Price: {product_price:.2f}"}, "Unknown placeholder {product_price} in the body"),
        ({"subject": "Hi", "body": "Stray } brace"}, "The body has a { or } that opens or closes no placeholder"),
        ({"subject": "Two\nlines", "body": "ok"}, "The subject must be one line."),
        ({"subject": "", "body": "ok"}, "subject may not be empty."),
        ({"subject": "Hi"}, "body may not be empty."),
    ],
)
def test_a_template_with_an_unknown_placeholder_gets_a_clear_error_on_save(
    api: APIClient, world: World, body: dict, message: str
) -> None:
    response = api.put("/outreach-template", body, format="json")
    assert response.status_code == 400 and response.json()["message"].startswith(message)
    assert not OutreachTemplate.objects.exists()


def test_a_draft_fills_the_template_for_the_creator_and_the_product(api: APIClient, world: World) -> None:
    world.whisk.online_store_url = "https://juniper.test/whisk"
    world.whisk.save()
    api.put(
        "/outreach-template",
        {
            "subject": "{brand_name} x {creator_name}",
            "body": "Try {product_title} ({product_url}); {why}. {sender_email}",
        },
        format="json",
    )
    draft = api.get(f"/creators/{world.channels['tea'].pk}/draft", {"product_id": world.whisk.pk}).json()
    assert draft["to"] == ["tea@master.test"]
    assert draft["subject"] == "Juniper & Pine Co. x Tea Master"
    assert draft["body"] == (
        "Try Ceremonial Matcha Whisk Set (https://juniper.test/whisk); your videos about matcha, whisk and chasen, "
        "like “How to whisk matcha”. ana@juniper.test"
    )
    mailto = urlsplit(draft["mailto_url"])
    assert mailto.scheme == "mailto" and mailto.path == "tea@master.test"
    assert parse_qs(mailto.query) == {"subject": [draft["subject"]], "body": [draft["body"]]}
    assert draft["copy_text"] == f"Subject: {draft['subject']}\n\n{draft['body']}"


def test_without_an_address_the_draft_is_for_the_clipboard(api: APIClient, world: World) -> None:
    draft = api.get(f"/creators/{world.channels['cafe'].pk}/draft").json()
    assert draft["to"] == [] and draft["mailto_url"] is None and draft["product"]["id"] == world.whisk.pk


def test_a_draft_for_a_product_that_is_not_the_companys_is_a_404(api: APIClient, world: World) -> None:
    tea = world.channels["tea"].pk
    assert api.get(f"/creators/{tea}/draft", {"product_id": world.other_product.pk}).status_code == 404
    assert api.get(f"/creators/{tea}/draft", {"product_id": "x"}).status_code == 400
    assert api.get(f"/creators/{world.other_channel.pk}/draft").status_code == 400  # no product of ours fits it


def test_contacted_moves_the_entry_and_adds_it_when_missing(api: APIClient, world: World) -> None:
    spring = CreatorList.objects.create(company=world.company, name="Spring")
    tea = world.channels["tea"].pk
    response = api.post(
        f"/creators/{tea}/contacted", {"list_id": spring.pk, "product_id": world.whisk.pk}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "contacted"
    entry = ListEntry.objects.get()
    assert (entry.creator_list, entry.status, entry.changed_by, entry.product) == (
        spring,
        "contacted",
        world.user,
        world.whisk,
    )
    assert api.post(f"/creators/{tea}/contacted", {"list_id": "x"}, format="json").status_code == 400
    assert (
        api.post(f"/creators/{tea}/contacted", {"list_id": 2**70}, format="json").status_code == 400
    )  # not JSON we take
    assert api.post(f"/creators/{tea}/contacted", {"list_id": 2**62}, format="json").status_code == 404


# --- the pages -------------------------------------------------------------------------------------


def test_the_settings_page_saves_the_template_and_shows_a_bad_one_s_error(browser: Client, world: World) -> None:
    page = browser.get("/dashboard/settings").content.decode()
    assert "Outreach email template" in page and "{creator_name}" in page
    browser.post("/dashboard/settings/outreach", {"subject": "Hi {creator_name}", "body": "About {product_title}"})
    assert OutreachTemplate.objects.get().subject == "Hi {creator_name}"
    refused = browser.post("/dashboard/settings/outreach", {"subject": "Hi", "body": "{nope}"}, follow=True)
    assert "Unknown placeholder {nope} in the body" in refused.content.decode()
    assert OutreachTemplate.objects.get().body == "About {product_title}"


def test_the_template_is_escaped_where_shown(browser: Client, world: World) -> None:
    browser.post("/dashboard/settings/outreach", {"subject": "<i>{creator_name}</i>", "body": "<script>x</script>"})
    page = browser.get("/dashboard/settings").content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    draft = browser.get(f"/dashboard/creators/{world.channels['tea'].pk}/draft").content.decode()
    assert "&lt;i&gt;Tea Master&lt;/i&gt;" in draft and "<i>Tea Master" not in draft


def test_the_draft_page_opens_the_mail_app_and_marks_the_creator_contacted(browser: Client, world: World) -> None:
    tea = world.channels["tea"].pk
    page = browser.get(f"/dashboard/creators/{tea}/draft", {"product": world.whisk.pk}).content.decode()
    assert 'href="mailto:tea@master.test?subject=' in page and "Copy to clipboard" in page
    assert 'name="new_list" value="Outreach"' in page  # no list yet: the first makes one
    response = browser.post(
        f"/dashboard/creators/{tea}/contacted", {"new_list": "Outreach", "product_id": world.whisk.pk}
    )
    entry = ListEntry.objects.get()
    assert response["Location"] == f"/dashboard/lists/{entry.creator_list_id}" and entry.status == "contacted"


def test_the_creator_page_offers_a_draft_per_product(browser: Client, world: World) -> None:
    page = browser.get(f"/dashboard/creators/{world.channels['brew'].pk}").content.decode()
    for product in (world.whisk, world.kettle):
        assert f'/draft?product={product.pk}"' in page
