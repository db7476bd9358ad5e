"""Extra searches: the day's search calls left after every product's first searches go where they find most.

Issue #14, lever 2. A product's first searches (pipeline/discover.py) leave most of the day's 100 search
calls unspent once every product has had them. A run that has calls left in its budget and in its
company's fair share of the day (pipeline/budget.py, the quota ledger's figures), once every one of the
company's products has been discovered, gives them one at a time to the product whose candidates look
weakest (the lowest mean score of its top ten creators), with a query formed differently from the ones
it already asked:

1. pseudo-relevance feedback from what its first searches found (the niche's own YouTube vocabulary),
   anywhere on YouTube;
2. its product type and tag phrases, quoted, with its title (discovery.queries.build_queries' second);
3. the feedback query within the product's predicted YouTube category;
4. the phrases within the category;
5. the product type with review, unboxing or tutorial intent.

After each extra search the product's creators are ranked again over everything its searches found; a
product whose top ten did not change gets no further extra search in this run (its niche is exhausted
for what we can ask). An extra search already answered within DISCOVERY_QUERY_CACHE_HOURS is not asked
again: the next one is. DISCOVERY_EXTRA_SEARCH_RESERVE calls of the company's share are never spent
here, so that products added later in the day still get their first searches.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from accounts.models import Company
from discovery import categories, search_cache
from discovery import queries as query_lib
from discovery.models import Video
from discovery.queries import Search
from maatchaa.lib.embedding import Embedder, get_embedder
from matches import ranking
from matches import services as match_services
from matches.models import CreatorMatch
from pipeline import focus
from pipeline.budget import company_share_left
from pipeline.signals import search_answered
from shopify_app import selectors as shop_selectors
from shopify_app.models import Product

if TYPE_CHECKING:
    from pipeline.discover import _Pipeline

TOP = 10  # the creators a marketer looks at first: the list whose strength decides who needs more searches


def weakness_score(product: Product) -> float:
    """How good the product's top ten creators look: the mean of their scores, a missing one counting 0."""
    scores = list(CreatorMatch.objects.filter(product=product).order_by("rank").values_list("score", flat=True)[:TOP])
    return sum(scores) / TOP


def _top_ten(product: Product) -> list[str]:
    return list(
        CreatorMatch.objects.filter(product=product).order_by("rank").values_list("channel_id", flat=True)[:TOP]
    )


def extra_searches(
    product: Product,
    first: Sequence[Search],
    first_videos: Sequence[Video],
    *,
    product_vector: np.ndarray,
    embedder: Embedder,
) -> list[Search]:
    """The product's extra searches, in the order they are asked, none repeating `first` (its first searches)."""
    from pipeline.discover import video_texts_and_vectors

    return query_lib.extra_searches(
        product.as_text(),
        product_vector,
        *video_texts_and_vectors(first_videos, product_vector),
        first=first,
        category=categories.predict_category(product_vector, embedder=embedder),
    )


@dataclass
class _ProductState:
    product: Product
    vector: np.ndarray
    candidates: dict[str, list[str]]  # video id -> the queries that found it
    searches: int  # searches whose answers are in `candidates`
    pending: list[Search] = field(default_factory=list)


def calls_for_extra_searches(*, company: Company, run_calls_left: int | None) -> int:
    """Search calls the run may give to extra searches: within its own budget and its company's fair
    share of the day, less the reserve kept for products added later in the day."""
    share_left, _ = company_share_left(company=company)
    available = share_left - settings.DISCOVERY_EXTRA_SEARCH_RESERVE
    if run_calls_left is not None:
        available = min(available, run_calls_left)
    return max(0, available)


def products_to_deepen(*, company: Company) -> list[Product]:
    """The company's products that may get extra searches: all of them once every one has been
    discovered (a product never discovered takes its first searches first); else none."""
    products = list(shop_selectors.discoverable_products(company=company).order_by("pk"))
    if not products or any(p.last_discovered_at is None for p in products):
        return []
    return products


def _first_searches(pipeline: _Pipeline, product: Product, vector: np.ndarray) -> list[Search]:
    from pipeline.discover import product_searches

    return product_searches(product, product_vector=vector, embedder=pipeline.embedder)[
        : settings.WORKER_KEYWORDS_PER_PRODUCT
    ]


def _stored_answer(pipeline: _Pipeline, search: Search) -> list[str] | None:
    from pipeline.discover import _params_key, query_key

    answer = search_cache.cached_answer(
        query=query_key(search.query), params_key=_params_key(pipeline.params, category_id=search.category_id)
    )
    return None if answer is None else list(answer.video_ids)


