"""The brand's own YouTube channel, found without being told: never ranked as a creator for its products.

A brand that has not named its channels on the settings page would otherwise see itself among its
creators (its videos are about exactly its products). A channel whose title or handle is the name of the
company, of one of its products' vendors or of its shop ("Juniper & Pine Co.", "@juniperpineco",
juniper-pine.myshopify.com) is taken for the brand's own: it is kept out of the rankings at once and
shown on the settings page as "we think this is your channel", where one click undoes it
(`reject_own_channel_guess`) and the channel is ranked again like any creator.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from accounts.models import Company
from discovery.models import Channel, Video
from maatchaa.api import ApplicationError
from matches.models import CreatorMatch, Match, OwnChannelGuess
from shopify_app.models import Product, Shop

# Words that a brand's channel adds to or drops from its name: "Juniper & Pine Co." is "Juniper Pine",
# and so are "Juniper and Pine Official" and the handle "@juniperpineco".
FILLER_WORDS = frozenset(
    {
        "and", "the", "co", "company", "inc", "llc", "ltd", "limited", "corp", "gmbh", "official", "store",
        "shop", "hq", "tv", "channel", "brand", "brands", "studio", "studios", "youtube", "myshopify", "com",
    }
)  # fmt: skip
# A name shorter than this once folded ("Ilo", "Co.") would match strangers' channels.
MIN_KEY_LENGTH = 4
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return _WORD.findall(folded)


def name_key(text: str) -> str:
    """A name as a channel would spell it in a handle: folded, without filler words, run together."""
    return "".join(word for word in _words(text) if word not in FILLER_WORDS)


def _handle_keys(handle: str) -> set[str]:
    """What a handle may stand for: itself, and itself without one trailing filler word ("juniperpineco")."""
    handle = "".join(_words(handle))
    keys = {handle}
    for filler in FILLER_WORDS:
        if handle.endswith(filler) and len(handle) > len(filler):
            keys.add(handle[: -len(filler)])
    return keys


@dataclass(frozen=True)
class BrandName:
    name: str  # as the company, vendor or shop spells it
    source: str  # OwnChannelGuess.Source: company, vendor or shop

    @property
    def key(self) -> str:
        return name_key(self.name)

    @property
    def spellings(self) -> set[str]:
        """How a handle may spell the name: without filler words, or run together with them, "&" as "and"
        or dropped ("juniperpine", "juniperpineco", "juniperandpineco")."""
        return {self.key, "".join(_words(self.name)), "".join(_words(self.name.replace("&", " and ")))}


def matching_name(*, title: str, handle: str, names: Iterable[BrandName]) -> BrandName | None:
    """The brand name a channel's title or handle spells, if any (the first of `names` that matches)."""
    title_key = name_key(title)
    handle_keys = _handle_keys(handle) if handle else set()
    for brand in names:
        key = brand.key
        if len(key) < MIN_KEY_LENGTH or key.isdigit():
            continue
        if title_key == key or handle_keys & brand.spellings:
            return brand
    return None


def brand_names(*, company: Company) -> list[BrandName]:
    """The names the brand goes by: the company's, its products' vendors', its shops' (without .myshopify.com)."""
    names = [BrandName(company.name, OwnChannelGuess.Source.COMPANY)]
    vendors = Product.objects.filter(company=company).exclude(vendor="").values_list("vendor", flat=True).distinct()
    names += [BrandName(vendor, OwnChannelGuess.Source.VENDOR) for vendor in vendors]
    for domain in Shop.objects.filter(company=company).values_list("domain", flat=True):
        names.append(BrandName(domain.removesuffix(".myshopify.com"), OwnChannelGuess.Source.SHOP))
    seen: set[str] = set()
    unique: list[BrandName] = []
    for brand in names:
        if brand.key and brand.key not in seen:
            seen.add(brand.key)
            unique.append(brand)
    return unique


