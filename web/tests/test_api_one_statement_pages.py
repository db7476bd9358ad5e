"""The API's lists in as few statements as they need: a session with its user, a page with its total.

accounts.session_store keeps the signed-in user's id beside the session; accounts.session_auth reads both in
one statement. matches.selectors.ProductPages and CreatorPages answer web.api.CountedPaginator with a page and
its total in one statement. These tests hold the answers to what Django and DRF answer, and count statements.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session as DjangoSession
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import UserSession
from matches.models import CreatorMatch, Match
from web.tests.dashboard_data import PASSWORD, World, fast_hashing, make_product, make_video

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def statements(client: APIClient, url: str) -> tuple[int, dict, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, response.json(), [q["sql"] for q in queries.captured_queries]


# --- sessions -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signing_in_writes_the_users_id_beside_the_session_and_signing_out_removes_it(world: World) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "ana@juniper.test", "password": PASSWORD})
    key = client.cookies["sessionid"].value

    assert UserSession.objects.get(session_key=key).user_id == world.user.pk

    client.post("/accounts/logout/")

    assert not UserSession.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user_id=world.user.pk).exists()


def test_the_session_its_user_and_companies_come_in_one_statement(api: APIClient, world: World) -> None:
    status, body, sql = statements(api, "/products")

    assert status == 200 and body["count"] == 3
    assert len(sql) == 2, sql  # the session with its user and companies; the page with its total
    assert "accounts_session" in sql[0] and "auth_user" in sql[0] and "shopify_app_membership" in sql[0]


def test_a_session_row_naming_another_user_than_its_data_is_not_trusted(api: APIClient, world: World) -> None:
    # The column is written from the data on every save; were they ever to disagree, the data decides.
    UserSession.objects.filter(user_id=world.user.pk).update(user_id=world.other_user.pk)

    status, body, sql = statements(api, "/products")

    assert status == 200
    assert sorted(p["title"] for p in body["results"]) == sorted(
        ["Ceremonial Matcha Whisk Set", "Gooseneck Pour-Over Kettle", "Lavender Soy Candle"]
    )
    assert len(sql) == 3  # the session, then its user (from the data) with their companies, then the page


def test_an_expired_session_is_signed_out(api: APIClient, world: World) -> None:
    UserSession.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    assert api.get("/products").status_code == 401


def test_a_session_whose_user_was_deleted_is_signed_out(api: APIClient, world: World) -> None:
    world.user.delete()

    assert api.get("/products").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_live_sessions_from_djangos_table_with_their_user() -> None:
    from django.contrib.auth.models import User

    user = User.objects.create_user("copied@juniper.test", password=PASSWORD)
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])  # before accounts_session
    try:
        live = DjangoSessionStore()
        live.update({SESSION_KEY: str(user.pk), "company_id": "x"})
        live.create()
        expired = DjangoSessionStore()
        expired.create()
        DjangoSession.objects.filter(session_key=expired.session_key).update(
            expire_date=timezone.now() - timedelta(days=1)
        )
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    copied = UserSession.objects.get(session_key=live.session_key)
    assert copied.user_id == user.pk
    assert copied.get_decoded() == {SESSION_KEY: str(user.pk), "company_id": "x"}
    assert not UserSession.objects.filter(session_key=expired.session_key).exists()


# --- a page with its total ------------------------------------------------------------------------


def test_a_product_page_and_its_total_come_in_one_statement(api: APIClient, world: World) -> None:
    for n in range(30):
        make_product(world.company, f"Bamboo Tray {n:02d}", 100 + n)

    status, body, sql = statements(api, "/products?page=2")

    assert status == 200 and body["count"] == 33 and len(body["results"]) == 8
    assert body["previous"].endswith("/products") and body["next"] is None
    assert len(sql) == 2


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "2", "99", str(10**30)])
def test_a_page_that_is_not_there_is_djangos_404(api: APIClient, world: World, page: str) -> None:
    response = api.get(f"/products?page={page}")

    assert response.status_code == 404
    assert response.json() == {"message": "Invalid page.", "details": {}}


def test_page_one_of_no_products_is_an_empty_list(api: APIClient, world: World) -> None:
    status, body, _ = statements(api, "/products?search=no-such-thing")

    assert status == 200 and body == {"count": 0, "next": None, "previous": None, "results": []}


def test_the_search_matches_title_handle_type_vendor_and_tags_ignoring_case_with_like_characters_literal(
    api: APIClient, world: World
) -> None:
    make_product(world.company, "Tray 100% bamboo", 40, vendor="Woodwork_Co")
    make_product(world.company, "Tray 100 percent", 41, handle="candle-tray-41")

    def titles(search: str) -> list[str]:
        return [p["title"] for p in api.get("/products", {"search": search}).json()["results"]]

    assert titles("BAMBOO") == ["Ceremonial Matcha Whisk Set", "Tray 100% bamboo"]  # a tag, then a title
    assert titles("100%") == ["Tray 100% bamboo"]
    assert titles("rk_c") == ["Tray 100% bamboo"]
    assert titles("kitchen") == ["Gooseneck Pour-Over Kettle"]  # the product type
    assert titles("candle-") == ["Tray 100 percent"]  # the handle


def test_a_creator_page_and_its_total_come_in_one_statement(api: APIClient, world: World) -> None:
    status, body, sql = statements(api, f"/products/{world.whisk.pk}/creators?page_size=2")

    assert status == 200 and body["count"] == 3 and len(body["results"]) == 2
    # session and user; the product; the page with its total; the matched videos (with the evidence's titles)
    assert len(sql) == 4, sql


def test_an_evidence_video_that_is_not_a_matched_one_still_shows_its_current_title(
    api: APIClient, world: World
) -> None:
    tea = world.channels["tea"]
    elsewhere = make_video(tea, "teaVideo009", "Chasen care, retitled", fetched_at=timezone.now())
    creator = CreatorMatch.objects.get(product=world.whisk, channel=tea)
    creator.evidence["videos"].append({"video_id": elsewhere.video_id, "score": 0.5, "terms": []})
    creator.save()
    assert not Match.objects.filter(product=world.whisk, video=elsewhere).exists()

    status, body, sql = statements(api, f"/products/{world.whisk.pk}/creators")

    titles = {v["video_id"]: v["title"] for v in body["results"][0]["evidence"]["videos"]}
    assert titles == {
        "teaVideo001": "How to whisk matcha",
        "teaVideo002": "Chasen care",
        "teaVideo009": "Chasen care, retitled",
    }
    assert len(sql) == 5  # the one video not among the matched ones is read apart
