"""Odd input anywhere in the creators' API answers 4xx with a message, never a 500."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from creators.models import CreatorList, ListEntry
from web.tests.dashboard_data import World, fast_hashing
from web.tests.test_api_odd_inputs import ODD_VALUES, assert_clean

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

ODD_JSON: list[object] = [
    None,
    "",
    "x" * 6000,
    0,
    -1,
    2**70,
    1.5,
    True,
    [],
    {},
    ["x"],
    "\x00",
    "{creator_name",
    "' OR 1=1 --",
]


@pytest.fixture
def entry(world: World) -> ListEntry:
    spring = CreatorList.objects.create(company=world.company, name="Spring")
    return ListEntry.objects.create(creator_list=spring, channel=world.channels["tea"])


def send(api: APIClient, method: str, path: str, body: object) -> None:
    assert_clean(api.generic(method, path, data=json.dumps(body), content_type="application/json"))


def test_odd_query_parameters_never_fail_the_server(api: APIClient, world: World, entry: ListEntry) -> None:
    tea = world.channels["tea"].pk
    for path, names in [
        (f"/creators/{tea}", ["company_id"]),
        (f"/creators/{tea}/lookalikes", ["limit", "company_id"]),
        (f"/creators/{tea}/draft", ["product_id", "company_id"]),
        (f"/lists/{entry.creator_list_id}/entries", ["status", "ordering", "page", "page_size", "format"]),
        ("/lists", ["company_id", "page"]),
        ("/whats-new", ["since", "company_id"]),
        ("/outreach-template", ["company_id"]),
    ]:
        for name in names:
            for value in ODD_VALUES:
                assert_clean(api.get(path, {name: value}))


def test_odd_paths_never_fail_the_server(api: APIClient, world: World) -> None:
    for channel in ["x" * 300, "%00", "UC" + "é" * 22, "..", "-1"]:
        for suffix in ["", "/lookalikes", "/draft", "/notes/1"]:
            assert_clean(api.get(f"/creators/{channel}{suffix}"))
        assert_clean(api.post(f"/creators/{channel}/recent-uploads"))
        assert_clean(api.post(f"/creators/{channel}/notes", {"text": "x"}, format="json"))
    for list_id in ["0", "9" * 30, "-1"]:
        assert_clean(api.get(f"/lists/{list_id}"))
        assert_clean(api.get(f"/lists/{list_id}/entries"))
        assert_clean(api.delete(f"/lists/1/entries/{list_id}"))


def test_odd_bodies_never_fail_the_server(api: APIClient, world: World, entry: ListEntry) -> None:
    tea = world.channels["tea"].pk
    entries = f"/lists/{entry.creator_list_id}/entries"
    for value in ODD_JSON:
        send(api, "POST", "/lists", {"name": value, "description": value})
        send(api, "PATCH", f"/lists/{entry.creator_list_id}", {"name": value})
        send(api, "POST", entries, {"channel_id": value})
        send(api, "POST", entries, {"channel_id": tea, "product_id": value, "status": value, "notes": value})
        send(api, "PATCH", f"{entries}/{entry.pk}", {"status": value, "notes": value, "product_id": value})
        send(api, "POST", f"/creators/{tea}/notes", {"text": value})
        send(api, "PUT", "/outreach-template", {"subject": value, "body": value})
        send(api, "POST", f"/creators/{tea}/contacted", {"list_id": value, "product_id": value})
        send(api, "POST", "/lists", value)
        send(api, "PUT", "/outreach-template", value)
    for body in ["null", "[", "{'a': 1}", "\x00"]:
        response = api.generic("POST", "/lists", data=body, content_type="application/json")
        assert_clean(response)
