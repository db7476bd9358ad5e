"""Inline comments in .env files, as people (and the worker guide) write them."""

from __future__ import annotations

import pytest

from maatchaa.lib.dotenv import strip_inline_comment, without_inline_comments


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("360     # Every 6 hours", "360"),
        ("5       # Testing: 5 min | Production: 360 (6 hours)", "5"),
        ("10", "10"),
        ("pass#word", "pass#word"),  # no blank before the #: part of the value
        ("'x y' # quoted", "'x y'"),
        ('"a # b"   # the first # is inside quotes', '"a # b"'),
        ('"say \\"hi\\" # there" # comment', '"say \\"hi\\" # there"'),
        ("", ""),
        ("   ", ""),
        ("# only a comment", "# only a comment"),  # a value that starts with # is kept, as dotenv does
    ],
)
def test_a_comment_starts_at_a_hash_after_a_blank_outside_quotes(written: str, value: str) -> None:
    assert strip_inline_comment(written) == value


def test_comment_lines_and_blank_lines_are_left_for_the_reader() -> None:
    text = "# Background Worker Configuration\nWORKER_CYCLE_INTERVAL_MINUTES=5       # Testing\n\nexport A=1 # x"
    assert (
        without_inline_comments(text)
        == "# Background Worker Configuration\nWORKER_CYCLE_INTERVAL_MINUTES=5\n\nexport A=1"
    )
