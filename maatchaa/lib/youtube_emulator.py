"""An emulator of the YouTube Data API v3 that serves video records from a CSV corpus.

Django-free on purpose: tests, the `youtube_emulator` management command and the benchmarks all run it,
and RANKING/BENCH call `Corpus.search` in-process without HTTP.

What it imitates (see shared/API_FACTS.md section 1):
- GET /youtube/v3/{search,videos,channels,playlistItems} with the real response shapes, `part` and `fields`
  honoured, YouTube's parameter validation and error bodies, so google-api-python-client built with
  `client_options={"api_endpoint": url}` cannot tell it from YouTube;
- quota as metered since 2026-06: search.list has its own bucket of calls, every other method costs 1 unit
  from a shared pool, every attributed request costs even when invalid, per Pacific day;
- faults (5xx, rateLimitExceeded, latency) drawn from a seeded generator so that tests are deterministic.

What the CSV lacks is made up deterministically from a hash of the id and reported in an extra item key
that the real API does not have: `"x-emulated": [...]` (e.g. `["statistics"]` on channels).

Control endpoints for other processes (JSON in and out):
- GET  /_emulator/health                -> {"status": "ok", "videos": n, "channels": n}
- GET  /_emulator/calls[?resource=search] -> {"calls": [{method, resource, params (no key), status, reason,
                                            time, pacific_day, bucket, cost}, ...]}
- GET  /_emulator/quota                 -> today's usage and budgets (Pacific day)
- GET  /_emulator/config                -> current budgets and faults
- POST /_emulator/reset   {} clears calls and quota; {"all": true} also restores budgets, faults, forgotten
                          ids and updated statistics to the start-up state
- POST /_emulator/config  any of search_calls_per_day, units_per_day, error_rate, rate_limit_rate, latency_ms,
                          seed, invalid_keys [..], fail_next [500, 403, ...], now ("2026-11-25T08:00:00Z" freezes
                          the emulator's clock, null unfreezes it)
- POST /_emulator/forget  {"video_ids": [..], "channel_ids": [..]}: YouTube no longer returns them
- POST /_emulator/update  {"video_id": "..", "statistics": {"viewCount": 5}, "snippet": {"title": ".."}} or
                          {"videos": {id: {"viewCount": 5, "title": ".."}}}
- GET  /_emulator/thumbnails/<video or channel id>.svg: the placeholder thumbnails the items point at
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import json
import math
import random
import re
import sys
import threading
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from maatchaa.lib.emulator_http import BackgroundServer, send_body
from maatchaa.lib.rfc3339 import format_rfc3339, parse_rfc3339

PACIFIC = ZoneInfo("America/Los_Angeles")

CSV_COLUMNS = (
    "video_id",
    "channel_id",
    "channel_id_source",
    "channel_title",
    "title",
    "description",
    "tags",
    "category_id",
    "category",
    "published_at",
    "view_count",
    "like_count",
    "comment_count",
    "country",
    "countries",
    "trending_date",
)
CHANNEL_SIDECAR_COLUMNS = (
    "channel_id",
    "title",
    "description",
    "custom_url",
    "country",
    "subscriber_count",
    "video_count",
    "view_count",
    "published_at",
)
# The key on channel/video items naming the parts that were made up rather than read from the corpus.
EMULATED_KEY = "x-emulated"
DEFAULT_INVALID_KEYS = frozenset({"invalid-key"})
MAX_IDS = 50
MAX_RESULTS = 50
# YouTube stops paging a search somewhere around 500 results whatever totalResults says.
MAX_SEARCH_OFFSET = 500
SEARCH_DESCRIPTION_CHARS = 160

QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)
SEARCH_FILTER_MESSAGE = (
    "The request contains an invalid combination of search filters and/or restrictions. Note that you must "
    "set the <code>type</code> parameter to <code>video</code> if you set either the <code>forContentOwner"
    "</code> or <code>forMine</code> parameters to <code>true</code>. You must also set the <code>type</code> "
    "parameter to <code>video</code> if you set a value for the <code>eventType</code>, <code>videoCaption"
    "</code>, <code>videoCategoryId</code>, <code>videoDefinition</code>, <code>videoDimension</code>, "
    "<code>videoDuration</code>, <code>videoEmbeddable</code>, <code>videoLicense</code>, "
    "<code>videoSyndicated</code>, or <code>videoType</code> parameters."
)
VIDEO_ONLY_FILTERS = (
    "eventType",
    "videoCaption",
    "videoCategoryId",
    "videoDefinition",
    "videoDimension",
    "videoDuration",
    "videoEmbeddable",
    "videoLicense",
    "videoSyndicated",
    "videoType",
    "videoPaidProductPlacement",
)

PARTS = {
    "search": {"id", "snippet"},
    "videos": {
        "id",
        "snippet",
        "statistics",
        "contentDetails",
        "topicDetails",
        "status",
        "player",
        "recordingDetails",
        "liveStreamingDetails",
        "localizations",
        "paidProductPlacementDetails",
    },
    "channels": {
        "id",
        "snippet",
        "statistics",
        "contentDetails",
        "brandingSettings",
        "topicDetails",
        "status",
        "localizations",
        "auditDetails",
        "contentOwnerDetails",
    },
    "playlistItems": {"id", "snippet", "contentDetails", "status"},
}

# Wikipedia topic URLs as topicDetails.topicCategories carries them, keyed by the corpus category.
CATEGORY_TOPICS = {
    "Music": ["Music"],
    "Gaming": ["Video_game_culture"],
    "Sports": ["Sport"],
    "Entertainment": ["Entertainment"],
    "Comedy": ["Entertainment", "Humour"],
    "Film & Animation": ["Film"],
    "News & Politics": ["Politics", "Society"],
    "Howto & Style": ["Lifestyle_(sociology)", "Hobby"],
    "People & Blogs": ["Lifestyle_(sociology)"],
    "Science & Technology": ["Technology", "Knowledge"],
    "Education": ["Knowledge"],
    "Pets & Animals": ["Pet", "Lifestyle_(sociology)"],
    "Autos & Vehicles": ["Vehicle"],
    "Travel & Events": ["Tourism"],
    "Nonprofits & Activism": ["Society"],
}
KEYWORD_TOPICS = {
    "Food": ("recipe", "cooking", "matcha", "coffee", "tea", "skillet", "kitchen", "baking", "food"),
    "Physical_fitness": ("workout", "running", "yoga", "fitness", "marathon", "kettlebell", "trail"),
    "Health": ("skincare", "serum", "health", "wellness"),
    "Physical_attractiveness": ("skincare", "serum", "makeup", "beauty"),
    "Outdoor_recreation": ("camping", "hiking", "hammock", "backpacking", "trail"),
}

COUNTRY_LANGUAGE = {
    "FR": "fr",
    "DE": "de",
    "BR": "pt",
    "MX": "es",
    "JP": "ja",
    "KR": "ko",
    "RU": "ru",
    "ES": "es",
    "IT": "it",
    "PT": "pt",
    "AR": "es",
    "CO": "es",
}
STOPWORDS_BY_LANGUAGE = {
    "en": {"the", "and", "of", "to", "in", "is", "for", "with", "this", "my", "you", "how", "on", "it"},
    "fr": {"le", "la", "les", "des", "et", "est", "une", "pour", "avec", "dans", "du", "sur", "ce", "je"},
    "de": {"der", "die", "das", "und", "ist", "mit", "für", "ein", "eine", "ich", "nicht", "auf", "wie"},
    "es": {"el", "los", "las", "del", "y", "con", "para", "una", "que", "por", "es", "mi", "cómo", "en"},
    "pt": {"o", "os", "do", "da", "dos", "das", "e", "com", "para", "uma", "não", "que", "meu", "é"},
    "it": {"il", "gli", "della", "di", "che", "per", "con", "una", "non", "sono", "è"},
}
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "is",
        "it",
        "this",
        "that",
        "at",
        "by",
        "from",
        "my",
        "your",
        "i",
        "you",
        "be",
        "are",
        "as",
    }
)

TOKEN_RE = re.compile(r"\w+", re.UNICODE)
# BM25F-style field weights (title 3, tags 2, channel title 1.5, description 1, see _build_index): a title
# word says more about a video than a word deep in its description.
BM25_K1 = 1.2
BM25_B = 0.75


class CorpusError(Exception):
    """The corpus file is missing or unreadable as the shared CSV format."""


def tokenize(text: str) -> list[str]:
    # lower() rather than casefold()/NFKC: three times faster on the 13k-video corpus, same words in practice.
    return TOKEN_RE.findall(text.lower().replace("_", " "))


def _stable_int(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _etag(*parts: Any) -> str:
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:27]


def _round_3_significant(value: int) -> int:
    # YouTube rounds public subscriber counts to three significant figures.
    if value < 1000:
        return value
    magnitude = 10 ** (len(str(value)) - 3)
    return (value // magnitude) * magnitude


SCRIPT_PATTERNS = (
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
)
NON_LATIN_RE = re.compile(r"[^\x00-\u024f\u2000-\u206f]")


def detect_language(text: str, country: str = "") -> str:
    """A cheap guess of a video's language: the script first, then stop words, then the market."""
    sample = text[:400]
    if NON_LATIN_RE.search(sample):
        counts = {lang: len(pattern.findall(sample)) for lang, pattern in SCRIPT_PATTERNS}
        script = max(counts, key=lambda k: counts[k])
        if counts[script] >= 4:
            # Kanji runs with kana nearby are Japanese, not Chinese.
            if script == "zh" and counts["ja"]:
                return "ja"
            return script
    words = Counter(tokenize(sample))
    votes = {lang: sum(words[w] for w in stop) for lang, stop in STOPWORDS_BY_LANGUAGE.items()}
    best = max(votes, key=lambda k: votes[k])
    runner_up = max(v for k, v in votes.items() if k != best)
    if votes[best] >= 3 and votes[best] >= 1.5 * runner_up:
        return best
    return COUNTRY_LANGUAGE.get(country, "en")


