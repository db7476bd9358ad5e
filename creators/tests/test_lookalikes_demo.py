"""Lookalikes on the demo corpus: after discovery stored what its searches found, "More like this" on a
matcha creator puts the matcha whisk's creators (labelled in discovery/fixtures/demo/labels.json) above
the other stored channels, and not one call reaches the YouTube emulator."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from statistics import mean

import pytest
import time_machine
from django.conf import settings

from accounts.models import Company
from creators.lookalikes import lookalikes
from discovery.models import Channel, QuotaDay
from pipeline.discover import discover_products
from pipeline.management.commands.demo import load_demo_catalog
from shopify_app.models import Product, Shop

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC)
LABELS = Path(settings.BASE_DIR) / "discovery" / "fixtures" / "demo" / "labels.json"
WHISK = "gid://shopify/Product/1000000000001"
# Discovery for the whisk and for products of other niches: their searches store the other channels.
SEARCHED = [WHISK, "gid://shopify/Product/1000000000002", "gid://shopify/Product/1000000000011"]
SEED = "UCDT1fl_7Q56q8BwVslFOGpB"  # Leafline Tea Notes: matcha tutorials and teaware reviews (grade 3)


def test_a_creators_niche_neighbours_rank_above_other_channels_without_a_search_call(youtube_emulator) -> None:
    grades: dict[str, int] = json.loads(LABELS.read_text(encoding="utf-8"))["creator_qrels"][WHISK]
    company = Company.objects.create(name="Juniper & Pine Co.")
    shop = Shop.objects.create(company=company, domain="juniper-pine.myshopify.com")
    load_demo_catalog(company=company, shop=shop)
    with time_machine.travel(NOW, tick=False):
        discover_products(run=None, products=list(Product.objects.filter(shopify_id__in=SEARCHED)), company=company)
    assert Channel.objects.filter(pk=SEED).exists()
    youtube_emulator.reset()
    ledger = list(QuotaDay.objects.values_list("day", "search_calls", "units"))

    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        found = lookalikes(company=company, channel_id=SEED, now=NOW + dt.timedelta(hours=1), limit=50)

    assert youtube_emulator.calls == []  # no search call, nor any other
    assert list(QuotaDay.objects.values_list("day", "search_calls", "units")) == ledger
    ranked = [result["channel"]["channel_id"] for result in found["results"]]
    assert SEED not in ranked and len(ranked) == min(50, Channel.objects.count() - 1)
    neighbours = [i for i, channel_id in enumerate(ranked) if grades.get(channel_id, 0) >= 2]
    others = [i for i, channel_id in enumerate(ranked) if grades.get(channel_id, 0) == 0]
    assert len(neighbours) >= 4 and len(others) >= 10
    # The nearest are the niche's own (the whisk's grade-3 creators first), and on the whole the niche's
    # creators come well before the rest.
    assert all(grades.get(channel_id, 0) >= 2 for channel_id in ranked[:2]), ranked[:5]
    assert sum(grades.get(channel_id, 0) >= 2 for channel_id in ranked[:5]) >= 3
    assert mean(neighbours) < mean(others) / 2
    # Each comes with why: words both channels use, and their video nearest to the creator's content.
    first = found["results"][0]
    assert first["evidence"]["closest_video"]["title"] and "matcha" in first["evidence"]["shared_terms"]
