"""Builders shared by the discovery-cycle tests (test_cycles*.py, test_qcluster*.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django_q.models import OrmQ

from accounts.models import Company, Membership
from shopify_app.models import Product, Shop

CATALOG = Path(__file__).resolve().parents[2] / "shopify_app" / "fixtures" / "demo" / "catalog.json"


def demo_catalog() -> list[dict[str, Any]]:
    """The demo store's ACTIVE products (SHOPIFY's fixture, GraphQL product-node shape)."""
    products = json.loads(CATALOG.read_text())["products"]
    return [p for p in products if p.get("status") == "ACTIVE"]


def make_company(name: str = "Juniper & Pine Co.", *, domain: str | None = None, user: Any = None) -> Company:
    company = Company.objects.create(name=name)
    slug = "".join(ch for ch in name.lower() if ch.isalnum())[:30] or "shop"
    Shop.objects.create(company=company, domain=domain or f"{slug}.myshopify.com", status=Shop.Status.ACTIVE)
    if user is not None:
        Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
    return company


def make_user(username: str) -> Any:
    return get_user_model().objects.create_user(username=username, password="correct horse battery staple")


def add_products(company: Company, count: int, *, start: int = 0, status: str = Product.Status.ACTIVE) -> list[Product]:
    """`count` products cycling through the demo catalog's texts (each with its own Shopify id)."""
    catalog = demo_catalog()
    shop = company.shops.first()
    made = []
    for index in range(start, start + count):
        node = catalog[index % len(catalog)]
        made.append(
            Product.objects.create(
                company=company,
                shop=shop,
                shopify_id=f"gid://shopify/Product/{company.pk.hex[:8]}{index:05d}",
                handle=f"{node['handle']}-{index}",
                title=node["title"],
                description=node.get("description", ""),
                product_type=node.get("productType", ""),
                vendor=node.get("vendor", ""),
                tags=node.get("tags", []),
                status=status,
            )
        )
    return made


def queued_tasks() -> list[OrmQ]:
    """Tasks waiting in django-q2's ORM broker."""
    return list(OrmQ.objects.all())


def queued_run_ids() -> list[int]:
    return [task.args()[0] for task in queued_tasks() if task.func() == "pipeline.tasks.run_discovery"]


@contextmanager
def worker_log() -> Iterator[list[str]]:
    """The lines logged on maatchaa.worker (it does not propagate to pytest's caplog)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    log = logging.getLogger("maatchaa.worker")
    log.addHandler(handler)
    try:
        yield lines
    finally:
        log.removeHandler(handler)


def write_demo_corpus(folder: Path) -> Path:
    """A small corpus for the demo catalog: three fitting videos per product, from different creators."""
    from emulators.youtube.corpus import CSV_COLUMNS

    rows = []
    for index, node in enumerate(demo_catalog()):
        title = node["title"]
        kind = node.get("productType") or "gear"
        tags = "|".join(node.get("tags", []))
        for variant, (pattern, about) in enumerate(
            [
                ("{title}: six months later", "An honest long-term look at the {title}. {description}"),
                ("{title} first impressions", "Trying the {title} for the first time."),
                ("Best {kind} of 2026 ({title} tested)", "We tested five {kind} picks; the {title} stood out."),
            ]
        ):
            row = {column: "" for column in CSV_COLUMNS}
            row.update(
                video_id=f"v{index:02d}{variant}cycles{index:03d}"[:11],
                channel_id=f"UCcycles{index:02d}{variant}creator0000000"[:24],
                channel_id_source="real",
                channel_title=f"Creator {index}-{variant}",
                title=pattern.format(title=title, kind=kind),
                description=about.format(title=title, kind=kind, description=node.get("description", "")[:300]),
                tags=tags,
                category_id="26",
                category="Howto & Style",
                published_at=f"2026-{1 + variant:02d}-{1 + index:02d}T12:00:00Z",
                view_count=str(1000 * (index + 1)),
                like_count="40",
                comment_count="7",
                country="US",
            )
            rows.append(row)
    path = folder / "videos.csv"
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path