@dataclass(frozen=True)
class Video:
    video_id: str
    channel_id: str
    channel_title: str
    title: str
    description: str
    tags: tuple[str, ...]
    category_id: str
    category: str
    published_at: str
    published_ts: float
    view_count: int | None
    like_count: int | None
    comment_count: int | None
    country: str
    countries: tuple[str, ...]

    @cached_property
    def language(self) -> str:
        # Guessed on first use (search with relevanceLanguage, videos.list): keeps loading the corpus fast.
        return detect_language(f"{self.title}\n{self.description}", self.country)

    @property
    def duration_seconds(self) -> int:
        # The CSV has no durations: made up, stable per video, shorter for music than for how-tos.
        base = 150 if self.category == "Music" else 240
        return base + _stable_int("duration", self.video_id) % 1200


@dataclass(frozen=True)
class Channel:
    channel_id: str
    title: str
    description: str
    custom_url: str
    country: str
    default_language: str
    keywords: str
    subscriber_count: int
    hidden_subscriber_count: bool
    video_count: int
    view_count: int
    published_at: str
    emulated: tuple[str, ...]

    @property
    def uploads_playlist_id(self) -> str:
        return "UU" + self.channel_id[2:]


@dataclass(frozen=True)
class CorpusPage:
    """One page of `Corpus.search`: the videos, best first, with their scores and the paging state."""

    items: tuple[Video, ...]
    scores: tuple[float, ...]
    total_results: int
    next_page_token: str | None
    prev_page_token: str | None


