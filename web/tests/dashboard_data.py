"""Test data for the dashboard and API tests: real rows written through the ORM, nothing mocked.

`build_world()` makes two companies, each with a member, products and ranked creators whose
statistics differ so that every filter and ordering has something to tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher, make_password
from django.utils import timezone

from accounts.models import Company, Membership
from discovery.models import Channel, Video
from matches.models import CreatorMatch, Match
from pipeline.models import DiscoveryRun
from shopify_app.models import Product, Shop

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PASSWORD = "a-long-test-password-42"


@pytest.fixture
def fast_hashing(settings: Any) -> None:
    """Passwords hashed with MD5 in tests: PBKDF2 at Django's iterations costs seconds per sign-in here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *global_settings.PASSWORD_HASHERS]


@cache
def _hashed_password(algorithm: str) -> str:
    # Once per process and hasher: with `fast_hashing` MD5, else PBKDF2 (a second or more per hash here).
    return make_password(PASSWORD, hasher=algorithm)


def make_member(email: str, company_name: str) -> tuple[User, Company]:
    password = _hashed_password(get_hasher().algorithm)
    user = get_user_model().objects.create(username=email, email=email, password=password)
    company = Company.objects.create(name=company_name)
    Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
    return user, company


def make_product(company: Company, title: str, n: int, **fields: Any) -> Product:
    fields.setdefault("handle", title.lower().replace(" ", "-"))
    shopify_id = f"gid://shopify/Product/{company.pk.hex[:6]}{n}"
    return Product.objects.create(company=company, shopify_id=shopify_id, title=title, **fields)


def make_channel(channel_id: str, title: str, *, fetched_at: datetime, **fields: Any) -> Channel:
    return Channel.objects.create(channel_id=channel_id, title=title, fetched_at=fetched_at, **fields)


def make_video(channel: Channel, video_id: str, title: str, *, fetched_at: datetime, **fields: Any) -> Video:
    return Video.objects.create(
        video_id=video_id, channel=channel, channel_title=channel.title, title=title, fetched_at=fetched_at, **fields
    )


def rank_creator(
    product: Product,
    channel: Channel,
    *,
    rank: int,
    score: float,
    videos: list[tuple[Video, float, list[str]]],
    fit_band: str = CreatorMatch.FitBand.STRONG,  # one band, so that orderings compare statistics alone
) -> CreatorMatch:
    for video, video_score, terms in videos:
        Match.objects.create(product=product, video=video, similarity_score=video_score, evidence={"terms": terms})
    return CreatorMatch.objects.create(
        product=product,
        channel=channel,
        score=score,
        rank=rank,
        fit_band=fit_band,
        video_count=len(videos),
        evidence={
            "videos": [{"video_id": v.video_id, "score": s, "terms": t} for v, s, t in videos],
            "attributes": ["bamboo"],
            "query": "matcha whisk review",
        },
    )


@dataclass
class World:
    user: User
    company: Company
    whisk: Product
    kettle: Product
    other_user: User
    other_company: Company
    other_product: Product
    fetched: datetime
    # The whisk's creators by name: "tea" (rank 1), "brew" (rank 2), "cafe" (rank 3).
    channels: dict[str, Channel]
    other_channel: Channel


