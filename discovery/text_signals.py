"""What a creator's own words tell a brand: contact emails, sponsorship signals, language.

Pure functions over channel and video descriptions (Django-free). They favour precision: a wrong
email sent to a stranger or a made-up "sponsored" badge costs more than a missed one.
"""

from __future__ import annotations

import re
import unicodedata

# --- emails -----------------------------------------------------------------------------------

# "name [at] domain [dot] com", "name (at) domain (dot) com", "name AT domain DOT com": the
# obfuscations creators use to dodge scrapers. Bracketed forms are unambiguous; bare " at "/" dot "
# only count in upper case, or English prose ("look at this dot") would turn into addresses.
_BRACKET_AT = re.compile(r"\s*[\[\(\{<]\s*(?:at|@)\s*[\]\)\}>]\s*", re.IGNORECASE)
_BRACKET_DOT = re.compile(r"\s*[\[\(\{<]\s*(?:dot|\.)\s*[\]\)\}>]\s*", re.IGNORECASE)
_BARE_AT = re.compile(r"(?<=\w)\s+AT\s+(?=\w)")
_BARE_DOT = re.compile(r"(?<=\w)\s+DOT\s+(?=\w)")

_EMAIL = re.compile(
    r"(?<![\w.+-])([a-z0-9](?:[a-z0-9._%+-]{0,62}[a-z0-9])?)@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"([a-z]{2,24}))(?![\w-])",
    re.IGNORECASE,
)
# "image@2x.png", "logo@3x.jpg": asset names from copied HTML, not addresses.
_FILE_SUFFIXES = frozenset(
    "png jpg jpeg gif webp svg bmp ico tif tiff mp4 mov avi mkv mp3 wav pdf zip js css html htm php json".split()
)
# Descriptions scraped without their line breaks glue the next word onto the address
# ("me@gmail.comInstagram"): when the last label is not a known TLD but starts with one followed by
# a capital, cut there.
_COMMON_TLDS = frozenset(
    "com net org edu gov io co tv me info biz app dev fr de uk ru jp kr br es it in ca au mx nl be ch at "
    "pl se no dk fi pt us ie nz za ar cl tr ua cz gr hu ro id my ph sg th vn tw hk cn eu asia studio "
    "media agency live online shop store email xyz".split()
)
_PLACEHOLDER_DOMAINS = frozenset({"example.com", "example.org", "example.net", "domain.com", "email.com"})


def _deobfuscate(text: str) -> str:
    text = _BRACKET_AT.sub("@", text)
    text = _BRACKET_DOT.sub(".", text)
    text = _BARE_AT.sub("@", text)
    return _BARE_DOT.sub(".", text)


