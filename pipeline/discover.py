"""Discovery: from a store's products to stored videos, channels and ranked creators.

search → new video ids → video details (50 ids a call) → channel details (50 a call) → analysis
(embeddings, contact emails, sponsorship signals, language) → storage → matching.

A product's first query comes from its type and tags (RANKING's build_queries); its second is the same
query within the product's predicted YouTube category (videoCategoryId; maatchaa.lib.categories); each
further query is learned from what the earlier ones found (feedback_query), so each search call is
analysed before the next is written. Searches are keyed by normalize_query and their parameters: a
search made within DISCOVERY_QUERY_CACHE_HOURS, by this product or another, is answered from the
SearchQuery table (discovery/search_cache.py: never past the 30-day rule, never a suppressed channel's
videos).

Every search asks YouTube for 50 results: a search call costs the same for 1 or 50, and the search
bucket (100 calls a day) is the scarce one. Every result is a candidate: its details cost one unit per
50 ids from the 10,000-unit pool and its embedding is computed locally, so ranking over all of them is
cheap and finds creators a top-5 would miss. WORKER_VIDEOS_PER_KEYWORD bounds what is *kept*: a
product keeps its best WORKER_VIDEOS_PER_KEYWORD × (keywords searched) creators per run (10 with the
guide's 2 × 5, the length of a first page), each with its best videos as Match rows.

The log reads like the worker guide's "Watch Worker Logs" section.

Embedding is CPU work and the calls are waits, so embeddings run in one helper thread, queued, while
the main thread goes on with the calls: a product's discovery is a generator (`_Pipeline.steps`) that
gives the main thread back whenever it would wait for its vectors, and the main thread then advances
another product (up to PRODUCTS_IN_FLIGHT at once: the next products' searches and details are sent
while this one's videos are embedded). Only numpy/onnxruntime run in the helper thread.

With YOUTUBE_CALLS_IN_FLIGHT above 1, a product also gives the main thread back while its YouTube call
is in flight, and up to that many calls (of the products in flight, and a product's independent ones:
chunks of ids, its top creators' uploads) are sent at once by worker threads (pipeline/calls.py). The
main thread still decides and reserves every call in the quota ledger before it is sent, settles the
run's counters when it returns and does every database query; the workers only send HTTP requests. So
the ledger's guarantees (reserve before each send, the day's buckets, the breaker, a company's share)
hold as in a sequential run, and the run's own budget counts the calls in flight as spent
(`_Pipeline.reserved_*`). With 1, every call is sent on the main thread, one at a time.

A video already being fetched or embedded for another product is neither fetched nor embedded again
(`_Batch`, `_Pipeline.in_flight`), and a search another product has in flight is not sent twice
(`_Pipeline.searches_in_flight`): the product waits for that batch or answer.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Company
from discovery import categories, quota, search_cache, selectors, text_signals
from discovery import queries as query_lib
from discovery.models import Channel, Video
from discovery.queries import Search
from discovery.youtube import (
    BreakerOpen,
    ChannelDetails,
    QuotaExhausted,
    VideoDetails,
    YouTubeClient,
    YouTubeError,
    get_client,
)
from maatchaa.lib.embedding import Embedder, get_embedder
from maatchaa.lib.text import VideoText
from matches import ranking, vectors
from matches import services as match_services
from pipeline import deepen, focus, shutdown
from pipeline.calls import CallPool
from pipeline.models import DiscoveryRun
from pipeline.signals import search_answered
from shopify_app import selectors as shop_selectors
from shopify_app.models import Product

logger = logging.getLogger("maatchaa.discovery")

LogFn = Callable[[str], None]

SEARCH_PAGE_SIZE = 50  # YouTube's maximum per search call, for the price of one call
IDS_PER_CALL = 50  # videos.list and channels.list take at most 50 ids per call
SEARCH_ORDER = "relevance"
# Units from the 10k pool a search's follow-up costs at most: one videos.list and one channels.list.
UNITS_PER_SEARCH_ESTIMATE = 2
# After this many products in a row got nothing but failures from YouTube (a 5xx storm, timeouts, rate
# limits), the run stops: every further call would be charged and fail too. The products it did not
# reach keep their turn.
FAILED_PRODUCTS_IN_A_ROW_TO_STOP = 2
# Products discovered at once, interleaved on the main thread: while one waits for its vectors, the next
# ones send their searches. Three keep the embedding thread fed through a product's network turn.
PRODUCTS_IN_FLIGHT = 3


T = TypeVar("T")


class _Wait(Protocol):
    """What a product's discovery yields when it would wait: the main thread goes on with another product."""

    seq: int  # the order waits began in

    def ready(self) -> bool: ...

    def block(self) -> None:
        """Wait until ready (calls in flight 1 only: the main thread has nothing else to serve)."""


@dataclass(eq=False)
class _Batch:
    """Videos and channels being fetched, then embedded, on their way to storage; `vectors` is computed in
    the helper thread. Registered in `_Pipeline.in_flight` from before its videos.list is sent."""

    seq: int  # submission order: the helper thread finishes batches in this order
    video_ids: list[str]  # what it fetches: no other product fetches them meanwhile
    rows: list[Video] = field(default_factory=list)
    details: list[VideoDetails] = field(default_factory=list)
    channels: list[ChannelDetails] = field(default_factory=list)
    channel_ids: list[str] = field(default_factory=list)  # the channels it fetches (registered in flight)
    vectors: Future[np.ndarray] | None = None  # for rows[i] where needs[i]
    needs: list[bool] = field(default_factory=list)
    fetched: bool = False  # its calls have returned (or were given up): it waits only for its vectors now
    failed: bool = False  # YouTube failed its videos.list: the products that waited for it ask again
    stored: bool = False

    def ready(self) -> bool:
        return self.fetched and (self.vectors is None or self.vectors.done())

    def block(self) -> None:
        if self.vectors is not None:
            wait_for_futures([self.vectors])