@dataclass(frozen=True)
class _Clause:
    """One slot of a query: any of its alternatives matches it (YouTube's `a|b`)."""

    alternatives: tuple[tuple[str, ...], ...]  # each alternative is a term or a phrase of terms
    required: bool  # quoted phrases must match


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[_Clause, ...]
    excluded: tuple[tuple[str, ...], ...]


def parse_query(q: str) -> ParsedQuery:
    """YouTube's q syntax: `a|b` is OR, `-a` is NOT, "quoted phrase" must appear as written."""
    raw_tokens = re.findall(r'-?"[^"]*"?|\||[^\s|"]+', q)
    groups: list[list[tuple[str, bool]]] = []  # (text, quoted) alternatives per clause
    excluded: list[tuple[str, ...]] = []
    join_next = False
    for token in raw_tokens:
        if token == "|":
            join_next = bool(groups)
            continue
        negated = token.startswith("-") and len(token) > 1
        body = token[1:] if negated else token
        quoted = body.startswith('"')
        text = body.strip('"')
        if negated:
            terms = tuple(tokenize(text))
            if terms:
                excluded.append(terms)
            join_next = False
            continue
        if not tokenize(text):
            continue
        if join_next and groups:
            groups[-1].append((text, quoted))
        else:
            groups.append([(text, quoted)])
        join_next = False
    clauses: list[_Clause] = []
    for group in groups:
        alternatives: list[tuple[str, ...]] = []
        for text, quoted in group:
            terms = tuple(tokenize(text))
            if quoted:
                alternatives.append(terms)
            else:
                # An unquoted token may split into several words ("t-shirt"): each is its own alternative
                # of the clause only when it was written alone; otherwise it reads as a phrase.
                alternatives.append(terms)
        required = len(group) == 1 and group[0][1]
        clauses.append(_Clause(alternatives=tuple(alternatives), required=required))
    return ParsedQuery(clauses=tuple(clauses), excluded=tuple(excluded))