def _state(pipeline: _Pipeline, product: Product) -> _ProductState | None:
    """What the product's stored searches found, and its extra searches not answered yet; None when its
    first searches are no longer stored (its next discovery asks them again first)."""
    vector = match_services.embed_product(product=product, embedder=pipeline.embedder)
    first = _first_searches(pipeline, product, vector)
    candidates: dict[str, list[str]] = {}
    for search in first:
        ids = _stored_answer(pipeline, search)
        if ids is None:
            return None
        for video_id in ids:
            candidates.setdefault(video_id, []).append(str(search))
    videos = list(
        Video.objects.filter(
            video_id__in=list(candidates), embedding__isnull=False, embedding_model=pipeline.vector_label
        ).exclude(channel_id__in=pipeline.own_channels)
    )
    state = _ProductState(product=product, vector=vector, candidates=candidates, searches=len(first))
    for search in extra_searches(product, first, videos, product_vector=vector, embedder=pipeline.embedder):
        ids = _stored_answer(pipeline, search)
        if ids is None:
            state.pending.append(search)
            continue
        # Asked earlier today (or within the cache window): its answer counts, at no cost.
        state.searches += 1
        for video_id in ids:
            candidates.setdefault(video_id, []).append(str(search))
    return state


@dataclass(frozen=True)
class PlannedExtra:
    product: str
    mean_top_score: float
    search: Search


def plan_extra_searches(*, company: Company, run_calls_left: int | None) -> tuple[int, list[PlannedExtra]]:
    """For a dry run: the calls extra searches may take, and the first extra search of each product in the
    order they would be given (weakest first; a run re-ranks after each search, so this is the opening)."""
    calls = calls_for_extra_searches(company=company, run_calls_left=run_calls_left)
    products = products_to_deepen(company=company)
    if not calls or not products:
        return calls, []
    embedder = get_embedder()
    from pipeline.discover import _params_key, _search_params, product_searches, query_key

    params = _search_params()
    planned: list[PlannedExtra] = []
    for product in sorted(products, key=lambda p: (weakness_score(p), p.pk)):
        vector = ranking.embed_product(product.as_text(), embedder=embedder)
        first = product_searches(product, product_vector=vector, embedder=embedder)[
            : settings.WORKER_KEYWORDS_PER_PRODUCT
        ]
        ids: list[str] = []
        for search in first:
            answer = search_cache.cached_answer(
                query=query_key(search.query), params_key=_params_key(params, category_id=search.category_id)
            )
            ids.extend(answer.video_ids if answer is not None else [])
        videos = list(Video.objects.filter(video_id__in=ids, embedding__isnull=False))
        for search in extra_searches(product, first, videos, product_vector=vector, embedder=embedder):
            key = _params_key(params, category_id=search.category_id)
            if not search_cache.is_cached(query=query_key(search.query), params_key=key):
                planned.append(PlannedExtra(product.title, weakness_score(product), search))
                break
        if len(planned) >= calls:
            break
    return calls, planned


def spend_the_rest(pipeline: _Pipeline) -> int:
    """Give the run's remaining search calls (within the company's share) to the weakest products' extra
    searches; returns how many search calls they made."""
    limit = pipeline.search_call_limit
    run_left = None if limit is None else limit - pipeline.committed_search_calls()
    calls = calls_for_extra_searches(company=pipeline.company, run_calls_left=run_left)
    products = products_to_deepen(company=pipeline.company)
    if calls <= 0 or not products:
        return 0
    pipeline.emit(
        f"\n➕ Extra searches: {calls} search calls left within the day's share go to the products whose "
        "creators look weakest"
    )
    heap = [(weakness_score(p), p.pk, p) for p in products]
    heapq.heapify(heap)
    states: dict[int, _ProductState | None] = {}
    spent_before = pipeline.tally.search_calls
    while heap and not pipeline.tally.stopped:
        if pipeline.tally.search_calls - spent_before >= calls:
            break
        weakness, _, product = heapq.heappop(heap)
        if product.pk not in states:
            states[product.pk] = _state(pipeline, product)
        state = states[product.pk]
        if state is None or not state.pending:
            continue
        search = state.pending.pop(0)
        before = _top_ten(product)
        pipeline.emit(f"🎯 Processing: {product.title}")
        pipeline.emit(f"   ➕ Extra search: its top {TOP} creators score {weakness:.2f} on average, the weakest left")
        answer = pipeline.drive(pipeline.search(search, product=product))
        pipeline.save_progress()
        if answer is None:
            continue
        ids, channels = answer
        search_answered.send(sender=type(pipeline), product=product, search=search, video_ids=ids)
        pipeline.emit(f"      ✅ Found {len(ids)} videos")
        state.searches += 1
        for video_id in ids:
            state.candidates.setdefault(video_id, []).append(str(search))
        analysed = {v for v in state.candidates if v not in ids}
        # One product at a time here: run its steps through, each batch stored once its vectors are in.
        pipeline.drive(pipeline.analyse(state.candidates, dict(channels), analysed, product=product))
        made = match_services.match_product(
            product=product,
            candidates=state.candidates,
            keep=settings.WORKER_VIDEOS_PER_KEYWORD * state.searches,
            embedder=pipeline.embedder,
            product_vector=state.vector,
        )
        pipeline.tally.matches_made += made.matches_made
        pipeline.drive(focus.add_focus(pipeline, product, state.vector))
        after = _top_ten(product)
        new = len(set(after) - set(before))
        pipeline.emit(f"   🏁 {product.title}: {new} new creators in its top {TOP}")
        pipeline.save_progress()
        if new and state.pending:
            heapq.heappush(heap, (weakness_score(product), product.pk, product))
    spent = pipeline.tally.search_calls - spent_before
    pipeline.emit(f"➕ Extra searches made: {spent} search calls")
    return spent
