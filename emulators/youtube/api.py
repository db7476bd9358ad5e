"""The fake YouTube Data API v3: parameters, parts, fields, quota buckets, faults and error bodies."""

from __future__ import annotations

import base64
import html
import random
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from emulators.youtube.corpus import (
    CATEGORY_TOPICS,
    DEFAULT_INVALID_KEYS,
    EMULATED_KEY,
    KEYWORD_TOPICS,
    MAX_IDS,
    MAX_RESULTS,
    PACIFIC,
    PARTS,
    QUOTA_MESSAGE,
    SEARCH_DESCRIPTION_CHARS,
    SEARCH_FILTER_MESSAGE,
    VIDEO_ONLY_FILTERS,
    Channel,
    Corpus,
    InvalidPageToken,
    Video,
    _etag,
    _stable_int,
    decode_page_token,
    encode_page_token,
    tokenize,
)
from maatchaa.lib.rfc3339 import format_rfc3339, parse_rfc3339

# ---------------------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answered in YouTube's error body shape."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str,
        *,
        domain: str = "global",
        location: str | None = None,
        details: list[dict[str, Any]] | None = None,
        status: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.location = location
        self.details = details
        self.status = status

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "domain": self.domain, "reason": self.reason}
        if self.location:
            error["location"] = self.location
            error["locationType"] = "parameter"
        payload: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [error]}
        if self.status:
            payload["status"] = self.status
        if self.details:
            payload["details"] = self.details
        return {"error": payload}


@dataclass
class EmulatorConfig:
    search_calls_per_day: int = 100
    units_per_day: int = 10_000
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    latency_ms: int = 0
    seed: int = 0
    invalid_keys: frozenset[str] = DEFAULT_INVALID_KEYS
    # Statuses (500, 503, 403, 429) to answer the next requests with, in order, whatever the rates say.
    fail_next: list[int] = field(default_factory=list)
    # search.list calls whose q contains one of these (case-insensitive) answer 503 backendError, charged like
    # any failed call: one product's searches fail whatever order concurrent calls arrive in.
    fail_queries: list[str] = field(default_factory=list)
    # videos.list and channels.list calls asking for one of these ids answer 503 backendError, likewise.
    fail_ids: list[str] = field(default_factory=list)
    # The first `gather` API requests are held until that many are being served at once (or
    # gather_timeout_ms passed): a client that keeps k calls in flight shows k at once, whatever the load.
    gather: int = 0
    gather_timeout_ms: int = 10_000

    def update(self, values: Mapping[str, Any]) -> list[str]:
        """Apply control values; returns the names it did not know."""
        unknown = []
        for name, value in values.items():
            if name in ("search_calls_per_day", "units_per_day", "latency_ms", "seed", "gather", "gather_timeout_ms"):
                setattr(self, name, int(value))
            elif name in ("error_rate", "rate_limit_rate"):
                rate = float(value)
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"{name} must be between 0 and 1")
                setattr(self, name, rate)
            elif name == "invalid_keys":
                self.invalid_keys = frozenset(str(k) for k in value)
            elif name == "fail_next":
                statuses = [int(s) for s in value]
                if any(s not in (403, 429, 500, 503) for s in statuses):
                    raise ValueError("fail_next holds statuses among 403, 429, 500, 503")
                self.fail_next = statuses
            elif name == "fail_queries":
                if isinstance(value, str) or not all(isinstance(q, str) for q in value):
                    raise ValueError("fail_queries holds a list of query texts")
                self.fail_queries = [q.lower() for q in value]
            elif name == "fail_ids":
                if isinstance(value, str) or not all(isinstance(i, str) for i in value):
                    raise ValueError("fail_ids holds a list of video or channel ids")
                self.fail_ids = list(value)
            elif name != "now":
                unknown.append(name)
        return unknown

    def as_dict(self) -> dict[str, Any]:
        return {
            "search_calls_per_day": self.search_calls_per_day,
            "units_per_day": self.units_per_day,
            "error_rate": self.error_rate,
            "rate_limit_rate": self.rate_limit_rate,
            "latency_ms": self.latency_ms,
            "seed": self.seed,
            "invalid_keys": sorted(self.invalid_keys),
            "fail_next": list(self.fail_next),
            "fail_queries": list(self.fail_queries),
            "fail_ids": list(self.fail_ids),
            "gather": self.gather,
            "gather_timeout_ms": self.gather_timeout_ms,
        }


