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

from shopify_app.models import Company, Membership, Product, Shop

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
    return [task.args()[0] for task in queued_tasks() if task.func() == "discovery.tasks.run_discovery"]


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
