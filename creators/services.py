"""Writes about creators for one company: notes, and a channel's recent uploads fetched on demand.

Services take the company they act for (the views resolve it through accounts.tenancy) and never reach
another company's rows. The recent uploads are the one call to YouTube here: playlistItems.list, one
unit from the day's ledger (discovery/quota.py, through the client), never a search call.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from creators import outreach
from creators.models import CreatorList, CreatorNote, ListEntry, OutreachTemplate, RecentUpload
from creators.selectors import get_channel
from discovery.youtube import BreakerOpen, QuotaExhausted, YouTubeConfigError, YouTubeError, get_client
from maatchaa.api import ApplicationError
from shopify_app.models import Product

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


# --- lists ---------------------------------------------------------------------------------------

LIST_NAME_MAX_CHARS = 100
LIST_DESCRIPTION_MAX_CHARS = 500
ENTRY_NOTES_MAX_CHARS = 5000


def _list_name(*, company: Company, name: object, exclude_pk: int | None = None) -> str:
    clean = clean_text(name, field="name", max_chars=LIST_NAME_MAX_CHARS)
    taken = CreatorList.objects.filter(company=company, name__iexact=clean)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    existing = taken.first()
    if existing is not None:
        message = f"{company.name} already has a list named {existing.name!r}: list names are unique per company."
        raise ApplicationError(message, details={"name": [message]})
    return clean


def _saved_list(creator_list: CreatorList, *, fields: list[str] | None = None) -> CreatorList:
    # The constraint is the rule; the check above gives its message. Two members naming lists at the same
    # moment both pass the check: the second one gets the same 400 from here.
    try:
        with transaction.atomic():
            creator_list.save(update_fields=fields)
    except IntegrityError:
        message = f"{creator_list.company.name} already has a list named {creator_list.name!r}: list names are unique per company."
        raise ApplicationError(message, details={"name": [message]}) from None
    return creator_list


def create_list(
    *, company: Company, name: object, description: object = "", user: User | AnonymousUser | None
) -> CreatorList:
    creator_list = CreatorList(
        company=company,
        name=_list_name(company=company, name=name),
        description=clean_text(description, field="description", max_chars=LIST_DESCRIPTION_MAX_CHARS, required=False),
        created_by=_member(user),
    )
    return _saved_list(creator_list)


def update_list(*, creator_list: CreatorList, name: object = None, description: object = None) -> CreatorList:
    """Renames the list or changes its description (None leaves a field as it is)."""
    if name is not None:
        creator_list.name = _list_name(company=creator_list.company, name=name, exclude_pk=creator_list.pk)
    if description is not None:
        creator_list.description = clean_text(
            description, field="description", max_chars=LIST_DESCRIPTION_MAX_CHARS, required=False
        )
    return _saved_list(creator_list, fields=["name", "description", "updated_at"])


def delete_list(*, creator_list: CreatorList) -> None:
    creator_list.delete()


def _status(value: object) -> str:
    if value not in ListEntry.Status.values:
        choices = ", ".join(ListEntry.Status.values)
        message = f"Unknown status {str(value)[:50]!r}: use one of {choices}."
        raise ApplicationError(message, details={"status": [f"Must be one of {choices}."]})
    return str(value)


def _company_product(*, company: Company, product_id: object) -> Product | None:
    if product_id in (None, ""):
        return None
    try:
        number = int(str(product_id))
    except ValueError:
        raise ApplicationError(
            "product_id must be a whole number.", details={"product_id": ["A valid integer is required."]}
        ) from None
    product = Product.objects.filter(company=company, pk=number).first() if 0 < number <= BIGINT_MAX else None
    if product is None:
        raise ApplicationError("Product not found.", status=404)
    return product


def add_to_list(
    *,
    creator_list: CreatorList,
    channel_id: object,
    product_id: object = None,
    status: object = None,
    notes: object = None,
    user: User | AnonymousUser | None,
    now: dt.datetime,
) -> tuple[ListEntry, bool]:
    """Adds a stored creator to the list (for one of the company's products, if given). Idempotent: a
    creator already on the list is returned unchanged. Returns (entry, created)."""
    if not isinstance(channel_id, str):
        raise ApplicationError("channel_id must be a YouTube channel id.", details={"channel_id": ["Required."]})
    channel = get_channel(channel_id=channel_id)
    product = _company_product(company=creator_list.company, product_id=product_id)
    existing = ListEntry.objects.filter(creator_list=creator_list, channel=channel).first()
    if existing is not None:
        return existing, False
    member = _member(user)
    entry = ListEntry(
        creator_list=creator_list,
        channel=channel,
        product=product,
        status=_status(status) if status is not None else ListEntry.Status.TO_CONTACT,
        notes=clean_text(notes, field="notes", max_chars=ENTRY_NOTES_MAX_CHARS, required=False),
        added_by=member,
        changed_by=member,
        changed_at=now,
        status_changed_at=now,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # added by someone else in the meantime
        return ListEntry.objects.get(creator_list=creator_list, channel=channel), False
    CreatorList.objects.filter(pk=creator_list.pk).update(updated_at=now)
    return entry, True


def update_entry(
    *,
    entry: ListEntry,
    status: object = None,
    notes: object = None,
    product_id: object = ...,
    user: User | AnonymousUser | None,
    now: dt.datetime,
) -> ListEntry:
    """Moves the entry in the pipeline and/or replaces its notes, recording who did it and when
    (None leaves a field as it is; `product_id` may be set to None)."""
    fields = ["changed_by", "changed_at", "updated_at"]
    if status is not None:
        new_status = _status(status)
        if new_status != entry.status:
            entry.status = new_status
            entry.status_changed_at = now
            fields += ["status", "status_changed_at"]
    if notes is not None:
        entry.notes = clean_text(notes, field="notes", max_chars=ENTRY_NOTES_MAX_CHARS, required=False)
        fields.append("notes")
    if product_id is not ...:
        entry.product = _company_product(company=entry.creator_list.company, product_id=product_id)
        fields.append("product")
    entry.changed_by = _member(user)
    entry.changed_at = now
    entry.save(update_fields=fields)
    return entry


def remove_entry(*, entry: ListEntry) -> None:
    entry.delete()


# --- outreach ------------------------------------------------------------------------------------


def save_outreach_template(
    *, company: Company, subject: object, body: object, user: User | AnonymousUser | None
) -> OutreachTemplate:
    """The company's email template; an unknown placeholder (or a stray brace) is refused with a 400 naming it."""
    clean_subject = clean_text(subject, field="subject", max_chars=outreach.SUBJECT_MAX_CHARS)
    clean_body = clean_text(body, field="body", max_chars=outreach.BODY_MAX_CHARS)
    if "\n" in clean_subject or "\r" in clean_subject:
        raise ApplicationError("The subject must be one line.", details={"subject": ["Must be one line."]})
    outreach.check_template(clean_subject, field="subject")
    outreach.check_template(clean_body, field="body")
    template, _ = OutreachTemplate.objects.update_or_create(
        company=company, defaults={"subject": clean_subject, "body": clean_body, "updated_by": _member(user)}
    )
    return template


def mark_contacted(
    *,
    company: Company,
    channel_id: str,
    list_id: object,
    product_id: object = None,
    user: User | AnonymousUser | None,
    now: dt.datetime,
) -> ListEntry:
    """The member confirmed the email went out: the creator's entry on the list (added if it was not
    there yet) moves to "contacted". Maatchaa itself sends nothing."""
    try:
        number = int(str(list_id))
    except ValueError:
        message = "list_id must be one of your lists' ids."
        raise ApplicationError(message, details={"list_id": [message]}) from None
    found = CreatorList.objects.select_related("company").filter(company=company, pk=number)
    creator_list = found.first() if 0 < number <= BIGINT_MAX else None
    if creator_list is None:
        raise ApplicationError("List not found.", status=404)
    entry, _created = add_to_list(
        creator_list=creator_list, channel_id=channel_id, product_id=product_id, user=user, now=now
    )
    # Contacted about a product: an entry added without one now names it (one it names already stays).
    product = product_id if entry.product_id is None and product_id not in (None, "") else ...
    return update_entry(entry=entry, status=ListEntry.Status.CONTACTED, product_id=product, user=user, now=now)
