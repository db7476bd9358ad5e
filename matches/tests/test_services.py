"""Matching on stored videos: scores, creators kept and ranked, evidence, upserts, exclusions."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Company
from discovery.models import Channel, SuppressedChannel, Video
from maatchaa.lib.embedding import get_embedder
from matches import ranking
from matches.models import CreatorMatch, Match
from matches.services import MATCHES_PER_CREATOR, match_product, rank_product_creators, vector_label
from shopify_app.models import Product

pytestmark = pytest.mark.django_db


def store(video_id: str, channel_id: str, title: str, description: str = "") -> Video:
    embedder = get_embedder()
    channel, _ = Channel.objects.get_or_create(channel_id=channel_id, defaults={"title": channel_id[-6:]})
    text = ranking.VideoText(video_id=video_id, channel_id=channel_id, title=title, description=description)
    return Video.objects.create(
        video_id=video_id,
        channel=channel,
        title=title,
        description=description,
        embedding=ranking.embed_videos([text], embedder=embedder)[0],
        embedding_model=vector_label(embedder),
        fetched_at=timezone.now(),
    )


@pytest.fixture
def product():
    company = Company.objects.create(name="Iron & Oak", own_channel_ids=["UCbrandOwnChannel0000001"])
    return Product.objects.create(
        company=company,
        shopify_id="gid://shopify/Product/1",
        title="Pre-Seasoned Cast Iron Skillet 10 inch",
        product_type="Cookware",
        tags=["cast iron", "skillet", "cookware"],
        description="A pre-seasoned cast iron pan for searing, baking and campfire cooking.",
    )


@pytest.fixture
def videos():
    return [
        store("castiron0001", "UCcastIronCook000000001", "Cast iron skillet review: is pre-seasoned worth it?"),
        store("castiron0002", "UCcastIronCook000000001", "How to season a cast iron pan"),
        store("castiron0003", "UCcampCooking00000000001", "Campfire cooking in a cast iron skillet"),
        store("skilletband1", "UCrockReactions00000001", "Skillet - Monster (live concert reaction)"),
        store("ironman00001", "UCmovieRecaps000000001", "Iron Man suit-up scenes ranked"),
        store("brandvideo01", "UCbrandOwnChannel0000001", "Our new cast iron skillet is here"),
    ]


def candidates(videos: list[Video]) -> dict[str, list[str]]:
    return {v.video_id: ["cast iron skillet review"] for v in videos}


def test_creators_are_ranked_by_meaning_above_word_sharing_distractors(product, videos):
    outcome = match_product(product=product, candidates=candidates(videos), keep=10)

    ranked = list(CreatorMatch.objects.filter(product=product).order_by("rank").values_list("channel_id", flat=True))
    assert outcome.creators == len(ranked)
    assert set(ranked[:2]) == {"UCcastIronCook000000001", "UCcampCooking00000000001"}
    assert ranked.index("UCrockReactions00000001") > 1 and ranked.index("UCmovieRecaps000000001") > 1


def test_similarity_scores_and_evidence_are_stored(product, videos):
    match_product(product=product, candidates=candidates(videos), keep=10)

    match = Match.objects.get(product=product, video_id="castiron0001")
    assert 0 < match.similarity_score <= 1.5
    assert match.evidence["queries"] == ["cast iron skillet review"]
    assert "terms" in match.evidence
    creator = CreatorMatch.objects.get(product=product, channel_id="UCcastIronCook000000001")
    assert creator.video_count == 2
    assert [v["video_id"] for v in creator.evidence["videos"]][0] == "castiron0001"
    # Videos by id: nothing copied from YouTube is stored in the evidence (the API adds current titles).
    assert set(creator.evidence["videos"][0]) == {"video_id", "score", "terms", "attributes"}
    assert "terms" in creator.evidence and "attributes" in creator.evidence
    product.refresh_from_db()
    assert product.embedding_model == vector_label(get_embedder())


def test_the_brands_own_channel_and_suppressed_creators_are_left_out(product, videos):
    SuppressedChannel.objects.create(channel_id="UCcampCooking00000000001")

    match_product(product=product, candidates=candidates(videos), keep=10)

    ranked = set(CreatorMatch.objects.filter(product=product).values_list("channel_id", flat=True))
    assert "UCbrandOwnChannel0000001" not in ranked and "UCcampCooking00000000001" not in ranked
    assert not Match.objects.filter(video_id="brandvideo01").exists()


def test_only_the_best_creators_are_kept(product, videos):
    match_product(product=product, candidates=candidates(videos), keep=1)

    kept = list(CreatorMatch.objects.filter(product=product).values_list("channel_id", flat=True))
    assert len(kept) == 1 and kept[0] in {"UCcastIronCook000000001", "UCcampCooking00000000001"}
    matched = Match.objects.filter(product=product)
    assert 1 <= matched.count() <= MATCHES_PER_CREATOR
    assert {m.video.channel_id for m in matched} == set(kept)


def test_matching_again_updates_rows_instead_of_duplicating_them(product, videos):
    match_product(product=product, candidates=candidates(videos), keep=10)
    counts = (Match.objects.count(), CreatorMatch.objects.count())

    match_product(product=product, candidates=candidates(videos), keep=10)

    assert (Match.objects.count(), CreatorMatch.objects.count()) == counts


def test_creators_accumulate_across_runs_and_ranks_stay_dense(product, videos):
    match_product(product=product, candidates=candidates(videos[:2]), keep=10)
    match_product(product=product, candidates=candidates(videos[2:4]), keep=10)

    rows = list(CreatorMatch.objects.filter(product=product).order_by("rank"))
    assert {r.channel_id for r in rows} == {
        "UCcastIronCook000000001",
        "UCcampCooking00000000001",
        "UCrockReactions00000001",
    }
    assert [r.rank for r in rows] == [1, 2, 3]
    assert rows[-1].channel_id == "UCrockReactions00000001"


def test_ranking_again_drops_a_creator_whose_matches_are_gone(product, videos):
    match_product(product=product, candidates=candidates(videos), keep=10)
    Match.objects.filter(video__channel_id="UCmovieRecaps000000001").delete()

    rank_product_creators(product=product)

    assert not CreatorMatch.objects.filter(product=product, channel_id="UCmovieRecaps000000001").exists()


def test_earlier_matches_are_scored_again_and_keep_the_queries_that_found_them(product, videos):
    match_product(product=product, candidates=candidates(videos[:2]), keep=10)
    fresh_score = Match.objects.get(product=product, video_id="castiron0001").similarity_score
    Match.objects.filter(video_id="castiron0001").update(similarity_score=0.01)

    match_product(product=product, candidates={"castiron0003": ["campfire cast iron"]}, keep=10)

    match = Match.objects.get(product=product, video_id="castiron0001")
    assert match.similarity_score == pytest.approx(fresh_score, abs=0.05)  # IDF is over the candidates
    assert match.evidence["queries"] == ["cast iron skillet review"]
    assert CreatorMatch.objects.get(product=product, channel_id="UCcastIronCook000000001").rank == 1
