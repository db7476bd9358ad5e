"""Small corpora and catalog rows for the pipeline and command tests (written per test, in tmp_path)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from accounts.models import Company
from emulators.youtube.corpus import CHANNEL_SIDECAR_COLUMNS, CSV_COLUMNS
from shopify_app.models import Product, Shop


def video_row(video_id: str, channel_id: str, title: str, **fields: Any) -> dict[str, str]:
    row = {column: "" for column in CSV_COLUMNS}
    row.update(
        video_id=video_id,
        channel_id=channel_id,
        channel_id_source="real",
        channel_title=fields.pop("channel_title", f"Channel {channel_id[-4:]}"),
        title=title,
        category_id="26",
        category="Howto & Style",
        published_at=fields.pop("published_at", "2026-10-01T12:00:00Z"),
        view_count="1000",
        like_count="50",
        comment_count="5",
        country="US",
    )
    tags = fields.pop("tags", ())
    row["tags"] = "|".join(tags)
    row.update({k: str(v) for k, v in fields.items()})
    return row


def write_corpus(
    folder: Path, rows: Iterable[Mapping[str, str]], *, channels: Iterable[Mapping[str, str]] = ()
) -> Path:
    path = folder / "videos.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    channel_rows = list(channels)
    if channel_rows:
        with (folder / "channels.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CHANNEL_SIDECAR_COLUMNS)
            writer.writeheader()
            for row in channel_rows:
                writer.writerow({c: row.get(c, "") for c in CHANNEL_SIDECAR_COLUMNS})
    return path


def make_company(name: str = "Acme Outdoors", **fields: Any) -> Company:
    return Company.objects.create(name=name, **fields)


def make_product(company: Company, title: str, *, shop: Shop | None = None, **fields: Any) -> Product:
    count = Product.objects.filter(company=company).count()
    return Product.objects.create(
        company=company,
        shop=shop,
        shopify_id=f"gid://shopify/Product/{company.pk.int % 10_000}{count + 1:04d}",
        title=title,
        **fields,
    )


DEMO_CATALOG: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parents[2] / "shopify_app" / "fixtures" / "demo" / "catalog.json").read_text()
)["products"]


def demo_product(company: Company, node: Mapping[str, Any], *, shopify_id: str = "") -> Product:
    """A product of the demo catalog (a node of DEMO_CATALOG) as the store sync would store it."""
    return Product.objects.create(
        company=company,
        shopify_id=shopify_id or node["id"],
        title=node["title"],
        description=node["description"],
        product_type=node["productType"],
        vendor=node["vendor"],
        tags=node["tags"],
    )


def make_shop_company(titles: Iterable[str]) -> Company:
    """A company with an active shop holding one product of each title."""
    company = make_company()
    shop = Shop.objects.create(company=company, domain="acme.myshopify.com", status=Shop.Status.ACTIVE)
    for title in titles:
        make_product(company, title, shop=shop)
    return company


def calls_to(server: Any, resource: str) -> list[Any]:
    """The emulator's recorded calls to one resource ("search", "videos", "channels")."""
    return [call for call in server.calls if call.resource == resource]
