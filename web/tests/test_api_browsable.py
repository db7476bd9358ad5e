"""The API opened in a browser (Accept: text/html, ?format=api) shows DRF's browsable page, and every method
on the list and export URLs answers without a server error."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from web.tests.dashboard_data import World, fast_hashing

pytestmark = pytest.mark.usefixtures(fast_hashing.__name__)

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def urls(world: World) -> list[str]:
    return ["/products", f"/products/{world.whisk.pk}/creators"]


def test_a_browser_gets_the_browsable_page_of_products_and_creators(api: APIClient, world: World) -> None:
    shown = {"/products": world.whisk.title, f"/products/{world.whisk.pk}/creators": world.channels["tea"].title}
    for url, text in shown.items():
        response = api.get(url, HTTP_ACCEPT=BROWSER_ACCEPT)

        assert response.status_code == 200, (url, response.content[-500:])
        assert response["Content-Type"].startswith("text/html")
        assert text in response.content.decode()


def test_format_api_gets_the_browsable_page_too(api: APIClient, world: World) -> None:
    for url in urls(world):
        response = api.get(url, {"format": "api"})

        assert response.status_code == 200, (url, response.content[-500:])
        assert response["Content-Type"].startswith("text/html")


def test_a_signed_out_browser_is_told_to_sign_in_not_a_server_error(world: World) -> None:
    for url in urls(world):
        response = APIClient().get(url, HTTP_ACCEPT=BROWSER_ACCEPT)

        assert response.status_code in (401, 403)


@pytest.mark.parametrize("method", ["OPTIONS", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE"])
def test_every_method_on_the_csv_export_answers_without_a_server_error(
    api: APIClient, world: World, method: str
) -> None:
    for url in [f"/products/{world.whisk.pk}/creators.csv", f"/products/{world.whisk.pk}/creators?format=csv"]:
        response = api.generic(method, url)

        assert response.status_code < 500, (method, url, response.status_code, response.content[-500:])
        if method == "OPTIONS":
            assert response.status_code == 200
            assert "GET" in response["Allow"]
        elif method != "HEAD":
            assert response.status_code == 405
