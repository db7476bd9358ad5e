"""The worker guide's discovery loop, implemented literally, as the baseline the benchmarks measure against.

What the original's code did per cycle (shared/ORIGINAL.md): take the first WORKER_PRODUCTS_PER_CYCLE
products (in stored order: the original had no rotation), and for each product search
WORKER_KEYWORDS_PER_PRODUCT keywords "<title> review", "<title> unboxing", ... asking for
WORKER_VIDEOS_PER_KEYWORD results ordered by view count; one videos.list for the results' statistics;
videos under 100 views dropped; one channels.list per remaining video; a video kept when its 0-10
keyword heuristic is at least 4 and it has 1,000 views. No cache, no deduplication, no quota accounting.

Deliberate differences, all in the baseline's favour:
- no sleeps (the original slept 4 s per video and 20 s per search);
- no publishedAfter filter (the original asked for the last 365 days, which over this corpus would
  find almost nothing);
- the `rotate` and `order` switches give a fairer variant (every product its turn, relevance order).
Requests go straight to the emulator with `requests` (the bench's own client, not Maatchaa's).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

KEYWORD_SUFFIXES = ("review", "unboxing", "haul", "try on", "test", "first impressions")
REVIEW_WORDS = ("review", "unboxing", "tutorial", "how to", "test", "vs", "comparison", "guide")
MIN_VIEWS_FETCHED = 100
MIN_VIEWS_KEPT = 1_000
MIN_SCORE_KEPT = 4.0


class QuotaExceeded(Exception):
    pass


@dataclass(frozen=True)
class GuideProduct:
    key: str  # an identifier the caller maps back to its labels
    title: str


@dataclass
class GuideTally:
    cycles: int = 0
    search_calls: int = 0
    units: int = 0
    videos_returned: int = 0
    # (product key, channel id) pairs: every creator a search returned, and those the heuristic kept.
    returned: set[tuple[str, str]] = field(default_factory=set)
    kept: set[tuple[str, str]] = field(default_factory=set)
    products_searched: set[str] = field(default_factory=set)
    queries: set[str] = field(default_factory=set)  # distinct keywords sent: a repeat finds nothing new
    stopped_reason: str = ""


def guide_keywords(title: str, *, count: int) -> list[str]:
    return [f"{title} {suffix}" for suffix in KEYWORD_SUFFIXES[:count]]


def heuristic_score(*, keyword: str, product_title: str, video_title: str, description: str) -> float:
    """The original's 0-10 score without its LLM-fed rules (they scored 0 for most product kinds)."""
    title, description = video_title.lower(), description.lower()
    keyword = keyword.lower().strip()
    score = 0.0
    if keyword and keyword in title:
        score += 2
    if keyword and keyword in description:
        score += 1
    score += min(sum(1.5 for word in product_title.lower().split() if word in title or word in description), 3.0)
    if any(word in title for word in REVIEW_WORDS):
        score += 2
    return min(score, 10.0)


class GuideLoop:
    def __init__(
        self,
        *,
        base_url: str,
        key: str = "bench-guide-loop",
        products_per_cycle: int,
        keywords_per_product: int,
        videos_per_keyword: int,
        order: str = "viewCount",
        rotate: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/youtube/v3/"
        self.key = key
        self.products_per_cycle = products_per_cycle
        self.keywords_per_product = keywords_per_product
        self.videos_per_keyword = videos_per_keyword
        self.order = order
        self.rotate = rotate
        self.timeout = timeout
        self.session = requests.Session()
        self.tally = GuideTally()
        self._next = 0

    def _get(self, resource: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.session.get(self.base_url + resource, params={**params, "key": self.key}, timeout=self.timeout)
        if resource == "search":
            self.tally.search_calls += 1
        else:
            self.tally.units += 1
        if response.status_code == 403 and "quotaExceeded" in response.text:
            if resource == "search":
                self.tally.search_calls -= 1  # refused before being counted by the emulator
            else:
                self.tally.units -= 1
            raise QuotaExceeded(f"{resource}.list: quotaExceeded")
        response.raise_for_status()
        return response.json()

    def cycle_products(self, products: Sequence[GuideProduct]) -> list[GuideProduct]:
        if not self.rotate:
            return list(products[: self.products_per_cycle])
        chosen = [
            products[(self._next + i) % len(products)] for i in range(min(self.products_per_cycle, len(products)))
        ]
        self._next = (self._next + len(chosen)) % len(products)
        return chosen

    def run_cycle(self, products: Sequence[GuideProduct]) -> bool:
        """One cycle; False once the quota refused a call (the day is over for this loop)."""
        self.tally.cycles += 1
        try:
            for product in self.cycle_products(products):
                for keyword in guide_keywords(product.title, count=self.keywords_per_product):
                    self.search_and_analyse(product, keyword)
        except QuotaExceeded as exc:
            self.tally.stopped_reason = str(exc)
            return False
        return True

    def search_and_analyse(self, product: GuideProduct, keyword: str) -> None:
        self.tally.products_searched.add(product.key)
        self.tally.queries.add(keyword.lower())
        found = self._get(
            "search",
            {
                "part": "snippet",
                "q": keyword,
                "type": "video",
                "maxResults": self.videos_per_keyword,
                "order": self.order,
            },
        )
        items = [item for item in found.get("items", []) if item.get("id", {}).get("videoId")]
        self.tally.videos_returned += len(items)
        for item in items:
            self.tally.returned.add((product.key, item["snippet"]["channelId"]))
        if not items:
            return
        details = self._get("videos", {"part": "snippet,statistics", "id": ",".join(i["id"]["videoId"] for i in items)})
        for video in details.get("items", []):
            views = int(video.get("statistics", {}).get("viewCount", 0) or 0)
            if views < MIN_VIEWS_FETCHED:
                continue
            snippet = video["snippet"]
            # One channels.list per video for an "email" the original never extracted.
            self._get("channels", {"part": "snippet,statistics", "id": snippet["channelId"]})
            score = heuristic_score(
                keyword=keyword,
                product_title=product.title,
                video_title=snippet.get("title", ""),
                description=snippet.get("description", ""),
            )
            if score >= MIN_SCORE_KEPT and views >= MIN_VIEWS_KEPT:
                self.tally.kept.add((product.key, snippet["channelId"]))

    def run_once(self, products: Sequence[GuideProduct]) -> GuideTally:
        """Every product's keywords searched exactly once (no repeats), or until the quota refuses."""
        try:
            for product in products:
                for keyword in guide_keywords(product.title, count=self.keywords_per_product):
                    self.search_and_analyse(product, keyword)
        except QuotaExceeded as exc:
            self.tally.stopped_reason = str(exc)
        self.tally.cycles = 1
        return self.tally

    def run_day(self, products: Sequence[GuideProduct], *, cycles: int) -> GuideTally:
        """Up to `cycles` cycles, ending early when the quota refuses (no sleeps between cycles)."""
        for _ in range(cycles):
            if not self.run_cycle(products):
                break
        return self.tally


def timed_sequential_cycle(loop: GuideLoop, products: Sequence[GuideProduct]) -> float:
    started = time.perf_counter()
    loop.run_cycle(products)
    return time.perf_counter() - started
