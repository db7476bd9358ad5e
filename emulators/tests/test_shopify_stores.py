"""The Shopify emulator as `make serve` runs it: a store for any name a person types, tokens that survive a
restart (and `make demo`'s own emulator), images at the address `make serve` answers at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulators.shopify import ShopifyEmulator, load_catalog
from emulators.testing.shopify_fixtures import DEMO_CATALOG
from maatchaa.lib.http import make_session

GRAPHQL = "/admin/api/2026-10/graphql.json"
PRODUCTS = {"query": "query P($first: Int!) { products(first: $first) { nodes { id } } }", "variables": {"first": 5}}


def _emulator(state: Path | None = None, *, any_shop: bool = False, public_url: str = "") -> ShopifyEmulator:
    _, nodes = load_catalog(DEMO_CATALOG)
    return ShopifyEmulator(
        nodes,
        api_key="k",
        api_secret="s",
        app_url="http://app.test",
        state_file=state,
        any_shop=any_shop,
        public_url=public_url,
    ).start()


@pytest.fixture
def http() -> object:
    return make_session(timeout=5, retries=0)


def _products(http: object, emulator: ShopifyEmulator, shop: str, token: str) -> int:
    response = http.post(  # type: ignore[attr-defined]
        emulator.url + GRAPHQL, json=PRODUCTS, headers={"X-Shopify-Access-Token": token, "X-Shopify-Shop-Domain": shop}
    )
    return int(response.status_code)


def test_any_store_name_becomes_a_store_with_the_catalog_when_an_app_asks_to_install(http: object) -> None:
    emulator = _emulator(any_shop=True)
    try:
        authorize = (
            f"{emulator.url}/admin/oauth/authorize?client_id=k&scope=read_products&state=x"
            "&redirect_uri=http://app.test/shopify/callback&shop=kettle-and-leaf.myshopify.com"
        )
        page = http.get(authorize)  # type: ignore[attr-defined]
        assert page.status_code == 200 and "kettle-and-leaf.myshopify.com" in page.text
        assert len(emulator.shop("kettle-and-leaf.myshopify.com").products) == 14
        # A name that is not a myshopify.com domain is still refused.
        bad = http.get(authorize.replace("kettle-and-leaf.myshopify.com", "evil.example.com"))  # type: ignore[attr-defined]
        assert bad.status_code == 404
    finally:
        emulator.stop()


def test_without_any_shop_an_unknown_store_is_refused(http: object) -> None:
    emulator = _emulator()
    try:
        page = http.get(  # type: ignore[attr-defined]
            f"{emulator.url}/admin/oauth/authorize?client_id=k&state=x"
            "&redirect_uri=http://app.test/shopify/callback&shop=kettle-and-leaf.myshopify.com"
        )
        assert page.status_code == 404 and "There is no store" in page.text
    finally:
        emulator.stop()


def test_tokens_and_stores_made_on_demand_survive_a_restart(tmp_path: Path, http: object) -> None:
    state = tmp_path / "shopify.json"
    first = _emulator(state, any_shop=True)
    assert first.ensure_shop("kettle-and-leaf.myshopify.com")
    tokens = first.grant_tokens("kettle-and-leaf.myshopify.com")
    first.stop()
    assert "kettle-and-leaf.myshopify.com" in json.loads(state.read_text())["shops"]

    second = _emulator(state)
    try:
        assert _products(http, second, "kettle-and-leaf.myshopify.com", tokens["access_token"]) == 200
        refreshed = http.post(  # type: ignore[attr-defined]
            second.url + "/admin/oauth/access_token",
            json={
                "client_id": "k",
                "client_secret": "s",
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
            },
        )
        assert refreshed.status_code == 200
        assert _products(http, second, "kettle-and-leaf.myshopify.com", refreshed.json()["access_token"]) == 200
        # One live access token per app and store: the refreshed one replaced the first.
        assert _products(http, second, "kettle-and-leaf.myshopify.com", tokens["access_token"]) == 401
    finally:
        second.stop()


def test_a_token_issued_by_another_process_after_start_is_accepted(tmp_path: Path, http: object) -> None:
    state = tmp_path / "shopify.json"
    serving = _emulator(state)  # make serve's
    try:
        demo = _emulator(state)  # make demo's, while make serve runs
        token = demo.grant_tokens()["access_token"]
        demo.stop()
        assert _products(http, serving, "juniper-pine.myshopify.com", token) == 200
        assert _products(http, serving, "juniper-pine.myshopify.com", "shpat_unknown") == 401
    finally:
        serving.stop()


def test_product_images_carry_the_public_address(http: object) -> None:
    emulator = _emulator(public_url="http://127.0.0.1:8766")
    try:
        token = emulator.grant_tokens()["access_token"]
        query = {
            "query": "query P($first: Int!) { products(first: $first) { nodes { id featuredMedia { preview "
            "{ image { url } } } } } }",
            "variables": {"first": 1},
        }
        body = http.post(emulator.url + GRAPHQL, json=query, headers={"X-Shopify-Access-Token": token}).json()  # type: ignore[attr-defined]
        url = body["data"]["products"]["nodes"][0]["featuredMedia"]["preview"]["image"]["url"]
        assert url.startswith("http://127.0.0.1:8766/cdn/") and url.endswith(".svg")
    finally:
        emulator.stop()


def test_youtube_thumbnails_carry_the_public_address(tmp_path: Path, http: object) -> None:
    from emulators.youtube.corpus import load_corpus
    from emulators.youtube.server import EmulatorServer

    corpus = load_corpus(Path(__file__).resolve().parents[2] / "discovery" / "fixtures" / "demo" / "videos.csv")
    server = EmulatorServer(corpus, public_url="http://127.0.0.1:8765").start()
    try:
        channel_id = next(iter(corpus.channels))
        body = http.get(  # type: ignore[attr-defined]
            f"{server.url}youtube/v3/channels", params={"part": "snippet", "id": channel_id, "key": "k"}
        ).json()
        url = body["items"][0]["snippet"]["thumbnails"]["default"]["url"]
        assert url.startswith(f"http://127.0.0.1:8765/_emulator/thumbnails/{channel_id}.svg")
    finally:
        server.stop()