def encode_page_token(offset: int) -> str:
    # Opaque like YouTube's ("CAUQAA"): callers must not build or parse them.
    return "CA" + base64.urlsafe_b64encode(f"o{offset}:emu".encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int:
    try:
        if not token.startswith("CA"):
            raise ValueError(token)
        body = token[2:]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        if not raw.startswith("o") or not raw.endswith(":emu"):
            raise ValueError(token)
        offset = int(raw[1:-4])
        if offset < 0:
            raise ValueError(token)
        return offset
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidPageToken(token) from exc


class InvalidPageToken(ValueError):
    pass


class _LazyChannels(Mapping[str, Channel]):
    """Channels built on first access: thousands of channels, few of which a test or run ever asks for."""

    def __init__(self, ids: list[str], build: Callable[[str], Channel]) -> None:
        self._ids = ids
        self._known = set(ids)
        self._build = build
        self._built: dict[str, Channel] = {}
        self._lock = threading.Lock()

    def __getitem__(self, channel_id: str) -> Channel:
        if channel_id not in self._known:
            raise KeyError(channel_id)
        channel = self._built.get(channel_id)
        if channel is None:
            with self._lock:
                channel = self._built.setdefault(channel_id, self._build(channel_id))
        return channel

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, channel_id: object) -> bool:
        return channel_id in self._known


