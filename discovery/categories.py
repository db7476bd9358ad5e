"""YouTube's video categories, and the one a product's creators most likely publish in.

Every YouTube video carries one category (snippet.categoryId), and search.list can be restricted to
one with ``videoCategoryId`` for the same single search call. A product's niche usually sits in
one category (a foam cannon's creators post in Autos & Vehicles, studio headphones' in Science &
Technology), while the words of its niche query also hit every other category: "foam" finds slime
videos, "studio" finds music videos. The second search of a product repeats its niche query inside
its predicted category, which finds the niche's creators that the first one's word matches crowd out.

Measured on shared/eval/dev.json with 2 searches a product (bench.research_dev): nDCG@10
0.596 → 0.654 and the best reachable (oracle) 0.765 → 0.827, against a second query learned from the
first one's results; with 3 searches (the feedback query third) 0.675, oracle 0.862. Using the
category as a ranking bonus instead gained nothing (±0.01): it helps to *find* the niche's
creators, and the meaning of their videos already ranks them.

The category is predicted from meaning alone: the product's vector against short descriptions of
the categories, written once from YouTube's own category names (not tuned to any product).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from maatchaa.lib.embedding import Embedder


@dataclass(frozen=True)
class Category:
    id: str  # YouTube's videoCategoryId (the same ids in every region for these)
    name: str
    description: str


# YouTube's assignable video categories (videoCategories.list, assignable=true). The descriptions
# list what each one typically holds, so that a product's text can be compared with them.
CATEGORIES: tuple[Category, ...] = (
    Category(
        "1",
        "Film & Animation",
        "films, movies, trailers, short films, animation, cartoons, filmmaking, cinematography, visual effects",
    ),
    Category(
        "2",
        "Autos & Vehicles",
        "cars, trucks, motorcycles, car reviews, test drives, car modifications, "
        "car detailing and cleaning, auto repair, racing",
    ),
    Category(
        "10",
        "Music",
        "music, songs, music videos, covers, musicians, singers, bands, instruments, guitar, "
        "piano, drums, music production, DJs, concerts",
    ),
    Category(
        "15",
        "Pets & Animals",
        "pets, dogs, cats, puppies, pet care, pet training, animals, wildlife, aquariums",
    ),
    Category(
        "17",
        "Sports",
        "sports, fitness, workouts, gym, exercise, running, cycling, football, basketball, "
        "climbing, martial arts, athletes, training",
    ),
    Category(
        "19",
        "Travel & Events",
        "travel, trips, destinations, hotels, flights, backpacking, hiking, camping, "
        "outdoor adventures, festivals, events",
    ),
    Category(
        "20",
        "Gaming",
        "video games, gameplay, let's plays, walkthroughs, esports, game reviews, streamers, gaming setups",
    ),
    Category(
        "22",
        "People & Blogs",
        "vlogs, daily life, family, personal stories, lifestyle, day in the life, routines",
    ),
    Category("23", "Comedy", "comedy, sketches, pranks, parodies, funny videos, stand-up"),
    Category(
        "24",
        "Entertainment",
        "entertainment, celebrities, talk shows, TV, challenges, reactions, viral videos",
    ),
    Category("25", "News & Politics", "news, politics, current events, interviews, commentary, documentaries"),
    Category(
        "26",
        "Howto & Style",
        "how-to, tutorials, DIY, crafts, woodworking, home improvement, home decor, cleaning, "
        "organization, beauty, makeup, skincare, hair, fashion, style, cooking, recipes, food",
    ),
    Category(
        "27",
        "Education",
        "education, lessons, lectures, explainers, science, history, language learning, study tips",
    ),
    Category(
        "28",
        "Science & Technology",
        "technology, tech reviews, gadgets, unboxings, smartphones, computers, laptops, "
        "audio gear, cameras, drones, smart home, electronics, science experiments",
    ),
    Category("29", "Nonprofits & Activism", "nonprofits, charities, activism, social causes, campaigns"),
)
CATEGORY_BY_ID = {category.id: category for category in CATEGORIES}

_lock = threading.Lock()
_vectors: dict[str, np.ndarray] = {}  # model name -> (len(CATEGORIES), dims), embedded once per process


def category_vectors(embedder: Embedder) -> np.ndarray:
    """The categories' vectors in ``embedder``'s space (name and description, one row each)."""
    with _lock:
        vectors = _vectors.get(embedder.model_name)
        if vectors is None:
            vectors = embedder.embed([f"{c.name}: {c.description}" for c in CATEGORIES])
            _vectors[embedder.model_name] = vectors
    return vectors


def predict_category(product_vector: np.ndarray, *, embedder: Embedder) -> Category:
    """The category whose description is closest in meaning to the product."""
    similarities = category_vectors(embedder) @ np.asarray(product_vector, dtype=np.float32)
    return CATEGORIES[int(np.argmax(similarities))]
