"""Creator cards on a product's page: the record the API shows (matches/display.py) plus the marketer's words
(web/words.py), and one card redrawn after a shortlist, dismiss or restore made in place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from matches import selectors
from matches.display import creator_record
from shopify_app.models import Product
from web.words import creator_words


def product_text(product: Product) -> str:
    return " ".join([product.title, product.product_type, " ".join(product.tags or [])])


def creator_cards(*, product: Product, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Card records for a page of creator rows (matches.selectors.CreatorPages rows)."""
    rows = selectors.attach_matched_videos(product=product, creators=rows)
    text = product_text(product)
    cards = []
    for row in rows:
        record = creator_record(row, now=now)
        record.update(creator_words(record, product_text=text))
        cards.append(record)
    return cards


def render_card(request: HttpRequest, *, product: Product, channel_id: str, show_dismissed: bool) -> str:
    """One creator's card as the product page shows it now; a dismissed creator the page hides becomes a
    one-line placeholder that can restore it."""
    now = timezone.now()
    filters = selectors.CreatorFilters(include_dismissed=True, channel_id=channel_id)
    rows = list(selectors.list_product_creators(product=product, filters=filters, now=now)[0:1])
    if not rows:
        return ""
    card = creator_cards(product=product, rows=rows, now=now)[0]
    collapsed = card["decision"] == "dismissed" and not show_dismissed
    return render_to_string(
        "dashboard/_creator.html",
        {"c": card, "product": product, "collapsed": collapsed, "next": request.POST.get("next", "")},
        request=request,
    )
