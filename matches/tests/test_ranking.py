from __future__ import annotations

import numpy as np
import pytest

from maatchaa.lib.embedding import get_embedder
from maatchaa.lib.text import ProductText, VideoText, clean_description, stem
from matches.ranking import CreatorScore, VideoScore, embed_product, embed_videos, rank_creators, score_videos

SERUM = ProductText(
    title="Vitamin C Brightening Face Serum",
    description="A lightweight 15% vitamin C serum with ferulic acid that brightens dull skin and fades dark spots.",
    product_type="Face Serum",
    vendor="Juniper & Pine Co.",
    tags=("skincare", "vitamin c", "serum"),
)
SERUM_VIDEOS = [
    VideoText(
        "v1",
        "UCskin",
        "Dr. Skin",
        "Vitamin C serum review: does it fade dark spots?",
        "I tested three vitamin C serums for a month on my dull skin.",
        ("skincare", "serum", "review"),
    ),
    VideoText(
        "v2",
        "UCsynth",
        "Synth Lab",
        "Serum synth tutorial: wavetable bass in 5 minutes",
        "Xfer Serum sound design for beginners.",
        ("serum", "synth", "sound design"),
    ),
    VideoText(
        "v3",
        "UCskin",
        "Dr. Skin",
        "My morning skincare routine for glowing skin",
        "Cleanser, vitamin C, moisturizer, sunscreen.",
        ("skincare", "routine"),
    ),
    VideoText("v4", "UCdance", "Dance Crew", "Dance challenge compilation", "Best dances of the week.", ()),
    VideoText("v5", "UCbrand", "Juniper & Pine Co.", "Our vitamin C face serum", "Meet our serum.", ("serum",)),
]


@pytest.fixture(scope="module")
def serum_scores() -> list[VideoScore]:
    embedder = get_embedder()
    return score_videos(
        SERUM, embed_product(SERUM, embedder=embedder), SERUM_VIDEOS, embed_videos(SERUM_VIDEOS, embedder=embedder)
    )


def test_the_real_match_outranks_the_word_sharing_distractor(serum_scores: list[VideoScore]):
    order = [s.video_id for s in serum_scores]
    assert order.index("v1") < order.index("v2")
    assert order.index("v3") < order.index("v2")
    by_id = {s.video_id: s for s in serum_scores}
    assert by_id["v1"].score - by_id["v2"].score > 0.2


def test_scores_are_in_unit_range_and_sorted(serum_scores: list[VideoScore]):
    assert all(0.0 <= s.score <= 1.0 for s in serum_scores)
    assert [s.score for s in serum_scores] == sorted((s.score for s in serum_scores), reverse=True)


def test_the_evidence_names_what_matched(serum_scores: list[VideoScore]):
    review = next(s for s in serum_scores if s.video_id == "v1")
    assert "serum" in review.matched_terms
    assert "tag: vitamin c" in review.matched_attributes
    assert "tag: skincare" in review.matched_attributes
    assert "intent: review" in review.matched_attributes
    dance = next(s for s in serum_scores if s.video_id == "v4")
    assert dance.matched_terms == ()
    assert dance.matched_attributes == ()


def test_the_product_type_is_evidence_when_the_video_names_it():
    product = ProductText(title="Ridgeline 28", product_type="Hiking Backpack", tags=("daypack",))
    video = VideoText("v", "UC", title="Best hiking backpacks of the year", tags=("hiking",))
    vectors = np.ones((1, 384), np.float32) / np.sqrt(384)
    (scored,) = score_videos(product, vectors[0], [video], vectors)
    assert "product type" in scored.matched_attributes  # "backpacks" matches "Backpack"


def test_statistics_cannot_change_a_score():
    # VideoText carries no statistics at all: the score is content similarity by construction.
    assert not {"view_count", "like_count", "subscriber_count"} & set(VideoText.__dataclass_fields__)


def test_mismatched_vectors_are_refused():
    with pytest.raises(ValueError, match="vectors"):
        score_videos(SERUM, np.zeros(384, np.float32), SERUM_VIDEOS, np.zeros((2, 384), np.float32))


def test_no_videos_give_no_scores():
    assert score_videos(SERUM, np.zeros(384, np.float32), [], np.zeros((0, 384), np.float32)) == []


def _score(video_id: str, channel_id: str, score: float) -> VideoScore:
    return VideoScore(video_id, channel_id, score, cosine=score, lexical=0.0, matched_terms=(), matched_attributes=())


def test_creators_aggregate_their_videos_best_first_and_leave_the_store_out():
    scores = [
        _score("a1", "UCa", 0.70),
        _score("a2", "UCa", 0.60),
        _score("a3", "UCa", 0.50),
        _score("b1", "UCb", 0.70),
        _score("c1", "UCc", 0.90),
        _score("s1", "UCstore", 0.99),
    ]
    creators = rank_creators(scores, exclude_channel_ids=["UCstore"])
    assert [c.channel_id for c in creators] == ["UCc", "UCa", "UCb"]
    assert isinstance(creators[0], CreatorScore)
    assert [v.video_id for v in creators[1].videos] == ["a1", "a2", "a3"]
    # More relevant videos lift a creator above an equal single match, never above a clearly better one.
    assert creators[2].score == pytest.approx(0.70)
    assert 0.70 < creators[1].score < 0.90
    assert all(0.0 <= c.score <= 1.0 for c in creators)


def test_a_channel_map_overrides_the_scores_own_channels():
    creators = rank_creators([_score("v1", "", 0.5)], {"v1": "UCx"})
    assert [c.channel_id for c in creators] == ["UCx"]


def test_the_serum_creator_leads_and_the_synth_channel_trails(serum_scores: list[VideoScore]):
    creators = rank_creators(serum_scores, exclude_channel_ids=["UCbrand"])
    ids = [c.channel_id for c in creators]
    assert ids[0] == "UCskin"
    assert ids.index("UCsynth") > ids.index("UCskin")
    assert "UCbrand" not in ids


def test_descriptions_lose_links_and_social_plumbing():
    text = "Great recipe today!\nFollow me on Instagram: https://instagram.com/x\nhttps://amzn.to/abc\nMusic by Joe"
    assert clean_description(text) == "Great recipe today!\nMusic by Joe"


def test_plurals_fold_to_one_word():
    assert stem("bits") == "bit"
    assert stem("accessories") == "accessory"
    assert stem("glass") == "glass"
