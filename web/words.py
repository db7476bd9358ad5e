"""The dashboard's words for what the ranking stored: a marketer reads "your tag “matcha”, unboxing videos",
not "tag: matcha · intent: unboxing"; a fit band rather than a cosine. The API and the admin keep the
technical record (matches/display.py's creator_record); these helpers only add readable fields to it."""

from __future__ import annotations

import re
from typing import Any

from maatchaa.lib.text import fold, stem, tokenize

# Score bands on the blended similarity (matches/ranking.py). On the demo world the best creators of a
# product score 0.9 and above, the fifth 0.5 to 0.8: the bands split where a marketer would look first.
# The stored band (matches/fit_bands.py, calibrated on labelled products) in a marketer's words.
FIT_LABELS = {"strong": "Strong fit", "good": "Good fit", "weak": "Weak fit"}

# The kinds of video a title names (maatchaa.lib.text.INTENT_WORDS), as a marketer says them.
INTENTS = {
    "review": "reviews",
    "reviews": "reviews",
    "unboxing": "unboxings",
    "unbox": "unboxings",
    "tutorial": "tutorials",
    "tutorials": "tutorials",
    "guide": "how-to guides",
    "howto": "how-to guides",
    "demo": "demos",
    "test": "tests",
    "tested": "tests",
    "testing": "tests",
    "haul": "hauls",
    "comparison": "comparisons",
    "compared": "comparisons",
    "tried": "first impressions",
    "try": "first impressions",
    "first": "first impressions",
    "impressions": "first impressions",
    "hands": "first impressions",
    "tips": "tips",
    "setup": "setups",
}
ATTRIBUTES = {
    "product type": "your product type",
    "product kind": "the kind of product",
    "product title": "your product's name",
    "vendor": "your brand name",
}
MAX_TOPICS = 3


def fit_band(band: str) -> tuple[str, str]:
    """("Strong fit", "strong") and so on: a label and a CSS modifier for a stored fit band."""
    band = band if band in FIT_LABELS else "weak"
    return FIT_LABELS[band], band


def _product_words(product_text: str) -> dict[str, str]:
    """stem -> the word as the product's own text writes it (lower case), for terms to be shown readably."""
    words: dict[str, str] = {}
    for token in tokenize(product_text):
        words.setdefault(stem(token), token)
    return words


def _fragments(product_text: str) -> set[str]:
    """Words that are only the front of a hyphenated word in the product's text ("pre" of "Pre-Seasoned")."""
    folded = fold(product_text)
    fronts = {m.group(1) for m in re.finditer(r"\b(\w+)-\w", folded)}
    alone = set(re.findall(r"\b(\w+)\b(?!-\w)", folded))
    return {front for front in fronts if front not in alone or len(front) < 4}


def readable_terms(terms: list[str], product_text: str) -> list[str]:
    """The shared terms as words of the product's own text, without hyphen fragments and one-letter stems."""
    words = _product_words(product_text)
    fragments = _fragments(product_text)
    shown: list[str] = []
    for term in terms:
        word = words.get(term, term)
        if len(word) < 3 or term in fragments or word in fragments or word.isdigit() or word in shown:
            continue
        shown.append(word)
    return shown


def attribute_words(attributes: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(the brand's tags that matched, other product facts that matched, the kinds of video), readable."""
    tags: list[str] = []
    facts: list[str] = []
    kinds: list[str] = []
    for attribute in attributes:
        if attribute.startswith("tag: "):
            tag = attribute.removeprefix("tag: ").strip()
            if tag and tag not in tags:
                tags.append(tag)
        elif attribute.startswith("intent: "):
            kind = INTENTS.get(attribute.removeprefix("intent: ").strip())
            if kind and kind not in kinds:
                kinds.append(kind)
        elif attribute in ATTRIBUTES and ATTRIBUTES[attribute] not in facts:
            facts.append(ATTRIBUTES[attribute])
    return tags, facts, kinds


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _short(title: str, width: int = 60) -> str:
    title = " ".join(title.split())
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def creator_words(record: dict[str, Any], *, product_text: str) -> dict[str, Any]:
    """The readable fields a creator card shows: fit band, one line of why, and the evidence in words."""
    label, modifier = fit_band(str(record.get("fit_band") or "weak"))
    tags, facts, kinds = attribute_words(list(record.get("attributes") or []))
    terms = readable_terms(list(record.get("matched_terms") or []), product_text)
    topics = [f"“{tag}”" for tag in tags[:MAX_TOPICS]]
    topics += [term for term in terms if all(term not in tag.lower() for tag in tags)][: MAX_TOPICS - len(topics)]
    count = int(record.get("video_count") or 0)
    videos = f"{count} matching video{'s' if count != 1 else ''}"
    line = f"{videos} about {_list(topics)}" if topics else videos
    if kinds:
        line += f", including {_list(kinds[:2])}"
    best = (record.get("matched_videos") or [{}])[0].get("title")
    if best:
        line += f". Best: “{_short(str(best))}”"
    what: list[str] = []
    if tags:
        what.append(f"your tag{'s' if len(tags) != 1 else ''} " + ", ".join(f"“{tag}”" for tag in tags))
    what += facts
    if kinds:
        what.append(_list(kinds))
    return {
        "fit_label": label,
        "fit_modifier": modifier,
        "why_line": line,
        "what_matched": what,
        "shared_words": terms,
    }
