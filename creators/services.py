"""Writes about creators for one company: notes, and a channel's recent uploads fetched on demand.

Services take the company they act for (the views resolve it through accounts.tenancy) and never reach
another company's rows. The recent uploads are the one call to YouTube here: playlistItems.list, one
unit from the day's ledger (discovery/quota.py, through the client), never a search call.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from creators.models import CreatorNote, RecentUpload
from creators.selectors import get_channel
from discovery.youtube import BreakerOpen, QuotaExhausted, YouTubeConfigError, YouTubeError, get_client
from maatchaa.api import ApplicationError

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from accounts.models import Company

BIGINT_MAX = 2**63 - 1
NOTE_MAX_CHARS = 5000
RECENT_UPLOADS = 10
# Asking again within this long shows what was fetched: a page reloaded or a button pressed twice
# spends no second unit.
UPLOADS_REFETCH_AFTER = dt.timedelta(hours=1)


def _member(user: User | AnonymousUser | None) -> User | None:
    return user if user is not None and user.is_authenticated else None


def clean_text(value: object, *, field: str, max_chars: int, required: bool = True) -> str:
    """Free text from a member: a string, NUL-free (PostgreSQL refuses it), trimmed, within `max_chars`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ApplicationError(f"{field} must be text.", details={field: ["Must be text."]})
    text = value.replace("\x00", "").strip()
    if required and not text:
        raise ApplicationError(f"{field} may not be empty.", details={field: ["May not be empty."]})
    if len(text) > max_chars:
        message = f"{field} is {len(text)} characters long; the most is {max_chars}."
        raise ApplicationError(message, details={field: [message]})
    return text


def add_creator_note(
    *, company: Company, channel_id: str, text: object, user: User | AnonymousUser | None
) -> CreatorNote:
    channel = get_channel(channel_id=channel_id)
    body = clean_text(text, field="text", max_chars=NOTE_MAX_CHARS)
    return CreatorNote.objects.create(company=company, channel=channel, text=body, author=_member(user))


def delete_creator_note(*, company: Company, channel_id: str, note_id: int) -> None:
    """Deletes one of the company's notes; another company's note answers like a missing one (404)."""
    if not 0 < note_id <= BIGINT_MAX:  # a URL's huge number must not reach the database as an overflow
        raise ApplicationError("Note not found.", status=404)
    deleted, _ = CreatorNote.objects.filter(company=company, channel_id=channel_id, pk=note_id).delete()
    if not deleted:
        raise ApplicationError("Note not found.", status=404)


def fetch_recent_uploads(*, company: Company, channel_id: str, now: dt.datetime) -> tuple[list[RecentUpload], bool]:
    """The channel's newest uploads from its uploads playlist (one unit, charged to `company` in the
    ledger), replacing what was stored. Returns (uploads, fetched): `fetched` is False when uploads
    fetched within UPLOADS_REFETCH_AFTER were kept instead of spending a unit again."""
    channel = get_channel(channel_id=channel_id)
    stored = list(RecentUpload.objects.filter(channel=channel).order_by("position"))
    if stored and stored[0].fetched_at >= now - UPLOADS_REFETCH_AFTER:
        return stored, False
    if not channel.uploads_playlist_id:
        raise ApplicationError(
            "YouTube has not told us this channel's uploads playlist yet; it is read with the channel's "
            "details at its next refresh.",
            status=409,
        )
    try:
        uploads = get_client(company=company).recent_uploads(channel.uploads_playlist_id, max_results=RECENT_UPLOADS)
    except (QuotaExhausted, BreakerOpen) as exc:
        raise ApplicationError(exc.message, status=429, details={"reason": exc.reason}) from None
    except YouTubeConfigError as exc:
        raise ApplicationError(exc.message, status=503, details={"reason": exc.reason}) from None
    except YouTubeError as exc:
        raise ApplicationError(
            f"YouTube did not list the recent uploads: {exc.message}", status=502, details={"reason": exc.reason}
        ) from None
    rows = [
        RecentUpload(
            channel=channel,
            video_id=upload.video_id,
            title=upload.title[:1000],
            thumbnail_url=upload.thumbnail_url[:1000],
            published_at=upload.published_at,
            position=position,
            fetched_at=now,
        )
        for position, upload in enumerate(dict((u.video_id, u) for u in uploads).values())
    ]
    with transaction.atomic():
        RecentUpload.objects.filter(channel=channel).delete()
        RecentUpload.objects.bulk_create(rows)
    return rows, True


def delete_expired_recent_uploads(*, delete_cutoff: dt.datetime) -> int:
    """The retention pass's share here: recent uploads fetched before the cutoff go."""
    return RecentUpload.objects.filter(fetched_at__lt=delete_cutoff).delete()[1].get(RecentUpload._meta.label, 0)
