"""Tokens for API clients: `create_api_token USER` prints one that the API accepts; only its digest is kept."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from accounts.models import ApiToken
from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().splitlines()


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_command_prints_a_token_the_api_accepts_and_stores_only_its_digest(world: World) -> None:
    lines = run("Ana@Juniper.test")
    key = lines[0]
    assert key.startswith("mtc_") and len(key) == 44
    assert lines[-1] == "Created token for ana@juniper.test: copy it now, it is not shown again."
    assert api(key).get("/products").json()["count"] == 3
    # Nothing stored can be sent back as the key.
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM shopify_app_apitoken t")
        (row,) = cursor.fetchone()
    assert key not in row and key[4:] not in row
    token = ApiToken.objects.get(user=world.user)
    assert token.last_four == key[-4:] and token.last_used_at is not None


def test_the_command_will_not_reprint_a_token_and_replace_revokes_it(world: World) -> None:
    first = run("ana@juniper.test")[0]
    with pytest.raises(CommandError, match="already has a token .*--replace"):
        run("ana@juniper.test")
    replaced = run("ana@juniper.test", "--replace")
    assert replaced[0] == "Revoked the previous token."
    assert replaced[1] != first
    assert api(replaced[1]).get("/products").status_code == 200
    refused = api(first).get("/products")
    assert refused.status_code in (401, 403) and refused.json()["message"] == "Invalid token."


def test_a_token_of_a_deactivated_user_is_refused(world: World) -> None:
    key = run("ana@juniper.test")[0]
    world.user.is_active = False
    world.user.save()
    assert api(key).get("/products").status_code in (401, 403)


def test_an_unknown_user_is_a_command_error(world: World) -> None:
    with pytest.raises(CommandError, match="No user 'nobody@test'"):
        run("nobody@test")


def test_a_user_without_a_company_is_warned(world: World, django_user_model) -> None:
    django_user_model.objects.create(username="loner@test")
    assert any("not a member of any company" in line for line in run("loner@test"))


@pytest.mark.django_db(transaction=True)
def test_tokens_issued_in_clear_before_keep_working_and_their_clear_keys_are_erased(world: World) -> None:
    # The table DRF's authtoken kept before this release, with one member's key in clear.
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, "
            "user_id integer NOT NULL)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [key, world.user.pk])
    try:
        migration = importlib.import_module("shopify_app.migrations.0005_api_token_digest")
        # The models as that migration knew them (ApiToken was shopify_app's then).
        historical = MigrationExecutor(connection).loader.project_state(("shopify_app", "0005_api_token_digest")).apps
        with connection.schema_editor() as editor:
            migration.digest_clear_tokens(historical, editor)

        assert api(key).get("/products").json()["count"] == 3
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM authtoken_token")
            assert cursor.fetchone() == (0,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")


def test_the_admin_lists_tokens_without_their_digest_and_revokes_by_deleting(world: World, admin_client) -> None:
    key = run("ana@juniper.test")[0]
    token = ApiToken.objects.get(user=world.user)

    listing = admin_client.get("/admin/accounts/apitoken/").content.decode()
    form = admin_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert key[-4:] in listing and token.digest not in listing and token.digest not in form
    assert admin_client.get("/admin/accounts/apitoken/add/").status_code == 403

    admin_client.post(f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert api(key).get("/products").status_code in (401, 403)


def test_the_admin_pages_of_moved_models_answer_at_their_old_addresses(admin_client) -> None:
    old = admin_client.get("/admin/shopify_app/apitoken/?q=x")
    assert (old.status_code, old["Location"]) == (301, "/admin/accounts/apitoken/?q=x")
    run = admin_client.get("/admin/discovery/discoveryrun/")
    assert (run.status_code, run["Location"]) == (301, "/admin/pipeline/discoveryrun/")
    assert admin_client.get("/admin/accounts/apitoken/").status_code == 200
