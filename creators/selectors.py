"""Reads behind a creator's page (and the API's GET /creators/{channel_id}): one channel as one company sees it.

A channel is YouTube's public record, stored once for everyone; what a company sees beside it (its
products the channel fits, its decisions, its notes, its lists) is the company's alone. A channel we
do not store (never found, expired under the 30-day rule, or forgotten on request) answers 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings

from accounts.models import Company
from creators.models import CreatorNote, RecentUpload
from discovery.models import Channel, Video
from maatchaa.api import ApplicationError
from maatchaa.lib.humanize import short_date
from matches import derived
from matches.display import (
    creator_record,
    derived_statistic,
    engagement_rate,
    statistic,
    youtube_channel_url,
    youtube_video_url,
)
from matches.models import CreatorDecision
from matches.selectors import CHANNEL_ID_SHAPE, channel_creator_rows

Moment = Callable[[dt.datetime | None], Any]
CREATOR_NOT_FOUND = "Creator not found."


def _as_is(moment: dt.datetime | None) -> Any:
    return moment


def youtube_cutoff(now: dt.datetime) -> dt.datetime:
    """Data fetched from YouTube before this moment may no longer be shown (the 30-day rule)."""
    return now - dt.timedelta(days=settings.YOUTUBE_DATA_MAX_AGE_DAYS)


def get_channel(*, channel_id: str) -> Channel:
    """A stored channel; 404 for a malformed id or a channel we do not store."""
    if not CHANNEL_ID_SHAPE.fullmatch(channel_id or ""):
        raise ApplicationError(CREATOR_NOT_FOUND, status=404)
    channel = Channel.objects.filter(channel_id=channel_id).first()
    if channel is None:
        raise ApplicationError(CREATOR_NOT_FOUND, status=404)
    return channel


def _language(channel: Channel) -> str:
    # A channel without a default language speaks the language of its latest video that declares one.
    if channel.default_language:
        return channel.default_language
    latest = (
        Video.objects.filter(channel=channel).exclude(language="").order_by("-published_at").values("language").first()
    )
    return latest["language"] if latest else ""


def channel_record(channel: Channel) -> dict[str, Any]:
    return {
        "channel_id": channel.channel_id,
        "title": channel.title or channel.channel_id,
        "url": youtube_channel_url(channel.channel_id, channel.custom_url),
        "custom_url": channel.custom_url,
        "thumbnail_url": channel.thumbnail_url,
        "country": channel.country,
        "language": _language(channel),
    }


def channel_statistics(channel: Channel, *, now: dt.datetime, moment: Moment = _as_is) -> dict[str, Any]:
    """The channel's counts, each with the date YouTube reported it; engagement only with the opt-in."""
    when = short_date(channel.fetched_at, now=now)
    as_of = moment(channel.fetched_at)
    emulated = channel.statistics_emulated
    stats = {
        "subscribers": statistic(
            channel.subscriber_count,
            "subscribers",
            as_of=as_of,
            now=now,
            hidden=channel.hidden_subscriber_count,
            emulated=emulated,
            when=when,
        ),
        "channel_views": statistic(channel.view_count, "views", as_of=as_of, now=now, emulated=emulated, when=when),
        "channel_videos": statistic(channel.video_count, "videos", as_of=as_of, now=now, emulated=emulated, when=when),
    }
    if derived.allowed():
        # (likes + comments) per view over the creator's stored videos, as the product lists compute it.
        videos = list(
            Video.objects.filter(channel=channel, view_count__gt=0).values_list(
                "view_count", "like_count", "comment_count", "fetched_at"
            )
        )
        views = sum(v[0] or 0 for v in videos)
        reactions = sum((v[1] or 0) + (v[2] or 0) for v in videos)
        oldest = min((v[3] for v in videos if v[3] is not None), default=None)
        stats["engagement"] = derived_statistic(
            engagement_rate(views, reactions, 0),
            "engagement",
            as_of=moment(oldest),
            now=now,
            when=short_date(oldest, now=now),
        )
    return stats


def _contact_emails(channel: Channel) -> list[str]:
    emails = list(channel.contact_emails or [])
    for found in (
        Video.objects.filter(channel=channel).exclude(contact_emails=[]).values_list("contact_emails", flat=True)
    ):
        emails += [email for email in found if email not in emails]
    return emails