@dataclass(eq=False)
class _CallWait:
    """A YouTube call in flight on the pool's workers."""

    seq: int
    future: Future[object]

    def ready(self) -> bool:
        return self.future.done()

    def block(self) -> None:
        wait_for_futures([self.future])


@dataclass(eq=False)
class _SlotWait:
    """The next call waits for its turn: a free worker (and, after a failure, to be the oldest product)."""

    seq: int
    turn: Callable[[], bool]

    def ready(self) -> bool:
        return self.turn()

    def block(self) -> None:
        raise RuntimeError("a turn to send comes only on the main thread with calls in flight, never by blocking")


@dataclass(eq=False)
class _Settling:
    """A call one product has in flight and another needs too (a search, a channel's uploads): the other waits
    until the first has stored its answer (or failed)."""

    seq: int
    settled: bool = False

    def ready(self) -> bool:
        return self.settled

    def block(self) -> None:
        if not self.settled:
            raise RuntimeError("a call in flight settles only on the main thread, never by waiting")


# A product's discovery: yields what it waits for whenever it would wait.
Steps = Generator[_Wait, None, None]
# A step of it that returns a value.
Waits = Generator[_Wait, None, T]


@dataclass
class DiscoveryTally:
    """What a discovery spent and found; copied onto the DiscoveryRun row as it goes."""

    products_done: int = 0
    search_calls: int = 0
    cached_searches: int = 0
    units: int = 0
    videos_found: int = 0
    videos_fetched: int = 0
    channels_fetched: int = 0
    matches_made: int = 0
    errors: list[str] = field(default_factory=list)
    stopped_reason: str = ""
    # Products YouTube failed (every call for them failed and nothing stored answers them): not discovered.
    products_failed: int = 0
    # What YouTube answered to the calls that failed ("503 backendError" -> how many), and the last message.
    youtube_failures: dict[str, int] = field(default_factory=dict)
    last_failure: str = ""
    # The run stopped because of YouTube (its quotaExceeded breaker, or a storm of failures), not its budget.
    stopped_by_youtube: bool = False
    breaker_until: datetime | None = None
    # The worker was told to stop (SIGTERM): the run wrapped up at a call boundary, to be resumed.
    interrupted: bool = False

    @property
    def stopped(self) -> bool:
        return bool(self.stopped_reason)

    @property
    def failed_calls(self) -> int:
        return sum(self.youtube_failures.values())


@dataclass(frozen=True)
class PlannedSearch:
    query: str
    products: tuple[str, ...]
    cached: bool
    category_name: str = ""  # within this YouTube video category ("": anywhere)


@dataclass(frozen=True)
class DiscoveryPlan:
    """What a discovery would search, and what it would cost, without spending anything."""

    products: tuple[tuple[str, tuple[str, ...]], ...]  # (title, its queries)
    searches: tuple[PlannedSearch, ...]

    @property
    def search_calls(self) -> int:
        return sum(1 for s in self.searches if not s.cached)

    @property
    def cached_searches(self) -> int:
        return sum(1 for s in self.searches if s.cached)

    @property
    def units_estimate(self) -> int:
        return self.search_calls * UNITS_PER_SEARCH_ESTIMATE


def query_key(query: str) -> str:
    """The key two queries that YouTube answers alike share (RANKING's normalisation); storage is keyed by it."""
    return query_lib.normalize_query(query)[:500]


def product_searches(
    product: Product, *, product_vector: np.ndarray | None = None, embedder: Embedder | None = None
) -> list[Search]:
    """The product's planned searches: at most WORKER_KEYWORDS_PER_PRODUCT, distinct.

    Its niche query, then the same within its predicted YouTube category, then static follow-ups
    (which a run replaces with queries learned from the results; RANKING's planned_searches).
    Without `product_vector` the product's current text is embedded (as a run would; nothing is
    stored), so that a dry run plans the category the run will search.
    """
    embedder = embedder or get_embedder()
    if product_vector is None:
        product_vector = ranking.embed_product(product.as_text(), embedder=embedder)
    category = categories.predict_category(product_vector, embedder=embedder)
    # Distinct already: build_queries keeps one query per normalised key, and the category's twin differs
    # from its unrestricted query by the category.
    return query_lib.planned_searches(product.as_text(), limit=settings.WORKER_KEYWORDS_PER_PRODUCT, category=category)


def _search_params() -> dict[str, object]:
    days = settings.DISCOVERY_PUBLISHED_WITHIN_DAYS
    published_after: datetime | None = None
    if days:
        # Whole days, so that the parameters (and the cache key) stay the same all day.
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        published_after = today - timedelta(days=days)
    return {
        "order": SEARCH_ORDER,
        "published_after": published_after,
        "region_code": settings.DISCOVERY_REGION_CODE,
        "relevance_language": settings.DISCOVERY_RELEVANCE_LANGUAGE,
    }


def _params_key(params: dict[str, object], *, category_id: str = "") -> str:
    return selectors.search_params_key(
        order=str(params["order"]),
        published_after=params["published_after"],  # type: ignore[arg-type]
        region_code=str(params["region_code"]),
        relevance_language=str(params["relevance_language"]),
        video_category_id=category_id,
    )


