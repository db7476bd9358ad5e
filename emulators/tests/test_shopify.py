"""The Shopify emulator itself: catalog file, control endpoints over HTTP, images, the command."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from emulators.shopify import ShopifyEmulator, load_catalog
from emulators.testing.shopify_fixtures import DEMO_CATALOG
from maatchaa.lib.http import make_session
from shopify_app import shopify


def test_the_demo_catalog_holds_twelve_active_products_a_draft_and_an_archived_one() -> None:
    domain, nodes = load_catalog(DEMO_CATALOG)
    assert domain == "juniper-pine.myshopify.com"
    assert [n["id"] for n in nodes] == [f"gid://shopify/Product/{1000000000000 + i}" for i in range(1, 15)]
    assert [n["status"] for n in nodes] == ["ACTIVE"] * 12 + ["DRAFT", "ARCHIVED"]
    titles = [n["title"] for n in nodes[:12]]
    assert titles[0] == "Ceremonial Matcha Whisk Set" and titles[11] == "Insulated Stainless Water Bottle 32 oz"
    for node in nodes:
        product = shopify.parse_product_node(node)  # every node passes the app's strict parser
        assert 2 <= product.description.count(". ") + 1 <= 5
        assert product.image_url.startswith("{base}/cdn/")


@pytest.fixture
def running() -> Iterator[ShopifyEmulator]:
    _, nodes = load_catalog(DEMO_CATALOG)
    emulator = ShopifyEmulator(nodes, api_key="k", api_secret="s").start()
    yield emulator
    emulator.stop()


def test_control_endpoints_edit_the_catalog_and_show_the_request_log(running: ShopifyEmulator) -> None:
    http = make_session(timeout=5, retries=0)
    base = running.url
    before = running.product("lavender-soy-candle")["updatedAt"]
    answer = http.post(
        f"{base}/_emulator/products/update",
        json={"id": "lavender-soy-candle", "fields": {"title": "Lavender & Cedar Soy Candle"}},
    ).json()
    assert answer["product"]["title"] == "Lavender & Cedar Soy Candle"
    assert answer["product"]["updatedAt"] > before
    assert http.post(f"{base}/_emulator/products/delete", json={"id": "canvas-camp-stool"}).status_code == 200
    assert http.get(f"{base}/_emulator/shops").json() == {"shops": {"juniper-pine.myshopify.com": 13}}
    assert http.post(f"{base}/_emulator/products/delete", json={"id": "no-such"}).status_code == 404
    assert http.post(f"{base}/_emulator/throttle", json={"kind": "429", "retry_after": 0}).status_code == 200
    token = running.grant_tokens()["access_token"]
    graphql = f"{base}/admin/api/2026-10/graphql.json"
    headers = {"X-Shopify-Access-Token": token}
    assert (
        http.post(
            graphql, json={"query": shopify.PRODUCTS_QUERY, "variables": {"first": 5}}, headers=headers
        ).status_code
        == 429
    )
    body = http.post(graphql, json={"query": shopify.PRODUCTS_QUERY, "variables": {"first": 5}}, headers=headers).json()
    assert len(body["data"]["products"]["nodes"]) == 5
    assert body["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 100
    log = http.get(f"{base}/_emulator/requests").json()["requests"]
    assert [r["status"] for r in log if r["kind"] == "graphql"] == [429, 200]


def test_graphql_refuses_a_missing_token_and_an_oversized_page(running: ShopifyEmulator) -> None:
    http = make_session(timeout=5, retries=0)
    graphql = f"{running.url}/admin/api/2026-10/graphql.json"
    assert http.post(graphql, json={"query": shopify.PRODUCTS_QUERY, "variables": {"first": 5}}).status_code == 401
    token = running.grant_tokens()["access_token"]
    body = http.post(
        graphql,
        json={"query": shopify.PRODUCTS_QUERY, "variables": {"first": 251}},
        headers={"X-Shopify-Access-Token": token},
    ).json()
    assert "at most 250" in body["errors"][0]["message"]


def test_product_images_are_served_as_svg(running: ShopifyEmulator) -> None:
    response = make_session(timeout=5, retries=0).get(f"{running.url}/cdn/lavender-soy-candle.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.text.startswith("<svg") and "Lavender Soy Candle" in response.text


def test_webhooks_sent_over_http_are_signed_and_forgeries_are_not(running: ShopifyEmulator) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            ok = shopify.verify_webhook_hmac(body, self.headers.get("X-Shopify-Hmac-SHA256"), secrets=["s"])
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    app = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=app.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    running.app_url = f"http://127.0.0.1:{app.server_address[1]}"
    try:
        http = make_session(timeout=5, retries=0)
        signed = http.post(
            f"{running.url}/_emulator/webhooks", json={"topic": "products/update", "product_id": "lavender-soy-candle"}
        ).json()
        forged = http.post(
            f"{running.url}/_emulator/webhooks",
            json={"topic": "products/update", "product_id": "lavender-soy-candle", "forged": True},
        ).json()
    finally:
        app.shutdown()
        app.server_close()
    assert (signed["status"], forged["status"]) == (200, 401)
    headers, body = received[0]
    assert headers["X-Shopify-Topic"] == "products/update"
    assert headers["X-Shopify-Shop-Domain"] == "juniper-pine.myshopify.com"
    assert json.loads(body)["admin_graphql_api_id"] == "gid://shopify/Product/1000000000011"


def test_the_command_refuses_a_missing_or_broken_catalog(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not found"):
        call_command("shopify_emulator", "--catalog", str(tmp_path / "nope.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="Could not read"):
        call_command("shopify_emulator", "--catalog", str(broken))
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"items": []}')
    with pytest.raises(CommandError, match="products"):
        call_command("shopify_emulator", "--catalog", str(wrong))
