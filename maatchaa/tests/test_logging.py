"""With DEBUG off (as in production and in tests), a server error leaves its traceback in the log on standard
error, one line for the event and the traceback indented under it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def fails(request: HttpRequest) -> HttpResponse:
    raise ZeroDivisionError("an unhandled error in a view")


urlpatterns = [path("fails", fails)]
EVENT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.-]+: ")


def test_a_500_with_debug_off_leaves_its_traceback_on_standard_error(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert settings.DEBUG is False

    response = Client(raise_request_exception=False).get("/fails")

    assert response.status_code == 500
    err = capsys.readouterr().err
    lines = err.splitlines()
    event = next(line for line in lines if "Internal Server Error: /fails" in line)
    assert EVENT.match(event) and " ERROR django.request: " in event
    after = lines[lines.index(event) + 1 :]
    assert after[0] == "  Traceback (most recent call last):"
    assert "  ZeroDivisionError: an unhandled error in a view" in after
    # Every line that is not indented starts an event: the traceback never looks like one.
    assert all(EVENT.match(line) for line in lines if line and not line.startswith("  ")), err


def test_a_refused_host_is_logged_by_django_security(capsys: pytest.CaptureFixture[str]) -> None:
    response = Client(raise_request_exception=False).get("/fails", headers={"Host": "evil.example"})

    assert response.status_code == 400
    assert re.search(
        r" ERROR django\.security\.DisallowedHost: Invalid HTTP_HOST header: 'evil\.example'", capsys.readouterr().err
    )


def test_a_multi_line_message_is_one_line_in_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    logging.getLogger("maatchaa.shopify").warning("first line\nsecond line")

    lines = [line for line in capsys.readouterr().err.splitlines() if "first line" in line]
    assert len(lines) == 1 and lines[0].endswith("maatchaa.shopify: first line\\nsecond line")
