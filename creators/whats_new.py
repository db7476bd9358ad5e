"""What's new: creators that entered a product's strong band since a member's last visit or digest.

A creator is in a product's strong band when its stored fit band is strong (matches/fit_bands.py, calibrated
on labelled products: the same band the product page and the API show). Which creators are in it is synced from
the stored rankings whenever it is read (`sync_strong_band`, two statements per company): a creator
seen there for the first time gets an entry dated by the ranking that put it there; one that left the
band loses it, so coming back is news again. Dismissed creators and the brand's own channels are
never news.

The products page shows what entered since the member's previous visit (a visit within VISIT_GAP of
the last one continues it, so reloading does not empty the list); the weekly digest, sent by the
daily "maatchaa-weekly-digest" schedule to members due one when EMAIL_URL is set, lists what entered
since the member's last digest. A member turns it off on the settings page.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.urls import reverse

from accounts.models import Company, Membership
from creators.models import MemberPreference, StrongBandEntry
from matches.models import CreatorDecision, CreatorMatch

logger = logging.getLogger("maatchaa.digest")

STRONG = CreatorMatch.FitBand.STRONG
VISIT_GAP = dt.timedelta(minutes=30)
# What a first visit (or a first digest) looks back over.
FIRST_LOOK_BACK = dt.timedelta(days=7)
DIGEST_EVERY = dt.timedelta(days=7)
# The daily schedule may run a little early or late: a member due within this slack gets the digest.
DIGEST_SLACK = dt.timedelta(hours=2)
SHOWN = 50

_ENTER = """
INSERT INTO creators_strongbandentry (product_id, channel_id, score, entered_at)
SELECT cm.product_id, cm.channel_id, cm.score, least(cm.updated_at, %(now)s)
FROM matches_creatormatch cm
JOIN company_products p ON p.id = cm.product_id
WHERE p.company_id = %(company)s AND cm.fit_band = %(strong)s
ON CONFLICT (product_id, channel_id) DO UPDATE SET score = EXCLUDED.score
"""
_LEAVE = """
DELETE FROM creators_strongbandentry e
USING company_products p
WHERE p.id = e.product_id AND p.company_id = %(company)s
  AND NOT EXISTS (
      SELECT 1 FROM matches_creatormatch cm
      WHERE cm.product_id = e.product_id AND cm.channel_id = e.channel_id AND cm.fit_band = %(strong)s
  )
"""


def sync_strong_band(*, company: Company | uuid.UUID, now: dt.datetime) -> None:
    """Record the company's creators that entered a strong band, forget those that left it."""
    company_id = company.pk if isinstance(company, Company) else company
    params: dict[str, Any] = {"company": company_id, "strong": str(STRONG), "now": now}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_ENTER, params)
        cursor.execute(_LEAVE, params)


def whats_new(*, company: Company, since: dt.datetime, now: dt.datetime) -> list[dict[str, Any]]:
    """The company's creators that entered a product's strong band after `since`: newest product first,
    best fit first within it; never a dismissed creator or one of the brand's own channels."""
    sync_strong_band(company=company, now=now)
    dismissed = CreatorDecision.objects.filter(
        product__company=company, status=CreatorDecision.Status.DISMISSED
    ).values_list("product_id", "channel_id")
    skip = set(dismissed)
    own = set(company.own_channel_ids or ())
    entries = (
        StrongBandEntry.objects.filter(product__company=company, entered_at__gt=since)
        .select_related("product", "channel")
        .order_by("product__title", "product_id", "-score", "channel_id")
    )
    news = []
    for entry in entries:
        if (entry.product_id, entry.channel_id) in skip or entry.channel_id in own:
            continue
        news.append(
            {
                "product": {"id": entry.product_id, "title": entry.product.title},
                "channel": {
                    "channel_id": entry.channel_id,
                    "title": entry.channel.title or entry.channel_id,
                    "thumbnail_url": entry.channel.thumbnail_url,
                },
                "score": round(entry.score, 4),
                "entered_at": entry.entered_at,
            }
        )
        if len(news) == SHOWN:
            break
    return news


def preference_of(membership: Membership) -> MemberPreference:
    preference, _ = MemberPreference.objects.get_or_create(membership=membership)
    return preference