class Corpus:
    """The videos and channels served, with a BM25F index over title, tags, channel title and description."""

    def __init__(
        self,
        videos: list[Video],
        *,
        channel_overrides: Mapping[str, Mapping[str, str]] | None = None,
        skipped_rows: int = 0,
        path: Path | None = None,
    ) -> None:
        self.path = path
        self.skipped_rows = skipped_rows
        self.videos: list[Video] = videos
        self.by_id: dict[str, int] = {v.video_id: i for i, v in enumerate(videos)}
        self.channel_videos: dict[str, list[int]] = defaultdict(list)
        for index, video in enumerate(videos):
            self.channel_videos[video.channel_id].append(index)
        # Newest first: the order of an uploads playlist.
        for indices in self.channel_videos.values():
            indices.sort(key=lambda i: -videos[i].published_ts)
        overrides = dict(channel_overrides or {})
        ids = list(self.channel_videos) + [c for c in overrides if c not in self.channel_videos]
        self.channels: Mapping[str, Channel] = _LazyChannels(ids, lambda c: self._build_channel(c, overrides.get(c)))
        self._channel_by_handle: dict[str, str] | None = None
        self._build_index()

    @property
    def channel_by_handle(self) -> dict[str, str]:
        if self._channel_by_handle is None:
            self._channel_by_handle = {c.custom_url.lower(): c.channel_id for c in self.channels.values()}
        return self._channel_by_handle

    # --- channels -----------------------------------------------------------------------------------
    def _build_channel(self, channel_id: str, override: Mapping[str, str] | None) -> Channel:
        indices = self.channel_videos.get(channel_id, [])
        videos = [self.videos[i] for i in indices]
        override = override or {}
        seed = _stable_int("channel", channel_id)
        title = override.get("title") or (videos[0].channel_title if videos else channel_id)
        country = override.get("country") or (
            Counter(v.country for v in videos if v.country).most_common(1)[0][0]
            if any(v.country for v in videos)
            else ""
        )
        language = Counter(v.language for v in videos).most_common(1)[0][0] if videos else "en"
        tag_counts = Counter(tag.lower() for v in videos for tag in v.tags)
        keywords = " ".join(f'"{t}"' if " " in t else t for t, _ in tag_counts.most_common(8))
        emulated: list[str] = []
        corpus_views = sum(v.view_count or 0 for v in videos)
        # Statistics: a channel's subscribers sit between 2% and 60% of its typical video's views.
        if override.get("subscriber_count") and override.get("video_count") and override.get("view_count"):
            subscribers = int(override["subscriber_count"])
            video_count = int(override["video_count"])
            view_count = int(override["view_count"])
        else:
            emulated.append("statistics")
            median_views = sorted(v.view_count or 0 for v in videos)[len(videos) // 2] if videos else 1000
            share = 0.02 + (seed % 580) / 1000
            subscribers = _round_3_significant(max(12, int(median_views * share) + seed % 997))
            video_count = max(len(videos), len(videos) * (3 + (seed >> 8) % 60))
            view_count = max(corpus_views, int(median_views * video_count * (0.3 + ((seed >> 16) % 70) / 100)))
        custom_url = override.get("custom_url") or ""
        if not custom_url:
            emulated.append("snippet.customUrl")
            slug = (
                re.sub(
                    r"[^a-z0-9]+", "", unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
                )
                or channel_id[2:12].lower()
            )
            custom_url = "@" + slug[:30]
        elif not custom_url.startswith("@"):
            custom_url = "@" + custom_url
        published_at = override.get("published_at") or ""
        if not published_at:
            emulated.append("snippet.publishedAt")
            earliest = min((v.published_ts for v in videos), default=time.time())
            days_before = 30 + (seed >> 24) % 2500
            published_at = format_rfc3339(datetime.fromtimestamp(earliest, UTC) - timedelta(days=days_before))
        return Channel(
            channel_id=channel_id,
            title=title,
            description=override.get("description") or "",
            custom_url=custom_url,
            country=country,
            default_language=language,
            keywords=keywords,
            subscriber_count=subscribers,
            hidden_subscriber_count=False,
            video_count=video_count,
            view_count=view_count,
            published_at=published_at,
            emulated=tuple(emulated),
        )

    # --- index --------------------------------------------------------------------------------------
    def _build_index(self) -> None:
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        lengths: list[float] = []
        for index, video in enumerate(self.videos):
            # The description (the bulk) is counted in C; the short weighted fields are added on top.
            counts = cast("dict[str, float]", Counter(tokenize(video.description)))
            length = float(sum(counts.values()))
            for text, weight in ((video.title, 3.0), (" ".join(video.tags), 2.0), (video.channel_title, 1.5)):
                tokens = tokenize(text)
                length += weight * len(tokens)
                for token in tokens:
                    counts[token] = counts.get(token, 0) + weight
            lengths.append(length)
            for token, tf in counts.items():
                postings[token][index] = tf
        self._postings = postings
        self._lengths = lengths
        self._avg_length = (sum(lengths) / len(lengths)) if lengths else 1.0
        n = len(self.videos)
        self._idf = {token: math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5)) for token, docs in postings.items()}

    def _term_scores(self, term: str) -> dict[int, float]:
        docs = self._postings.get(term)
        if not docs:
            return {}
        idf = self._idf[term]
        avg = self._avg_length
        out = {}
        for index, tf in docs.items():
            norm = BM25_K1 * (1 - BM25_B + BM25_B * self._lengths[index] / avg)
            out[index] = idf * tf * (BM25_K1 + 1) / (tf + norm)
        return out

    def _has_phrase(self, index: int, terms: tuple[str, ...]) -> bool:
        width = len(terms)
        video = self.videos[index]
        for text in (video.title, " ".join(video.tags), video.channel_title, video.description):
            tokens = tokenize(text)
            for start in range(len(tokens) - width + 1):
                if tuple(tokens[start : start + width]) == terms:
                    return True
        return False

    def _alternative_scores(self, terms: tuple[str, ...]) -> dict[int, float]:
        if len(terms) == 1:
            return self._term_scores(terms[0])
        per_term = [self._term_scores(t) for t in terms]
        common = set.intersection(*(set(s) for s in per_term)) if per_term else set()
        return {index: sum(s[index] for s in per_term) for index in common if self._has_phrase(index, terms)}

    def _matches(self, query: ParsedQuery) -> dict[int, float]:
        """Relevance of every matching video: BM25F summed over clauses, damped by the share matched."""
        if not query.clauses:
            scores = {i: 0.0 for i in range(len(self.videos))}
        else:
            totals: dict[int, float] = defaultdict(float)
            matched: dict[int, int] = defaultdict(int)
            required_sets: list[set[int]] = []
            for clause in query.clauses:
                best: dict[int, float] = {}
                for terms in clause.alternatives:
                    for index, score in self._alternative_scores(terms).items():
                        if score > best.get(index, -1.0):
                            best[index] = score
                if clause.required:
                    required_sets.append(set(best))
                for index, score in best.items():
                    totals[index] += score
                    matched[index] += 1
            clause_count = len(query.clauses)
            scores = {index: total * (matched[index] / clause_count) ** 2 for index, total in totals.items()}
            for required in required_sets:
                scores = {i: s for i, s in scores.items() if i in required}
        for terms in query.excluded:
            scores = {
                i: s
                for i, s in scores.items()
                if not (
                    all(t in self._postings and i in self._postings[t] for t in terms)
                    and (len(terms) == 1 or self._has_phrase(i, terms))
                )
            }
        return scores

    def rank(
        self,
        q: str,
        *,
        order: str = "relevance",
        published_after: datetime | str | None = None,
        published_before: datetime | str | None = None,
        region_code: str = "",
        relevance_language: str = "",
        channel_id: str = "",
        category_id: str = "",
        video_duration: str = "",
        exclude_ids: Iterable[str] = (),
    ) -> list[tuple[int, float]]:
        """Every matching video index with its score, in the requested order."""
        scores = self._matches(parse_query(q))
        after = (
            parse_rfc3339(published_after).timestamp()
            if isinstance(published_after, str)
            else (published_after.timestamp() if published_after else None)
        )
        before = (
            parse_rfc3339(published_before).timestamp()
            if isinstance(published_before, str)
            else (published_before.timestamp() if published_before else None)
        )
        excluded = set(exclude_ids)
        region = region_code.upper()
        language = relevance_language.lower().split("-")[0]
        ranked: list[tuple[int, float]] = []
        for index, score in scores.items():
            video = self.videos[index]
            if after is not None and video.published_ts < after:
                continue
            if before is not None and video.published_ts >= before:
                continue
            if channel_id and video.channel_id != channel_id:
                continue
            if category_id and video.category_id != category_id:
                continue
            if video_duration and video_duration != "any":
                seconds = video.duration_seconds
                kind = "short" if seconds < 240 else ("medium" if seconds <= 1200 else "long")
                if kind != video_duration:
                    continue
            if video.video_id in excluded:
                continue
            # regionCode and relevanceLanguage prefer, they do not filter (as on YouTube).
            if region and region in video.countries:
                score *= 1.15
            if language and video.language == language:
                score *= 1.5
            ranked.append((index, score))
        videos = self.videos
        if order == "date":
            ranked.sort(key=lambda p: (-videos[p[0]].published_ts, videos[p[0]].video_id))
        elif order == "viewCount":
            ranked.sort(key=lambda p: (-(videos[p[0]].view_count or 0), videos[p[0]].video_id))
        elif order == "rating":
            ranked.sort(key=lambda p: (-(videos[p[0]].like_count or 0), videos[p[0]].video_id))
        elif order == "title":
            ranked.sort(key=lambda p: (videos[p[0]].title.casefold(), videos[p[0]].video_id))
        else:
            ranked.sort(key=lambda p: (-p[1], -videos[p[0]].published_ts, videos[p[0]].video_id))
        return ranked

    def search(
        self,
        q: str,
        *,
        max_results: int = 50,
        order: str = "relevance",
        published_after: datetime | str | None = None,
        region_code: str = "",
        relevance_language: str = "",
        page_token: str | None = None,
        published_before: datetime | str | None = None,
        channel_id: str = "",
        category_id: str = "",
        video_duration: str = "",
        exclude_ids: Iterable[str] = (),
    ) -> CorpusPage:
        """One page of search results, as search.list would return them (raises InvalidPageToken)."""
        offset = decode_page_token(page_token) if page_token else 0
        ranked = self.rank(
            q,
            order=order,
            published_after=published_after,
            published_before=published_before,
            region_code=region_code,
            relevance_language=relevance_language,
            channel_id=channel_id,
            category_id=category_id,
            video_duration=video_duration,
            exclude_ids=exclude_ids,
        )
        reachable = min(len(ranked), MAX_SEARCH_OFFSET)
        size = max(0, min(max_results, MAX_RESULTS))
        page = ranked[offset : min(offset + size, reachable)]
        end = offset + len(page)
        return CorpusPage(
            items=tuple(self.videos[i] for i, _ in page),
            scores=tuple(s for _, s in page),
            total_results=len(ranked),
            next_page_token=encode_page_token(end) if size and end < reachable else None,
            prev_page_token=encode_page_token(max(0, offset - size)) if offset > 0 else None,
        )

    def video(self, video_id: str) -> Video | None:
        index = self.by_id.get(video_id)
        return None if index is None else self.videos[index]

    def videos_of_channel(self, channel_id: str) -> list[Video]:
        return [self.videos[i] for i in self.channel_videos.get(channel_id, [])]