@dataclass(frozen=True)
class Call:
    """One request that reached a /youtube/v3 endpoint."""

    method: str  # e.g. "youtube.search.list"
    resource: str  # e.g. "search"
    params: dict[str, str]  # query parameters minus the key
    status: int
    reason: str  # the error reason, "" on success
    time: str  # RFC 3339, UTC
    pacific_day: str
    bucket: str  # "search", "units" or "" when nothing was charged
    cost: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "resource": self.resource,
            "params": dict(self.params),
            "status": self.status,
            "reason": self.reason,
            "time": self.time,
            "pacific_day": self.pacific_day,
            "bucket": self.bucket,
            "cost": self.cost,
        }


class EmulatorState:
    """Everything that changes while serving: quota, calls, faults, forgotten ids, updated statistics."""

    def __init__(self, corpus: Corpus, config: EmulatorConfig, clock: Callable[[], datetime] | None) -> None:
        self.corpus = corpus
        self.initial_config = replace(
            config,
            fail_next=list(config.fail_next),
            fail_queries=list(config.fail_queries),
            fail_ids=list(config.fail_ids),
        )
        self.config = config
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.usage: dict[str, dict[str, int]] = {}
        self.forgotten_videos: set[str] = set()
        self.forgotten_channels: set[str] = set()
        self.stat_overrides: dict[str, dict[str, int]] = {}
        self.text_overrides: dict[str, dict[str, Any]] = {}
        self.frozen_now: datetime | None = None
        self._clock = clock
        self.random = random.Random(config.seed)
        # API requests being served now (latency included) and the most at once since the last reset.
        self.in_flight = 0
        self.most_in_flight = 0
        self.gathered = 0  # requests that have reached the gather (config.gather)
        self._changed = threading.Condition(self.lock)

    def now(self) -> datetime:
        if self.frozen_now is not None:
            return self.frozen_now
        return self._clock() if self._clock else datetime.now(UTC)

    def pacific_day(self) -> str:
        return self.now().astimezone(PACIFIC).date().isoformat()

    def reset(self, *, everything: bool = False) -> None:
        with self.lock:
            self.calls.clear()
            self.usage.clear()
            self.most_in_flight = self.in_flight
            if everything:
                self.gathered = 0
                self.forgotten_videos.clear()
                self.forgotten_channels.clear()
                self.stat_overrides.clear()
                self.text_overrides.clear()
                self.frozen_now = None
                self.config = replace(
                    self.initial_config,
                    fail_next=list(self.initial_config.fail_next),
                    fail_queries=list(self.initial_config.fail_queries),
                    fail_ids=list(self.initial_config.fail_ids),
                )
            self.random = random.Random(self.config.seed)

    def usage_today(self) -> dict[str, int | str]:
        with self.lock:
            day = self.pacific_day()
            used = self.usage.get(day, {"search_calls": 0, "units": 0})
            return {
                "pacific_day": day,
                "search_calls": used["search_calls"],
                "search_calls_per_day": self.config.search_calls_per_day,
                "units": used["units"],
                "units_per_day": self.config.units_per_day,
            }

    def charge(self, bucket: str) -> bool:
        """Spend one call/unit of today's quota; False (nothing spent) when the bucket is already empty."""
        with self.lock:
            used = self.usage.setdefault(self.pacific_day(), {"search_calls": 0, "units": 0})
            if bucket == "search":
                if used["search_calls"] >= self.config.search_calls_per_day:
                    return False
                used["search_calls"] += 1
            else:
                if used["units"] >= self.config.units_per_day:
                    return False
                used["units"] += 1
            return True

    def request_started(self) -> None:
        """An API request is being served: counted, and held at the gather until enough are (see EmulatorConfig)."""
        with self._changed:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self._changed.notify_all()
            if self.gathered < self.config.gather:
                self.gathered += 1
                self._changed.wait_for(
                    lambda: self.in_flight >= self.config.gather or self.gathered > self.config.gather,
                    timeout=self.config.gather_timeout_ms / 1000,
                )
                # Whoever leaves the gather opens it for everyone (a timeout too): it holds only the first ones.
                self.gathered = self.config.gather + 1
                self._changed.notify_all()

    def request_finished(self) -> None:
        with self._changed:
            self.in_flight -= 1

    def draw_fault(self, *, query: str = "", ids: str = "") -> int | None:
        with self.lock:
            if query and any(q in query.lower() for q in self.config.fail_queries):
                return 503
            if ids and set(ids.split(",")) & set(self.config.fail_ids):
                return 503
            if self.config.fail_next:
                return self.config.fail_next.pop(0)
            roll = self.random.random()
            if roll < self.config.error_rate:
                return 503 if self.random.random() < 0.5 else 500
            if roll < self.config.error_rate + self.config.rate_limit_rate:
                return 429 if self.random.random() < 0.25 else 403
            return None

    def is_forgotten(self, video: Video) -> bool:
        return video.video_id in self.forgotten_videos or video.channel_id in self.forgotten_channels

    def hidden_video_ids(self) -> set[str]:
        with self.lock:
            hidden = set(self.forgotten_videos)
            for channel_id in self.forgotten_channels:
                hidden.update(v.video_id for v in self.corpus.videos_of_channel(channel_id))
            return hidden

    def current(self, video: Video) -> Video:
        """The video as served now: text changed through update() replaces the corpus text (not re-indexed)."""
        changes = self.text_overrides.get(video.video_id)
        return replace(video, **changes) if changes else video

    def statistics(self, video: Video) -> dict[str, int | None]:
        stats: dict[str, int | None] = {
            "viewCount": video.view_count,
            "likeCount": video.like_count,
            "commentCount": video.comment_count,
        }
        stats.update(self.stat_overrides.get(video.video_id, {}))
        return stats