def detect_own_channels(*, company: Company, channel_ids: Iterable[str]) -> set[str]:
    """Look at `channel_ids` for the brand's own channels; returns those kept out (detected, not undone).

    New detections are stored as OwnChannelGuess rows (a channel once guessed, or undone, is not judged
    again). The title comes from the stored channel, else from one of its stored videos.
    """
    ids = set(channel_ids)
    if not ids:
        return set()
    known = dict(
        OwnChannelGuess.objects.filter(company=company, channel_id__in=ids).values_list("channel_id", "rejected_at")
    )
    unjudged = ids - set(known)
    if unjudged:
        names = brand_names(company=company)
        channels = {c.channel_id: (c.title, c.custom_url) for c in Channel.objects.filter(channel_id__in=unjudged)}
        for channel_id, title in Video.objects.filter(channel_id__in=unjudged - set(channels)).values_list(
            "channel_id", "channel_title"
        ):
            channels.setdefault(channel_id, (title, ""))
        found = []
        for channel_id, (title, handle) in channels.items():
            brand = matching_name(title=title, handle=handle, names=names)
            if brand is not None:
                found.append(
                    OwnChannelGuess(
                        company=company, channel_id=channel_id, matched_name=brand.name[:200], source=brand.source
                    )
                )
        OwnChannelGuess.objects.bulk_create(found, ignore_conflicts=True)
        known.update({guess.channel_id: None for guess in found})
    return {channel_id for channel_id, rejected_at in known.items() if rejected_at is None}


def kept_out_channel_ids(*, company: Company) -> set[str]:
    """Every channel detected as the brand's and not undone."""
    return set(
        OwnChannelGuess.objects.filter(company=company, rejected_at__isnull=True).values_list("channel_id", flat=True)
    )


def _rerank_products_of(*, company: Company, channel_id: str) -> None:
    # Called from below matches.services (which imports this module): the ranking of every product whose
    # stored matches or ranked creators involve the channel is rebuilt, so the list changes at once.
    from matches.services import rank_product_creators

    product_ids = set(
        Match.objects.filter(product__company=company, video__channel_id=channel_id).values_list(
            "product_id", flat=True
        )
    ) | set(
        CreatorMatch.objects.filter(product__company=company, channel_id=channel_id).values_list(
            "product_id", flat=True
        )
    )
    for product in Product.objects.filter(pk__in=product_ids).select_related("company"):
        rank_product_creators(product=product)


def _guess(*, company: Company, channel_id: str) -> OwnChannelGuess:
    guess = OwnChannelGuess.objects.filter(company=company, channel_id=channel_id).first()
    if guess is None:
        raise ApplicationError("No channel of that id was taken for yours.", status=404)
    return guess


def reject_own_channel_guess(
    *, company: Company, channel_id: str, user: AbstractBaseUser | AnonymousUser | None = None
) -> OwnChannelGuess:
    """ "Not our channel": the guess is undone, never made again, and the channel is ranked like any creator."""
    with transaction.atomic():
        guess = _guess(company=company, channel_id=channel_id)
        guess.rejected_at = timezone.now()
        guess.rejected_by = user if user is not None and user.is_authenticated else None  # type: ignore[assignment]
        guess.save(update_fields=["rejected_at", "rejected_by", "updated_at"])
        _rerank_products_of(company=company, channel_id=channel_id)
    return guess


def confirm_own_channel_guess(*, company: Company, channel_id: str) -> OwnChannelGuess:
    """ "It is ours after all": an undone guess keeps the channel out of the rankings again."""
    with transaction.atomic():
        guess = _guess(company=company, channel_id=channel_id)
        guess.rejected_at = None
        guess.rejected_by = None
        guess.save(update_fields=["rejected_at", "rejected_by", "updated_at"])
        _rerank_products_of(company=company, channel_id=channel_id)
    return guess


@dataclass(frozen=True)
class GuessRecord:
    channel_id: str
    title: str
    url: str
    matched_name: str
    source: str  # OwnChannelGuess.Source: company, vendor or shop
    source_label: str  # "the company's name"
    kept_out: bool  # True: kept out of the rankings; False: a member said it is not theirs


def list_own_channel_guesses(*, company: Company) -> list[GuessRecord]:
    """The company's detected channels for the settings page and the API, kept-out ones first."""
    guesses = list(OwnChannelGuess.objects.filter(company=company).order_by("rejected_at", "channel_id"))
    titles = dict(
        Channel.objects.filter(channel_id__in=[g.channel_id for g in guesses]).values_list("channel_id", "title")
    )
    return [
        GuessRecord(
            channel_id=g.channel_id,
            title=titles.get(g.channel_id) or g.channel_id,
            url=f"https://www.youtube.com/channel/{g.channel_id}",
            matched_name=g.matched_name,
            source=g.source,
            source_label=OwnChannelGuess.Source(g.source).label,
            kept_out=g.rejected_at is None,
        )
        for g in guesses
    ]