def _int_or_none(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    return int(float(value))


def _row_to_video(row: Mapping[str, str]) -> Video:
    video_id = (row.get("video_id") or "").strip()
    channel_id = (row.get("channel_id") or "").strip()
    if not video_id or not channel_id:
        raise ValueError("video_id and channel_id are required")
    published_at = (row.get("published_at") or "").strip()
    published = parse_rfc3339(published_at)
    country = (row.get("country") or "").strip().upper()
    countries = tuple(c.strip().upper() for c in re.split(r"[|,; ]+", row.get("countries") or "") if c.strip())
    title = row.get("title") or ""
    description = row.get("description") or ""
    tags = tuple(t.strip() for t in (row.get("tags") or "").split("|") if t.strip() and t.strip() != "[none]")
    return Video(
        video_id=video_id,
        channel_id=channel_id,
        channel_title=(row.get("channel_title") or "").strip(),
        title=title,
        description=description,
        tags=tags,
        category_id=(row.get("category_id") or "").strip(),
        category=(row.get("category") or "").strip(),
        published_at=format_rfc3339(published),
        published_ts=published.timestamp(),
        view_count=_int_or_none(row.get("view_count") or ""),
        like_count=_int_or_none(row.get("like_count") or ""),
        comment_count=_int_or_none(row.get("comment_count") or ""),
        country=country,
        countries=countries or ((country,) if country else ()),
    )


def load_channel_sidecar(path: Path) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            channel_id = (row.get("channel_id") or "").strip()
            if channel_id:
                overrides[channel_id] = {k: (v or "").strip() for k, v in row.items() if k}
    return overrides


def load_corpus(path: str | Path, *, channels_path: str | Path | None = None) -> Corpus:
    """Read a CSV in the shared videos.csv format; rows that cannot be read are skipped and counted.

    A `channels.csv` beside the file (or `channels_path`) overrides made-up channel facts.
    Raises CorpusError if the file is missing, is not a CSV of that format, or holds no usable row.
    """
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"Corpus file not found: {path}")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    videos: list[Video] = []
    seen: set[str] = set()
    skipped = 0
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in ("video_id", "channel_id", "title", "published_at") if c not in header]
            if missing:
                raise CorpusError(
                    f"{path} is not a videos CSV: missing column(s) {', '.join(missing)} "
                    f"(expected {','.join(CSV_COLUMNS)})"
                )
            for row in reader:
                try:
                    if None in row:  # more fields than the header: a broken row
                        raise ValueError("extra fields")
                    video = _row_to_video(row)
                except (ValueError, TypeError, AttributeError):
                    skipped += 1
                    continue
                if video.video_id in seen:
                    skipped += 1
                    continue
                seen.add(video.video_id)
                videos.append(video)
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} is not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise CorpusError(f"{path} is not a readable CSV: {exc}") from exc
    if not videos:
        raise CorpusError(f"{path} holds no usable video rows ({skipped} skipped)")
    sidecar = Path(channels_path) if channels_path else path.with_name("channels.csv")
    overrides: dict[str, dict[str, str]] = {}
    if sidecar.is_file():
        try:
            overrides = load_channel_sidecar(sidecar)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CorpusError(f"{sidecar} is not a readable channels CSV: {exc}") from exc
    return Corpus(videos, channel_overrides=overrides, skipped_rows=skipped, path=path)


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

    def update(self, values: Mapping[str, Any]) -> list[str]:
        """Apply control values; returns the names it did not know."""
        unknown = []
        for name, value in values.items():
            if name in ("search_calls_per_day", "units_per_day", "latency_ms", "seed"):
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
        self.initial_config = replace(config, fail_next=list(config.fail_next))
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
            if everything:
                self.forgotten_videos.clear()
                self.forgotten_channels.clear()
                self.stat_overrides.clear()
                self.text_overrides.clear()
                self.frozen_now = None
                self.config = replace(self.initial_config, fail_next=list(self.initial_config.fail_next))
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

    def draw_fault(self) -> int | None:
        with self.lock:
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
            fault = state.draw_fault()
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


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: Any, *, content_type: str = "application/json; charset=UTF-8") -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False, indent=2).encode()
        send_body(self, status, payload, content_type, {"Vary": "Origin, X-Origin, Referer"})

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        data = json.loads(self.rfile.read(length).decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        path = url.path
        emulator = self.server.emulator
        if path.startswith("/youtube/v3/"):
            resource = path[len("/youtube/v3/") :].strip("/")
            # A repeated id (id=a&id=b, what the client sends for a Python list) means several ids, as on YouTube.
            params = {
                k: ",".join(v) if k == "id" else v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()
            }
            status, body = emulator.api.handle(resource, params)
            latency = emulator.state.config.latency_ms
            if latency > 0:
                time.sleep(latency / 1000)
            self._send(status, body)
            return
        if path == "/_emulator/health":
            self._send(
                200, {"status": "ok", "videos": len(emulator.corpus.videos), "channels": len(emulator.corpus.channels)}
            )
        elif path == "/_emulator/calls":
            wanted = parse_qs(url.query).get("resource")
            self._send(200, {"calls": [c.as_dict() for c in emulator.calls if not wanted or c.resource in wanted]})
        elif path == "/_emulator/quota":
            self._send(200, emulator.state.usage_today())
        elif path == "/_emulator/config":
            self._send(200, emulator.state.config.as_dict())
        elif path.startswith("/_emulator/thumbnails/") and path.endswith(".svg"):
            object_id = path[len("/_emulator/thumbnails/") : -len(".svg")]
            video = emulator.corpus.video(object_id)
            channel = emulator.corpus.channels.get(object_id)
            if video is None and channel is None:
                self._send(404, {"error": f"no video or channel {object_id}"})
                return
            label = video.channel_title if video else channel.title  # type: ignore[union-attr]
            self._send(200, thumbnail_svg(object_id, label).encode(), content_type="image/svg+xml")
        else:
            self._send(404, ApiError(404, "Not Found", "notFound").body())

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        path = urlsplit(self.path).path
        emulator = self.server.emulator
        try:
            data = self._read_json()
            if path == "/_emulator/reset":
                emulator.reset(everything=bool(data.get("all")))
                self._send(200, {"reset": True, "all": bool(data.get("all"))})
            elif path == "/_emulator/config":
                unknown = emulator.configure(**data)
                self._send(200, {"config": emulator.state.config.as_dict(), "ignored": unknown})
            elif path == "/_emulator/forget":
                emulator.forget(video_ids=data.get("video_ids", []), channel_ids=data.get("channel_ids", []))
                self._send(
                    200,
                    {
                        "forgotten_videos": sorted(emulator.state.forgotten_videos),
                        "forgotten_channels": sorted(emulator.state.forgotten_channels),
                    },
                )
            elif path == "/_emulator/update":
                updates = data.get("videos") or {
                    data["video_id"]: {**data.get("statistics", {}), **data.get("snippet", {})}
                }
                for video_id, stats in updates.items():
                    emulator.update_video(video_id, **stats)
                self._send(200, {"updated": sorted(updates)})
            else:
                self._send(404, {"error": f"unknown control endpoint {path}"})
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": f"bad control request: {exc}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: EmulatorServer
    verbose: bool


STAT_NAMES = {
    "view_count": "viewCount",
    "like_count": "likeCount",
    "comment_count": "commentCount",
    "viewCount": "viewCount",
    "likeCount": "likeCount",
    "commentCount": "commentCount",
}


class EmulatorServer:
    """The emulator on a loopback port: `start()` serves from a background thread, `stop()` ends it."""

    def __init__(
        self,
        corpus: Corpus,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        search_calls_per_day: int = 100,
        units_per_day: int = 10_000,
        error_rate: float = 0.0,
        rate_limit_rate: float = 0.0,
        latency_ms: int = 0,
        seed: int = 0,
        invalid_keys: Iterable[str] = DEFAULT_INVALID_KEYS,
        clock: Callable[[], datetime] | None = None,
        verbose: bool = False,
    ) -> None:
        config = EmulatorConfig(
            search_calls_per_day=search_calls_per_day,
            units_per_day=units_per_day,
            error_rate=error_rate,
            rate_limit_rate=rate_limit_rate,
            latency_ms=latency_ms,
            seed=seed,
            invalid_keys=frozenset(invalid_keys),
        )
        self.corpus = corpus
        self.state = EmulatorState(corpus, config, clock)
        self.host = host
        self._httpd = _Server((host, port), _Handler)
        self._httpd.emulator = self
        self._httpd.verbose = verbose
        self.api = YouTubeApi(self.state, lambda: self.url)
        self._background = BackgroundServer(self._httpd, name="youtube-emulator")

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def calls(self) -> list[Call]:
        with self.state.lock:
            return list(self.state.calls)

    def usage(self) -> dict[str, int | str]:
        return self.state.usage_today()

    def start(self) -> EmulatorServer:
        self._background.start()
        return self

    def serve_forever(self) -> None:
        self._background.serve_forever()

    def stop(self) -> None:
        self._background.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self, *, everything: bool = False) -> None:
        """Clear the calls log and today's quota; with everything=True also faults, budgets, forgets, updates."""
        self.state.reset(everything=everything)

    def configure(self, **values: Any) -> list[str]:
        """Change budgets, faults, latency, seed, invalid keys, fail_next, or freeze the clock (`now`)."""
        with self.state.lock:
            unknown = self.state.config.update(values)
            if "seed" in values:
                self.state.random = random.Random(self.state.config.seed)
            if "now" in values:
                now = values["now"]
                self.state.frozen_now = None if now is None else (parse_rfc3339(now) if isinstance(now, str) else now)
        return unknown

    def forget(self, *, video_ids: Iterable[str] = (), channel_ids: Iterable[str] = ()) -> None:
        """YouTube no longer returns these (deleted, made private): absent from every answer."""
        with self.state.lock:
            self.state.forgotten_videos.update(video_ids)
            self.state.forgotten_channels.update(channel_ids)

    def calls_to(self, resource: str) -> list[Call]:
        return [call for call in self.calls if call.resource == resource]

    def update(self, video_id: str, **statistics: int) -> None:
        self.update_video(video_id, **statistics)

    def update_video(self, video_id: str, **changes: Any) -> None:
        """Change a video as served from now on: statistics (view_count/viewCount, like_count/likeCount,
        comment_count/commentCount) and text (title, description, tags). Search still ranks the original text."""
        if self.corpus.video(video_id) is None:
            raise KeyError(f"no video {video_id} in the corpus")
        with self.state.lock:
            stats = self.state.stat_overrides.setdefault(video_id, {})
            text = self.state.text_overrides.setdefault(video_id, {})
            for name, value in changes.items():
                if name in STAT_NAMES:
                    stats[STAT_NAMES[name]] = int(value)
                elif name in ("title", "description"):
                    text[name] = str(value)
                elif name == "tags":
                    text[name] = tuple(str(t) for t in value)
                else:
                    raise ValueError(f"unknown video field {name}")