def _thumbnails(kind: str, object_id: str, base_url: str) -> dict[str, Any]:
    url = f"{base_url}_emulator/thumbnails/{object_id}.svg"
    if kind == "channel":
        return {
            "default": {"url": f"{url}?s=88", "width": 88, "height": 88},
            "medium": {"url": f"{url}?s=240", "width": 240, "height": 240},
            "high": {"url": f"{url}?s=800", "width": 800, "height": 800},
        }
    return {
        "default": {"url": f"{url}?s=default", "width": 120, "height": 90},
        "medium": {"url": f"{url}?s=medium", "width": 320, "height": 180},
        "high": {"url": f"{url}?s=high", "width": 480, "height": 360},
    }


def thumbnail_svg(object_id: str, label: str) -> str:
    words = [w for w in re.findall(r"\w+", label) if w][:2]
    initials = "".join(w[0].upper() for w in words) or object_id[:2].upper()
    seed = _stable_int("thumb", object_id)
    hue = seed % 360
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="360" viewBox="0 0 480 360">'
        f'<rect width="480" height="360" fill="hsl({hue},55%,45%)"/>'
        f'<circle cx="240" cy="180" r="110" fill="hsl({(hue + 180) % 360},60%,85%)"/>'
        f'<text x="240" y="215" font-family="sans-serif" font-size="96" text-anchor="middle" '
        f'fill="hsl({hue},55%,25%)">{html.escape(initials)}</text></svg>'
    )


def _search_escape(text: str) -> str:
    # search.list returns titles and descriptions HTML-escaped (&#39; &amp; &quot;); videos.list does not.
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _iso_duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs or out == "PT":
        out += f"{secs}S"
    return out


def _topic_categories(video: Video) -> list[str]:
    topics = list(CATEGORY_TOPICS.get(video.category, []))
    words = set(tokenize(f"{video.title} {' '.join(video.tags)}"))
    for topic, keywords in KEYWORD_TOPICS.items():
        if words.intersection(keywords) and topic not in topics:
            topics.append(topic)
    return [f"https://en.wikipedia.org/wiki/{t}" for t in topics]


