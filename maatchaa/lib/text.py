"""Text shared by search and ranking (Django-free): the product and video text records, their cleaning, the
texts that get embedded, and the tokenizer, folding and stemmer that BM25 and the query builder agree on."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")
# Lines that are link farms or social plumbing ("Follow me on Instagram:") say nothing about content.
_BOILERPLATE = re.compile(
    r"\b(subscribe|instagram|facebook|twitter|tiktok|snapchat|patreon|merch|follow (me|us)|business "
    r"inquir|discord|twitch)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProductText:
    title: str
    description: str = ""
    product_type: str = ""
    vendor: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class VideoText:
    video_id: str
    channel_id: str
    channel_title: str = ""
    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    category: str = ""  # YouTube's videoCategoryId ("" when unknown)


def clean_description(text: str, *, max_chars: int = 1200) -> str:
    """The prose of a description: URLs, link-farm and social-media lines dropped."""
    kept: list[str] = []
    for line in (text or "").splitlines():
        stripped = _URL.sub(" ", line)
        if _BOILERPLATE.search(line) and len(stripped.split()) < 12:
            continue
        stripped = _SPACES.sub(" ", stripped).strip(" -|:•·*>")
        if len(stripped) >= 3:
            kept.append(stripped)
    return "\n".join(kept)[:max_chars]


def video_embedding_text(video: VideoText) -> str:
    """What the pipeline embeds for a video: title first (it says most), then tags, then prose."""
    parts = [video.title.strip()]
    if video.tags:
        parts.append(", ".join(t.strip() for t in video.tags[:25] if t.strip()))
    description = clean_description(video.description)
    if description:
        parts.append(description)
    return "\n".join(p for p in parts if p)


def product_embedding_text(product: ProductText) -> str:
    """What the pipeline embeds for a product: the same layout as a video's text."""
    parts = [product.title.strip()]
    if product.product_type.strip():
        parts.append(product.product_type.strip())
    if product.tags:
        parts.append(", ".join(t.strip() for t in product.tags if t.strip()))
    description = clean_description(product.description)
    if description:
        parts.append(description)
    return "\n".join(p for p in parts if p)


def product_niche_text(product: ProductText) -> str:
    """The product's kind and niche alone (type and tags), without its marketing prose."""
    tags = ", ".join(t.strip() for t in product.tags if t.strip())
    return "\n".join(p for p in (product.product_type.strip(), tags) if p) or product.title.strip()


def video_headline_text(video: VideoText) -> str:
    """The video's title and tags alone: what it is about, without its description's digressions."""
    tags = ", ".join(t.strip() for t in video.tags[:25] if t.strip())
    return "\n".join(p for p in (video.title.strip(), tags) if p)


_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Function words of the languages creators write in most; they carry no topic.
STOPWORDS = frozenset(
    """a an and are as at be by for from has have in is it its of on or that the this to was were with
    you your my our i we me us he she they them his her their not no so do does did can will just
    how what why when who which new best vs get got more most all any one two three per up out off
    video videos official episode part full le la les de des du un une et en pour avec est dans au
    el los las y del por para con der die das und mit ist den ein eine il lo gli di che e o os""".split()
)
INTENT_WORDS = frozenset(
    "review reviews unboxing unbox tutorial tutorials demo test tested testing guide howto haul "
    "comparison compared tried try tips setup first impressions hands".split()
)


def fold(text: str) -> str:
    """Lowercase with accents removed, so "Café" and "cafe" are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Folded word tokens without stopwords (digits kept: "4k", "249" can matter)."""
    return [t for t in _TOKEN.findall(fold(text)) if t not in STOPWORDS]


def stem(word: str) -> str:
    """A deliberately tiny English plural folding ("bits" -> "bit", "accessories" -> "accessory").

    Search engines match singular and plural; YouTube does, and product types are often plural
    ("Router Bits") while videos say "router bit". Anything cleverer mangles brand names.
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def stems(text: str) -> list[str]:
    return [stem(t) for t in tokenize(text)]