def build_world(now: datetime | None = None) -> World:
    now = now or timezone.now()
    fetched = now - timedelta(days=3)
    user, company = make_member("ana@juniper.test", "Juniper & Pine Co.")
    Shop.objects.create(company=company, domain="juniper-pine.myshopify.com")
    whisk = make_product(
        company,
        "Ceremonial Matcha Whisk Set",
        1,
        image_url="https://cdn.test/whisk.jpg",
        tags=["bamboo", "tea"],
        last_discovered_at=now - timedelta(hours=2),
    )
    kettle = make_product(company, "Gooseneck Pour-Over Kettle", 2, product_type="Kitchen")
    make_product(company, "Lavender Soy Candle", 3, status=Product.Status.DRAFT)

    tea = make_channel(
        "UCteaMasterChannel000001",
        "Tea Master",
        fetched_at=fetched,
        subscriber_count=1_200_000,
        country="JP",
        default_language="ja",
        contact_emails=["tea@master.test"],
        last_upload_at=now - timedelta(days=2),
        thumbnail_url="https://yt.test/tea.jpg",
    )
    brew = make_channel(
        "UCbrewBuddyChannel000002",
        "Brew Buddy",
        fetched_at=fetched,
        subscriber_count=45_000,
        country="US",
        default_language="en-US",
        last_upload_at=now - timedelta(days=40),
    )
    cafe = make_channel(
        "UCcafeCornerChannel00003",
        "=Cafe Corner",
        fetched_at=fetched,
        subscriber_count=None,
        hidden_subscriber_count=True,
        country="GB",
        last_upload_at=now - timedelta(days=400),
    )
    v_tea1 = make_video(
        tea,
        "teaVideo001",
        "How to whisk matcha",
        fetched_at=fetched,
        view_count=10_000,
        like_count=800,
        comment_count=200,
        language="ja",
        sponsorship_signals=["sponsored by"],
    )
    v_tea2 = make_video(
        tea, "teaVideo002", "Chasen care", fetched_at=fetched, view_count=10_000, like_count=100, comment_count=100
    )
    v_brew = make_video(
        brew,
        "brewVideo01",
        "Matcha latte at home",
        fetched_at=fetched,
        view_count=100_000,
        like_count=1_000,
        comment_count=0,
        contact_emails=["biz@brew.test"],
    )
    v_cafe = make_video(
        cafe,
        "cafeVideo01",
        "Cafe tour",
        fetched_at=fetched,
        view_count=5_000,
        like_count=150,
        comment_count=0,
        language="en",
    )
    tea_videos = [(v_tea1, 0.93, ["matcha", "whisk"]), (v_tea2, 0.80, ["chasen"])]
    rank_creator(whisk, tea, rank=1, score=0.91, videos=tea_videos)
    rank_creator(whisk, brew, rank=2, score=0.74, videos=[(v_brew, 0.74, ["matcha"])])
    rank_creator(whisk, cafe, rank=3, score=0.52, videos=[(v_cafe, 0.52, ["tea"])])
    rank_creator(kettle, brew, rank=1, score=0.66, videos=[])

    other_user, other_company = make_member("bo@rival.test", "Rival Goods")
    other_product = make_product(other_company, "Rival Secret Whisk", 9)
    secret = make_channel("UCsecretRivalChannel0009", "Secret Creator", fetched_at=fetched, subscriber_count=77)
    v_secret = make_video(secret, "secretVid01", "Secret video", fetched_at=fetched, view_count=10)
    rank_creator(other_product, secret, rank=1, score=0.99, videos=[(v_secret, 0.99, ["secret"])])
    DiscoveryRun.objects.create(
        company=company,
        trigger=DiscoveryRun.Trigger.MANUAL,
        status=DiscoveryRun.Status.SUCCEEDED,
        products_planned=2,
        products_done=2,
        search_calls=4,
        cached_searches=1,
        units=402,
        videos_found=17,
        matches_made=5,
        started_at=now - timedelta(hours=2),
        finished_at=now - timedelta(hours=2, seconds=-30),
    )
    DiscoveryRun.objects.create(
        company=other_company,
        trigger=DiscoveryRun.Trigger.SCHEDULE,
        status=DiscoveryRun.Status.SUCCEEDED,
        message="rival-run-secret",
    )
    return World(
        user=user,
        company=company,
        whisk=whisk,
        kettle=kettle,
        other_user=other_user,
        other_company=other_company,
        other_product=other_product,
        fetched=fetched,
        channels={"tea": tea, "brew": brew, "cafe": cafe},
        other_channel=secret,
    )