def plan_discovery(*, products: Sequence[Product]) -> DiscoveryPlan:
    """The searches a discovery of `products` would make, deduplicated, and which storage would answer."""
    params = _search_params()
    embedder = get_embedder()
    per_product: list[tuple[str, tuple[str, ...]]] = []
    first_of: dict[tuple[str, str], Search] = {}
    titles_of: dict[tuple[str, str], list[str]] = {}
    for product in products:
        searches = product_searches(product, embedder=embedder)
        per_product.append((product.title, tuple(str(search) for search in searches)))
        for search in searches:
            key = (query_key(search.query), search.category_id)
            first_of.setdefault(key, search)
            titles_of.setdefault(key, []).append(product.title)
    planned = tuple(
        PlannedSearch(
            query=search.query,
            products=tuple(titles_of[key]),
            cached=search_cache.is_cached(query=key[0], params_key=_params_key(params, category_id=key[1])),
            category_name=search.category_name,
        )
        for key, search in first_of.items()
    )
    return DiscoveryPlan(products=tuple(per_product), searches=planned)


def _videos_of(client: YouTubeClient, *, chunk: list[str]) -> list[VideoDetails]:
    return client.videos(chunk)


def _channels_of(client: YouTubeClient, *, chunk: list[str]) -> list[ChannelDetails]:
    return client.channels(chunk)


def _short(title: str, width: int = 50) -> str:
    title = " ".join(title.split())
    return title if len(title) <= width else title[:width].rstrip()


