"""Which channel names spell the brand's: title or handle, with or without "Co.", "Official" or "and"."""

from __future__ import annotations

import pytest

from matches.own_channels import BrandName, matching_name, name_key

NAMES = [
    BrandName("Juniper & Pine Co.", "company"),
    BrandName("juniper-pine", "shop"),
    BrandName("Ilo", "vendor"),  # too short to tell apart from strangers
]


def test_name_key_drops_filler_words_and_accents():
    assert name_key("Juniper & Pine Co.") == "juniperpine"
    assert name_key("JUNIPER AND PINE — Official") == "juniperpine"
    assert name_key("Crème Brûlée Studio") == "cremebrulee"


@pytest.mark.parametrize(
    ("title", "handle"),
    [
        ("Juniper & Pine Co.", ""),
        ("Juniper and Pine Official", ""),
        ("Some Title", "@juniperpineco"),
        ("Some Title", "@juniperpine"),
        ("Some Title", "@JuniperAndPineCo"),
    ],
)
def test_the_brands_own_channel_is_recognised(title: str, handle: str):
    assert matching_name(title=title, handle=handle, names=NAMES) is not None


@pytest.mark.parametrize(
    ("title", "handle"),
    [
        ("Juniper Trail Runs", "@junipertrail"),
        ("Pine & Oak Woodworking", "@pineoak"),
        ("ILO", "@ilo"),
        ("Leafline Tea Notes", "@leaflinetea"),
    ],
)
def test_strangers_sharing_a_word_are_not_taken_for_the_brand(title: str, handle: str):
    assert matching_name(title=title, handle=handle, names=NAMES) is None
