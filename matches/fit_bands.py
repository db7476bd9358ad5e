"""Fit bands: what a creator's score means to a marketer (strong, good, weak), calibrated on labels.

A score is a similarity, not a probability: 0.62 says nothing by itself. The bands turn it into what the
labels' grades mean: **strong** where the creator's videos are about this kind of product (grade 3, an
ideal partner), **good** where the creator is squarely in the product's niche (grade 2), **weak** for
the rest (loosely related, or sharing words only). Two thresholds on the creator score do it; they are
fitted on a labelled set's stored rankings (`manage.py fit_bands`), kept in `fit_bands.json` beside this
file, and checked leave-one-product-out (each product's bands predicted by thresholds fitted on the
other products), which is the agreement to expect on products the labels never saw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

THRESHOLDS_FILE = Path(__file__).resolve().parent / "fit_bands.json"
STRONG, GOOD, WEAK = "strong", "good", "weak"
BANDS = (STRONG, GOOD, WEAK)  # best first: the order lists are shown and sorted in


class FitBandsError(ValueError):
    """The thresholds file is missing or not of the documented shape."""


@dataclass(frozen=True)
class Thresholds:
    strong: float  # a creator scoring at least this is a strong fit
    good: float  # at least this (and below strong): a good fit; below: weak

    def band(self, score: float) -> str:
        if score >= self.strong:
            return STRONG
        if score >= self.good:
            return GOOD
        return WEAK


def band_of_grade(grade: int) -> str:
    """The band a labelled grade stands for (shared/eval/README.md's rubric)."""
    return STRONG if grade >= 3 else GOOD if grade == 2 else WEAK


def load_thresholds(path: Path = THRESHOLDS_FILE) -> Thresholds:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        strong, good = float(data["strong"]), float(data["good"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FitBandsError(f"Cannot read fit band thresholds from {path}: {exc}") from None
    if not (0.0 <= good <= strong <= 1.0) or math.isnan(good) or math.isnan(strong):
        raise FitBandsError(f"{path}: thresholds must satisfy 0 <= good <= strong <= 1, not {good} and {strong}.")
    return Thresholds(strong=strong, good=good)


@cache
def thresholds() -> Thresholds:
    """The shipped thresholds, read once per process."""
    return load_thresholds()


def fit_band(score: float) -> str:
    """The band of a creator score under the shipped thresholds."""
    return thresholds().band(score)


# --- fitting -------------------------------------------------------------------------------------

Scored = Sequence[tuple[float, int]]  # (creator score, grade) pairs


def agreement(pairs: Scored, cut: Thresholds) -> float:
    """Share of creators whose band under `cut` is the band of their grade."""
    if not pairs:
        return 0.0
    return sum(1 for score, grade in pairs if cut.band(score) == band_of_grade(grade)) / len(pairs)


def fit_thresholds(pairs: Scored) -> Thresholds:
    """The two thresholds that put most creators in the band of their grade.

    Candidates are midpoints between consecutive distinct scores (and the ends); ties go to the higher
    thresholds, so that a band is never promised more generously than the labels showed.
    """
    scores = sorted({round(score, 6) for score, _ in pairs})
    cuts = [0.0, *((a + b) / 2 for a, b in zip(scores, scores[1:], strict=False)), 1.0 + 1e-9]
    # below[band][i]: creators of that grade band scoring under cuts[i] (cuts ascend, so one pass each).
    ordered = sorted((score, band_of_grade(grade)) for score, grade in pairs)
    below: dict[str, list[int]] = {band: [] for band in BANDS}
    position = 0
    counts = dict.fromkeys(BANDS, 0)
    for cut in cuts:
        while position < len(ordered) and ordered[position][0] < cut:
            counts[ordered[position][1]] += 1
            position += 1
        for band in BANDS:
            below[band].append(counts[band])
    strong_total = counts[STRONG] + sum(1 for score, band in ordered[position:] if band == STRONG)
    best: tuple[int, int, int] | None = None  # (creators in their band, good cut index, strong cut index)
    for i in range(len(cuts)):
        for j in range(i, len(cuts)):
            value = below[WEAK][i] + (below[GOOD][j] - below[GOOD][i]) + (strong_total - below[STRONG][j])
            key = (value, i, j)
            if best is None or key > best:
                best = key
    if best is None:
        return Thresholds(strong=1.0, good=1.0)
    return Thresholds(strong=round(min(cuts[best[2]], 1.0), 4), good=round(min(cuts[best[1]], 1.0), 4))


@dataclass(frozen=True)
class Calibration:
    thresholds: Thresholds
    in_sample: float  # agreement on the labelled creators with thresholds fitted on all of them
    held_out: float  # leave-one-product-out agreement, over all creators
    creators: int
    products: int
    # Leave-one-product-out: how many creators of each grade band landed in each predicted band.
    confusion: Mapping[str, Mapping[str, int]]


def calibrate(ranked: Mapping[str, Sequence[tuple[str, float]]], qrels: Mapping[str, Mapping[str, int]]) -> Calibration:
    """Fit thresholds on `ranked` (product id -> its stored (channel id, score), best first) against the
    labels' creator grades (unjudged creators count as grade 0, as in the metrics), and measure them
    leave-one-product-out."""
    per_product = {
        pid: [(score, qrels.get(pid, {}).get(channel, 0)) for channel, score in creators]
        for pid, creators in ranked.items()
        if creators
    }
    pairs = [pair for items in per_product.values() for pair in items]
    fitted = fit_thresholds(pairs)
    agree = 0
    confusion = {band: dict.fromkeys(BANDS, 0) for band in BANDS}
    for pid, items in per_product.items():
        others = [pair for other, rest in per_product.items() if other != pid for pair in rest]
        cut = fit_thresholds(others)
        for score, grade in items:
            predicted, truth = cut.band(score), band_of_grade(grade)
            confusion[truth][predicted] += 1
            agree += predicted == truth
    return Calibration(
        thresholds=fitted,
        in_sample=agreement(pairs, fitted),
        held_out=agree / len(pairs) if pairs else 0.0,
        creators=len(pairs),
        products=len(per_product),
        confusion=confusion,
    )
