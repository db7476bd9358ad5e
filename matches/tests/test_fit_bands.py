"""Fit bands: two thresholds fitted on labelled creators, checked leave-one-product-out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matches.fit_bands import (
    FitBandsError,
    Thresholds,
    agreement,
    band_of_grade,
    calibrate,
    fit_thresholds,
    load_thresholds,
    thresholds,
)


def test_grades_stand_for_bands():
    assert [band_of_grade(g) for g in (3, 2, 1, 0)] == ["strong", "good", "weak", "weak"]


def test_thresholds_that_separate_the_grades_are_found():
    pairs = [(0.95, 3), (0.9, 3), (0.8, 2), (0.7, 2), (0.5, 1), (0.4, 0), (0.3, 0)]

    cut = fit_thresholds(pairs)

    assert 0.8 < cut.strong <= 0.9
    assert 0.5 < cut.good <= 0.7
    assert agreement(pairs, cut) == 1.0
    assert [cut.band(s) for s, _ in pairs] == ["strong", "strong", "good", "good", "weak", "weak", "weak"]


def test_the_fit_is_the_best_pair_of_thresholds():
    # Overlapping grades: no cut is perfect; the fitted one is as good as any tried by brute force.
    pairs = [(0.9, 3), (0.85, 2), (0.8, 3), (0.7, 0), (0.65, 2), (0.6, 2), (0.5, 3), (0.4, 0), (0.3, 1)]
    cut = fit_thresholds(pairs)
    scores = sorted({s for s, _ in pairs})
    cuts = [0.0, *((a + b) / 2 for a, b in zip(scores, scores[1:], strict=False)), 1.0]
    best = max(agreement(pairs, Thresholds(strong=b, good=a)) for a in cuts for b in cuts if a <= b)
    assert agreement(pairs, cut) == pytest.approx(best)


def test_calibration_reports_held_out_agreement_per_product():
    ranked = {
        "p1": [("a", 0.95), ("b", 0.75), ("c", 0.3)],
        "p2": [("d", 0.9), ("e", 0.7), ("f", 0.2)],
        "p3": [("g", 0.92), ("h", 0.72), ("i", 0.35)],
    }
    qrels = {"p1": {"a": 3, "b": 2}, "p2": {"d": 3, "e": 2, "f": 0}, "p3": {"g": 3, "h": 2, "i": 1}}

    result = calibrate(ranked, qrels)

    assert result.creators == 9 and result.products == 3
    assert result.in_sample == 1.0 and result.held_out == 1.0
    assert result.confusion["strong"]["strong"] == 3
    assert result.confusion["weak"]["weak"] == 3  # "c" was never judged: grade 0


def test_the_shipped_thresholds_load_and_are_ordered():
    shipped = thresholds()
    assert 0 < shipped.good <= shipped.strong < 1


def test_a_broken_thresholds_file_is_refused(tmp_path: Path):
    bad = tmp_path / "bands.json"
    bad.write_text(json.dumps({"strong": 0.4, "good": 0.7}))
    with pytest.raises(FitBandsError, match="good <= strong"):
        load_thresholds(bad)
    bad.write_text("{")
    with pytest.raises(FitBandsError, match="Cannot read"):
        load_thresholds(bad)
