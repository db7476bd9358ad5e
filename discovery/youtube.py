"""The one door to the YouTube Data API v3: typed results, metered quota, one error type.

Built on google-api-python-client with its bundled discovery document (nothing is fetched at build)
and one `httplib2.Http` with a timeout, made in `_build_http`. That Http is also the chokepoint of
the quota ledger: every request, first tries and retries alike, is recorded in discovery/quota.py
*before* it leaves, because YouTube charges every request it receives, failed ones included. A call
the budget cannot pay for, or one made while the quotaExceeded breaker is open, is never sent.

`YOUTUBE_API_URL` points the client at another endpoint (the project's emulator); with it and no key a
placeholder key is sent, since the emulator only checks that one is present.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httplib2
from django.conf import settings
from googleapiclient import discovery_cache
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from accounts.models import Company
from discovery import quota
from maatchaa.lib.rfc3339 import format_rfc3339

# Ids per videos.list / channels.list call: YouTube's de-facto maximum.
MAX_IDS_PER_CALL = 50
MAX_RESULTS_PER_PAGE = 50
# Sent to the emulator when only YOUTUBE_API_URL is set; never valid at Google.
EMULATOR_PLACEHOLDER_KEY = "maatchaa-emulator-key"
# The longest single backoff sleep between retries, whatever the attempt number.
MAX_BACKOFF_SECONDS = 16.0

VIDEO_PARTS = "snippet,statistics,contentDetails,topicDetails"
CHANNEL_PARTS = "snippet,statistics,contentDetails,brandingSettings"
# The emulator marks made-up channel statistics with this item key (real YouTube never sends it).
EMULATED_KEY = "x-emulated"
# YouTube's quota costs: search.list has its own bucket of calls; every other list costs one unit.
SEARCH_METHOD = "search"


# --- errors --------------------------------------------------------------------------------------


class YouTubeError(Exception):
    """Any failure talking to YouTube. `permanent` says whether trying again later can help."""

    def __init__(self, message: str, *, permanent: bool, reason: str, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.reason = reason
        self.status = status  # the HTTP status YouTube answered; 0 when it did not answer


class QuotaExhausted(YouTubeError):
    """Our own budget for today is spent: the call was NOT sent. Try again after `resets_at`."""

    def __init__(self, message: str, *, budget: str, resets_at: dt.datetime) -> None:
        super().__init__(message, permanent=False, reason="budgetExhausted")
        self.budget = budget
        self.resets_at = resets_at


class BreakerOpen(YouTubeError):
    """YouTube answered quotaExceeded today: nothing is sent until `until` (the next Pacific midnight)."""

    def __init__(self, message: str, *, until: dt.datetime) -> None:
        super().__init__(message, permanent=False, reason="quotaExceeded")
        self.until = until


class YouTubeConfigError(YouTubeError):
    """A setting the client needs is missing; the message names it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True, reason="notConfigured")


# --- typed results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    video_id: str
    channel_id: str
    channel_title: str
    title: str
    description: str
    published_at: dt.datetime | None


@dataclass(frozen=True)
class SearchPage:
    items: tuple[SearchResult, ...]
    next_page_token: str | None
    total_results: int


@dataclass(frozen=True)
class VideoDetails:
    video_id: str
    channel_id: str
    channel_title: str
    title: str
    description: str
    tags: tuple[str, ...]
    category_id: str
    published_at: dt.datetime | None
    duration_seconds: int | None
    view_count: int | None
    like_count: int | None
    comment_count: int | None
    topic_categories: tuple[str, ...]
    thumbnail_url: str
    default_language: str


@dataclass(frozen=True)
class ChannelDetails:
    channel_id: str
    title: str
    description: str
    custom_url: str
    country: str
    default_language: str
    thumbnail_url: str
    keywords: str
    subscriber_count: int | None
    hidden_subscriber_count: bool
    video_count: int | None
    view_count: int | None
    uploads_playlist_id: str
    published_at: dt.datetime | None
    statistics_emulated: bool


@dataclass(frozen=True)
class PlaylistVideo:
    video_id: str
    published_at: dt.datetime | None
    # From the item's snippet (the same one unit): what a creator's page lists of a recent upload.
    title: str = ""
    thumbnail_url: str = ""