def stored_recent_uploads(*, channel: Channel, now: dt.datetime) -> list[RecentUpload]:
    """The channel's recent uploads as last fetched, if that was within the 30-day rule; else none."""
    return list(RecentUpload.objects.filter(channel=channel, fetched_at__gte=youtube_cutoff(now)).order_by("position"))


def recent_uploads_record(*, channel: Channel, now: dt.datetime, moment: Moment = _as_is) -> dict[str, Any]:
    uploads = stored_recent_uploads(channel=channel, now=now)
    fetched = uploads[0].fetched_at if uploads else None
    return {
        "as_of": moment(fetched),
        "display": f"Recent uploads as of {short_date(fetched, now=now)}" if fetched else "Not fetched yet",
        "can_fetch": bool(channel.uploads_playlist_id),
        "items": [
            {
                "video_id": upload.video_id,
                "title": upload.title,
                "url": youtube_video_url(upload.video_id),
                "thumbnail_url": upload.thumbnail_url,
                "published_at": moment(upload.published_at),
            }
            for upload in uploads
        ],
    }


def _matched_videos(products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every matched video once, at its best fit, with the products it fits; best first."""
    best: dict[str, dict[str, Any]] = {}
    for product in products:
        for video in product["matched_videos"]:
            seen = best.get(video["video_id"])
            if seen is None:
                best[video["video_id"]] = seen = {**video, "products": []}
            elif video["score"] > seen["score"]:
                seen.update({**video, "products": seen["products"]})
            seen["products"].append({"id": product["product"]["id"], "title": product["product"]["title"]})
    return sorted(best.values(), key=lambda v: (-v["score"], v["video_id"]))


def company_notes(*, company: Company | uuid.UUID, channel: Channel, moment: Moment = _as_is) -> list[dict[str, Any]]:
    notes = CreatorNote.objects.filter(company=company, channel=channel).select_related("author")
    return [
        {
            "id": note.pk,
            "text": note.text,
            "author": note.author.get_username() if note.author else "",
            "created_at": moment(note.created_at),
        }
        for note in notes
    ]


def company_decisions(
    *, company: Company | uuid.UUID, channel: Channel, moment: Moment = _as_is
) -> list[dict[str, Any]]:
    decisions = (
        CreatorDecision.objects.filter(product__company=company, channel=channel)
        .select_related("product", "decided_by")
        .order_by("-updated_at", "pk")
    )
    return [
        {
            "product_id": decision.product_id,
            "product_title": decision.product.title,
            "status": decision.status,
            "decided_by": decision.decided_by.get_username() if decision.decided_by else "",
            "decided_at": moment(decision.updated_at),
        }
        for decision in decisions
    ]


def creator_profile(*, company: Company, channel_id: str, now: dt.datetime, moment: Moment = _as_is) -> dict[str, Any]:
    """Everything a creator's page shows, for one company: the channel with dated statistics, each of
    the company's products it fits (best first, with the evidence and matched videos), its matched
    videos, its stored recent uploads, contact emails, and the company's decisions and notes.

    `moment` writes the moments (datetimes for pages, `json_datetime` for the API)."""
    channel = get_channel(channel_id=channel_id)
    products = []
    for row in channel_creator_rows(company=company, channel_id=channel.channel_id):
        record = creator_record(row, now=now, moment=moment)
        products.append(
            {
                "product": {
                    "id": row["product_id"],
                    "title": row["product_title"],
                    "handle": row["product_handle"],
                    "image_url": row["product_image_url"],
                    "url": row["product_url"],
                },
                **{key: record[key] for key in ("rank", "score", "video_count", "decision")},
                **{key: record[key] for key in ("matched_terms", "attributes", "why", "matched_videos", "evidence")},
            }
        )
    return {
        "channel": channel_record(channel),
        "description": channel.description,
        "fetched_at": moment(channel.fetched_at),
        "last_upload_at": moment(channel.last_upload_at),
        "statistics": channel_statistics(channel, now=now, moment=moment),
        "products": products,
        "matched_videos": _matched_videos(products),
        "recent_uploads": recent_uploads_record(channel=channel, now=now, moment=moment),
        "contact_emails": _contact_emails(channel),
        "decisions": company_decisions(company=company, channel=channel, moment=moment),
        "notes": company_notes(company=company, channel=channel, moment=moment),
    }
