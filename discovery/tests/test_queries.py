from __future__ import annotations

import numpy as np

from discovery.queries import build_queries, feedback_query, next_query, normalize_query
from emulators.youtube.corpus import Corpus, parse_query
from maatchaa.lib.embedding import get_embedder
from maatchaa.lib.text import ProductText, VideoText
from matches.ranking import embed_product, embed_videos

BACKPACK = ProductText(
    title="Ridgeline 28",
    description="A 28-liter daypack for long trail days.",
    product_type="Hiking Backpack",
    vendor="Tallpine Packworks",
    tags=("hiking", "daypack", "outdoors"),
)


def test_a_model_name_title_is_searched_through_its_product_type_and_tags():
    first = build_queries(BACKPACK, limit=1)[0]
    alternatives = first.split("|")
    assert {"hiking", "backpack", "backpacks", "daypack", "outdoors"} <= set(alternatives)
    # "Ridgeline 28" alone would find every "28": the title is never a bare query of the first call.
    assert "28" not in alternatives and "ridgeline" not in alternatives


def test_queries_are_distinct_and_within_the_limit():
    queries = build_queries(BACKPACK, limit=4)
    assert 1 <= len(queries) <= 4
    assert len({normalize_query(q) for q in queries}) == len(queries)
    assert build_queries(BACKPACK, limit=0) == []


def test_the_second_query_quotes_phrases_and_keeps_the_descriptive_title():
    product = ProductText(title="Clear Bumper Case for iPhone 15 Pro", product_type="Phone Case", tags=("clear case",))
    second = build_queries(product, limit=2)[1]
    assert '"phone case"' in second and '"clear case"' in second
    assert '"clear bumper case for iphone 15 pro"' in second


def test_an_or_query_is_one_clause_of_alternatives_for_youtube():
    first = build_queries(BACKPACK, limit=1)[0]
    parsed = parse_query(first)
    assert len(parsed.clauses) == 1
    assert len(parsed.clauses[0].alternatives) >= 5


def test_normalize_query_ignores_case_spacing_accents_and_order():
    assert normalize_query("Trail  Shoes|Running") == normalize_query("trail running|shoes")
    assert normalize_query("CAFÉ review") == normalize_query("review cafe")
    assert normalize_query('"cast iron" skillet') == normalize_query('skillet  "Cast Iron"')


def test_normalize_query_keeps_what_changes_the_answer():
    assert normalize_query('"iron cast"') != normalize_query('"cast iron"')
    assert normalize_query("kettle -corn") != normalize_query("kettle corn")
    assert normalize_query("a|b c") != normalize_query("a b|c")


def _video(video_id: str, channel: str, title: str, tags: tuple[str, ...]) -> VideoText:
    return VideoText(video_id, channel, channel_title=f"{channel} channel", title=title, tags=tags)


def test_feedback_learns_the_niche_vocabulary_from_the_closest_results():
    videos = [
        _video("v1", "UC1", "Best hiking daypack for summer trails", ("hiking", "backpacking", "trail", "gear")),
        _video("v2", "UC2", "Backpacking gear list for a weekend", ("backpacking", "camping", "gear")),
        _video("v3", "UC3", "Thru-hike gear review", ("backpacking", "thru hike", "trail", "gear")),
        _video("v4", "UC4", "Outdoors cooking: hot dogs", ("cooking", "grill")),
        _video("v5", "UC5", "Lo-fi beats to study to", ("music", "chill")),
    ]
    embedder = get_embedder()
    query = feedback_query(
        BACKPACK, embed_product(BACKPACK, embedder=embedder), videos, embed_videos(videos, embedder=embedder)
    )
    assert query is not None
    terms = query.split("|")
    assert "backpacking" in terms and "gear" in terms
    assert "music" not in terms and "channel" not in terms  # one video's words; channel names


def test_feedback_needs_something_to_learn_from():
    videos = [_video("v1", "UC1", "Hiking", ("hiking",))]
    vectors = np.zeros((1, 384), np.float32)
    assert feedback_query(BACKPACK, np.zeros(384, np.float32), videos, vectors) is None


def test_the_queries_find_the_demo_corpus_niche_in_the_emulator(tmp_path):
    rows = [
        ("v1", "UCa", "Trail Talks", "Hiking backpack review after 500 miles", "hiking|backpack|gear"),
        ("v2", "UCb", "Pack Nerd", "Best daypacks for day hikes", "daypack|hiking"),
        ("v3", "UCc", "Beat Lab", "Ridgeline 28 - lofi beat", "lofi|beats"),
    ]
    header = "video_id,channel_id,channel_title,title,description,tags,published_at\n"
    body = "".join(
        f'{v},{c},{ct},"{t}",,{tags},2024-01-0{i + 1}T00:00:00Z\n' for i, (v, c, ct, t, tags) in enumerate(rows)
    )
    path = tmp_path / "videos.csv"
    path.write_text(header + body)
    from emulators.youtube.corpus import load_corpus

    corpus: Corpus = load_corpus(path)
    found = {v.video_id for q in build_queries(BACKPACK, limit=2) for v in corpus.search(q, max_results=50).items}
    assert {"v1", "v2"} <= found
    assert "v3" not in found


def test_without_feedback_the_next_query_is_the_next_static_one_not_yet_searched():
    first, second = build_queries(BACKPACK, limit=2)
    nothing = np.zeros((0, 384), np.float32)
    assert next_query(BACKPACK, np.zeros(384, np.float32), [], nothing, previous=[first]) == second
    assert (
        next_query(BACKPACK, np.zeros(384, np.float32), [], nothing, previous=build_queries(BACKPACK, limit=9)) is None
    )


def test_a_product_with_only_a_title_is_still_searched_by_its_title():
    queries = build_queries(ProductText(title="Lavender Soy Candle"), limit=2)
    assert queries and all("lavender soy candle" in q for q in queries)