# --- strict parsing at the boundary ---------------------------------------------------------------


def _malformed(what: str) -> YouTubeError:
    return YouTubeError(f"YouTube sent a malformed response: {what}.", permanent=True, reason="badResponse")


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _malformed(f"{where} is not an object")
    return value


def _required_text(mapping: Mapping[str, Any], key: str, where: str) -> str:
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(f"{where}.{key} is missing")
    return value


def _text(mapping: Mapping[str, Any], key: str, where: str) -> str:
    value = mapping.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _malformed(f"{where}.{key} is not a string")
    return value


def _texts(mapping: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = mapping.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _malformed(f"{where}.{key} is not a list of strings")
    return tuple(value)


def _count(mapping: Mapping[str, Any], key: str, where: str) -> int | None:
    """YouTube sends counts as strings of digits; a hidden count is absent."""
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _malformed(f"{where}.{key} is not a count")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _malformed(f"{where}.{key} is not a count: {value!r}")


def _timestamp(mapping: Mapping[str, Any], key: str, where: str) -> dt.datetime | None:
    value = mapping.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _malformed(f"{where}.{key} is not a timestamp")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _malformed(f"{where}.{key} is not a timestamp: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: str) -> int:
    """Seconds in an ISO 8601 duration as YouTube writes them (PT15M51S, P1DT2H, P0D for live)."""
    match = _DURATION.match(value)
    if match is None or value in ("P", "PT") or value.endswith("T"):
        raise _malformed(f"contentDetails.duration is not an ISO 8601 duration: {value!r}")
    parts = {name: float(number) if number else 0.0 for name, number in match.groupdict().items()}
    return int(
        parts["weeks"] * 604800
        + parts["days"] * 86400
        + parts["hours"] * 3600
        + parts["minutes"] * 60
        + parts["seconds"]
    )


def _thumbnail(snippet: Mapping[str, Any], where: str) -> str:
    thumbnails = _mapping(snippet.get("thumbnails"), f"{where}.thumbnails")
    for size in ("high", "medium", "default", "standard", "maxres"):
        thumbnail = _mapping(thumbnails.get(size), f"{where}.thumbnails.{size}")
        if thumbnail.get("url"):
            return _text(thumbnail, "url", f"{where}.thumbnails.{size}")
    return ""


def _items(response: Any, where: str) -> list[Mapping[str, Any]]:
    body = _mapping(response, where)
    items = body.get("items", [])
    if not isinstance(items, list):
        raise _malformed(f"{where}.items is not a list")
    return [_mapping(item, f"{where}.items[]") for item in items]


def parse_search_page(response: Any) -> SearchPage:
    results = []
    for item in _items(response, "search"):
        ident = _mapping(item.get("id"), "search item id")
        if ident.get("kind", "youtube#video") != "youtube#video" or not ident.get("videoId"):
            continue  # type=video asks for videos only; anything else is not ours to parse
        snippet = _mapping(item.get("snippet"), "search item snippet")
        results.append(
            SearchResult(
                video_id=_required_text(ident, "videoId", "search item id"),
                channel_id=_required_text(snippet, "channelId", "search item snippet"),
                channel_title=_text(snippet, "channelTitle", "search item snippet"),
                title=_text(snippet, "title", "search item snippet"),
                description=_text(snippet, "description", "search item snippet"),
                published_at=_timestamp(snippet, "publishedAt", "search item snippet"),
            )
        )
    body = _mapping(response, "search")
    page_info = _mapping(body.get("pageInfo"), "search pageInfo")
    next_token = body.get("nextPageToken")
    if next_token is not None and not isinstance(next_token, str):
        raise _malformed("search.nextPageToken is not a string")
    return SearchPage(
        items=tuple(results),
        next_page_token=next_token or None,
        total_results=_count(page_info, "totalResults", "search pageInfo") or 0,
    )


def parse_video(item: Mapping[str, Any]) -> VideoDetails:
    video_id = _required_text(item, "id", "video")
    where = f"video {video_id}"
    snippet = _mapping(item.get("snippet"), f"{where} snippet")
    statistics = _mapping(item.get("statistics"), f"{where} statistics")
    details = _mapping(item.get("contentDetails"), f"{where} contentDetails")
    topics = _mapping(item.get("topicDetails"), f"{where} topicDetails")
    duration = _text(details, "duration", f"{where} contentDetails")
    return VideoDetails(
        video_id=video_id,
        channel_id=_required_text(snippet, "channelId", f"{where} snippet"),
        channel_title=_text(snippet, "channelTitle", f"{where} snippet"),
        title=_text(snippet, "title", f"{where} snippet"),
        description=_text(snippet, "description", f"{where} snippet"),
        tags=_texts(snippet, "tags", f"{where} snippet"),
        category_id=_text(snippet, "categoryId", f"{where} snippet"),
        published_at=_timestamp(snippet, "publishedAt", f"{where} snippet"),
        duration_seconds=parse_duration(duration) if duration else None,
        view_count=_count(statistics, "viewCount", f"{where} statistics"),
        like_count=_count(statistics, "likeCount", f"{where} statistics"),
        comment_count=_count(statistics, "commentCount", f"{where} statistics"),
        topic_categories=_texts(topics, "topicCategories", f"{where} topicDetails"),
        thumbnail_url=_thumbnail(snippet, f"{where} snippet"),
        default_language=_text(snippet, "defaultLanguage", f"{where} snippet")
        or _text(snippet, "defaultAudioLanguage", f"{where} snippet"),
    )


def parse_channel(item: Mapping[str, Any]) -> ChannelDetails:
    channel_id = _required_text(item, "id", "channel")
    where = f"channel {channel_id}"
    snippet = _mapping(item.get("snippet"), f"{where} snippet")
    statistics = _mapping(item.get("statistics"), f"{where} statistics")
    details = _mapping(item.get("contentDetails"), f"{where} contentDetails")
    playlists = _mapping(details.get("relatedPlaylists"), f"{where} relatedPlaylists")
    branding = _mapping(_mapping(item.get("brandingSettings"), f"{where} brandingSettings").get("channel"), where)
    hidden = statistics.get("hiddenSubscriberCount", False)
    if not isinstance(hidden, bool):
        raise _malformed(f"{where} statistics.hiddenSubscriberCount is not a boolean")
    emulated = item.get(EMULATED_KEY, [])
    if not isinstance(emulated, list):
        raise _malformed(f"{where} {EMULATED_KEY} is not a list")
    return ChannelDetails(
        channel_id=channel_id,
        title=_text(snippet, "title", f"{where} snippet"),
        description=_text(snippet, "description", f"{where} snippet"),
        custom_url=_text(snippet, "customUrl", f"{where} snippet"),
        country=_text(snippet, "country", f"{where} snippet") or _text(branding, "country", f"{where} branding"),
        default_language=_text(snippet, "defaultLanguage", f"{where} snippet")
        or _text(branding, "defaultLanguage", f"{where} branding"),
        thumbnail_url=_thumbnail(snippet, f"{where} snippet"),
        keywords=_text(branding, "keywords", f"{where} branding"),
        subscriber_count=_count(statistics, "subscriberCount", f"{where} statistics"),
        hidden_subscriber_count=hidden,
        video_count=_count(statistics, "videoCount", f"{where} statistics"),
        view_count=_count(statistics, "viewCount", f"{where} statistics"),
        uploads_playlist_id=_text(playlists, "uploads", f"{where} relatedPlaylists"),
        published_at=_timestamp(snippet, "publishedAt", f"{where} snippet"),
        statistics_emulated="statistics" in emulated,
    )


def parse_playlist_item(item: Mapping[str, Any]) -> PlaylistVideo:
    details = _mapping(item.get("contentDetails"), "playlist item contentDetails")
    snippet = _mapping(item.get("snippet"), "playlist item snippet")
    return PlaylistVideo(
        video_id=_required_text(details, "videoId", "playlist item contentDetails"),
        # Absent for a private or deleted video still listed in the playlist.
        published_at=_timestamp(details, "videoPublishedAt", "playlist item contentDetails"),
        title=_text(snippet, "title", "playlist item snippet"),
        thumbnail_url=_thumbnail(snippet, "playlist item snippet"),
    )


_TAG = re.compile(r"<[^>]*>")


def plain_text(message: str) -> str:
    """YouTube's error message as plain text: its quotaExceeded message carries an HTML link."""
    return " ".join(html.unescape(_TAG.sub("", message)).split())


def _error_reason(content: bytes) -> tuple[str, str]:
    """(reason, message) from YouTube's error body, the message in plain text; ("", "") when it is not one."""
    try:
        error = json.loads(content.decode("utf-8"))["error"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return "", ""
    if not isinstance(error, dict):
        return "", plain_text(str(error))
    message = plain_text(str(error.get("message", "")))
    # Invalid keys now carry reason API_KEY_INVALID in details[] beside a generic badRequest.
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("reason") == "API_KEY_INVALID":
            return "API_KEY_INVALID", message
    for entry in error.get("errors") or []:
        if isinstance(entry, dict) and entry.get("reason"):
            return str(entry["reason"]), message
    return str(error.get("status", "")), message


# --- the client -----------------------------------------------------------------------------------


class _MeteredHttp(httplib2.Http):
    """httplib2.Http that asks the quota ledger before every request it sends, retries included."""

    def __init__(self, *, timeout: float, before_send: Callable[[str], None]) -> None:
        super().__init__(timeout=timeout)
        self._before_send = before_send

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        self._before_send(uri)
        return super().request(uri, method, *args, **kwargs)


@functools.cache
def _discovery_document() -> dict[str, Any]:
    """The bundled youtube/v3 discovery document, parsed once per process (build() re-reads it each time)."""
    document = discovery_cache.get_static_doc("youtube", "v3")
    if document is None:  # pragma: no cover - the document ships inside google-api-python-client
        raise YouTubeConfigError("google-api-python-client lacks its bundled youtube/v3 discovery document.")
    parsed: dict[str, Any] = json.loads(document)
    return parsed


def _build_http(*, before_send: Callable[[str], None]) -> httplib2.Http:
    """The one place an Http for YouTube is made: with the configured timeout, metered."""
    return _MeteredHttp(timeout=settings.YOUTUBE_TIMEOUT_SECONDS, before_send=before_send)


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(i.strip() for i in ids if i and i.strip()))
    for start in range(0, len(unique), MAX_IDS_PER_CALL):
        yield unique[start : start + MAX_IDS_PER_CALL]


def _pacific(moment: dt.datetime) -> str:
    return moment.astimezone(quota.PACIFIC).strftime("%Y-%m-%d %H:%M %Z")


class CallLedger(Protocol):
    """Where a client records each request before sending it. `reserve` raises QuotaExhausted or BreakerOpen
    when the request must not be sent (nothing is recorded then)."""

    def reserve(self, method: str) -> None: ...

    def open_breaker(self, reason: str) -> dt.datetime: ...


def request_method(uri: str) -> str:
    """The API method a request URI calls: "search", "videos", "channels", "playlistItems"."""
    return urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1]


class DatabaseLedger:
    """The quota ledger in the database (discovery/quota.py), on this thread's connection."""

    def __init__(self, *, company: Company | None = None) -> None:
        self.company = company

    def reserve(self, method: str) -> None:
        is_search = method == SEARCH_METHOD
        refusal = quota.record_call(
            search_calls=1 if is_search else 0, units=0 if is_search else 1, company=self.company
        )
        if refusal is None:
            return
        if refusal.breaker_open_until is not None:
            raise BreakerOpen(
                f"YouTube answered quotaExceeded earlier today ({refusal.breaker_reason or 'no detail'}); "
                f"no call is sent until the quota resets at {_pacific(refusal.breaker_open_until)}.",
                until=refusal.breaker_open_until,
            )
        setting = "YOUTUBE_DAILY_SEARCH_CALLS" if refusal.budget == "search calls" else "YOUTUBE_DAILY_UNITS"
        raise QuotaExhausted(
            f"Today's YouTube budget is spent: {refusal.used} of {refusal.limit} {refusal.budget} used "
            f"({setting}). The {method}.list call was not sent; the budget resets at "
            f"{_pacific(refusal.resets_at)}.",
            budget=refusal.budget,
            resets_at=refusal.resets_at,
        )

    def open_breaker(self, reason: str) -> dt.datetime:
        return quota.open_breaker(reason=reason)


class YouTubeClient:
    """One client per thread (httplib2 is not thread-safe). Each request is metered before it is sent.

    `sleep` replaces the library's backoff sleep between retries (tests pass a no-op); each sleep is
    capped at MAX_BACKOFF_SECONDS so a retry never stalls a worker for long. `ledger` records each request
    (the database's quota ledger unless another is given: pipeline/calls.py relays a worker thread's to the
    thread that owns the database work).
    """

    def __init__(
        self,
        *,
        company: Company | None = None,
        sleep: Callable[[float], None] | None = None,
        ledger: CallLedger | None = None,
    ) -> None:
        key = settings.YOUTUBE_API_KEY
        url = settings.YOUTUBE_API_URL
        if not key and not url:
            raise YouTubeConfigError(
                "YouTube is not configured: set YOUTUBE_API_KEY to an API key from Google Cloud, "
                "or YOUTUBE_API_URL to the emulator's address (python manage.py youtube_emulator)."
            )
        self.company = company
        self.ledger: CallLedger = ledger or DatabaseLedger(company=company)
        # What this client has spent (recorded in the ledger and sent), retries included.
        self.search_calls_sent = 0
        self.units_sent = 0
        self._given_sleep = sleep
        real_sleep = sleep or time.sleep
        self._sleep: Callable[[float], None] = lambda seconds: real_sleep(min(seconds, MAX_BACKOFF_SECONDS))
        # Equivalent to build("youtube", "v3", static_discovery=True, cache_discovery=False) without
        # parsing the bundled document again for every client (a worker makes one per run).
        self._service = build_from_document(
            _discovery_document(),
            developerKey=key or EMULATOR_PLACEHOLDER_KEY,
            client_options={"api_endpoint": url} if url else None,
            http=_build_http(before_send=self._before_send),
        )

    def sibling(self, *, ledger: CallLedger) -> YouTubeClient:
        """A client like this one (company, sleep) with its own Http, for another thread, recording in `ledger`."""
        return YouTubeClient(company=self.company, sleep=self._given_sleep, ledger=ledger)

    # -- metering ---------------------------------------------------------------------------------

    def _before_send(self, uri: str) -> None:
        method = request_method(uri)
        self.ledger.reserve(method)
        if method == SEARCH_METHOD:
            self.search_calls_sent += 1
        else:
            self.units_sent += 1

    # -- sending ----------------------------------------------------------------------------------

    def _execute(self, request: Any, *, operation: str) -> Any:
        # HttpRequest keeps its backoff sleep in `_sleep`, the library's own hook for tests.
        request._sleep = self._sleep
        retries = settings.YOUTUBE_NUM_RETRIES
        try:
            return request.execute(num_retries=retries)
        except HttpError as exc:
            raise self._translate(exc, operation=operation, retries=retries) from None
        except TimeoutError as exc:
            raise YouTubeError(
                f"YouTube did not answer {operation} within {settings.YOUTUBE_TIMEOUT_SECONDS} s "
                f"after {retries} retries (YOUTUBE_TIMEOUT_SECONDS): {exc}",
                permanent=False,
                reason="timeout",
            ) from None
        except (OSError, httplib2.HttpLib2Error) as exc:
            raise YouTubeError(
                f"Could not reach YouTube for {operation} after {retries} retries: {exc}",
                permanent=False,
                reason="connectionError",
            ) from None
        except ValueError as exc:  # the body was not JSON
            raise _malformed(f"{operation} answered with something that is not JSON ({exc})") from None

    def _translate(self, exc: HttpError, *, operation: str, retries: int) -> YouTubeError:
        status = int(exc.resp.status)
        reason, message = _error_reason(exc.content)
        if reason == "quotaExceeded":
            until = self.ledger.open_breaker(f"{operation}: {message or reason}")
            return BreakerOpen(
                f"YouTube answered quotaExceeded to {operation}: {message.rstrip('.')}. No call is sent until "
                f"the quota resets at {_pacific(until)}.",
                until=until,
            )
        if reason in ("keyInvalid", "API_KEY_INVALID") or (status == 400 and "API key" in message):
            return YouTubeError(
                f"YouTube rejected the API key ({reason or status}: {message}). Check YOUTUBE_API_KEY.",
                permanent=True,
                reason="keyInvalid",
                status=status,
            )
        if status >= 500 or status == 429 or reason in ("rateLimitExceeded", "userRateLimitExceeded"):
            return YouTubeError(
                f"YouTube failed {operation} after {retries} retries: {status} {reason} {message}".rstrip(),
                permanent=False,
                reason=reason or str(status),
                status=status,
            )
        return YouTubeError(
            f"YouTube refused {operation}: {status} {reason or 'error'}: {message}".rstrip(": "),
            permanent=True,
            reason=reason or str(status),
            status=status,
        )

    # -- operations -------------------------------------------------------------------------------

    def search_videos(
        self,
        q: str,
        *,
        max_results: int = MAX_RESULTS_PER_PAGE,
        order: str = "relevance",
        published_after: dt.datetime | None = None,
        region_code: str = "",
        relevance_language: str = "",
        video_category_id: str = "",
        page_token: str | None = None,
    ) -> SearchPage:
        """One search.list call (one search call from the day's bucket), videos only.

        ``video_category_id`` restricts the results to one video category (YouTube accepts it with
        type=video, which every search here is).
        """
        params: dict[str, Any] = {
            "part": "snippet",
            "q": q,
            "type": "video",
            "maxResults": max(0, min(max_results, MAX_RESULTS_PER_PAGE)),
            "order": order,
        }
        if published_after is not None:
            params["publishedAfter"] = format_rfc3339(published_after)
        if region_code:
            params["regionCode"] = region_code
        if relevance_language:
            params["relevanceLanguage"] = relevance_language
        if video_category_id:
            params["videoCategoryId"] = video_category_id
        if page_token:
            params["pageToken"] = page_token
        response = self._execute(self._service.search().list(**params), operation=f"search {q!r}")
        return parse_search_page(response)

    def videos(self, ids: Iterable[str]) -> list[VideoDetails]:
        """Details of the videos YouTube still returns, 50 ids per call; missing ids are simply absent."""
        found: list[VideoDetails] = []
        for chunk in _chunks(ids):
            response = self._execute(
                self._service.videos().list(part=VIDEO_PARTS, id=",".join(chunk)),
                operation=f"videos.list of {len(chunk)} ids",
            )
            found.extend(parse_video(item) for item in _items(response, "videos"))
        return found

    def channels(self, ids: Iterable[str]) -> list[ChannelDetails]:
        """Details of the channels YouTube still returns, 50 ids per call; closed ones are absent."""
        found: list[ChannelDetails] = []
        for chunk in _chunks(ids):
            response = self._execute(
                self._service.channels().list(part=CHANNEL_PARTS, id=",".join(chunk), maxResults=len(chunk)),
                operation=f"channels.list of {len(chunk)} ids",
            )
            found.extend(parse_channel(item) for item in _items(response, "channels"))
        return found

    def channel_for_handle(self, handle: str) -> ChannelDetails | None:
        """The channel whose @handle this is (channels.list forHandle: one unit, never a search call), or None."""
        response = self._execute(
            self._service.channels().list(part="snippet", forHandle=handle),
            operation=f"channels.list forHandle {handle}",
        )
        items = _items(response, "channels")
        return parse_channel(items[0]) if items else None

    def recent_uploads(self, playlist_id: str, *, max_results: int = MAX_RESULTS_PER_PAGE) -> list[PlaylistVideo]:
        """The newest videos of an uploads playlist with their titles: one unit per page of 50, never a
        search call (the snippet part costs nothing more)."""
        uploads: list[PlaylistVideo] = []
        page_token: str | None = None
        while len(uploads) < max_results:
            params: dict[str, Any] = {
                "part": "snippet,contentDetails",
                "playlistId": playlist_id,
                "maxResults": min(MAX_RESULTS_PER_PAGE, max_results - len(uploads)),
            }
            if page_token:
                params["pageToken"] = page_token
            response = self._execute(
                self._service.playlistItems().list(**params), operation=f"playlistItems.list {playlist_id}"
            )
            uploads.extend(parse_playlist_item(item) for item in _items(response, "playlistItems"))
            page_token = _mapping(response, "playlistItems").get("nextPageToken") or None
            if not page_token:
                break
        return uploads[:max_results]


def get_client(*, company: Company | None = None, sleep: Callable[[float], None] | None = None) -> YouTubeClient:
    """A client for this thread; raises YouTubeConfigError naming the missing setting."""
    return YouTubeClient(company=company, sleep=sleep)
