"""Reads of discovery runs."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Company
from pipeline.models import DiscoveryRun


def list_discovery_runs(*, company: Company) -> QuerySet[DiscoveryRun]:
    return DiscoveryRun.objects.filter(company=company).order_by("-created_at", "-pk")


def latest_discovery_run(*, company: Company) -> DiscoveryRun | None:
    return list_discovery_runs(company=company).first()


def active_discovery_run(*, company: Company) -> DiscoveryRun | None:
    return list_discovery_runs(company=company).filter(status__in=DiscoveryRun.ACTIVE_STATUSES).first()