def extract_emails(text: str) -> list[str]:
    """Contact addresses in ``text``, lowercased, deduplicated, in order of first appearance."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text)
    found: list[str] = []
    seen: set[str] = set()
    for candidate_text in (text, _deobfuscate(text)):
        for match in _EMAIL.finditer(candidate_text):
            local, domain, tld = match.group(1), match.group(2).lower(), match.group(3).lower()
            raw_tld = match.group(3)
            if tld not in _COMMON_TLDS:
                # Only where the case shows the seam ("comInstagram"); ".travel" stays whole.
                prefix = next(
                    (
                        tld[:n]
                        for n in (4, 3, 2)
                        if tld[:n] in _COMMON_TLDS and raw_tld[:n].islower() and raw_tld[n].isupper()
                    ),
                    "",
                )
                if prefix:
                    domain, tld = domain[: len(domain) - len(tld) + len(prefix)], prefix
            if tld in _FILE_SUFFIXES or domain in _PLACEHOLDER_DOMAINS:
                continue
            if re.fullmatch(r"\d+x", domain.split(".")[0]):  # logo@2x.retina.png style
                continue
            if ".." in local:
                continue
            address = f"{local.lower()}@{domain}"
            if address not in seen:
                seen.add(address)
                found.append(address)
    return found


# --- sponsorship ------------------------------------------------------------------------------

_HASHTAG = re.compile(
    r"(?<!\w)#(ad|advert|advertisement|sponsored|sponsor|partner|paidpartnership|"
    r"werbung|anzeige|publicite|publicité|gifted)\b",
    re.IGNORECASE,
)
# Sponsor names are capitalised words on the same line ("sponsored by Mirelle Beauty."); the
# trigger phrase is matched case-insensitively, the name is not, so prose does not become a brand.
_SPONSOR_NAME = r"(@?[A-Z0-9][\w&'-]*(?:\.[A-Za-z]{2,})?(?:[ \t]+(?:[A-Z0-9][\w&'-]*|&)){0,3})"
_SPONSORED_BY = re.compile(
    r"\b(?i:sponsored|brought to you|presented|powered|made possible|supported)[ \t]+(?i:by)[ \t]+" + _SPONSOR_NAME
)
_THANKS_SPONSOR = re.compile(r"\b(?i:thanks?(?: you)? to)[ \t]+" + _SPONSOR_NAME + r"[ \t]+(?i:for sponsoring)\b")
_PAID = re.compile(
    r"\b(paid promotion|paid partnership|includes paid promotion|this video is sponsored|"
    r"this video was sponsored|sponsored video|sponsored post|in partnership with|"
    r"product(?:s)? (?:was|were) (?:sent|gifted|provided)|gifted by|pr sample)\b",
    re.IGNORECASE,
)
_CODE = re.compile(
    r"\b(?:use|with|enter|apply)\s+(?:my\s+|the\s+|our\s+)?(?:promo\s+|discount\s+|coupon\s+)?code:?\s+"
    r"[\"'“”‘’]?([A-Z0-9][A-Z0-9_-]{2,24})[\"'“”‘’]?",
    re.IGNORECASE,
)
_CODE_LABELLED = re.compile(
    r"\b(?:promo|discount|coupon)\s+code\s*[:=-]?\s*[\"'“”]?([A-Z0-9][A-Z0-9_-]{2,24})\b",
    re.IGNORECASE,
)
_PERCENT_OFF = re.compile(r"\b(\d{1,2})\s?%\s?off\b", re.IGNORECASE)
_AFFILIATE_HOSTS = (
    ("amzn.to", re.compile(r"\bamzn\.to/\S+", re.IGNORECASE)),
    ("amazon tag", re.compile(r"\bamazon\.[a-z.]{2,6}/\S*[?&]tag=[\w-]+", re.IGNORECASE)),
    ("geni.us", re.compile(r"\bgeni\.us/\S+", re.IGNORECASE)),
    ("shareasale", re.compile(r"\bshareasale\.com/\S+", re.IGNORECASE)),
    ("rstyle.me", re.compile(r"\brstyle\.me/\S+", re.IGNORECASE)),
    ("liketoknow.it", re.compile(r"\b(?:liketk\.it|liketoknow\.it)/\S+", re.IGNORECASE)),
    ("skimlinks", re.compile(r"\bgo\.skimresources\.com/\S+", re.IGNORECASE)),
    ("howl.me", re.compile(r"\bhowl\.me/\S+", re.IGNORECASE)),
)
_AFFILIATE_WORDS = re.compile(
    r"\b(affiliate links?|affiliate program|commission(?:s)? (?:on|from) (?:any|qualifying)|"
    r"as an amazon associate|i (?:may )?earn a (?:small )?commission)\b",
    re.IGNORECASE,
)
_SHORTENERS = re.compile(r"\b(?:bit\.ly|tinyurl\.com|goo\.gl)/\S+", re.IGNORECASE)
# A code is a word of letters or digits that is not a plain English word in the sentence's flow:
# "use code at checkout" must not read as the code "AT".
_NOT_CODES = frozenset({"AT", "THE", "FOR", "AND", "BELOW", "HERE", "THIS", "LINK", "IN", "ON", "TO", "WHEN"})


def sponsorship_signals(text: str) -> list[str]:
    """Human-readable labels for the sponsorship and affiliate signals in ``text``, deduplicated.

    Examples: ``"#ad"``, ``"sponsored by NordVPN"``, ``"paid promotion"``, ``"discount code KATIE15
    (15% off)"``, ``"affiliate link (amzn.to)"``. Short links such as bit.ly are only reported when
    the text also speaks of affiliates or codes, since they are as often plain links.
    """
    if not text:
        return []
    text = unicodedata.normalize("NFKC", text)
    labels: list[str] = []

    def add(label: str) -> None:
        if label.lower() not in {existing.lower() for existing in labels}:
            labels.append(label)

    for match in _HASHTAG.finditer(text):
        add(f"#{match.group(1).lower()}")
    for pattern in (_SPONSORED_BY, _THANKS_SPONSOR):
        for match in pattern.finditer(text):
            add(f"sponsored by {match.group(1).strip(' .,!:;')}")
    for match in _PAID.finditer(text):
        phrase = match.group(1).lower()
        if phrase.startswith(("this video", "sponsored")):
            phrase = "sponsored video"
        elif phrase.startswith(("product", "gifted", "pr sample")):
            phrase = "gifted product"
        elif phrase.startswith("includes"):
            phrase = "paid promotion"
        add(phrase)
    percent = _PERCENT_OFF.search(text)
    codes: list[str] = []
    for pattern in (_CODE, _CODE_LABELLED):
        for match in pattern.finditer(text):
            code = match.group(1)
            if code.upper() in _NOT_CODES or not (code.isupper() or any(ch.isdigit() for ch in code)):
                continue
            if code not in codes:
                codes.append(code)
    for code in codes:
        add(f"discount code {code}" + (f" ({percent.group(1)}% off)" if percent else ""))
    if percent and not codes:
        add(f"discount ({percent.group(1)}% off)")
    affiliate_context = bool(_AFFILIATE_WORDS.search(text)) or bool(codes)
    for host, pattern in _AFFILIATE_HOSTS:
        if pattern.search(text):
            add(f"affiliate link ({host})")
    if _AFFILIATE_WORDS.search(text):
        add("affiliate links")
    if affiliate_context:
        for match in _SHORTENERS.finditer(text):
            add(f"short link ({match.group(0).split('/')[0].lower()})")
            break
    return labels


# --- language ---------------------------------------------------------------------------------

# Script ranges decide the languages that own a script outright; stopwords decide among the
# Latin-script languages we can tell apart reliably from a short text.
_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("kana", re.compile(r"[\u3040-\u30ff]")),
    ("hangul", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("han", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")),
    ("cyrillic", re.compile(r"[\u0400-\u04ff]")),
    ("arabic", re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
    ("hebrew", re.compile(r"[\u0590-\u05ff]")),
    ("greek", re.compile(r"[\u0370-\u03ff]")),
    ("thai", re.compile(r"[\u0e00-\u0e7f]")),
    ("devanagari", re.compile(r"[\u0900-\u097f]")),
    ("tamil", re.compile(r"[\u0b80-\u0bff]")),
    ("telugu", re.compile(r"[\u0c00-\u0c7f]")),
    ("bengali", re.compile(r"[\u0980-\u09ff]")),
    ("latin", re.compile(r"[A-Za-z\u00c0-\u024f]")),
)
_SCRIPT_LANGUAGE = {
    "kana": "ja",
    "hangul": "ko",
    "han": "zh",
    "arabic": "ar",
    "hebrew": "he",
    "greek": "el",
    "thai": "th",
    "devanagari": "hi",
    "tamil": "ta",
    "telugu": "te",
    "bengali": "bn",
}
_UKRAINIAN_LETTERS = re.compile(r"[іїєґ]", re.IGNORECASE)
STOPWORDS_BY_LANGUAGE: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and is are was of to in that this it for with you my on be have not but what "
        "how your we they at from all just so will can do about if out".split()
    ),
    "fr": frozenset(
        "le la les des est et un une du dans que qui pour pas sur avec ce cette mais vous "
        "nous je il elle au aux son ses sont mon ma mes plus tout très".split()
    ),
    "de": frozenset(
        "der die das und ist nicht ein eine mit ich du wir sie auf für von den dem zu im "
        "auch es sich sind wie mein dieses dieser aber oder wenn noch".split()
    ),
    "es": frozenset(
        "el la los las es y un una que de en por para con no lo su se del al como pero "
        "muy más este esta mi tu yo hoy también son".split()
    ),
    "pt": frozenset(
        "o a os as é e um uma que de em por para com não do da dos das no na se ao como "
        "mais mas você eu meu minha muito também são".split()
    ),
    "it": frozenset(
        "il lo la gli le è e un una che di in per con non del della dei si come ma più "
        "questo questa mio io sono anche molto nel alla".split()
    ),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text``'s main language, or "" when the evidence is too thin to say."""
    if not text:
        return ""
    text = _URL_FOR_LANGUAGE.sub(" ", unicodedata.normalize("NFKC", text))
    counts = {name: len(pattern.findall(text)) for name, pattern in _SCRIPTS}
    letters = sum(counts.values())
    if letters < 8:
        return ""
    # Japanese mixes kana with Han characters; any real share of kana means Japanese, not Chinese.
    if counts["kana"] >= max(3, 0.05 * letters):
        return "ja"
    non_latin = {k: v for k, v in counts.items() if k != "latin"}
    script, count = max(non_latin.items(), key=lambda item: item[1])
    if count >= 0.3 * letters:
        if script == "cyrillic":
            return "uk" if len(_UKRAINIAN_LETTERS.findall(text)) >= 3 else "ru"
        return _SCRIPT_LANGUAGE[script]
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 4:
        return ""
    scores = {lang: sum(1 for w in words if w in stops) for lang, stops in STOPWORDS_BY_LANGUAGE.items()}
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, best_hits), (_, second_hits) = ranked[0], ranked[1]
    # Demand a clear winner: enough hits overall and ahead of the runner-up (es/pt/it share many).
    if best_hits >= 2 and best_hits >= 0.08 * len(words) * 0.5 and best_hits > 1.3 * second_hits:
        return best
    return ""


_URL_FOR_LANGUAGE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|#\w+", re.IGNORECASE)
