"""What the catalog announces: `catalog_changed`, sent after commit when a connected store's products changed.

The catalog never calls discovery: discovery's owner (pipeline/receivers.py) listens and starts a run.
A product sync saves many products in one transaction. The post-save receiver notes each saved
product's company and shop in a per-transaction set and registers ONE on-commit callback for it, so
syncing 500 products sends one `catalog_changed` per company, not 500 (and the database's
one-active-run-per-company constraint absorbs what is left of any race between transactions).
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from accounts.models import Company
from shopify_app.models import Product, Shop

logger = logging.getLogger("maatchaa.worker")

# Sent with `company` (a Company) after a transaction that saved active products of a connected store
# commits, and after an install that saved nothing new (a reinstall): the catalog is ready to search.
catalog_changed = Signal()

# Saves that touch only these fields are discovery's own bookkeeping, not catalog changes; reacting
# to them would make every discovery trigger the next one.
BOOKKEEPING_FIELDS = frozenset(
    {"last_discovered_at", "embedding", "embedding_model", "embedding_text_sha256", "updated_at"}
)


class _PendingDiscovery:
    """The companies (and shops) whose products one transaction saved; called once on commit."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.shops_by_company: dict[uuid.UUID, set[int]] = {}

    def add(self, *, company_id: uuid.UUID, shop_id: int) -> None:
        self.shops_by_company.setdefault(company_id, set()).add(shop_id)

    def __call__(self) -> None:
        if getattr(_local, "pending", None) is self:
            _local.pending = None
        for company_id, shop_ids in sorted(self.shops_by_company.items(), key=lambda item: str(item[0])):
            # Only products of connected shops start discovery.
            if not Shop.objects.filter(pk__in=shop_ids, status=Shop.Status.ACTIVE).exists():
                continue
            company = Company.objects.filter(pk=company_id).first()
            if company is None:
                continue
            catalog_changed.send(sender=Product, company=company)


_local = threading.local()


def _registered(pending: _PendingDiscovery) -> bool:
    """Whether `pending` still waits in its connection's on-commit list (a rollback drops it)."""
    conn = transaction.get_connection(pending.using)
    return conn.in_atomic_block and any(func is pending for _, func, *_ in conn.run_on_commit)


@receiver(post_save, sender=Product, dispatch_uid="shopify_app.product_saved_discovery")
def schedule_discovery_after_product_save(
    sender: type[Product], instance: Product, created: bool, update_fields: frozenset[str] | None, **kwargs: Any
) -> None:
    if instance.status != Product.Status.ACTIVE or instance.shop_id is None:
        return
    if update_fields is not None and set(update_fields) <= BOOKKEEPING_FIELDS:
        return
    using = kwargs.get("using") or "default"
    pending: _PendingDiscovery | None = getattr(_local, "pending", None)
    if pending is None or pending.using != using or not _registered(pending):
        pending = _PendingDiscovery(using)
        _local.pending = pending
        pending.add(company_id=instance.company_id, shop_id=instance.shop_id)
        # Outside a transaction this runs at once; inside, once after the outermost commit.
        transaction.on_commit(pending, using=using, robust=True)
        return
    pending.add(company_id=instance.company_id, shop_id=instance.shop_id)
