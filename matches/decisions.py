"""Writes for a marketer's decisions: shortlist or dismiss a creator for a product, or restore it.

A decision is one row per (product, channel) (CreatorDecision's unique constraint), so repeating a
decision or changing one's mind updates that row rather than adding another. Decisions survive
re-ranking: PIPELINE rewrites CreatorMatch rows, the decision stays and keeps shaping the list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from maatchaa.api import ApplicationError
from matches.models import CreatorDecision
from matches.selectors import get_product_creator
from shopify_app.models import Product

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def decide_creator(
    *, product: Product, channel_id: str, status: str, user: User | AnonymousUser | None
) -> CreatorDecision:
    """Shortlists or dismisses one of the product's ranked creators (idempotent)."""
    if status not in CreatorDecision.Status.values:
        raise ApplicationError(
            f"Unknown decision {status!r}: use one of {', '.join(CreatorDecision.Status.values)}.",
            details={"status": [f"Must be one of {', '.join(CreatorDecision.Status.values)}."]},
        )
    creator = get_product_creator(product=product, channel_id=channel_id)
    with transaction.atomic():
        decision, _ = CreatorDecision.objects.update_or_create(
            product=product,
            channel=creator.channel,
            defaults={"status": status, "decided_by": user if user and user.is_authenticated else None},
        )
    return decision


def restore_creator(*, product: Product, channel_id: str) -> bool:
    """Forgets the decision on one of the product's creators; True if there was one."""
    creator = get_product_creator(product=product, channel_id=channel_id)
    deleted, _ = CreatorDecision.objects.filter(product=product, channel=creator.channel).delete()
    return deleted > 0