def _parse_fields(spec: str) -> dict[str, Any]:
    """The `fields` grammar: a,b/c,d(e,f(g)) -> nested dict; {} means the whole value."""
    pos = 0

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        result: dict[str, Any] = {}
        while pos < len(spec):
            start = pos
            while pos < len(spec) and spec[pos] not in ",()/":
                pos += 1
            name = spec[start:pos].strip()
            if not name:
                raise ValueError(spec)
            target = result.setdefault(name, {})
            if pos < len(spec) and spec[pos] == "/":
                pos += 1
                sub = parse_path()
                _merge(target, sub)
            elif pos < len(spec) and spec[pos] == "(":
                pos += 1
                _merge(target, parse_list())
                if pos >= len(spec) or spec[pos] != ")":
                    raise ValueError(spec)
                pos += 1
            if pos < len(spec) and spec[pos] == ",":
                pos += 1
                continue
            break
        return result

    def parse_path() -> dict[str, Any]:
        nonlocal pos
        start = pos
        while pos < len(spec) and spec[pos] not in ",()/":
            pos += 1
        name = spec[start:pos].strip()
        if not name:
            raise ValueError(spec)
        node: dict[str, Any] = {name: {}}
        if pos < len(spec) and spec[pos] == "/":
            pos += 1
            node[name] = parse_path()
        elif pos < len(spec) and spec[pos] == "(":
            pos += 1
            node[name] = parse_list()
            if pos >= len(spec) or spec[pos] != ")":
                raise ValueError(spec)
            pos += 1
        return node

    tree = parse_list()
    if pos != len(spec):
        raise ValueError(spec)
    return tree


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        _merge(target.setdefault(key, {}), value)


def _apply_fields(value: Any, tree: dict[str, Any]) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [_apply_fields(v, tree) for v in value]
    if isinstance(value, dict):
        return {k: _apply_fields(value[k], sub) for k, sub in tree.items() if k in value}
    return value


