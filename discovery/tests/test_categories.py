from __future__ import annotations

import pytest

from discovery.categories import CATEGORIES, CATEGORY_BY_ID, predict_category
from discovery.queries import build_queries, planned_searches
from maatchaa.lib.embedding import get_embedder
from maatchaa.lib.text import ProductText
from matches.ranking import embed_product


@pytest.mark.parametrize(
    ("product", "expected"),
    [
        (ProductText(title="Snow Foam Cannon", product_type="Foam Cannon", tags=("car wash", "car detailing")), "2"),
        (ProductText(title="Amber Drive", product_type="Overdrive Pedal", tags=("guitar", "pedalboard")), "10"),
        (ProductText(title="No-Pull Dog Harness", product_type="Dog Harness", tags=("dogs", "walks")), "15"),
        (ProductText(title="Hot-Swap 75% Keyboard", product_type="Mechanical Keyboard", tags=("pc", "tech")), "28"),
        (ProductText(title="Vitamin C Serum", product_type="Face Serum", tags=("skincare", "beauty")), "26"),
    ],
)
def test_a_product_is_placed_in_the_youtube_category_its_creators_post_in(product, expected):
    embedder = get_embedder()

    category = predict_category(embed_product(product, embedder=embedder), embedder=embedder)

    assert category.id == expected, category.name


def test_the_categories_are_youtubes_assignable_ones_with_their_ids():
    assert CATEGORY_BY_ID["28"].name == "Science & Technology" and CATEGORY_BY_ID["26"].name == "Howto & Style"
    assert len({c.id for c in CATEGORIES}) == len(CATEGORIES) == 15


def test_the_planned_searches_are_the_niche_query_then_the_same_within_the_category():
    product = ProductText(title="Ridgeline 28", product_type="Hiking Backpack", tags=("hiking", "daypack"))
    travel = CATEGORY_BY_ID["19"]
    niche, follow_up = build_queries(product, limit=2)

    searches = planned_searches(product, limit=3, category=travel)

    assert [(s.query, s.category_id) for s in searches] == [(niche, ""), (niche, "19"), (follow_up, "")]
    assert str(searches[1]) == f"{niche} [in Travel & Events]"
    assert planned_searches(product, limit=1, category=travel) == searches[:1]
    assert planned_searches(product, limit=0, category=travel) == []
    assert [s.category_id for s in planned_searches(product, limit=2, category=None)] == ["", ""]