class _Pipeline:
    """One discovery over a list of products; holds the run's tally, budgets and log."""

    def __init__(
        self,
        *,
        run: DiscoveryRun | None,
        company: Company,
        search_call_limit: int | None,
        unit_limit: int | None,
        log: LogFn | None,
        client: YouTubeClient | None,
    ) -> None:
        self.run = run
        self.company = company
        self.search_call_limit = search_call_limit
        self.unit_limit = unit_limit
        self.tally = DiscoveryTally()
        self._failed_in_a_row = 0
        self._log = log
        self.client = client or get_client(company=company)
        self.params = _search_params()
        self.own_channels = set(company.own_channel_ids or ())
        self.embedder = get_embedder()
        self.vector_label = match_services.vector_label(self.embedder)
        # Top creators' recent-upload title vectors (pipeline/focus.py), read once a run per channel.
        self.upload_vectors: dict[str, np.ndarray] = {}
        # One helper thread for embeddings (CPU only, no database, no client); see the module docstring.
        self._cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="discovery-embed")
        self._seq = itertools.count()
        # Videos and channels fetched for one product and not stored yet: another product waits for them.
        self.in_flight: dict[str, _Batch] = {}
        self.channels_in_flight: set[str] = set()
        # Searches each product in flight may still send (its planned keywords not asked yet).
        self.searches_open: dict[int, int] = {}
        # Calls sent and not returned yet: the run's budgets count them as spent until they are settled.
        self.reserved_search_calls = 0
        self.reserved_units = 0
        # Searches in flight by (query key, params key): another product asking the same waits for the answer.
        self.searches_in_flight: dict[tuple[str, str], _Settling] = {}
        # Products in flight, oldest first, and those fetching a batch (how many): see may_send.
        self.products_in_flight: dict[int, None] = {}
        self.fetching: dict[int, int] = {}
        # Channels whose recent uploads a product is reading (pipeline/focus.py): another product waits for them.
        self.uploads_in_flight: dict[str, _Settling] = {}
        # Calls YouTube failed, by the product they were made for: products in flight interleave, so the
        # run's count between a product's start and end holds other products' failures too.
        self.failed_calls_of: dict[int, int] = {}
        in_flight = settings.YOUTUBE_CALLS_IN_FLIGHT
        self.pool = CallPool(client=self.client, size=in_flight) if in_flight > 1 else None

    def close(self) -> None:
        try:
            if self.pool is not None:
                self.pool.close()
        finally:
            self._cpu.shutdown(wait=True)

    # --- waiting and calls -----------------------------------------------------------------------
    def wait(self, wait: _Wait) -> None:
        """Wait until `wait` is ready, serving the call workers meanwhile."""
        if self.pool is None:
            wait.block()
        else:
            self.pool.wait(wait.ready)

    def drive(self, steps: Waits[T]) -> T:
        """Run `steps` through on their own (one product at a time), waiting wherever they would wait."""
        while True:
            try:
                wait = next(steps)
            except StopIteration as done:
                return done.value
            while not wait.ready():
                self.wait(wait)

    def start_call(
        self, method: str, send: Callable[[YouTubeClient], T], *, product: Product | None = None
    ) -> Waits[Future[T] | None]:
        """Send one YouTube request (`send` gets the client to send it with): on this thread at once with calls
        in flight 1, else on a worker as soon as it is `product`'s turn (`may_send`). Raises QuotaExhausted or
        BreakerOpen when the ledger refuses it (nothing is sent); None when the run stopped while the call
        waited for its turn (nothing is sent); what the call raises is in the returned future."""
        if self.pool is None:
            future: Future[T] = Future()
            try:
                future.set_result(send(self.client))
            except YouTubeError as exc:
                if isinstance(exc, QuotaExhausted | BreakerOpen):
                    raise
                future.set_exception(exc)
            return future
        pool = self.pool

        def turn() -> bool:
            return pool.has_slot() and self.may_send(product)

        if not turn():
            wait = _SlotWait(next(self._seq), turn)
            while not wait.ready():
                yield wait
            if self.tally.stopped:
                return None
        return pool.submit(method, send)

    def may_send(self, product: Product | None) -> bool:
        """Whether `product` may send a call now. After a call YouTube failed (the pool narrowed to one call in
        flight, until one succeeds) only the oldest product in flight sends, as in a sequential run, so that a
        storm of failures stops the run (FAILED_PRODUCTS_IN_A_ROW_TO_STOP) having spent hardly more than a
        sequential run would; a product fetching what other products wait for always may."""
        if self.pool is None or self.pool.width >= self.pool.size or product is None:
            return True
        oldest = next(iter(self.products_in_flight), None)
        return oldest is None or oldest == product.pk or self.fetching.get(product.pk, 0) > 0

    def finish_call(self, future: Future[T]) -> Waits[T]:
        """The call's result (or what it raised), once it has returned. A call YouTube failed narrows the pool
        to one call in flight until a call succeeds (`may_send`)."""
        if not future.done():
            wait = _CallWait(next(self._seq), future)  # type: ignore[arg-type]
            while not wait.ready():
                yield wait
        try:
            result = future.result()
        except YouTubeError as exc:
            if self.pool is not None and not isinstance(exc, QuotaExhausted | BreakerOpen):
                self.pool.width = 1
            raise
        if self.pool is not None:
            self.pool.width = self.pool.size
        return result

    def settling(self) -> _Settling:
        """A call in flight that other products may wait for (`searches_in_flight`, `uploads_in_flight`)."""
        return _Settling(next(self._seq))

    def committed_search_calls(self) -> int:
        return self.tally.search_calls + self.reserved_search_calls

    # --- bookkeeping -------------------------------------------------------------------------
    def emit(self, line: str) -> None:
        # Commands pass `log` (their stdout); the worker logs through "maatchaa.discovery". Not both,
        # or a terminal shows every line twice.
        if self._log is not None:
            self._log(line)
        else:
            logger.info(line)

    def save_progress(self) -> None:
        """Copy the tally onto the run row (and beat the heartbeat) so a run can be followed live."""
        if self.run is None:
            return
        t = self.tally
        DiscoveryRun.objects.filter(pk=self.run.pk).update(
            products_done=t.products_done,
            search_calls=t.search_calls,
            cached_searches=t.cached_searches,
            units=t.units,
            videos_found=t.videos_found,
            matches_made=t.matches_made,
            errors=t.errors[-50:],
            heartbeat_at=timezone.now(),
        )

    def beat(self) -> bool:
        """Beat the run's heartbeat before a YouTube call (DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS bounds the
        silence between beats). False, and the run stops, when the run is no longer running: another
        process abandoned it as stale, so this one must not carry on beside its successor."""
        if shutdown.stop_requested():
            self.interrupt()
            return False
        if self.run is None:
            return True
        alive = DiscoveryRun.objects.filter(pk=self.run.pk, status=DiscoveryRun.Status.RUNNING).update(
            heartbeat_at=timezone.now()
        )
        if not alive:
            self.stop("this run was abandoned by another process while it ran")
        return bool(alive)

    def interrupt(self) -> None:
        self.stop("the worker is stopping (SIGTERM)")
        self.tally.interrupted = self.tally.stopped_reason == "the worker is stopping (SIGTERM)"

    def stop(self, reason: str, *, by_youtube: bool = False, breaker_until: datetime | None = None) -> None:
        if not self.tally.stopped_reason:
            self.tally.stopped_reason = reason
            self.tally.stopped_by_youtube = by_youtube
            self.tally.breaker_until = breaker_until
            self.emit(f"   ⛔ Stopping: {reason}")

    def stop_for_quota(self, exc: QuotaExhausted | BreakerOpen) -> None:
        if isinstance(exc, BreakerOpen):
            self.stop(str(exc), by_youtube=True, breaker_until=exc.until)
        else:
            self.stop(str(exc))

    def stop_for_budget(self, reason: str) -> None:
        """This run's budget is spent; while YouTube's quotaExceeded breaker is open, that is why (the
        day's share reads 0 then), and the run says the breaker, not an empty budget."""
        breaker = quota.open_breaker_state()
        if breaker is None:
            self.stop(reason)
            return
        until, why = breaker
        self.stop(
            f"YouTube answered quotaExceeded earlier today ({why or 'no detail'}); no call is sent until the "
            f"quota resets at {until.astimezone(quota.PACIFIC):%Y-%m-%d %H:%M %Z}.",
            by_youtube=True,
            breaker_until=until,
        )

    def youtube_failed(self, exc: YouTubeError, what: str, *, product: Product | None = None) -> None:
        """A call YouTube answered with an error (or did not answer): counted, against the product it was
        made for, and in the run's errors under that product's title (products interleave)."""
        key = f"{exc.status} {exc.reason}" if exc.status else exc.reason
        self.tally.youtube_failures[key] = self.tally.youtube_failures.get(key, 0) + 1
        self.tally.last_failure = str(exc)
        if product is not None:
            self.failed_calls_of[product.pk] = self.failed_calls_of.get(product.pk, 0) + 1
        self.error(f"{product.title + ': ' if product is not None else ''}{what} failed: {exc}")

    def error(self, message: str) -> None:
        self.tally.errors.append(message)
        self.emit(f"   ⚠️  {message}")

    def can_start_another(self) -> bool:
        """Whether one more product may start while others are in flight: under a run's budget, only if the
        budget also pays for every search the products in flight may still send, so that products earlier
        in the rotation are never starved of the budget by later ones (a budget a sequential run would have
        spent on them)."""
        per_product = settings.WORKER_KEYWORDS_PER_PRODUCT
        needed = sum(self.searches_open.values()) + per_product
        if self.search_call_limit is not None and self.search_call_limit - self.committed_search_calls() < needed:
            return False
        left = self.units_left()
        return left is None or left >= needed * UNITS_PER_SEARCH_ESTIMATE

    def units_left(self) -> int | None:
        if self.unit_limit is None:
            return None
        return max(0, self.unit_limit - self.tally.units - self.reserved_units)

    # --- search ------------------------------------------------------------------------------
    def search(
        self, search: Search, *, product: Product | None = None
    ) -> Waits[tuple[list[str], dict[str, str]] | None]:
        """Video ids for `search` (and their channel ids where known), from storage or one search call.

        None when the search could not be answered (budget, breaker or an API error).
        """
        query = search.query
        key = query_key(query)
        params_key = _params_key(self.params, category_id=search.category_id)
        where = f" in {search.category_name}" if search.category_id else ""
        while True:
            cached = search_cache.cached_answer(query=key, params_key=params_key)
            if cached is not None:
                self.tally.cached_searches += 1
                self.emit(f"   🔎 Searching YouTube: '{query}'{where} (answered from storage, no call)")
                return list(cached.video_ids), dict(cached.channels)
            # Another product has this very search in flight: its answer will be stored; wait for it.
            other = self.searches_in_flight.get((key, params_key))
            if other is None:
                break
            while not other.ready():
                yield other
        if self.search_call_limit is not None and self.committed_search_calls() >= self.search_call_limit:
            self.stop_for_budget(f"this run's search-call budget ({self.search_call_limit}) is spent")
            return None
        if not self.beat():
            return None
        self.emit(f"   🔎 Searching YouTube: '{query}'{where}")
        flight = self.searches_in_flight[(key, params_key)] = self.settling()
        self.reserved_search_calls += 1
        try:
            sent = yield from self.start_call(
                "search",
                lambda client: client.search_videos(
                    query,
                    max_results=SEARCH_PAGE_SIZE,
                    video_category_id=search.category_id,
                    **self.params,  # type: ignore[arg-type]
                ),
                product=product,
            )
            if sent is None:
                return None
            page = yield from self.finish_call(sent)
        except (QuotaExhausted, BreakerOpen) as exc:
            self.stop_for_quota(exc)
            return None
        except YouTubeError as exc:
            # The call was sent and counted; say so, and carry on with the other queries.
            self.tally.search_calls += 1
            self.youtube_failed(exc, f"search '{query}'{where}", product=product)
            return None
        finally:
            self.reserved_search_calls -= 1
            flight.settled = True
            del self.searches_in_flight[(key, params_key)]
        self.tally.search_calls += 1
        # Stored and returned without the videos of suppressed channels: no detail call is spent on them.
        answer = search_cache.store_answer(
            query=key, params_key=params_key, items=[(item.video_id, item.channel_id) for item in page.items]
        )
        return list(answer.video_ids), dict(answer.channels)

    # --- fetch and store ----------------------------------------------------------------------
    def _affordable(self, ids: list[str], what: str) -> list[str]:
        """The ids whose lookups fit this run's unit budget (one unit per 50 ids)."""
        left = self.units_left()
        if left is None or math.ceil(len(ids) / IDS_PER_CALL) <= left:
            return ids
        self.stop_for_budget(f"this run's unit budget ({self.unit_limit}) cannot pay for more {what} details")
        return ids[: left * IDS_PER_CALL]

    def fetch_by_ids(
        self,
        ids: list[str],
        *,
        method: str,
        send: Callable[..., list[T]],
        what: str,
        product: Product | None = None,
    ) -> Waits[list[T]]:
        """What `send` returns for `ids`, 50 ids a call (one unit each), the calls in flight together."""
        ids = self._affordable(ids, what)
        if not ids or not self.beat():
            return []
        sent: list[Future[list[T]]] = []
        for start in range(0, len(ids), IDS_PER_CALL):
            chunk = ids[start : start + IDS_PER_CALL]
            try:
                future = yield from self.start_call(method, functools.partial(send, chunk=chunk), product=product)
            except (QuotaExhausted, BreakerOpen) as exc:
                self.stop_for_quota(exc)
                break
            if future is None:
                break
            sent.append(future)
            self.reserved_units += 1
        found: list[T] = []
        for pending in sent:
            try:
                found.extend((yield from self.finish_call(pending)))
            except (QuotaExhausted, BreakerOpen) as exc:
                self.stop_for_quota(exc)
            except YouTubeError as exc:
                self.tally.units += 1
                self.youtube_failed(exc, f"{what} details", product=product)
            else:
                self.tally.units += 1
            finally:
                self.reserved_units -= 1
        return found

    def fetch_videos(self, ids: list[str], *, product: Product | None = None) -> Waits[list[VideoDetails]]:
        details = yield from self.fetch_by_ids(ids, method="videos", send=_videos_of, what="video", product=product)
        self.tally.videos_fetched += len(details)
        return details

    def fetch_channels(self, ids: list[str], *, product: Product | None = None) -> Waits[list[ChannelDetails]]:
        details = yield from self.fetch_by_ids(
            ids, method="channels", send=_channels_of, what="channel", product=product
        )
        self.tally.channels_fetched += len(details)
        return details

    def store_channels(self, details: list[ChannelDetails]) -> None:
        now = timezone.now()
        rows = [
            Channel(
                channel_id=c.channel_id,
                title=c.title or "",
                description=c.description or "",
                custom_url=c.custom_url or "",
                country=c.country or "",
                default_language=c.default_language or "",
                thumbnail_url=c.thumbnail_url or "",
                keywords=c.keywords or "",
                subscriber_count=c.subscriber_count,
                hidden_subscriber_count=bool(c.hidden_subscriber_count),
                video_count=c.video_count,
                view_count=c.view_count,
                uploads_playlist_id=c.uploads_playlist_id or "",
                contact_emails=text_signals.extract_emails(c.description or ""),
                statistics_emulated=bool(c.statistics_emulated),
                published_at=c.published_at,
                fetched_at=now,
                created_at=now,
                updated_at=now,
            )
            for c in details
        ]
        Channel.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["channel_id"],
            update_fields=[
                "title", "description", "custom_url", "country", "default_language", "thumbnail_url",
                "keywords", "subscriber_count", "hidden_subscriber_count", "video_count", "view_count",
                "uploads_playlist_id", "contact_emails", "statistics_emulated", "published_at", "fetched_at",
                "updated_at",
            ],
        )  # fmt: skip

    def ensure_placeholder_channels(self, details: list[VideoDetails]) -> None:
        """A video needs its channel row; when channels.list did not answer, keep a minimal one (unfetched)."""
        now = timezone.now()
        Channel.objects.bulk_create(
            [
                Channel(channel_id=v.channel_id, title=v.channel_title or "", created_at=now, updated_at=now)
                for v in details
            ],
            ignore_conflicts=True,
        )

    def analyse_videos(self, details: list[VideoDetails]) -> list[Video]:
        """Analyse fetched videos (signals, language); `start_batch` then queues their embedding. Each video
        is logged once stored (store_videos), as the guide's pair."""
        if not details:
            return []
        now = timezone.now()
        rows: list[Video] = []
        for d in details:
            text = f"{d.title}\n{d.description}"
            rows.append(
                Video(
                    video_id=d.video_id,
                    channel_id=d.channel_id,
                    channel_title=d.channel_title or "",
                    title=d.title or "",
                    description=d.description or "",
                    tags=list(d.tags or ()),
                    published_at=d.published_at,
                    category_id=d.category_id or "",
                    duration_seconds=d.duration_seconds,
                    view_count=d.view_count,
                    like_count=d.like_count,
                    comment_count=d.comment_count,
                    topic_categories=list(d.topic_categories or ()),
                    thumbnail_url=d.thumbnail_url or "",
                    language=(d.default_language or text_signals.detect_language(text) or "")[:16],
                    contact_emails=text_signals.extract_emails(d.description or ""),
                    sponsorship_signals=[s[:200] for s in text_signals.sponsorship_signals(d.description or "")],
                    fetched_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        return rows

    def open_batch(self, video_ids: list[str]) -> _Batch:
        """A batch for the videos about to be fetched, registered as in flight before any call is sent."""
        batch = _Batch(seq=next(self._seq), video_ids=video_ids)
        for video_id in video_ids:
            self.in_flight[video_id] = batch
        return batch

    def embed_batch(self, batch: _Batch, rows: list[Video], details: list[VideoDetails]) -> None:
        """Queue the embedding of `rows` whose stored vector cannot be kept (matches.vectors)."""
        kept = vectors.unchanged_video_vectors(rows, label=self.vector_label)
        for row in rows:
            if row.video_id in kept:
                row.embedding = kept[row.video_id]
                row.embedding_model = self.vector_label
        needs = [row.video_id not in kept for row in rows]
        texts = [row.as_text() for row, need in zip(rows, needs, strict=True) if need]
        future = self._cpu.submit(ranking.embed_videos, texts, embedder=self.embedder) if texts else None
        if future is not None and self.pool is not None:
            self.pool.watch(future)
        # Submission order: the helper thread finishes batches in this order.
        batch.seq, batch.rows, batch.details, batch.vectors, batch.needs = next(self._seq), rows, details, future, needs

    def finish_batch(self, batch: _Batch) -> None:
        """Store `batch` (once) with its vectors; re-raises what the embedding raised."""
        if batch.stored:
            return
        if not batch.rows and not batch.channels:  # its calls failed, or it found nothing to keep
            batch.stored = True
            self._release(batch)
            return
        if batch.vectors is not None:
            computed = iter(batch.vectors.result())
            for row, need in zip(batch.rows, batch.needs, strict=True):
                if need:
                    row.embedding = next(computed)
                    row.embedding_model = self.vector_label
        with transaction.atomic():
            self.store_channels(batch.channels)
            self.ensure_placeholder_channels(batch.details)
            self.store_videos(batch.rows)
        batch.stored = True
        self._release(batch)

    def _release(self, batch: _Batch) -> None:
        for video_id in batch.video_ids:
            if self.in_flight.get(video_id) is batch:
                del self.in_flight[video_id]
        self.channels_in_flight.difference_update(batch.channel_ids)

    def store_videos(self, rows: list[Video]) -> None:
        if not rows:
            return
        Video.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["video_id"],
            update_fields=[
                "channel", "channel_title", "title", "description", "tags", "published_at", "category_id",
                "duration_seconds", "view_count", "like_count", "comment_count", "topic_categories",
                "thumbnail_url", "language", "contact_emails", "sponsorship_signals", "embedding",
                "embedding_model", "fetched_at", "updated_at",
            ],
        )  # fmt: skip
        # The channel's newest upload as far as we know it (recency, for users). The guide's log shows each
        # video as a pair of lines; the batch was analysed together, so the pair comes once it is stored.
        for row in rows:
            if row.published_at is not None:
                Channel.objects.filter(channel_id=row.channel_id).filter(
                    Q(last_upload_at__isnull=True) | Q(last_upload_at__lt=row.published_at)
                ).update(last_upload_at=row.published_at)
            self.emit(f"         🎥 Analyzing: {_short(row.title)}...")
            self.emit(f"         ✅ Indexed: {_short(row.title)}...")

    def reembed_stale_models(self, video_ids: list[str]) -> None:
        """Stored videos embedded by another model are re-embedded, never compared across spaces."""
        stale = list(Video.objects.filter(video_id__in=video_ids).exclude(embedding_model=self.vector_label))
        if not stale:
            return
        vectors = ranking.embed_videos([v.as_text() for v in stale], embedder=self.embedder)
        for video, vector in zip(stale, vectors, strict=True):
            video.embedding = vector
            video.embedding_model = self.vector_label
        Video.objects.bulk_update(stale, ["embedding", "embedding_model"])

    # --- one product ---------------------------------------------------------------------------
    def steps(self, product: Product) -> Steps:
        """One product's discovery; yields what it waits for (its vectors; with calls in flight, its calls)."""
        self.emit(f"🎯 Processing: {product.title}")
        self.products_in_flight[product.pk] = None
        try:
            yield from self._steps(product)
        finally:
            self.products_in_flight.pop(product.pk, None)

    def _steps(self, product: Product) -> Steps:
        limit = settings.WORKER_KEYWORDS_PER_PRODUCT
        product_vector = match_services.embed_product(product=product, embedder=self.embedder)
        planned = product_searches(product, product_vector=product_vector, embedder=self.embedder)
        self.emit(f"   🔑 Keywords: {', '.join(str(search) for search in planned)}")
        candidates: dict[str, list[str]] = {}  # video id -> the queries that found it
        known_channels: dict[str, str] = {}
        analysed: set[str] = set()
        asked: list[Search] = []
        searched = 0
        failed_calls_before = self.failed_calls_of.get(product.pk, 0)
        # The planned searches that need no results first (the niche, then within its category),
        # then queries learned from what those found.
        static = planned[:2]
        self.searches_open[product.pk] = limit
        while len(asked) < limit and not self.tally.stopped:
            if len(asked) < len(static):
                search: Search | None = static[len(asked)]
            else:
                query = self.next_query(product, product_vector, [s.query for s in asked], candidates)
                search = Search(query) if query is not None else None
            if search is None:
                break
            asked.append(search)
            self.searches_open[product.pk] = limit - len(asked)
            answer = yield from self.search(search, product=product)
            self.save_progress()
            if answer is None:
                continue
            ids, channels = answer
            search_answered.send(sender=_Pipeline, product=product, search=search, video_ids=ids)
            searched += 1
            known_channels.update(channels)
            self.emit(f"      ✅ Found {len(ids)} videos")
            for video_id in ids:
                candidates.setdefault(video_id, []).append(str(search))
            # Analyse now: a later query is written from what this one found.
            yield from self.analyse(candidates, known_channels, analysed, product=product)

        self.searches_open.pop(product.pk, None)
        made = match_services.match_product(
            product=product,
            candidates=candidates,
            keep=settings.WORKER_VIDEOS_PER_KEYWORD * max(1, searched),
            embedder=self.embedder,
            product_vector=product_vector,
        )
        self.tally.matches_made += made.matches_made
        yield from focus.add_focus(self, product, product_vector)
        # YouTube failed this product when its calls failed and nothing it found is stored (no search
        # answered, or no details for what they found). Such a product is not discovered: like one the
        # run stopped in, it keeps its place at the front of the rotation. A product with some answers
        # and some failures counts as discovered; its failures are in the run's errors.
        failed = self.failed_calls_of.get(product.pk, 0) > failed_calls_before and not (
            searched and Video.objects.filter(video_id__in=list(candidates)).exists()
        )
        if failed:
            self.tally.products_failed += 1
            self._failed_in_a_row += 1
            self.emit(f"   ❌ {product.title}: YouTube failed its calls; not discovered, it keeps its turn")
            if self._failed_in_a_row >= FAILED_PRODUCTS_IN_A_ROW_TO_STOP:
                self.stop(
                    f"YouTube failed every call for {self._failed_in_a_row} products in a row",
                    by_youtube=True,
                )
        elif not self.tally.stopped:
            self._failed_in_a_row = 0
            Product.objects.filter(pk=product.pk).update(last_discovered_at=timezone.now())
            self.tally.products_done += 1
            self.emit(f"   🏁 {product.title}: {len(candidates)} videos considered, {made.creators} creators ranked")
        self.save_progress()

    def next_query(
        self,
        product: Product,
        product_vector: np.ndarray,
        asked: list[str],
        candidates: dict[str, list[str]],
    ) -> str | None:
        """The next search, written by RANKING from what the earlier ones found (pseudo-relevance
        feedback), else its next static query not asked yet; None when there is nothing new to ask."""
        videos = list(
            Video.objects.filter(
                video_id__in=list(candidates), embedding__isnull=False, embedding_model=self.vector_label
            ).exclude(channel_id__in=self.own_channels)
        )
        query = query_lib.next_query(
            product.as_text(), product_vector, *video_texts_and_vectors(videos, product_vector), previous=asked
        )
        if query is not None:
            self.emit(f"   🔁 Next keyword, learned from the videos found: {query}")
        return query

    def analyse(
        self,
        candidates: dict[str, list[str]],
        known_channels: dict[str, str],
        analysed: set[str],
        *,
        product: Product | None = None,
    ) -> Steps:
        """Fetch what is missing or stale (skipping suppressed and the brand's own channels), then store it.

        Only candidates not in `analysed` are looked at (and then added to it). Yields what it waits for.
        """
        skip = self.own_channels | selectors.suppressed_channel_ids(channel_ids=set(known_channels.values()))
        for video_id in [v for v in candidates if v not in analysed]:
            if known_channels.get(video_id) in skip:
                del candidates[video_id]
        ids = [v for v in candidates if v not in analysed]
        analysed.update(ids)
        self.tally.videos_found += len(ids)
        # Videos another product is fetching or embedding: wait for that batch rather than fetch them again.
        theirs = [v for v in ids if v in self.in_flight]
        waiting = list(dict.fromkeys(self.in_flight[v] for v in theirs))
        ids = [v for v in ids if v not in self.in_flight]
        fresh = selectors.fresh_video_ids(video_ids=ids)
        self.reembed_stale_models(list(fresh))
        to_fetch = [v for v in ids if v not in fresh]
        if to_fetch:
            waiting.append((yield from self.fetch_batch(to_fetch, skip, product=product)))
        for batch in waiting:
            while not batch.ready():
                yield batch
            self.finish_batch(batch)
        # Videos another product was fetching when YouTube failed that call: this product asks for them itself,
        # as it would have had that product not been in flight (and a failure then is its own).
        lost = {v for batch in waiting if batch.failed for v in batch.video_ids}
        again = [v for v in theirs if v in lost and v not in self.in_flight]
        again = [v for v in again if v not in selectors.fresh_video_ids(video_ids=again)]
        if again:
            batch = yield from self.fetch_batch(again, skip, product=product)
            while not batch.ready():
                yield batch
            self.finish_batch(batch)

    def fetch_batch(self, to_fetch: list[str], skip: set[str], *, product: Product | None) -> Waits[_Batch]:
        """Fetch the videos' details and their stale channels' (skipping `skip` and suppressed channels) and
        queue their embedding: a batch to store once its vectors are in.

        Network and CPU first, then one short transaction per batch (finish_batch): a failure half-way stores
        nothing half-done. The videos are embedded in the helper thread while channels.list (and other
        products' calls) are in flight.
        """
        batch = self.open_batch(to_fetch)
        owner = product.pk if product is not None else 0
        self.fetching[owner] = self.fetching.get(owner, 0) + 1
        failed_before = self.failed_calls_of.get(owner, 0)
        try:
            details = yield from self.fetch_videos(to_fetch, product=product)
            batch.failed = self.failed_calls_of.get(owner, 0) > failed_before
            skip = skip | selectors.suppressed_channel_ids(channel_ids={d.channel_id for d in details})
            details = [d for d in details if d.channel_id not in skip]
            channel_ids = list(
                dict.fromkeys(d.channel_id for d in details if d.channel_id not in self.channels_in_flight)
            )
            fresh_channels = selectors.fresh_channel_ids(channel_ids=channel_ids)
            stale_channels = [c for c in channel_ids if c not in fresh_channels]
            if details:
                self.embed_batch(batch, self.analyse_videos(details), details)
            batch.channel_ids = stale_channels
            self.channels_in_flight.update(stale_channels)
            if stale_channels:
                batch.channels = yield from self.fetch_channels(stale_channels, product=product)
        finally:
            batch.fetched = True
            self.fetching[owner] -= 1
        return batch


def video_texts_and_vectors(videos: Sequence[Video], like: np.ndarray) -> tuple[list[VideoText], np.ndarray]:
    """The videos' texts and their stored vectors as one matrix (none: an empty one as wide as `like`), the
    feedback the next queries are formed from."""
    vectors = (
        np.asarray([v.embedding for v in videos], dtype=np.float32)
        if videos
        else np.zeros((0, like.shape[-1]), np.float32)
    )
    return [v.as_text() for v in videos], vectors


def discover_products(
    *,
    run: DiscoveryRun | None,
    products: Sequence[Product],
    search_call_limit: int | None = None,
    unit_limit: int | None = None,
    log: LogFn | None = None,
    client: YouTubeClient | None = None,
    company: Company | None = None,
    extra_searches: bool = False,
) -> DiscoveryTally:
    """Discover creators for `products` (of one company), within the given budgets.

    Stops cleanly, keeping everything stored so far, when a budget or the quota breaker says no; the
    tally's `stopped_reason` says why. Products that are not ACTIVE or whose shop is uninstalled are
    skipped. Updates `run`'s counters and heartbeat as it goes. With `extra_searches`, the calls left once
    every product of the company has had its first searches go to the weakest ones (pipeline/deepen.py).
    """
    if not products:
        return DiscoveryTally()
    company = company or (run.company if run is not None else products[0].company)
    eligible_ids = set(
        shop_selectors.discoverable_products(company=company)
        .filter(pk__in=[p.pk for p in products])
        .values_list("pk", flat=True)
    )
    pipeline = _Pipeline(
        run=run,
        company=company,
        search_call_limit=search_call_limit,
        unit_limit=unit_limit,
        log=log,
        client=client,
    )
    # Products in flight: (position, its steps, what it waits for). One call at a time: the helper thread
    # embeds batches in submission order, so the product waiting for the oldest batch is the next one to go
    # on. With calls in flight: the oldest of those whose wait is over, the main thread serving the call
    # workers until one is.
    active: list[tuple[int, Steps, _Wait]] = []

    def advance(position: int, steps: Steps) -> None:
        try:
            active.append((position, steps, next(steps)))
        except StopIteration:
            t = pipeline.tally
            pipeline.emit(
                f"   📈 Progress: {position}/{len(products)} products, {t.search_calls} search calls, "
                f"{t.cached_searches} from storage, {t.units} units"
            )

    upcoming = iter(enumerate(products, start=1))
    try:
        while True:
            while (
                len(active) < PRODUCTS_IN_FLIGHT
                and not pipeline.tally.stopped
                and (not active or pipeline.can_start_another())
            ):
                if shutdown.stop_requested():
                    pipeline.interrupt()  # the products in flight stop asking too (the tally is stopped)
                    break
                position, product = next(upcoming, (0, None))
                if product is None:
                    break
                if product.pk not in eligible_ids:
                    pipeline.emit(f"⏭️  Skipping {product.title}: not active or its shop is uninstalled")
                    continue
                advance(position, pipeline.steps(product))
            if not active:
                break
            if pipeline.pool is None:
                oldest = min(range(len(active)), key=lambda i: active[i][2].seq)
            else:
                pipeline.pool.wait(lambda: any(wait.ready() for _, _, wait in active))
                oldest = min((i for i in range(len(active)) if active[i][2].ready()), key=lambda i: active[i][2].seq)
            position, steps, wait = active.pop(oldest)
            if pipeline.pool is None:
                wait.block()
            advance(position, steps)
        if extra_searches and not pipeline.tally.stopped:
            deepen.spend_the_rest(pipeline)
    finally:
        pipeline.close()
    t = pipeline.tally
    pipeline.emit(
        f"\n✅ Discovery complete for {t.products_done} products: {t.search_calls} search calls, "
        f"{t.cached_searches} answered from storage, {t.units} units, {t.videos_found} videos, "
        f"{t.matches_made} matches"
    )
    return t
