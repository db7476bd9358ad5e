"""How YouTube statistics are shown: always with the date they were fetched.

YouTube's Developer Policies (III.E.4.f) ask that stored data be shown "in context of time", so every
count the API, the dashboard and the CSV export show goes through `stat_label`: "1.2M subscribers,
as of 3 Nov". The record builders give the API's JSON, the pages and the CSV export one shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from maatchaa.lib.humanize import compact_number, short_date
from matches import derived


def duration_text(start: datetime | None, end: datetime | None) -> str:
    """ "45 s", "2 min 5 s", "1 h 3 min"; empty while either end is unknown."""
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
    as_of: datetime | str | None,
    now: datetime,
    hidden: bool = False,
    emulated: bool = False,
    rate: bool = False,
    when: str | None = None,
) -> dict[str, Any]:
    """A count with the moment it was fetched and its label; `rate` shows a fraction as a percentage.
    `when`: `short_date(as_of, now=now)`, if the caller has it already (then `as_of` may be the
    moment's JSON text, see json_datetime)."""
    if when is None:
        when = short_date(as_of if isinstance(as_of, datetime) else None, now=now)
    # stat_label's and percent's wording, inlined: a page of creators shows ~400 statistics.
    if rate:
        display = f"{value * 100:.1f}% {noun}, as of {when}" if value is not None else f"{noun.capitalize()} unknown"
    elif hidden:
        display = f"{noun.capitalize()} hidden by the creator, as of {when}"
    elif value is None:
        display = f"{noun.capitalize()} unknown"
    else:
        display = f"{compact_number(int(value))} {noun}, as of {when}"
    if emulated:
        display += " (emulated)"
    return {
        "value": None if hidden else value,
        "as_of": as_of,
        "display": display,
        "hidden": hidden,
        "emulated": emulated,
    }


def engagement_rate(views: int | None, likes: int | None, comments: int | None) -> float | None:
    """(likes + comments) per view: a derived metric, computed only with the opt-in (matches/derived.py)."""
    if not views:
        return None
    return ((likes or 0) + (comments or 0)) / views


def derived_statistic(
    value: float | None, noun: str, *, as_of: datetime | str | None, now: datetime, when: str | None = None
) -> dict[str, Any]:
    """A rate Maatchaa calculated from YouTube's statistics (only with the opt-in), labelled as such."""
    figure = statistic(value, noun, as_of=as_of, now=now, rate=True, when=when)
    figure["display"] += f" ({derived.DISPLAY_NOTE})"
    figure["derived"] = True
    figure["calculation"] = derived.CALCULATION
    return figure


def _as_is(moment: datetime | None) -> Any:
    return moment


def json_datetime(moment: datetime | None) -> str | None:
    """A moment as DRF's JSON encoder writes it (ISO 8601, "+00:00" as "Z"), for records bound for JSON:
    a record's fetch date is written once rather than once per statistic by the encoder's fallback."""
    if moment is None:
        return None
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def video_record(
    match: Mapping[str, Any], *, now: datetime, moment: Callable[[datetime | None], Any] = _as_is
) -> dict[str, Any]:
    """One matched video (a row of matches.selectors.attach_matched_videos: the video's columns with the
    match's `similarity_score` and `evidence`) with its score, why it matched and its statistics.
    Its moments are given as `moment` returns them (datetimes for pages and CSV, `json_datetime` for the API)."""
    when = short_date(match["fetched_at"], now=now)
    as_of = moment(match["fetched_at"])
    views, likes, comments = match["view_count"], match["like_count"], match["comment_count"]
    evidence = match["evidence"] or {}
    video_id = match["video_id"]
    return {
        "video_id": video_id,
        "title": match["title"],
        "url": youtube_video_url(video_id),
        "thumbnail_url": match["thumbnail_url"],
        "published_at": moment(match["published_at"]),
        "score": round(match["similarity_score"], 4),
        "evidence": evidence,
        "terms": list(evidence.get("terms", []) or []),
        "queries": [q for q in evidence.get("queries", []) or [] if isinstance(q, str)],
        "statistics": _with_engagement(
            {
                "views": statistic(views, "views", as_of=as_of, now=now, when=when),
                "likes": statistic(likes, "likes", as_of=as_of, now=now, when=when),
                "comments": statistic(comments, "comments", as_of=as_of, now=now, when=when),
            },
            lambda: derived_statistic(
                engagement_rate(views, likes, comments), "engagement", as_of=as_of, now=now, when=when
            ),
        ),
    }


def _with_engagement(statistics: dict[str, Any], engagement: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    # A derived figure exists only with the operator's opt-in: otherwise not computed, not even as null.
    if derived.allowed():
        statistics["engagement"] = engagement()
    return statistics


def creator_record(
    creator: Mapping[str, Any], *, now: datetime, moment: Callable[[datetime | None], Any] = _as_is
) -> dict[str, Any]:
    """One ranked creator (a row of matches.selectors.CreatorPages, after attach_matched_videos) as the
    API and the pages show it; its moments as `moment` returns them (see video_record)."""
    channel_id = creator["channel_id"]
    when = short_date(creator["fetched_at"], now=now)
    as_of = moment(creator["fetched_at"])
    engagement_as_of = creator.get("engagement_as_of")
    emulated = creator["statistics_emulated"]
    evidence = creator["evidence"] or {}
    matched = creator.get("matched_videos", [])
    return {
        "channel": {
            "channel_id": channel_id,
            "title": creator["title"] or channel_id,
            "url": youtube_channel_url(channel_id, creator["custom_url"]),
            "custom_url": creator["custom_url"],
            "thumbnail_url": creator["thumbnail_url"],
            "country": creator["country"],
            "language": creator.get("language") or creator["default_language"],
        },
        "rank": creator["rank"],
        "score": round(creator["score"], 4),
        "fit_band": creator["fit_band"],
        "video_count": creator["video_count"],
        "decision": creator.get("decision"),
        "last_upload_at": moment(creator.get("last_upload") or creator["last_upload_at"]),
        "statistics": _with_engagement(
            {
                "subscribers": statistic(
                    creator["subscriber_count"],
                    "subscribers",
                    as_of=as_of,
                    now=now,
                    hidden=creator["hidden_subscriber_count"],
                    emulated=emulated,
                    when=when,
                ),
                "channel_views": statistic(
                    creator["channel_view_count"], "views", as_of=as_of, now=now, emulated=emulated, when=when
                ),
                "channel_videos": statistic(
                    creator["channel_video_count"], "videos", as_of=as_of, now=now, emulated=emulated, when=when
                ),
            },
            # Over the creator's stored videos; with the opt-in shown and filterable, never a ranking input.
            lambda: derived_statistic(
                creator.get("engagement"),
                "engagement",
                as_of=moment(engagement_as_of),
                now=now,
                when=short_date(engagement_as_of, now=now),
            ),
        ),
        "matched_videos": [video_record(m, now=now, moment=moment) for m in matched],
        "evidence": evidence,
        "matched_terms": _matched_terms(evidence, matched),
        "attributes": list(evidence.get("attributes", []) or []),
        "why": why_lines(evidence),
        "contact_emails": list(creator.get("contact_emails", creator["channel_contact_emails"])),
        "sponsorship_signals": list(creator.get("sponsorship_signals", [])),
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


def _matched_terms(evidence: dict[str, Any], matches: list[Mapping[str, Any]]) -> list[str]:
    # The terms that made the creator's videos match, in order of first appearance, without repeats.
    terms: list[str] = []
    sources = [evidence.get("terms", []) or []]
    sources += [v.get("terms", []) or [] for v in evidence.get("videos", []) or [] if isinstance(v, dict)]
    sources += [(m["evidence"] or {}).get("terms", []) or [] for m in matches]
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
    "fit_band",
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


def csv_columns() -> list[str]:
    """The export's columns: the derived ones only with the operator's opt-in (matches/derived.py)."""
    if derived.allowed():
        return CSV_COLUMNS
    return [column for column in CSV_COLUMNS if column not in derived.DERIVED_CSV_COLUMNS]


def creator_csv_row(record: dict[str, Any]) -> dict[str, str]:
    stats = record["statistics"]
    subscribers = stats["subscribers"]
    engagement = stats.get("engagement") or {"value": None, "as_of": None}
    row = {
        "rank": record["rank"],
        "score": record["score"],
        "fit_band": record["fit_band"],
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
    if "engagement" not in stats:
        for column in derived.DERIVED_CSV_COLUMNS:
            del row[column]
    return {key: csv_safe(value) for key, value in row.items()}


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
