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
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from accounts.models import Company
from creators import outreach
from creators.models import CreatorList, CreatorNote, ListEntry, OutreachTemplate, RecentUpload
from discovery.models import Channel, Video
from maatchaa.api import ApplicationError
from maatchaa.lib.humanize import short_date
from matches import derived
from matches.display import (
    creator_record,
    csv_safe,
    derived_statistic,
    engagement_rate,
    statistic,
    youtube_channel_url,
    youtube_video_url,
)
from matches.models import CreatorDecision
from matches.selectors import CHANNEL_ID_SHAPE, channel_creator_rows
from shopify_app.models import Product

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


def channel_subscribers(channel: Channel, *, now: dt.datetime, moment: Moment = _as_is) -> dict[str, Any]:
    """The channel's subscriber count with the date YouTube reported it (hidden when the channel hides it)."""
    return statistic(
        channel.subscriber_count,
        "subscribers",
        as_of=moment(channel.fetched_at),
        now=now,
        hidden=channel.hidden_subscriber_count,
        emulated=channel.statistics_emulated,
        when=short_date(channel.fetched_at, now=now),
    )


def channel_statistics(channel: Channel, *, now: dt.datetime, moment: Moment = _as_is) -> dict[str, Any]:
    """The channel's counts, each with the date YouTube reported it; engagement only with the opt-in."""
    when = short_date(channel.fetched_at, now=now)
    as_of = moment(channel.fetched_at)
    emulated = channel.statistics_emulated
    stats = {
        "subscribers": channel_subscribers(channel, now=now, moment=moment),
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
        "lists": creator_entries(company=company, channel=channel, moment=moment),
    }


# --- lists ---------------------------------------------------------------------------------------

LIST_NOT_FOUND = "List not found."
ENTRY_NOT_FOUND = "Entry not found on this list."
BIGINT_MAX = 2**63 - 1
# The list page's orderings: the pipeline's order (to contact first), the latest change first, by name.
ENTRY_ORDERINGS = ("status", "recent", "name", "added")
_STATUS_ORDER = Case(
    *(When(status=value, then=Value(position)) for position, value in enumerate(ListEntry.Status.values)),
    output_field=IntegerField(),
)


def lists_for_user(*, user: User | AnonymousUser) -> QuerySet[CreatorList]:
    if not user.is_authenticated:
        return CreatorList.objects.none()
    return CreatorList.objects.filter(company__memberships__user=user)


def get_list_for_user(*, user: User | AnonymousUser, list_id: int) -> CreatorList:
    """One of the user's companies' lists; another company's list answers exactly like a missing one."""
    if not 0 < list_id <= BIGINT_MAX:
        raise ApplicationError(LIST_NOT_FOUND, status=404)
    found = lists_for_user(user=user).select_related("company").filter(pk=list_id).first()
    if found is None:
        raise ApplicationError(LIST_NOT_FOUND, status=404)
    return found


def get_entry(*, creator_list: CreatorList, entry_id: int) -> ListEntry:
    if not 0 < entry_id <= BIGINT_MAX:
        raise ApplicationError(ENTRY_NOT_FOUND, status=404)
    entry = (
        ListEntry.objects.select_related("channel", "product", "creator_list", "changed_by", "added_by")
        .filter(creator_list=creator_list, pk=entry_id)
        .first()
    )
    if entry is None:
        raise ApplicationError(ENTRY_NOT_FOUND, status=404)
    return entry


def company_lists(*, company: Company | uuid.UUID) -> QuerySet[CreatorList]:
    """The company's lists by name, each with `entry_count` and a count per status (`count_<status>`)."""
    counts = {f"count_{value}": Count("entries", filter=Q(entries__status=value)) for value in ListEntry.Status.values}
    lists = CreatorList.objects.filter(company=company).annotate(entry_count=Count("entries"), **counts)
    return lists.order_by(Lower("name"), "pk")


def list_choices(*, company: Company | uuid.UUID) -> list[CreatorList]:
    """The company's lists by name, for a "add to list" menu."""
    return list(CreatorList.objects.filter(company=company).only("pk", "name").order_by(Lower("name"), "pk"))


