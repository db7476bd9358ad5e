"""Word sense: a video that shares only words with the product, posted outside its niche, is lowered."""

from __future__ import annotations

from matches.ranking import DEFAULT_WEIGHTS, VideoScore, apply_word_sense, niche_categories, rank_creators


def _score(video_id: str, channel_id: str, score: float, cosine: float) -> VideoScore:
    return VideoScore(video_id, channel_id, score, cosine, 0.5, ("skillet",), ())


# A cast-iron skillet's candidates: cooking channels (Howto & Style, 26), the band Skillet (Music, 10),
# a backyard foundry (Science & Technology, 28) and a vlog left in YouTube's default category (22).
SKILLET = [
    _score("cook1", "UCcook", 0.95, 0.71),
    _score("cook2", "UCcook", 0.90, 0.68),
    _score("sear", "UCsear", 0.84, 0.70),
    _score("foundry", "UCfoundry", 0.72, 0.54),
    _score("homestead", "UChome", 0.55, 0.45),
    _score("band", "UCband", 0.42, 0.34),
    _score("vlog", "UCvlog", 0.50, 0.40),
    _score("geek", "UCgeek", 0.60, 0.62),
]
CATEGORY = {
    "cook1": "26",
    "cook2": "26",
    "sear": "26",
    "foundry": "28",
    "homestead": "26",
    "band": "10",
    "vlog": "22",
    "geek": "28",
}


def test_the_niche_is_where_the_best_fitting_videos_were_posted():
    assert niche_categories(SKILLET, CATEGORY, predicted="") == {"26"}
    assert niche_categories(SKILLET, CATEGORY, predicted="19") == {"26", "19"}


def test_a_word_sharing_video_from_another_category_falls_below_the_niche():
    judged = {s.video_id: s for s in apply_word_sense(SKILLET, CATEGORY, predicted="26")}

    assert judged["band"].off_niche and judged["foundry"].off_niche
    assert judged["foundry"].score == round(0.72 * DEFAULT_WEIGHTS.off_niche_factor, 6)
    creators = [c.channel_id for c in rank_creators(judged.values())]
    assert creators.index("UChome") < creators.index("UCfoundry")
    assert creators.index("UChome") < creators.index("UCband")


def test_close_meaning_the_default_category_and_an_unknown_one_are_never_lowered():
    judged = {s.video_id: s for s in apply_word_sense(SKILLET, {**CATEGORY, "homestead": ""}, predicted="26")}

    assert not judged["geek"].off_niche  # another category, but its meaning is close (cosine 0.62)
    assert not judged["vlog"].off_niche  # People & Blogs: YouTube's default says nothing
    assert not judged["homestead"].off_niche  # no category known
    assert judged["geek"].score == 0.60


def test_without_a_niche_category_score_videos_leaves_scores_alone():
    judged = apply_word_sense(SKILLET, {}, predicted="")
    assert [s.score for s in judged] == sorted((s.score for s in SKILLET), reverse=True)
    assert not any(s.off_niche for s in judged)
