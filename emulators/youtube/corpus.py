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
import json
import math
import re
import sys
import threading
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

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
