from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from maatchaa.lib.text import ProductText, VideoText, tokenize
from matches.evaluation import (
    BM25,
    LabelsError,
    bm25_video_scores,
    load_labels,
    ndcg_at_k,
    original_heuristic_score,
    precision_at_k,
    rank_channels_by_best_video,
)


def test_a_perfect_ranking_scores_one_and_an_empty_one_zero():
    qrels = {"A": 3, "B": 2, "C": 1, "D": 0}
    assert ndcg_at_k(["A", "B", "C", "D"], qrels) == pytest.approx(1.0)
    assert ndcg_at_k([], qrels) == 0.0


def test_ndcg_uses_exponential_gain_log2_discount_and_the_ideal_from_qrels():
    qrels = {"A": 3, "B": 1}
    # B (gain 1) first, A (gain 7) second; ideal is A then B.
    expected = (1 / math.log2(2) + 7 / math.log2(3)) / (7 / math.log2(2) + 1 / math.log2(3))
    assert ndcg_at_k(["B", "A"], qrels) == pytest.approx(expected)


def test_unjudged_and_repeated_creators_gain_nothing():
    qrels = {"A": 2}
    assert ndcg_at_k(["X", "A", "A"], qrels) == pytest.approx(ndcg_at_k(["X", "A"], qrels))
    assert ndcg_at_k(["X", "Y"], qrels) == 0.0


def test_ndcg_only_counts_the_top_k():
    assert ndcg_at_k(["X", "A"], {"A": 3}, k=1) == 0.0


def test_precision_counts_grade_two_and_above_over_k():
    qrels = {"A": 3, "B": 2, "C": 1}
    assert precision_at_k(["A", "B", "C", "X", "Y"], qrels) == pytest.approx(0.4)
    assert precision_at_k(["A"], qrels, k=5) == pytest.approx(0.2)


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(data))
    return path


VALID = {
    "name": "tiny",
    "products": [{"id": "p1", "title": "Lens Filter", "product_type": "Lens Filter", "tags": ["nd filter"]}],
    "video_qrels": {"p1": {"v1": 3}},
    "creator_qrels": {"p1": {"UC1": 3}},
}


def test_a_valid_file_loads_with_products_as_ranking_inputs(tmp_path: Path):
    labels = load_labels(_write(tmp_path, VALID))
    assert labels.name == "tiny"
    assert labels.products[0].text == ProductText(
        title="Lens Filter", description="", product_type="Lens Filter", vendor="", tags=("nd filter",)
    )
    assert labels.creator_qrels == {"p1": {"UC1": 3}}


def test_the_shared_dev_set_loads():
    from django.conf import settings

    path = Path(settings.SHARED_DATA_DIR) / "eval" / "dev.json"
    if not path.is_file():
        pytest.skip(f"shared labels not available at {path}")
    labels = load_labels(path)
    assert len(labels.products) == 21
    assert all(p.id in labels.creator_qrels for p in labels.products)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("not json", "not valid JSON"),
        ([], "JSON object"),
        ({"products": []}, "no 'products'"),
        ({**VALID, "products": [{"title": "x"}]}, "has no 'id'"),
        ({**VALID, "creator_qrels": {"p1": {"UC1": 5}}}, "grades are integers 0-3"),
        ({**VALID, "creator_qrels": {"p9": {"UC1": 1}}}, "not in 'products'"),
        ({k: v for k, v in VALID.items() if k != "creator_qrels"}, "no 'creator_qrels'"),
    ],
)
def test_a_malformed_file_is_refused_with_a_message_naming_the_problem(tmp_path: Path, broken, message):
    path = tmp_path / "labels.json"
    path.write_text(broken if isinstance(broken, str) else json.dumps(broken))
    with pytest.raises(LabelsError, match=message):
        load_labels(path)


def test_a_missing_file_is_refused(tmp_path: Path):
    with pytest.raises(LabelsError, match="not found"):
        load_labels(tmp_path / "nope.json")


def test_the_original_heuristic_adds_its_points_and_caps_at_ten():
    score = original_heuristic_score(
        keyword="matcha whisk review",
        product_title="Matcha Whisk",
        video_title="Matcha whisk review: is it worth it?",
        video_description="My matcha whisk review",
    )
    # keyword in title +2, in description +1, two title words +3 (cap), review word +2.
    assert score == 8.0
    assert original_heuristic_score(keyword="x", product_title="", video_title="", video_description="") == 0.0


def test_the_original_heuristic_matches_substrings_as_loosely_as_it_did():
    # "ski" inside "skin": the original's false positive, kept for a faithful baseline.
    assert (
        original_heuristic_score(keyword="q", product_title="ski", video_title="skin care", video_description="") == 1.5
    )


def test_bm25_prefers_the_document_with_the_rarer_shared_word():
    docs = [tokenize("trail running shoes"), tokenize("running late again"), tokenize("cooking pasta")]
    scores = BM25(docs).scores(tokenize("trail running"))
    assert scores[0] > scores[1] > scores[2] == 0.0


def test_baselines_rank_creators_by_their_best_video():
    product = ProductText(title="Cast Iron Skillet", product_type="Skillet")
    videos = [
        VideoText("v1", "UCa", title="Cast iron skillet seasoning"),
        VideoText("v2", "UCb", title="Skillet - Monster (official video)"),
        VideoText("v3", "UCb", title="Iron Man trailer"),
    ]
    scores = bm25_video_scores(product, videos)
    ranked = rank_channels_by_best_video(scores, {v.video_id: v.channel_id for v in videos})
    assert ranked == ["UCa", "UCb"]
    assert rank_channels_by_best_video(scores, {v.video_id: v.channel_id for v in videos}, exclude=["UCa"]) == ["UCb"]
