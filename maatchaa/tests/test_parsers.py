"""The strict JSON parser that every client body goes through (DRF's parser and Shopify's webhooks)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rest_framework.exceptions import ParseError

from maatchaa.parsers import MAX_JSON_DEPTH, StrictJSONParser, parse_json


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_ordinary_json_parses_as_python_values() -> None:
    assert parse_json(b'{"status": "shortlisted", "n": [1, 2.5, null, true], "name": "J\\u00e9r\\u00f4me"}') == {
        "status": "shortlisted",
        "n": [1, 2.5, None, True],
        "name": "Jérôme",
    }
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_025, 100_000])
def test_json_nested_deeper_than_the_limit_is_refused_without_recursing(depth: int) -> None:
    with pytest.raises(ValueError, match="nested more than"):
        parse_json(nested(depth))
    with pytest.raises(ValueError, match="nested more than"):
        parse_json(b'{"a": ' * depth + b"1" + b"}" * depth)


@pytest.mark.parametrize(
    "body",
    [b"NaN", b"Infinity", b"-Infinity", b"[1e400]", b'{"a": -1e999}', b"", b"{", b'{"a": 1,}', b"\xff\xfe"],
    ids=repr,
)
def test_what_is_not_strict_json_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_json(body)


@pytest.mark.parametrize("body", [b'"a\\u0000b"', b'{"a\\u0000": 1}', b'[["x\\u0000"]]', b'"\\ud800"'], ids=repr)
def test_text_postgresql_cannot_store_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        parse_json(body)


def parse(body: bytes, **context: Any) -> Any:
    return StrictJSONParser().parse(io.BytesIO(body), "application/json", context)


def test_the_drf_parser_answers_a_parse_error_that_says_what_is_wrong() -> None:
    assert parse(b'{"status": "dismissed"}') == {"status": "dismissed"}
    assert parse('{"title": "Thé"}'.encode("latin-1"), encoding="latin-1") == {"title": "Thé"}
    with pytest.raises(ParseError, match="nested more than"):
        parse(nested(50_000))
    with pytest.raises(ParseError, match="unknown charset"):
        parse(b"{}", encoding="no-such-charset")
    with pytest.raises(ParseError, match="JSON parse error"):
        parse(b"\xff", encoding="utf-8")
