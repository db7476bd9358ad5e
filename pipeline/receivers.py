"""Immediate discovery: the catalog announces a change (shopify_app.signals.catalog_changed), discovery starts."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.models import Company
from pipeline.models import DiscoveryRun
from pipeline.triggers import trigger_discovery
from shopify_app.signals import catalog_changed


@receiver(catalog_changed, dispatch_uid="pipeline.discover_after_catalog_change")
def discover_after_catalog_change(sender: Any, company: Company, **kwargs: Any) -> None:
    trigger_discovery(company=company, trigger=DiscoveryRun.Trigger.IMMEDIATE)
