"""Outreach drafts: a company's template, its placeholders, and the email it fills for one creator.

Maatchaa sends nothing itself: a draft opens in the member's mail client (a mailto: link with the
creator's found address) or is copied to the clipboard. A template is checked when saved: an unknown
placeholder, a format spec or a stray brace is refused with a message naming it, so that filling a
saved template never fails. Values are plain text: the pages escape them like any other.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from urllib.parse import quote

from maatchaa.api import ApplicationError

PLACEHOLDERS: dict[str, str] = {
    "creator_name": "the creator's channel name",
    "creator_handle": "the channel's @handle (or its name when it has none)",
    "creator_url": "the channel on YouTube",
    "product_title": "the product's title",
    "product_url": "the product in your online store",
    "why": "why the creator fits the product (shared terms and their best matching video)",
    "brand_name": "your company's name",
    "sender_name": "your name (your email address if your account has no name)",
    "sender_email": "your email address",
}

DEFAULT_SUBJECT = "{brand_name} x {creator_name}: {product_title}"
DEFAULT_BODY = """Hi {creator_name},

I'm {sender_name} from {brand_name}. We have been watching your channel: {why}.

We think our {product_title} would suit your audience: {product_url}

Would you be open to working together? I would be happy to send you one to try.

Best,
{sender_name}
{brand_name}
"""
SUBJECT_MAX_CHARS = 300
BODY_MAX_CHARS = 10_000
_FORMATTER = string.Formatter()


def _placeholder_list() -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def check_template(text: str, *, field: str) -> None:
    """Raises ApplicationError (400) naming the problem if `text` is not a template we can always fill."""
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError:
        message = f"The {field} has a {{ or }} that opens or closes no placeholder: write {{{{ or }}}} for a brace."
        raise ApplicationError(message, details={field: [message]}) from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            shown = "{" + name + "}" if name else "{}"
            message = f"Unknown placeholder {shown} in the {field}: use {_placeholder_list()}."
            raise ApplicationError(message, details={field: [message]})
        if spec or conversion:
            message = f"The placeholder {{{name}}} in the {field} takes no format: write it as {{{name}}}."
            raise ApplicationError(message, details={field: [message]})


def fill(text: str, values: Mapping[str, str]) -> str:
    """The template with its placeholders replaced by `values` (every name of PLACEHOLDERS)."""
    filled = []
    for literal, name, _spec, _conversion in _FORMATTER.parse(text):
        filled.append(literal)
        if name is not None:
            filled.append(values.get(name, ""))
    return "".join(filled)


def mailto_url(*, to: list[str], subject: str, body: str) -> str:
    """A mailto: link (RFC 6068) opening the filled draft in the member's mail client."""
    addresses = ",".join(quote(address, safe="@") for address in to)
    return f"mailto:{addresses}?subject={quote(subject, safe='')}&body={quote(body, safe='')}"


def why_text(*, terms: list[str], best_video: str) -> str:
    """ "your videos about matcha, chasen and whisk, like “How to whisk matcha”" """
    shown = [term for term in terms if term][:3]
    about = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else (shown[0] if shown else "")
    text = f"your videos about {about}" if about else "your videos"
    if best_video:
        text += f", like “{best_video}”"
    return text