class YouTubeApi:
    """The /youtube/v3 handlers: params in, (status, body) out. Shared by HTTP and tests."""

    def __init__(self, state: EmulatorState, base_url: Callable[[], str]) -> None:
        self.state = state
        self.base_url = base_url

    # --- entry ----------------------------------------------------------------------------------------
    def handle(self, resource: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        state = self.state
        method = f"youtube.{resource}.list"
        handler = {
            "search": self.search_list,
            "videos": self.videos_list,
            "channels": self.channels_list,
            "playlistItems": self.playlist_items_list,
        }.get(resource)
        public_params = {k: v for k, v in params.items() if k != "key"}
        bucket = ""
        cost = 0
        try:
            if handler is None:
                raise ApiError(404, "Not Found", "notFound", status="NOT_FOUND")
            key = params.get("key")
            if not key:
                raise ApiError(
                    403,
                    "The request is missing a valid API key.",
                    "forbidden",
                    status="PERMISSION_DENIED",
                )
            if key in state.config.invalid_keys:
                raise ApiError(
                    400,
                    "API key not valid. Please pass a valid API key.",
                    "keyInvalid",
                    domain="usageLimits",
                    status="INVALID_ARGUMENT",
                    details=[
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "API_KEY_INVALID",
                            "domain": "googleapis.com",
                            "metadata": {"service": "youtube.googleapis.com"},
                        }
                    ],
                )
            wanted_bucket = "search" if resource == "search" else "units"
            if not state.charge(wanted_bucket):
                raise ApiError(403, QUOTA_MESSAGE, "quotaExceeded", domain="youtube.quota")
            bucket, cost = wanted_bucket, 1
            fault = state.draw_fault(
                query=params.get("q", "") if resource == "search" else "",
                ids=params.get("id", "") if resource in ("videos", "channels") else "",
            )
            if fault is not None:
                raise self._fault(fault)
            body = handler(params)
            if params.get("fields"):
                try:
                    body = _apply_fields(body, _parse_fields(params["fields"]))
                except ValueError:
                    raise ApiError(
                        400,
                        "Invalid field selection " + params["fields"],
                        "invalidParameter",
                        location="fields",
                        status="INVALID_ARGUMENT",
                    ) from None
            status = 200
            reason = ""
        except ApiError as error:
            status, body, reason = error.code, error.body(), error.reason
        now = state.now()
        with state.lock:
            state.calls.append(
                Call(
                    method=method,
                    resource=resource,
                    params=public_params,
                    status=status,
                    reason=reason,
                    time=format_rfc3339(now),
                    pacific_day=now.astimezone(PACIFIC).date().isoformat(),
                    bucket=bucket,
                    cost=cost,
                )
            )
        return status, body

    @staticmethod
    def _fault(status: int) -> ApiError:
        if status == 403:
            return ApiError(
                403,
                "The request cannot be completed because you have exceeded your rate limit.",
                "rateLimitExceeded",
                domain="youtube.quota",
            )
        if status == 429:
            return ApiError(
                429,
                "Resource has been exhausted (e.g. check quota).",
                "rateLimitExceeded",
                domain="global",
                status="RESOURCE_EXHAUSTED",
            )
        if status == 503:
            return ApiError(503, "The service is currently unavailable.", "backendError", status="UNAVAILABLE")
        return ApiError(500, "Internal error encountered.", "backendError", status="INTERNAL")

    # --- shared validation ----------------------------------------------------------------------------
    @staticmethod
    def _parts(resource: str, params: Mapping[str, str]) -> set[str]:
        raw = params.get("part")
        if raw is None or not raw.strip():
            raise ApiError(400, "Required parameter: part", "required", location="part")
        parts = {p.strip() for p in raw.split(",") if p.strip()}
        for part in parts:
            if part not in PARTS[resource]:
                raise ApiError(400, part, "unknownPart", domain="youtube.part", location="part")
        return parts

    @staticmethod
    def _max_results(params: Mapping[str, str], default: int) -> int:
        raw = params.get("maxResults")
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(
                400,
                f"Invalid value '{raw}'. Values must be within the range: [0, 50]",
                "invalidParameter",
                location="maxResults",
            ) from None
        if not 0 <= value <= MAX_RESULTS:
            raise ApiError(
                400,
                f"Invalid value '{raw}'. Values must be within the range: [0, 50]",
                "invalidParameter",
                location="maxResults",
            )
        return value

    @staticmethod
    def _ids(params: Mapping[str, str], domain: str) -> list[str]:
        ids = [i.strip() for i in params["id"].split(",") if i.strip()]
        if len(ids) > MAX_IDS:
            raise ApiError(
                400,
                "The request specifies an invalid filter parameter.",
                "invalidFilters",
                domain=domain,
                location="id",
            )
        return ids

    @staticmethod
    def _offset(params: Mapping[str, str]) -> int:
        token = params.get("pageToken")
        if not token:
            return 0
        try:
            return decode_page_token(token)
        except InvalidPageToken:
            raise ApiError(
                400,
                "The request specifies an invalid page token.",
                "invalidPageToken",
                domain="youtube.parameter",
                location="pageToken",
            ) from None

    @staticmethod
    def _page_info(total: int, per_page: int) -> dict[str, int]:
        return {"totalResults": total, "resultsPerPage": per_page}

    # --- items ----------------------------------------------------------------------------------------
    def _video_snippet(self, video: Video, *, for_search: bool) -> dict[str, Any]:
        base = self.base_url()
        if for_search:
            description = video.description.replace("\n", " ").strip()
            if len(description) > SEARCH_DESCRIPTION_CHARS:
                description = description[:SEARCH_DESCRIPTION_CHARS].rstrip() + " ..."
            return {
                "publishedAt": video.published_at,
                "channelId": video.channel_id,
                "title": _search_escape(video.title),
                "description": _search_escape(description),
                "thumbnails": _thumbnails("video", video.video_id, base),
                "channelTitle": _search_escape(video.channel_title),
                "liveBroadcastContent": "none",
                "publishTime": video.published_at,
            }
        snippet: dict[str, Any] = {
            "publishedAt": video.published_at,
            "channelId": video.channel_id,
            "title": video.title,
            "description": video.description,
            "thumbnails": _thumbnails("video", video.video_id, base),
            "channelTitle": video.channel_title,
        }
        if video.tags:
            snippet["tags"] = list(video.tags)
        snippet["categoryId"] = video.category_id or "22"
        snippet["liveBroadcastContent"] = "none"
        snippet["defaultAudioLanguage"] = video.language
        snippet["localized"] = {"title": video.title, "description": video.description}
        return snippet

    def _video_item(self, video: Video, parts: set[str]) -> dict[str, Any]:
        video = self.state.current(video)
        item: dict[str, Any] = {"kind": "youtube#video", "etag": "", "id": video.video_id}
        emulated = []
        if "snippet" in parts:
            item["snippet"] = self._video_snippet(video, for_search=False)
        if "contentDetails" in parts:
            item["contentDetails"] = {
                "duration": _iso_duration(video.duration_seconds),
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": True,
                "contentRating": {},
                "projection": "rectangular",
            }
            emulated.append("contentDetails")
        if "status" in parts:
            item["status"] = {
                "uploadStatus": "processed",
                "privacyStatus": "public",
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "madeForKids": False,
            }
        if "statistics" in parts:
            # Counts are strings (uint64) and absent when the owner hides them.
            stats = {k: str(v) for k, v in self.state.statistics(video).items() if v is not None}
            stats["favoriteCount"] = "0"
            item["statistics"] = {
                key: stats[key] for key in ("viewCount", "likeCount", "favoriteCount", "commentCount") if key in stats
            }
        if "topicDetails" in parts:
            topics = _topic_categories(video)
            if topics:
                item["topicDetails"] = {"topicCategories": topics}
            emulated.append("topicDetails")
        item["etag"] = _etag("video", item)
        if emulated:
            item[EMULATED_KEY] = emulated
        return item

    def _channel_item(self, channel: Channel, parts: set[str]) -> dict[str, Any]:
        item: dict[str, Any] = {"kind": "youtube#channel", "etag": "", "id": channel.channel_id}
        thumbnails = _thumbnails("channel", channel.channel_id, self.base_url())
        if "snippet" in parts:
            snippet: dict[str, Any] = {
                "title": channel.title,
                "description": channel.description,
                "customUrl": channel.custom_url,
                "publishedAt": channel.published_at,
                "thumbnails": thumbnails,
            }
            if channel.default_language:
                snippet["defaultLanguage"] = channel.default_language
            snippet["localized"] = {"title": channel.title, "description": channel.description}
            if channel.country:
                snippet["country"] = channel.country
            item["snippet"] = snippet
        if "contentDetails" in parts:
            item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": channel.uploads_playlist_id}}
        if "statistics" in parts:
            visible_videos = sum(
                1 for v in self.state.corpus.videos_of_channel(channel.channel_id) if not self.state.is_forgotten(v)
            )
            item["statistics"] = {
                "viewCount": str(channel.view_count),
                "subscriberCount": str(channel.subscriber_count),
                "hiddenSubscriberCount": channel.hidden_subscriber_count,
                "videoCount": str(max(channel.video_count, visible_videos)),
            }
        if "brandingSettings" in parts:
            branding: dict[str, Any] = {"title": channel.title, "description": channel.description}
            if channel.keywords:
                branding["keywords"] = channel.keywords
            if channel.country:
                branding["country"] = channel.country
            item["brandingSettings"] = {"channel": branding}
        if "topicDetails" in parts:
            topics: list[str] = []
            for video in self.state.corpus.videos_of_channel(channel.channel_id)[:10]:
                topics.extend(t for t in _topic_categories(video) if t not in topics)
            item["topicDetails"] = {"topicCategories": topics}
        if "status" in parts:
            item["status"] = {
                "privacyStatus": "public",
                "isLinked": True,
                "longUploadsStatus": "longUploadsUnspecified",
                "madeForKids": False,
            }
        item["etag"] = _etag("channel", item)
        emulated = [e for e in channel.emulated if e.split(".")[0] in parts]
        if emulated:
            item[EMULATED_KEY] = emulated
        return item

    # --- methods --------------------------------------------------------------------------------------
    def search_list(self, params: Mapping[str, str]) -> dict[str, Any]:
        parts = self._parts("search", params)
        max_results = self._max_results(params, 5)
        type_ = params.get("type", "")
        types = {t.strip() for t in type_.split(",") if t.strip()}
        if any(params.get(name) for name in VIDEO_ONLY_FILTERS) and types != {"video"}:
            raise ApiError(400, SEARCH_FILTER_MESSAGE, "invalidSearchFilter", domain="youtube.search")
        order = params.get("order", "relevance")
        if order not in ("relevance", "date", "viewCount", "rating", "title", "videoCount"):
            raise ApiError(400, f"Invalid value '{order}' for parameter order.", "invalidParameter", location="order")
        for name in ("publishedAfter", "publishedBefore"):
            if params.get(name):
                try:
                    parse_rfc3339(params[name])
                except ValueError:
                    raise ApiError(
                        400,
                        f"Invalid value '{params[name]}'. Value must be an RFC 3339 date-time.",
                        "invalidParameter",
                        location=name,
                    ) from None
        offset = self._offset(params)
        region = params.get("regionCode", "")
        if region and not re.fullmatch(r"[A-Za-z]{2}", region):
            raise ApiError(
                400,
                "The <code>regionCode</code> parameter specifies an invalid region code.",
                "invalidRegionCode",
                domain="youtube.parameter",
                location="regionCode",
            )
        items: list[dict[str, Any]] = []
        total = 0
        next_token = prev_token = None
        # The corpus holds only videos: a channel- or playlist-only search finds nothing.
        if not types or "video" in types:
            page = self.state.corpus.search(
                params.get("q", ""),
                max_results=max_results,
                order=order if order != "videoCount" else "relevance",
                published_after=params.get("publishedAfter") or None,
                published_before=params.get("publishedBefore") or None,
                region_code=region,
                relevance_language=params.get("relevanceLanguage", ""),
                page_token=encode_page_token(offset) if offset else None,
                channel_id=params.get("channelId", ""),
                category_id=params.get("videoCategoryId", ""),
                video_duration=params.get("videoDuration", ""),
                exclude_ids=self.state.hidden_video_ids(),
            )
            total, next_token, prev_token = page.total_results, page.next_page_token, page.prev_page_token
            for video in map(self.state.current, page.items):
                item: dict[str, Any] = {
                    "kind": "youtube#searchResult",
                    "etag": "",
                    "id": {"kind": "youtube#video", "videoId": video.video_id},
                }
                if "snippet" in parts:
                    item["snippet"] = self._video_snippet(video, for_search=True)
                item["etag"] = _etag("search", item)
                items.append(item)
        body: dict[str, Any] = {"kind": "youtube#searchListResponse", "etag": ""}
        if next_token:
            body["nextPageToken"] = next_token
        if prev_token:
            body["prevPageToken"] = prev_token
        body["regionCode"] = (region or "US").upper()
        body["pageInfo"] = self._page_info(total, max_results)
        body["items"] = items
        body["etag"] = _etag(body)
        return body

    def videos_list(self, params: Mapping[str, str]) -> dict[str, Any]:
        parts = self._parts("videos", params)
        filters = [name for name in ("id", "chart", "myRating") if params.get(name)]
        if not filters:
            raise ApiError(
                400,
                "No filter selected. Expected one of: myRating, id, chart",
                "missingRequiredParameter",
                domain="youtube.parameter",
            )
        if len(filters) > 1:
            raise ApiError(
                400,
                "Incompatible parameters specified in the request: " + ", ".join(filters),
                "incompatibleParameters",
                domain="youtube.parameter",
            )
        if "myRating" in filters:
            raise ApiError(
                401,
                "The request uses the <code>mine</code> parameter but is not properly authorized.",
                "authorizationRequired",
                domain="youtube.parameter",
                location="myRating",
            )
        body: dict[str, Any] = {"kind": "youtube#videoListResponse", "etag": "", "items": []}
        if "id" in filters:
            ids = self._ids(params, "youtube.video")
            items = []
            for video_id in ids:
                video = self.state.corpus.video(video_id)
                if video is None or self.state.is_forgotten(video):
                    continue
                items.append(self._video_item(video, parts))
            body["items"] = items
            body["pageInfo"] = self._page_info(len(items), len(items))
        else:
            if params["chart"] != "mostPopular":
                raise ApiError(
                    400,
                    "The request specifies an invalid chart.",
                    "invalidChart",
                    domain="youtube.parameter",
                    location="chart",
                )
            max_results = self._max_results(params, 5)
            offset = self._offset(params)
            region = params.get("regionCode", "").upper()
            hidden = self.state.hidden_video_ids()
            pool = [
                v
                for v in self.state.corpus.videos
                if v.video_id not in hidden
                and (not region or region in v.countries)
                and (not params.get("videoCategoryId") or v.category_id == params["videoCategoryId"])
            ]
            pool.sort(key=lambda v: -(v.view_count or 0))
            reachable = min(len(pool), 200)
            page = pool[offset : min(offset + max_results, reachable)]
            body["items"] = [self._video_item(v, parts) for v in page]
            end = offset + len(page)
            if max_results and end < reachable:
                body["nextPageToken"] = encode_page_token(end)
            if offset:
                body["prevPageToken"] = encode_page_token(max(0, offset - max_results))
            body["pageInfo"] = self._page_info(reachable, max_results)
        body["etag"] = _etag(body)
        return body

    def channels_list(self, params: Mapping[str, str]) -> dict[str, Any]:
        parts = self._parts("channels", params)
        filters = [
            n
            for n in ("id", "forHandle", "forUsername", "mine", "managedByMe", "categoryId", "mySubscribers")
            if params.get(n)
        ]
        if not filters:
            raise ApiError(
                400,
                "No filter selected. Expected one of: mySubscribers, forHandle, forUsername, "
                "managedByMe, categoryId, id, mine",
                "missingRequiredParameter",
                domain="youtube.parameter",
            )
        if len(filters) > 1:
            raise ApiError(
                400,
                "Incompatible parameters specified in the request: " + ", ".join(filters),
                "incompatibleParameters",
                domain="youtube.parameter",
            )
        if filters[0] in ("mine", "managedByMe", "mySubscribers"):
            raise ApiError(
                401,
                "The request uses the <code>mine</code> parameter but is not properly authorized.",
                "authorizationRequired",
                domain="youtube.parameter",
                location=filters[0],
            )
        self._max_results(params, 5)
        corpus = self.state.corpus
        if filters[0] == "id":
            ids = self._ids(params, "youtube.channel")
        elif filters[0] in ("forHandle", "forUsername"):
            handle = params[filters[0]].strip().lower()
            handle = handle if handle.startswith("@") else "@" + handle
            found = corpus.channel_by_handle.get(handle)
            ids = [found] if found else []
        else:
            ids = []
        items = []
        for channel_id in ids:
            channel = corpus.channels.get(channel_id)
            if channel is None or channel_id in self.state.forgotten_channels:
                continue
            items.append(self._channel_item(channel, parts))
        body: dict[str, Any] = {
            "kind": "youtube#channelListResponse",
            "etag": "",
            "pageInfo": self._page_info(len(items), 5 if filters[0] != "id" else len(items)),
            "items": items,
        }
        body["etag"] = _etag(body)
        return body

    def playlist_items_list(self, params: Mapping[str, str]) -> dict[str, Any]:
        parts = self._parts("playlistItems", params)
        if not params.get("playlistId") and not params.get("id"):
            raise ApiError(
                400,
                "No filter selected. Expected one of: id, playlistId",
                "missingRequiredParameter",
                domain="youtube.parameter",
            )
        max_results = self._max_results(params, 5)
        offset = self._offset(params)
        playlist_id = params.get("playlistId", "")
        channel_id = "UC" + playlist_id[2:] if playlist_id.startswith("UU") else ""
        channel = self.state.corpus.channels.get(channel_id)
        if channel is None or channel_id in self.state.forgotten_channels:
            raise ApiError(
                404,
                "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
                "playlistNotFound",
                domain="youtube.playlistItem",
                location="playlistId",
            )
        videos = [v for v in self.state.corpus.videos_of_channel(channel_id) if not self.state.is_forgotten(v)]
        page = videos[offset : offset + max_results]
        base = self.base_url()
        items = []
        for position, video in enumerate(page, start=offset):
            item: dict[str, Any] = {
                "kind": "youtube#playlistItem",
                "etag": "",
                "id": base64.urlsafe_b64encode(f"{playlist_id}.{video.video_id}".encode()).decode().rstrip("="),
            }
            if "snippet" in parts:
                item["snippet"] = {
                    "publishedAt": video.published_at,
                    "channelId": channel_id,
                    "title": video.title,
                    "description": video.description,
                    "thumbnails": _thumbnails("video", video.video_id, base),
                    "channelTitle": channel.title,
                    "playlistId": playlist_id,
                    "position": position,
                    "resourceId": {"kind": "youtube#video", "videoId": video.video_id},
                    "videoOwnerChannelTitle": channel.title,
                    "videoOwnerChannelId": channel_id,
                }
            if "contentDetails" in parts:
                item["contentDetails"] = {"videoId": video.video_id, "videoPublishedAt": video.published_at}
            if "status" in parts:
                item["status"] = {"privacyStatus": "public"}
            item["etag"] = _etag("playlistItem", item)
            items.append(item)
        body: dict[str, Any] = {"kind": "youtube#playlistItemListResponse", "etag": ""}
        end = offset + len(page)
        if max_results and end < len(videos):
            body["nextPageToken"] = encode_page_token(end)
        if offset:
            body["prevPageToken"] = encode_page_token(max(0, offset - max_results))
        body["items"] = items
        body["pageInfo"] = self._page_info(len(videos), max_results)
        body["etag"] = _etag(body)
        return body
