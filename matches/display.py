"""How YouTube statistics are shown: always with the date they were fetched.

YouTube's Developer Policies (III.E.4.f) ask that stored data be shown "in context of time", so every
count the API, the dashboard and the CSV export show goes through `stat_label`: "1.2M subscribers,
as of 3 Nov". The record builders give the API's JSON, the pages and the CSV export one shape.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def compact_number(value: int | float | None) -> str:
    """950 -> "950", 1_234 -> "1.2K", 1_200_000 -> "1.2M", 3_000_000_000 -> "3B"."""
    if value is None:
        return "unknown"
    number = float(value)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(number) >= threshold:
            scaled = number / threshold
            # One decimal below 100 ("1.2M"), none above ("120M"); never a trailing ".0".
            text = f"{scaled:.1f}" if abs(scaled) < 100 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return f"{int(number)}" if number == int(number) else f"{number:.1f}"


def short_date(moment: datetime | None, *, now: datetime) -> str:
    """"3 Nov" within the current year, "3 Nov 2025" otherwise; "an unknown date" when missing."""
    if moment is None:
        return "an unknown date"
    if moment.year == now.year:
        return f"{moment.day} {moment:%b}"
    return f"{moment.day} {moment:%b} {moment.year}"


def stat_label(value: int | None, noun: str, *, as_of: datetime | None, now: datetime, hidden: bool = False) -> str:
    """"1.2M subscribers, as of 3 Nov"; a hidden or missing count says so instead of guessing."""
    when = short_date(as_of, now=now)
    if hidden:
        return f"{noun.capitalize()} hidden by the creator, as of {when}"
    if value is None:
        return f"{noun.capitalize()} unknown"
    return f"{compact_number(value)} {noun}, as of {when}"


def duration_text(start: datetime | None, end: datetime | None) -> str:
    """"45 s", "2 min 5 s", "1 h 3 min"; empty while either end is unknown."""
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def percent(rate: float | None) -> str:
    if rate is None:
        return "unknown"
    return f"{rate * 100:.1f}%"


# --- records: one shape for the API's JSON, the dashboard's templates and the CSV export -------------


def youtube_video_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def youtube_channel_url(channel_id: str, custom_url: str = "") -> str:
    if custom_url.startswith("@"):
        return f"https://www.youtube.com/{custom_url}"
    return f"https://www.youtube.com/channel/{channel_id}"


def statistic(
    value: int | float | None,
    noun: str,
    *,
    as_of: datetime | None,
    now: datetime,
    hidden: bool = False,
    emulated: bool = False,
    rate: bool = False,
) -> dict[str, Any]:
    """A count with the moment it was fetched and its label; `rate` shows a fraction as a percentage."""
    if rate:
        when = short_date(as_of, now=now)
        display = f"{percent(value)} {noun}, as of {when}" if value is not None else f"{noun.capitalize()} unknown"
    else:
        display = stat_label(None if value is None else int(value), noun, as_of=as_of, now=now, hidden=hidden)
    if emulated:
        display += " (emulated)"
    return {
        "value": None if hidden else value,
        "as_of": as_of,
        "display": display,
        "hidden": hidden,
        "emulated": emulated,
    }


def video_record(match: Any, *, now: datetime) -> dict[str, Any]:
    """One matched video (a matches.Match with its Video) with its score, why it matched and its statistics."""
    video = match.video
    as_of = video.fetched_at
    return {
        "video_id": video.video_id,
        "title": video.title,
        "url": youtube_video_url(video.video_id),
        "thumbnail_url": video.thumbnail_url,
        "published_at": video.published_at,
        "score": round(match.similarity_score, 4),
        "evidence": match.evidence or {},
        "terms": list((match.evidence or {}).get("terms", []) or []),
        "queries": [q for q in (match.evidence or {}).get("queries", []) or [] if isinstance(q, str)],
        "statistics": {
            "views": statistic(video.view_count, "views", as_of=as_of, now=now),
            "likes": statistic(video.like_count, "likes", as_of=as_of, now=now),
            "comments": statistic(video.comment_count, "comments", as_of=as_of, now=now),
            "engagement": statistic(video.engagement_rate, "engagement", as_of=as_of, now=now, rate=True),
        },
    }


def creator_record(creator: Any, *, now: datetime) -> dict[str, Any]:
    """One ranked creator (a CreatorMatch annotated by matches.selectors) as the API and the pages show it."""
    channel = creator.channel
    as_of = channel.fetched_at
    emulated = channel.statistics_emulated
    evidence = creator.evidence or {}
    return {
        "channel": {
            "channel_id": channel.channel_id,
            "title": channel.title or channel.channel_id,
            "url": youtube_channel_url(channel.channel_id, channel.custom_url),
            "custom_url": channel.custom_url,
            "thumbnail_url": channel.thumbnail_url,
            "country": channel.country,
            "language": getattr(creator, "language", "") or channel.default_language,
        },
        "rank": creator.rank,
        "score": round(creator.score, 4),
        "video_count": creator.video_count,
        "decision": getattr(creator, "decision", None),
        "last_upload_at": getattr(creator, "last_upload", None) or channel.last_upload_at,
        "statistics": {
            "subscribers": statistic(
                channel.subscriber_count,
                "subscribers",
                as_of=as_of,
                now=now,
                hidden=channel.hidden_subscriber_count,
                emulated=emulated,
            ),
            "channel_views": statistic(channel.view_count, "views", as_of=as_of, now=now, emulated=emulated),
            "channel_videos": statistic(channel.video_count, "videos", as_of=as_of, now=now, emulated=emulated),
            # Over the creator's stored videos; shown and filterable, never a ranking input.
            "engagement": statistic(
                getattr(creator, "engagement", None),
                "engagement",
                as_of=getattr(creator, "engagement_as_of", None),
                now=now,
                rate=True,
            ),
        },
        "matched_videos": [video_record(m, now=now) for m in getattr(creator, "matched_videos", [])],
        "evidence": evidence,
        "matched_terms": _matched_terms(evidence, getattr(creator, "matched_videos", [])),
        "attributes": list(evidence.get("attributes", []) or []),
        "why": why_lines(evidence),
        "contact_emails": list(getattr(creator, "contact_emails", channel.contact_emails)),
        "sponsorship_signals": list(getattr(creator, "sponsorship_signals", [])),
    }


EVIDENCE_SHOWN_APART = {"terms", "attributes", "videos", "queries"}


def why_lines(evidence: dict[str, Any]) -> list[str]:
    """The evidence's other plain facts ("Query: matcha whisk review"), for people to read."""
    lines = []
    for key, value in evidence.items():
        if key in EVIDENCE_SHOWN_APART or isinstance(value, (dict, list)) or value in (None, ""):
            continue
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        lines.append(f"{key.replace('_', ' ').capitalize()}: {shown}")
    return lines


