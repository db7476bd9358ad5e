"""The cross-tenant matrix of creators as relationships: every endpoint, tried with another company's ids.

Ana (Juniper & Pine) calls each endpoint with the rows of Bo's company (Rival Goods): each answers 404
exactly as a missing id would, and nothing of the rival's changes. The API and the dashboard alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from creators.models import CreatorList, CreatorNote, ListEntry
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


@dataclass
class Rival:
    """The rival company's rows, as ids Ana should never reach."""

    world: World
    note: CreatorNote
    list: CreatorList
    entry: ListEntry
    mine: CreatorList  # one of Ana's own lists, for the rival's entry ids


@pytest.fixture
def rival(world: World) -> Rival:
    note = CreatorNote.objects.create(company=world.other_company, channel=world.other_channel, text="rival note")
    rival_list = CreatorList.objects.create(company=world.other_company, name="Rival launch")
    entry = ListEntry.objects.create(creator_list=rival_list, channel=world.other_channel, product=world.other_product)
    mine = CreatorList.objects.create(company=world.company, name="Ours")
    return Rival(world=world, note=note, list=rival_list, entry=entry, mine=mine)


Request = tuple[str, str, Any]  # method, path, JSON body
API_CALLS: list[Callable[[Rival], Request]] = [
    lambda r: ("GET", f"/creators/{r.world.other_channel.pk}?company_id={r.world.other_company.pk}", None),
    lambda r: (
        "POST",
        f"/creators/{r.world.other_channel.pk}/notes?company_id={r.world.other_company.pk}",
        {"text": "x"},
    ),
    lambda r: (
        "POST",
        f"/creators/{r.world.other_channel.pk}/recent-uploads?company_id={r.world.other_company.pk}",
        None,
    ),
    lambda r: ("DELETE", f"/creators/{r.world.other_channel.pk}/notes/{r.note.pk}", None),
    lambda r: ("GET", f"/lists?company_id={r.world.other_company.pk}", None),
    lambda r: ("POST", f"/lists?company_id={r.world.other_company.pk}", {"name": "Sneaky"}),
    lambda r: ("GET", f"/lists/{r.list.pk}", None),
    lambda r: ("PATCH", f"/lists/{r.list.pk}", {"name": "Renamed"}),
    lambda r: ("DELETE", f"/lists/{r.list.pk}", None),
    lambda r: ("GET", f"/lists/{r.list.pk}/entries", None),
    lambda r: ("GET", f"/lists/{r.list.pk}/entries.csv", None),
    lambda r: ("POST", f"/lists/{r.list.pk}/entries", {"channel_id": r.world.channels["tea"].pk}),
    lambda r: ("PATCH", f"/lists/{r.list.pk}/entries/{r.entry.pk}", {"status": "declined"}),
    lambda r: ("DELETE", f"/lists/{r.list.pk}/entries/{r.entry.pk}", None),
    # The rival's entry through one of Ana's own lists, and the rival's product on Ana's list.
    lambda r: ("PATCH", f"/lists/{r.mine.pk}/entries/{r.entry.pk}", {"status": "declined"}),
    lambda r: ("DELETE", f"/lists/{r.mine.pk}/entries/{r.entry.pk}", None),
    lambda r: (
        "POST",
        f"/lists/{r.mine.pk}/entries",
        {"channel_id": r.world.channels["tea"].pk, "product_id": r.world.other_product.pk},
    ),
]
PAGE_CALLS: list[Callable[[Rival], Request]] = [
    lambda r: ("POST", f"/dashboard/creators/{r.world.other_channel.pk}/notes/{r.note.pk}/delete", {}),
    lambda r: ("GET", f"/dashboard/lists/{r.list.pk}", None),
    lambda r: ("POST", f"/dashboard/lists/{r.list.pk}/edit", {"name": "Renamed"}),
    lambda r: ("POST", f"/dashboard/lists/{r.list.pk}/delete", {}),
    lambda r: ("POST", f"/dashboard/lists/{r.list.pk}/entries/{r.entry.pk}", {"status": "declined"}),
    lambda r: ("POST", f"/dashboard/lists/{r.list.pk}/entries/{r.entry.pk}/remove", {}),
    lambda r: ("POST", f"/dashboard/lists/{r.mine.pk}/entries/{r.entry.pk}", {"status": "declined"}),
    lambda r: ("POST", "/dashboard/lists/add", {"list_id": r.list.pk, "channel_id": r.world.channels["tea"].pk}),
    lambda r: (
        "POST",
        "/dashboard/lists/add",
        {"list_id": r.mine.pk, "channel_id": r.world.channels["tea"].pk, "product_id": r.world.other_product.pk},
    ),
]


def rows() -> dict[str, list[str]]:
    """Every row of the creators' tables, as text: what must not change."""
    tables = [t for t in connection.introspection.table_names() if t.startswith("creators_")]
    found = {}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f'SELECT t::text FROM "{table}" AS t ORDER BY 1')
            found[table] = [row[0] for row in cursor.fetchall()]
    return found


@pytest.mark.parametrize("call", API_CALLS)
def test_the_api_answers_404_to_another_companys_ids(api: APIClient, rival: Rival, call) -> None:
    method, path, body = call(rival)
    before = rows()
    sent: dict[str, Any] = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    response = api.generic(method, path, **sent)
    assert response.status_code == 404, (method, path, response.content[:300])
    assert response.json()["message"]
    assert rows() == before


@pytest.mark.parametrize("call", PAGE_CALLS)
def test_the_dashboard_answers_404_to_another_companys_ids(world: World, rival: Rival, call) -> None:
    client = Client()
    client.force_login(world.user)
    method, path, body = call(rival)
    before = rows()
    response = client.post(path, body) if method == "POST" else client.get(path)
    assert response.status_code == 404, (method, path)
    assert rows() == before
