"""The dashboard's words for what the ranking stored."""

from __future__ import annotations

import pytest

from web.words import attribute_words, fit_band, readable_terms


@pytest.mark.parametrize(
    ("band", "label"), [("strong", "Strong fit"), ("good", "Good fit"), ("weak", "Weak fit"), ("", "Weak fit")]
)
def test_stored_bands_read_in_a_marketers_words(band: str, label: str) -> None:
    assert fit_band(band)[0] == label


def test_hyphen_fragments_and_stems_become_the_products_own_words() -> None:
    text = 'Pre-Seasoned Cast Iron Skillet 10" Cookware cast iron, pre-seasoned'
    assert readable_terms(["pre", "seasoned", "skillet", "10", "cast"], text) == ["seasoned", "skillet", "cast"]
    assert readable_terms(["bit", "accessory"], "Router Bits accessories") == ["bits", "accessories"]


def test_attributes_become_tags_facts_and_kinds_of_video() -> None:
    tags, facts, kinds = attribute_words(
        ["tag: matcha", "intent: guide", "product kind", "vendor", "intent: review", "tag: matcha"]
    )
    assert tags == ["matcha"]
    assert facts == ["the kind of product", "your brand name"]
    assert kinds == ["how-to guides", "reviews"]
