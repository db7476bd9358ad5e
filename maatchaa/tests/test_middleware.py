"""Requests no view can serve are refused with 400 before they reach one (maatchaa/middleware.py)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client

from maatchaa.wsgi import application

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/discovery/channel/%00/change/",
        "/dashboard/products/1/creators/UC%00/decision",
        "/products/1/creators/%00/decision",
        "/products?search=%00",
        "/accounts/login/?next=%00",
    ],
)
def test_a_url_holding_a_nul_is_a_400_before_any_database_lookup(admin_client: Client, url: str) -> None:
    # The admin's own lookup of a channel id with a NUL failed in PostgreSQL (a 500).
    for method in ("GET", "POST"):
        response = admin_client.generic(method, url)

        assert response.status_code == 400
        assert b"NUL" in response.content


@pytest.mark.parametrize("charset", ["utf-32", "latin-1", "utf8"])
def test_a_form_in_another_charset_than_utf8_is_a_400_even_where_csrf_is_checked(charset: str) -> None:
    # Django refuses such a form; the CSRF check of its error pages read it again and raised (a 500).
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    for url in ("/accounts/login/", "/dashboard/settings/channels", "/"):
        response = client.post(url, b"username=a", content_type=f"application/x-www-form-urlencoded; charset={charset}")

        assert response.status_code == 400, url


def test_the_api_docs_answer_options_without_a_server_error(client: Client) -> None:
    assert client.options("/api/docs/").status_code == 405
    assert client.get("/api/docs/").status_code == 200


def call_wsgi(**environ: str) -> tuple[str, bytes]:
    """One request through maatchaa.wsgi.application, as a WSGI server sends it."""
    base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/accounts/login/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"] = status

    body = b"".join(application({**base, **environ}, start_response))
    return answer["status"], body


def test_a_content_type_django_cannot_parse_is_a_400_from_the_wsgi_application() -> None:
    # Django raises BadRequest while building the request, before any middleware: the server answered 500.
    status, body = call_wsgi(CONTENT_TYPE="text/plain; charset=" + "a" * 20_000)

    assert status.startswith("400")
    assert b"Content-Type" in body


def test_the_wsgi_application_serves_ordinary_requests() -> None:
    status, body = call_wsgi()

    assert status.startswith("200")
    assert b"Sign in" in body or b"sign in" in body.lower()