def list_record(creator_list: CreatorList, *, moment: Moment = _as_is) -> dict[str, Any]:
    counts = {value: getattr(creator_list, f"count_{value}", None) for value in ListEntry.Status.values}
    if any(count is None for count in counts.values()):  # not read through company_lists
        found = dict(
            ListEntry.objects.filter(creator_list=creator_list)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
        counts = {value: found.get(value, 0) for value in ListEntry.Status.values}
    return {
        "id": creator_list.pk,
        "name": creator_list.name,
        "description": creator_list.description,
        "entry_count": sum(counts.values()),
        "status_counts": counts,
        "created_at": moment(creator_list.created_at),
        "updated_at": moment(creator_list.updated_at),
    }


def list_entries(*, creator_list: CreatorList, status: str = "", ordering: str = "status") -> QuerySet[ListEntry]:
    entries = ListEntry.objects.filter(creator_list=creator_list).select_related(
        "channel", "product", "changed_by", "added_by"
    )
    if status:
        entries = entries.filter(status=status)
    if ordering == "recent":
        return entries.order_by(F("changed_at").desc(nulls_last=True), "-created_at", "pk")
    if ordering == "name":
        return entries.order_by(Lower("channel__title"), "pk")
    if ordering == "added":
        return entries.order_by("-created_at", "-pk")
    return entries.annotate(status_order=_STATUS_ORDER).order_by("status_order", Lower("channel__title"), "pk")


def entry_record(entry: ListEntry, *, now: dt.datetime, moment: Moment = _as_is) -> dict[str, Any]:
    """One list entry as the API, the list page and the CSV show it."""
    channel = entry.channel
    return {
        "id": entry.pk,
        "list_id": entry.creator_list_id,
        "channel": {
            "channel_id": channel.channel_id,
            "title": channel.title or channel.channel_id,
            "url": youtube_channel_url(channel.channel_id, channel.custom_url),
            "custom_url": channel.custom_url,
            "thumbnail_url": channel.thumbnail_url,
        },
        "subscribers": channel_subscribers(channel, now=now, moment=moment),
        "contact_emails": list(channel.contact_emails or []),
        "product": {"id": entry.product_id, "title": entry.product.title} if entry.product else None,
        "status": entry.status,
        "status_display": entry.get_status_display(),
        "notes": entry.notes,
        "added_by": entry.added_by.get_username() if entry.added_by else "",
        "added_at": moment(entry.created_at),
        "changed_by": entry.changed_by.get_username() if entry.changed_by else "",
        "changed_at": moment(entry.changed_at),
        "status_changed_at": moment(entry.status_changed_at),
    }


ENTRY_CSV_COLUMNS = [
    "list",
    "channel_id",
    "channel_title",
    "channel_url",
    "subscribers",
    "subscribers_as_of",
    "contact_emails",
    "product",
    "status",
    "notes",
    "added_by",
    "added_at",
    "changed_by",
    "changed_at",
]


def entry_csv_row(entry: ListEntry, *, now: dt.datetime) -> dict[str, str]:
    """An entry for the list's CSV export: creator-supplied and member-supplied text is made formula-safe."""
    record = entry_record(entry, now=now)
    subscribers = record["subscribers"]
    row = {
        "list": entry.creator_list.name,
        "channel_id": record["channel"]["channel_id"],
        "channel_title": record["channel"]["title"],
        "channel_url": record["channel"]["url"],
        "subscribers": "" if subscribers["value"] is None else subscribers["value"],
        "subscribers_as_of": entry.channel.fetched_at.isoformat() if entry.channel.fetched_at else "",
        "contact_emails": " ".join(record["contact_emails"]),
        "product": record["product"]["title"] if record["product"] else "",
        "status": record["status"],
        "notes": record["notes"],
        "added_by": record["added_by"],
        "added_at": entry.created_at.isoformat(),
        "changed_by": record["changed_by"],
        "changed_at": entry.changed_at.isoformat() if entry.changed_at else "",
    }
    return {key: csv_safe(value) for key, value in row.items()}


def creator_entries(*, company: Company | uuid.UUID, channel: Channel, moment: Moment = _as_is) -> list[dict[str, Any]]:
    """The creator's entries on the company's lists (for its page)."""
    entries = (
        ListEntry.objects.filter(creator_list__company=company, channel=channel)
        .select_related("creator_list", "product", "changed_by")
        .order_by(Lower("creator_list__name"), "pk")
    )
    return [
        {
            "id": entry.pk,
            "list_id": entry.creator_list_id,
            "list_name": entry.creator_list.name,
            "product": {"id": entry.product_id, "title": entry.product.title} if entry.product else None,
            "status": entry.status,
            "status_display": entry.get_status_display(),
            "notes": entry.notes,
            "changed_by": entry.changed_by.get_username() if entry.changed_by else "",
            "changed_at": moment(entry.changed_at),
        }
        for entry in entries
    ]


# --- outreach ------------------------------------------------------------------------------------


def outreach_template(*, company: Company | uuid.UUID, moment: Moment = _as_is) -> dict[str, Any]:
    """The company's template, or the default one until it saves its own."""
    saved = OutreachTemplate.objects.filter(company=company).select_related("updated_by").first()
    return {
        "subject": saved.subject if saved else outreach.DEFAULT_SUBJECT,
        "body": saved.body if saved else outreach.DEFAULT_BODY,
        "is_default": saved is None,
        "updated_at": moment(saved.updated_at) if saved else None,
        "updated_by": saved.updated_by.get_username() if saved and saved.updated_by else "",
        "placeholders": [{"name": name, "meaning": meaning} for name, meaning in outreach.PLACEHOLDERS.items()],
    }


def _sender_name(user: User | AnonymousUser) -> str:
    if not user.is_authenticated:
        return ""
    return user.get_full_name() or user.email or user.get_username()


def outreach_draft(
    *, company: Company, channel_id: str, product_id: int | None, user: User | AnonymousUser
) -> dict[str, Any]:
    """The company's template filled for one creator and one of its products (the creator's best fit
    when none is named): the addresses found, subject, body, and a mailto: link when there is an address."""
    channel = get_channel(channel_id=channel_id)
    fits = channel_creator_rows(company=company, channel_id=channel.channel_id)
    if product_id is None:
        if not fits:
            message = "Choose one of your products for this email: none of them has this creator ranked yet."
            raise ApplicationError(message, details={"product_id": [message]})
        product_id = fits[0]["product_id"]
    if not 0 < product_id <= BIGINT_MAX:
        raise ApplicationError("Product not found.", status=404)
    product = Product.objects.filter(company=company, pk=product_id).first()
    if product is None:
        raise ApplicationError("Product not found.", status=404)
    fit = next((row for row in fits if row["product_id"] == product.pk), None)
    terms: list[str] = []
    best_video = ""
    if fit is not None:
        record = creator_record(fit, now=dt.datetime.now(dt.UTC))
        best = record["matched_videos"][0] if record["matched_videos"] else None
        # The best video's own terms first: they say most about why the creator fits.
        terms = list(dict.fromkeys([*(best["terms"] if best else []), *record["matched_terms"]]))
        best_video = best["title"] if best else ""
    template = outreach_template(company=company)
    values = {
        "creator_name": channel.title or channel.channel_id,
        "creator_handle": channel.custom_url or channel.title or channel.channel_id,
        "creator_url": youtube_channel_url(channel.channel_id, channel.custom_url),
        "product_title": product.title,
        "product_url": product.online_store_url,
        "why": outreach.why_text(terms=terms, best_video=best_video),
        "brand_name": company.name,
        "sender_name": _sender_name(user),
        "sender_email": getattr(user, "email", "") or "",
    }
    subject = outreach.fill(template["subject"], values)
    body = outreach.fill(template["body"], values)
    to = _contact_emails(channel)
    return {
        "channel": {"channel_id": channel.channel_id, "title": values["creator_name"]},
        "product": {"id": product.pk, "title": product.title, "url": product.online_store_url},
        "to": to,
        "subject": subject,
        "body": body,
        "mailto_url": outreach.mailto_url(to=to, subject=subject, body=body) if to else None,
        "copy_text": f"Subject: {subject}\n\n{body}",
    }
