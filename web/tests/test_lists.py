"""Lists with a pipeline: /lists and /lists/{id}/entries through the API, the list pages, the CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from creators.models import CreatorList, ListEntry
from matches.models import CreatorDecision
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


@pytest.fixture
def browser(world: World) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


def new_list(api: APIClient, name: str = "Spring launch") -> dict:
    response = api.post("/lists", {"name": name, "description": "Matcha season"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_list_is_created_and_listed_with_its_counts(api: APIClient, world: World) -> None:
    created = new_list(api)
    assert created["name"] == "Spring launch" and created["entry_count"] == 0
    assert created["status_counts"] == {"to_contact": 0, "contacted": 0, "replied": 0, "agreed": 0, "declined": 0}
    api.post(f"/lists/{created['id']}/entries", {"channel_id": world.channels["tea"].pk}, format="json")
    [listed] = api.get("/lists").json()["results"]
    assert listed["id"] == created["id"] and listed["entry_count"] == 1 and listed["status_counts"]["to_contact"] == 1


@pytest.mark.parametrize("name", ["Spring launch", "spring LAUNCH", "  Spring launch  "])
def test_list_names_are_unique_per_company_with_a_400_that_says_so(api: APIClient, world: World, name: str) -> None:
    new_list(api)
    response = api.post("/lists", {"name": name}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Juniper & Pine Co. already has a list named 'Spring launch': list names are unique per company."
    )
    assert CreatorList.objects.count() == 1


def test_another_company_may_use_the_same_name(api: APIClient, world: World) -> None:
    new_list(api)
    rival = APIClient()
    rival.force_login(world.other_user)
    assert rival.post("/lists", {"name": "Spring launch"}, format="json").status_code == 201


def test_renaming_to_a_taken_name_is_refused_and_to_its_own_name_is_fine(api: APIClient, world: World) -> None:
    first, second = new_list(api, "Spring"), new_list(api, "Autumn")
    assert api.patch(f"/lists/{second['id']}", {"name": "SPRING"}, format="json").status_code == 400
    renamed = api.patch(f"/lists/{first['id']}", {"name": "spring", "description": ""}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "spring" and renamed.json()["description"] == ""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name may not be empty."),
        ({"name": ""}, "name may not be empty."),
        ({"name": None}, "name may not be empty."),
        ({"name": ["x"]}, "name must be text."),
        ({"name": "x" * 101}, "name is 101 characters long; the most is 100."),
        ({"name": "ok", "description": "d" * 501}, "description is 501 characters long; the most is 500."),
        ("just text", 'Send a JSON object such as {"name": "Spring launch"}.'),
    ],
)
def test_a_bad_list_is_a_400_with_a_message(api: APIClient, world: World, body: object, message: str) -> None:
    response = api.post("/lists", body, format="json")
    assert response.status_code == 400 and response.json()["message"] == message


def test_a_creator_is_added_for_a_product_and_moves_through_the_pipeline(api: APIClient, world: World) -> None:
    listed = new_list(api)
    entries = f"/lists/{listed['id']}/entries"
    tea = world.channels["tea"].pk
    added = api.post(entries, {"channel_id": tea, "product_id": world.whisk.pk}, format="json")
    assert added.status_code == 201
    entry = added.json()
    assert entry["status"] == "to_contact" and entry["product"] == {"id": world.whisk.pk, "title": world.whisk.title}
    assert entry["channel"]["title"] == "Tea Master" and ", as of " in entry["subscribers"]["display"]
    assert entry["added_by"] == entry["changed_by"] == "ana@juniper.test"
    # Adding again changes nothing and says so with a 200.
    again = api.post(entries, {"channel_id": tea, "status": "agreed"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == entry["id"] and again.json()["status"] == "to_contact"
    moved = api.patch(
        f"{entries}/{entry['id']}", {"status": "contacted", "notes": "Sent the whisk deck"}, format="json"
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "contacted" and moved.json()["notes"] == "Sent the whisk deck"
    assert moved.json()["status_changed_at"] and moved.json()["changed_by"] == "ana@juniper.test"
    row = ListEntry.objects.get()
    assert (row.status, row.changed_by, row.notes) == ("contacted", world.user, "Sent the whisk deck")
    # Notes alone leave the status's date alone.
    status_changed = row.status_changed_at
    api.patch(f"{entries}/{entry['id']}", {"notes": "Replied on Monday"}, format="json")
    row.refresh_from_db()
    assert row.status_changed_at == status_changed and row.notes == "Replied on Monday"


def test_the_entries_are_filtered_by_status_and_sorted(api: APIClient, world: World) -> None:
    listed = new_list(api)
    entries = f"/lists/{listed['id']}/entries"
    for name, status in [("tea", "agreed"), ("brew", "to_contact"), ("cafe", "contacted")]:
        api.post(entries, {"channel_id": world.channels[name].pk, "status": status}, format="json")
    by_status = [e["channel"]["title"] for e in api.get(entries).json()["results"]]
    assert by_status == ["Brew Buddy", "=Cafe Corner", "Tea Master"]  # to contact, contacted, agreed
    by_name = [e["channel"]["title"] for e in api.get(entries, {"ordering": "name"}).json()["results"]]
    assert by_name == ["=Cafe Corner", "Brew Buddy", "Tea Master"]
    contacted = api.get(entries, {"status": "contacted"}).json()["results"]
    assert [e["channel"]["title"] for e in contacted] == ["=Cafe Corner"]
    assert api.get(entries, {"status": "maybe"}).status_code == 400
    assert api.get(entries, {"ordering": "bogus"}).status_code == 400


@pytest.mark.parametrize(
    ("body", "status_code", "message"),
    [
        ({"channel_id": "UCnobodyAtAll000000000000"}, 404, "Creator not found."),
        ({}, 400, "channel_id must be a YouTube channel id."),
        ({"channel_id": 7}, 400, "channel_id must be a YouTube channel id."),
        ({"channel_id": "UCteaMasterChannel000001", "status": "maybe"}, 400, None),
        ({"channel_id": "UCteaMasterChannel000001", "product_id": "x"}, 400, "product_id must be a whole number."),
        ({"channel_id": "UCteaMasterChannel000001", "product_id": 987654321}, 404, "Product not found."),
        # Beyond 64 bits the strict JSON parser refuses the body itself (maatchaa/parsers.py).
        ({"channel_id": "UCteaMasterChannel000001", "product_id": 2**80}, 400, None),
        ({"channel_id": "UCteaMasterChannel000001", "notes": "n" * 5001}, 400, None),
    ],
)
def test_a_bad_entry_is_refused_with_a_message(
    api: APIClient, world: World, body: dict, status_code: int, message: str | None
) -> None:
    listed = new_list(api)
    response = api.post(f"/lists/{listed['id']}/entries", body, format="json")
    assert response.status_code == status_code and response.json()["message"]
    if message:
        assert response.json()["message"] == message
    assert not ListEntry.objects.exists()


def test_a_list_exports_its_entries_as_csv_formula_safe(api: APIClient, world: World) -> None:
    listed = new_list(api)
    entries = f"/lists/{listed['id']}/entries"
    api.post(entries, {"channel_id": world.channels["cafe"].pk, "notes": "=HYPERLINK(1)"}, format="json")
    api.post(entries, {"channel_id": world.channels["tea"].pk, "product_id": world.whisk.pk}, format="json")
    response = api.get(f"/lists/{listed['id']}/entries.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="maatchaa-list-spring-launch-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["channel_title"] for row in rows] == ["'=Cafe Corner", "Tea Master"]
    assert rows[0]["notes"] == "'=HYPERLINK(1)" and rows[1]["product"] == world.whisk.title
    assert rows[1]["subscribers"] == "1200000" and rows[1]["subscribers_as_of"]
    assert rows[1]["contact_emails"] == "tea@master.test" and rows[1]["status"] == "to_contact"
    filtered = api.get(f"/lists/{listed['id']}/entries", {"format": "csv", "status": "contacted"})
    assert len(list(csv.DictReader(io.StringIO(filtered.content.decode())))) == 0


def test_removing_an_entry_and_deleting_a_list(api: APIClient, world: World) -> None:
    listed = new_list(api)
    entries = f"/lists/{listed['id']}/entries"
    entry = api.post(entries, {"channel_id": world.channels["tea"].pk}, format="json").json()
    assert api.delete(f"{entries}/{entry['id']}").status_code == 204
    assert not ListEntry.objects.exists()
    assert api.delete(f"/lists/{listed['id']}").status_code == 204
    assert api.get(f"/lists/{listed['id']}").status_code == 404


def test_a_shortlisted_creator_stays_shortlisted_when_added_to_a_list(api: APIClient, world: World) -> None:
    tea = world.channels["tea"].pk
    api.post(f"/products/{world.whisk.pk}/creators/{tea}/decision", {"status": "shortlisted"}, format="json")
    listed = new_list(api)
    api.post(f"/lists/{listed['id']}/entries", {"channel_id": tea, "product_id": world.whisk.pk}, format="json")
    assert CreatorDecision.objects.get(channel_id=tea).status == "shortlisted"
    lists = api.get(f"/creators/{tea}").json()["lists"]
    assert [(e["list_name"], e["status"]) for e in lists] == [("Spring launch", "to_contact")]


# --- the pages -------------------------------------------------------------------------------------


def test_a_shortlisted_creator_is_added_to_a_list_in_one_click_from_the_product_page(
    browser: Client, world: World
) -> None:
    tea = world.channels["tea"].pk
    browser.post(f"/dashboard/products/{world.whisk.pk}/creators/{tea}/decision", {"action": "shortlisted"})
    spring = CreatorList.objects.create(company=world.company, name="Spring launch")
    page = browser.get(f"/dashboard/products/{world.whisk.pk}").content.decode()
    assert 'aria-label="Add Tea Master to a list"' in page and "Spring launch" in page
    response = browser.post(
        "/dashboard/lists/add",
        {
            "channel_id": tea,
            "product_id": world.whisk.pk,
            "list_id": spring.pk,
            "next": f"/dashboard/products/{world.whisk.pk}",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/dashboard/products/{world.whisk.pk}"
    entry = ListEntry.objects.get()
    assert (entry.creator_list, entry.channel_id, entry.product) == (spring, tea, world.whisk)


def test_without_a_list_the_first_add_makes_one(browser: Client, world: World) -> None:
    brew = world.channels["brew"].pk
    response = browser.post("/dashboard/lists/add", {"channel_id": brew, "new_list": "Outreach"})
    created = CreatorList.objects.get()
    assert created.name == "Outreach" and response["Location"] == f"/dashboard/lists/{created.pk}"
    # The same name again: the 400's message, shown on the page it came from.
    again = browser.post("/dashboard/lists/add", {"channel_id": brew, "new_list": "outreach"}, follow=True)
    assert "already has a list named" in again.content.decode() and CreatorList.objects.count() == 1


def test_the_list_page_filters_by_status_moves_entries_and_escapes_notes(browser: Client, world: World) -> None:
    spring = CreatorList.objects.create(company=world.company, name="Spring <launch>")
    tea = ListEntry.objects.create(creator_list=spring, channel=world.channels["tea"], notes="<b>bold</b>")
    ListEntry.objects.create(creator_list=spring, channel=world.channels["brew"], status="agreed")
    page = browser.get(f"/dashboard/lists/{spring.pk}").content.decode()
    assert "Spring &lt;launch&gt;" in page and "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold" not in page
    assert f'href="/dashboard/creators/{tea.channel_id}">Tea Master</a>' in page
    assert "Agreed (1)" in page and "To contact (1)" in page
    only_agreed = browser.get(f"/dashboard/lists/{spring.pk}", {"status": "agreed"}).content.decode()
    assert "Brew Buddy" in only_agreed and "Tea Master" not in only_agreed
    browser.post(f"/dashboard/lists/{spring.pk}/entries/{tea.pk}", {"status": "replied", "notes": "Yes!"})
    tea.refresh_from_db()
    assert (tea.status, tea.notes, tea.changed_by) == ("replied", "Yes!", world.user)


def test_the_lists_page_creates_lists_and_refuses_a_taken_name(browser: Client, world: World) -> None:
    response = browser.post("/dashboard/lists", {"name": "Holiday gifts"})
    created = CreatorList.objects.get()
    assert response["Location"] == f"/dashboard/lists/{created.pk}"
    again = browser.post("/dashboard/lists", {"name": "HOLIDAY gifts"}, follow=True)
    assert "already has a list named" in again.content.decode()
    assert "Holiday gifts" in browser.get("/dashboard/lists").content.decode()
