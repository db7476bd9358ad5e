"""Tokens for API clients: `create_api_token USER` prints one that the API accepts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from matches.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_command_prints_a_token_the_api_accepts(world: World) -> None:
    lines = run("Ana@Juniper.test")
    key = lines[0]
    assert lines[-1] == "Created token for ana@juniper.test."
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/products").json()["count"] == 3


def test_the_command_reuses_or_replaces_the_token(world: World) -> None:
    first = run("ana@juniper.test")[0]
    assert run("ana@juniper.test")[0] == first
    replaced = run("ana@juniper.test", "--replace")
    assert replaced[0] == "Revoked the previous token."
    assert replaced[1] != first and Token.objects.get(user=world.user).key == replaced[1]


def test_an_unknown_user_is_a_command_error(world: World) -> None:
    with pytest.raises(CommandError, match="No user 'nobody@test'"):
        run("nobody@test")


def test_a_user_without_a_company_is_warned(world: World, django_user_model) -> None:  # type: ignore[no-untyped-def]
    django_user_model.objects.create(username="loner@test")
    assert any("not a member of any company" in line for line in run("loner@test"))