def record_products_visit(*, membership: Membership, now: dt.datetime) -> dt.datetime:
    """Notes the member's visit to the products page; returns the moment what's new is counted from:
    their previous visit (FIRST_LOOK_BACK ago for a first one)."""
    with transaction.atomic():
        preference = preference_of(membership)
        preference = MemberPreference.objects.select_for_update().get(pk=preference.pk)
        last = preference.last_products_visit_at
        if last is None or now - last > VISIT_GAP:
            preference.previous_products_visit_at = last
        preference.last_products_visit_at = now
        preference.save(update_fields=["previous_products_visit_at", "last_products_visit_at"])
    return preference.previous_products_visit_at or now - FIRST_LOOK_BACK


def set_digest_enabled(*, membership: Membership, enabled: bool) -> MemberPreference:
    preference = preference_of(membership)
    preference.digest_enabled = enabled
    preference.save(update_fields=["digest_enabled"])
    return preference


# --- the weekly digest -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestResult:
    sent: int
    due: int
    skipped: str = ""

    def summary(self) -> str:
        if self.skipped:
            return f"Weekly digest skipped: {self.skipped}"
        return f"Weekly digest: {self.sent} sent, {self.due - self.sent} due with nothing new."


def _digest_text(*, membership: Membership, news: list[dict[str, Any]]) -> str:
    base = settings.APP_URL
    lines = [
        f"New strong fits for {membership.company.name}'s products this week:",
        "",
    ]
    product = None
    for item in news:
        if item["product"]["id"] != product:
            product = item["product"]["id"]
            lines += ["", item["product"]["title"]]
        url = base + reverse("dashboard:creator", args=[item["channel"]["channel_id"]])
        lines.append(f"  - {item['channel']['title']} (fit {item['score']:.2f}): {url}")
    lines += [
        "",
        f"All your products: {base}{reverse('dashboard:products')}",
        "",
        f"You receive this weekly email as a member of {membership.company.name}. "
        f"Turn it off in your settings: {base}{reverse('dashboard:settings')}#digest",
    ]
    return "\n".join(lines).replace("\n\n\n", "\n\n")


def _claim(preference: MemberPreference, *, now: dt.datetime) -> bool:
    """Marks the digest as sent before sending, only if no other worker did: at most one per week."""
    claimed = MemberPreference.objects.filter(pk=preference.pk, last_digest_at=preference.last_digest_at).update(
        last_digest_at=now
    )
    return claimed == 1


def send_weekly_digests(*, now: dt.datetime) -> DigestResult:
    """Emails each member due a digest (none in DIGEST_EVERY, digest on) what entered a strong band since
    their last one. Nothing is sent without EMAIL_URL. Idempotent within the week."""
    if not settings.EMAIL_URL:
        return DigestResult(sent=0, due=0, skipped="EMAIL_URL is not set.")
    memberships = (
        Membership.objects.select_related("user", "company")
        .filter(user__is_active=True)
        .exclude(user__email="")
        .order_by("company_id", "pk")
    )
    synced: set[uuid.UUID] = set()
    sent = due = 0
    for membership in memberships:
        preference = preference_of(membership)
        last = preference.last_digest_at
        if not preference.digest_enabled or (last is not None and now - last < DIGEST_EVERY - DIGEST_SLACK):
            continue
        due += 1
        if membership.company_id not in synced:
            sync_strong_band(company=membership.company, now=now)
            synced.add(membership.company_id)
        news = whats_new(company=membership.company, since=last or now - FIRST_LOOK_BACK, now=now)
        if not _claim(preference, now=now) or not news:
            continue
        message = EmailMessage(
            subject=f"{len(news)} new strong creator fit{'s' if len(news) != 1 else ''} for {membership.company.name}",
            body=_digest_text(membership=membership, news=news),
            to=[membership.user.email],
        )
        try:
            message.send()
        except OSError as exc:  # the mail server: the member is due again next run
            MemberPreference.objects.filter(pk=preference.pk).update(last_digest_at=last)
            logger.warning("Weekly digest to %s not sent: %s", membership.user.email, exc)
            continue
        sent += 1
    return DigestResult(sent=sent, due=due)