def _matched_terms(evidence: dict[str, Any], matches: list[Any]) -> list[str]:
    # The terms that made the creator's videos match, in order of first appearance, without repeats.
    terms: list[str] = []
    sources = [evidence.get("terms", []) or []]
    sources += [v.get("terms", []) or [] for v in evidence.get("videos", []) or [] if isinstance(v, dict)]
    sources += [(m.evidence or {}).get("terms", []) or [] for m in matches]
    for source in sources:
        for term in source:
            if isinstance(term, str) and term not in terms:
                terms.append(term)
    return terms


CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run: creator-supplied text starting with = + - @ is quoted with '."""
    text = "" if value is None else str(value)
    if text.startswith(CSV_FORMULA_PREFIXES):
        return "'" + text
    return text


CSV_COLUMNS = [
    "rank",
    "score",
    "decision",
    "channel_id",
    "channel_title",
    "channel_url",
    "subscribers",
    "subscribers_as_of",
    "subscribers_display",
    "engagement",
    "engagement_as_of",
    "country",
    "language",
    "last_upload_at",
    "contact_emails",
    "sponsorship_signals",
    "matched_terms",
    "matched_videos",
]


def creator_csv_row(record: dict[str, Any]) -> dict[str, str]:
    stats = record["statistics"]
    subscribers = stats["subscribers"]
    engagement = stats["engagement"]
    row = {
        "rank": record["rank"],
        "score": record["score"],
        "decision": record["decision"] or "",
        "channel_id": record["channel"]["channel_id"],
        "channel_title": record["channel"]["title"],
        "channel_url": record["channel"]["url"],
        "subscribers": "" if subscribers["value"] is None else subscribers["value"],
        "subscribers_as_of": _iso(subscribers["as_of"]),
        "subscribers_display": subscribers["display"],
        "engagement": "" if engagement["value"] is None else f"{engagement['value']:.4f}",
        "engagement_as_of": _iso(engagement["as_of"]),
        "country": record["channel"]["country"],
        "language": record["channel"]["language"],
        "last_upload_at": _iso(record["last_upload_at"]),
        "contact_emails": " ".join(record["contact_emails"]),
        "sponsorship_signals": "; ".join(record["sponsorship_signals"]),
        "matched_terms": "; ".join(record["matched_terms"]),
        "matched_videos": " ".join(
            f"{v['url']} ({v['score']:.2f}; {v['statistics']['views']['display']})" for v in record["matched_videos"]
        ),
    }
    return {key: csv_safe(value) for key, value in row.items()}


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
