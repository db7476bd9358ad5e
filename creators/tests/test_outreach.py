"""Outreach templates: what a template may say, how it is filled, and the mailto: link (no database)."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from creators import outreach
from maatchaa.api import ApplicationError

VALUES = {name: f"<{name}>" for name in outreach.PLACEHOLDERS}


def test_the_default_template_uses_only_known_placeholders() -> None:
    outreach.check_template(outreach.DEFAULT_SUBJECT, field="subject")
    outreach.check_template(outreach.DEFAULT_BODY, field="body")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hi {name}", "Unknown placeholder {name} in the body: use {creator_name}, {creator_handle}"),
        ("Hi {}", "Unknown placeholder {} in the body"),
        ("Hi {0}", "Unknown placeholder {0} in the body"),
        ("Hi {creator_name.__class__}", "Unknown placeholder {creator_name.__class__} in the body"),
        ("Hi {creator_name[0]}", "Unknown placeholder {creator_name[0]} in the body"),
        ("Hi {creator_name!r}", "The placeholder {creator_name} in the body takes no format"),
        ("Hi {creator_name:>30}", "The placeholder {creator_name} in the body takes no format"),
        ("Hi {creator_name", "The body has a { or } that opens or closes no placeholder"),
        ("Hi creator_name}", "The body has a { or } that opens or closes no placeholder"),
    ],
)
def test_a_template_that_could_not_be_filled_is_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        outreach.check_template(text, field="body")
    assert refused.value.status == 400 and refused.value.message.startswith(message)
    assert refused.value.details == {"body": [refused.value.message]}


def test_filling_replaces_each_placeholder_and_keeps_literal_braces() -> None:
    text = "Hi {creator_name}, {{not a placeholder}} about {product_title}"
    outreach.check_template(text, field="body")
    assert outreach.fill(text, VALUES) == "Hi <creator_name>, {not a placeholder} about <product_title>"


def test_a_value_is_inserted_as_it_is_never_read_as_a_template() -> None:
    assert outreach.fill("{creator_name}", {"creator_name": "{brand_name} {0}"}) == "{brand_name} {0}"


def test_the_mailto_link_carries_the_addresses_subject_and_body() -> None:
    url = outreach.mailto_url(to=["a@b.test", "c+d@e.test"], subject="Hi & welcome", body="Line 1\nLine 2 = ok?")
    parts = urlsplit(url)
    assert parts.scheme == "mailto" and unquote(parts.path) == "a@b.test,c+d@e.test"
    query = parse_qs(parts.query)
    assert query == {"subject": ["Hi & welcome"], "body": ["Line 1\nLine 2 = ok?"]}
    assert " " not in url and "\n" not in url


@pytest.mark.parametrize(
    ("terms", "video", "text"),
    [
        (
            ["matcha", "chasen", "whisk", "bowl"],
            "How to whisk",
            "your videos about matcha, chasen and whisk, like “How to whisk”",
        ),
        (["matcha"], "", "your videos about matcha"),
        ([], "", "your videos"),
    ],
)
def test_why_says_what_the_creators_videos_share_with_the_product(terms: list[str], video: str, text: str) -> None:
    assert outreach.why_text(terms=terms, best_video=video) == text
