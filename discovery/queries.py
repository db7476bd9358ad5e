"""YouTube search queries for a product, chosen for recall of relevant creators per search call.

A search call is the scarcest thing we spend (100 a day since 2026-06) and returns up to 50
videos, so each query is written to cover as much of the product's niche as one call can:
YouTube's ``a|b`` OR syntax puts many phrasings into one call. Measured on shared/eval/dev.json
against the emulator's search (recall of grade >= 2 creators among the results; "oracle" is the
best nDCG@10 any ranking of the creators found could reach):

- "<title> review" (the guide's keyword): recall 0.20; the product type alone: 0.31;
- product type + an OR of the tags as phrases (two calls): recall 0.64, oracle 0.74;
- ``build_queries(limit=2)`` (niche words OR, then phrases OR): oracle 0.78, our ranking 0.58;
- the niche query, then ``feedback_query`` from its results: oracle 0.77-0.80, our ranking 0.60;
- the niche query, then the same within the product's category (``planned_searches``): oracle 0.83,
  our ranking 0.65; a third search from ``feedback_query``: oracle 0.86, our ranking 0.68.

Titles are often only a model name ("Ridgeline 28"), so the product type and tags carry the
query; the title is used only as a quoted phrase, where it cannot drag in every "28".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from discovery.categories import Category
from discovery.text_signals import STOPWORDS_BY_LANGUAGE
from maatchaa.lib.text import STOPWORDS, ProductText, VideoText, fold, stem, tokenize

_ALL_STOPWORDS = STOPWORDS.union(*STOPWORDS_BY_LANGUAGE.values())
# Generic words of video titles and tags that say nothing about a niche ("vlog" does, a little).
_GENERIC = frozenset(
    "youtube channel subscribe like watch today week day year time ever really make made first "
    "top review reviews unboxing tutorial vs test video videos official vlog new best part".split()
)
# YouTube caps q in practice around 500 characters; stay well inside it.
MAX_QUERY_CHARS = 400


def _variants(word: str) -> list[str]:
    """The word and its plural/singular twin: the emulator, like any exact-term index, does not stem."""
    if not re.fullmatch(r"[a-z]+", word) or len(word) <= 3:
        return [word]
    singular = stem(word)
    if singular != word:
        return [word, singular]
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return [word, word + "es"]
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return [word, word[:-1] + "ies"]
    return [word, word + "s"]


def _or(alternatives: Iterable[str]) -> str:
    """Join alternatives with |, quoting phrases, and stop before YouTube's practical length."""
    parts: list[str] = []
    length = 0
    for alternative in alternatives:
        alternative = alternative.strip()
        if not alternative:
            continue
        part = f'"{alternative}"' if " " in alternative else alternative
        if parts and length + len(part) + 1 > MAX_QUERY_CHARS:
            break
        parts.append(part)
        length += len(part) + 1
    return "|".join(parts)


def _product_words(product: ProductText) -> list[str]:
    """Distinct topic words of the product type, then the tags, in order; no stopwords or numbers."""
    words: list[str] = []
    for source in [product.product_type, *product.tags]:
        for word in tokenize(source):
            if word in _ALL_STOPWORDS or word.isdigit() or len(word) < 2 or word in words:
                continue
            words.append(word)
    return words


def _phrases(product: ProductText) -> list[str]:
    phrases: list[str] = []
    for source in [product.product_type, *product.tags]:
        phrase = " ".join(fold(source).replace("-", " ").split())
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    return phrases


def build_queries(product: ProductText, *, limit: int) -> list[str]:
    """Up to ``limit`` distinct search queries for ``product``, the most productive first.

    1. The niche: every topic word of the product type and tags, with singular/plural twins, in one
       OR query (e.g. ``lens|lenses|filter|filters|nd|filmmaking|photography``).
    2. The product itself: the product type and tag phrases, quoted, with the title (when it is
       more than a model number) as a phrase.
    3+. The product type with review/unboxing intent, then the title alone.

    When a second call can wait for the first one's results, ``feedback_query`` writes a better
    second query than (2) from them.
    """
    if limit <= 0:
        return []
    candidates: list[str] = []
    words = _product_words(product)
    if words:
        candidates.append(_or(v for word in words for v in _variants(word)))
    phrases = _phrases(product)
    title = " ".join(fold(product.title).split())
    title_words = [w for w in tokenize(product.title) if not w.isdigit()]
    if len(title_words) >= 2 and title not in phrases:
        phrases.append(title)
    if phrases:
        candidates.append(_or(phrases))
    if product.product_type.strip():
        candidates.append(f'"{fold(product.product_type).strip()}" review|unboxing|tutorial')
    if title:
        candidates.append(title)
    queries: list[str] = []
    seen: set[str] = set()
    for query in candidates:
        key = normalize_query(query)
        if key and key not in seen:
            seen.add(key)
            queries.append(query)
    return queries[:limit]


@dataclass(frozen=True)
class Search:
    """One search call's question: a query, optionally within one YouTube video category."""

    query: str
    category_id: str = ""
    category_name: str = ""

    def __str__(self) -> str:
        return f"{self.query} [in {self.category_name}]" if self.category_id else self.query


def planned_searches(product: ProductText, *, limit: int, category: Category | None) -> list[Search]:
    """The searches a product's discovery starts with, before any result is known, at most ``limit``.

    1. The niche query (``build_queries``' first), anywhere on YouTube.
    2. The same niche query within the product's category (maatchaa.lib.categories): the niche's
       creators that the first search's word matches from other categories crowd out.
    3+. ``build_queries``' next ones. At run time ``next_query`` replaces these with queries learned
       from the results, and falls back to them.
    """
    if limit <= 0:
        return []
    static = build_queries(product, limit=limit)
    if not static:
        return []
    searches = [Search(static[0])]
    if category is not None:
        searches.append(Search(static[0], category_id=category.id, category_name=category.name))
    searches.extend(Search(query) for query in static[1:])
    return searches[:limit]


def feedback_query(
    product: ProductText,
    product_vector: np.ndarray,
    videos: Sequence[VideoText],
    video_vectors: np.ndarray,
    *,
    exclude_queries: Iterable[str] = (),
    top_k: int = 10,
    max_terms: int = 8,
) -> str | None:
    """A second query from what the first one found (pseudo-relevance feedback).

    Takes the ``top_k`` results closest in meaning to the product and ORs the words their titles
    and tags share most, weighted by closeness: YouTube's own vocabulary for the product's niche
    ("dji|mavic|fpv" for a camera drone, "makeup|beauty|tutorial" for an eyeshadow palette).
    Words from a single channel (its name, its series) are left out: they find that channel again.
    Returns None when the first query found too little to learn from.
    """
    if len(videos) != len(video_vectors):
        raise ValueError(f"{len(videos)} videos but {len(video_vectors)} vectors.")
    if len(videos) < 3:
        return None
    cosines = np.asarray(video_vectors, dtype=np.float32) @ np.asarray(product_vector, dtype=np.float32)
    order = [int(i) for i in np.argsort(-cosines)[:top_k]]
    weight: dict[str, float] = defaultdict(float)
    channels: dict[str, set[str]] = defaultdict(set)
    channel_words: set[str] = set()
    for index in order:
        video = videos[index]
        channel_words.update(tokenize(video.channel_title))
        closeness = max(0.0, float(cosines[index]))
        for word in set(tokenize(video.title + " " + " ".join(video.tags))):
            if len(word) < 3 or word.isdigit() or word in _ALL_STOPWORDS or word in _GENERIC:
                continue
            weight[word] += closeness
            channels[word].add(video.channel_id)
    ranked = sorted(
        (w for w in weight if len(channels[w]) >= 2 and w not in channel_words),
        key=lambda w: (-weight[w], w),
    )
    terms: list[str] = []
    seen_stems: set[str] = set()
    for word in ranked:
        if stem(word) in seen_stems:
            continue
        seen_stems.add(stem(word))
        terms.append(word)
        if len(terms) == max_terms:
            break
    if not terms:
        return None
    query = _or(terms)
    if normalize_query(query) in {normalize_query(q) for q in exclude_queries}:
        return None
    return query


def normalize_query(q: str) -> str:
    """A key under which two queries that YouTube answers alike are the same query.

    Case, accents and spacing never matter; the order of OR alternatives and of unquoted words
    does not either (YouTube scores words, not their order), so they are sorted. Quoted phrases
    keep their inner order.
    """
    text = fold(q)
    tokens = re.findall(r'-?"[^"]*"?|\||[^\s|"]+', text)
    clauses: list[list[str]] = []
    join_next = False
    for token in tokens:
        if token == "|":
            join_next = bool(clauses)
            continue
        negated = token.startswith("-")
        body = token[1:] if negated else token
        if body.startswith('"'):
            body = '"' + " ".join(body.strip('"').split()) + '"'
            if body == '""':
                continue
        item = ("-" if negated else "") + body
        if join_next and clauses:
            clauses[-1].append(item)
        else:
            clauses.append([item])
        join_next = False
    normalized = sorted("|".join(sorted(set(clause))) for clause in clauses)
    return " ".join(normalized)


def next_query(
    product: ProductText,
    product_vector: np.ndarray,
    videos: Sequence[VideoText],
    video_vectors: np.ndarray,
    *,
    previous: Sequence[str],
) -> str | None:
    """The product's next search after ``previous``: feedback from what was found, else the next
    static query not yet searched, else None (nothing new to ask)."""
    query = feedback_query(product, product_vector, videos, video_vectors, exclude_queries=previous)
    if query is not None:
        return query
    searched = {normalize_query(q) for q in previous}
    for candidate in build_queries(product, limit=len(previous) + 4):
        if normalize_query(candidate) not in searched:
            return candidate
    return None


def extra_searches(
    product: ProductText,
    product_vector: np.ndarray,
    videos: Sequence[VideoText],
    video_vectors: np.ndarray,
    *,
    first: Sequence[Search],
    category: Category | None,
) -> list[Search]:
    """A product's extra searches once its ``first`` ones are answered, each formed differently from
    those, in the order they are asked (issue #14's lever 2; pipeline/deepen.py spends them):

    1. pseudo-relevance feedback from what the first searches found (``videos``), anywhere;
    2. the product type and tag phrases, quoted, with the title (``build_queries``' second);
    3. the feedback query within the product's category; 4. the phrases within it;
    5. the product type with review, unboxing or tutorial intent.
    """
    asked = {(normalize_query(s.query), s.category_id) for s in first}
    feedback = feedback_query(product, product_vector, videos, video_vectors)
    static = build_queries(product, limit=4)
    phrases = static[1] if len(static) > 1 else None
    intent = next((q for q in static[2:] if q.endswith(" review|unboxing|tutorial")), None)
    wanted: list[Search] = [Search(q) for q in (feedback, phrases) if q]
    if category is not None:
        wanted += [Search(q, category_id=category.id, category_name=category.name) for q in (feedback, phrases) if q]
    if intent:
        wanted.append(Search(intent))
    out: list[Search] = []
    for search in wanted:
        key = (normalize_query(search.query), search.category_id)
        if key not in asked:
            asked.add(key)
            out.append(search)
    return out
