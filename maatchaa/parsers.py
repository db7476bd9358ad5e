"""Strict JSON for every body a client sends: the API's (DRF's DEFAULT_PARSER_CLASSES) and Shopify's webhooks.

Python's json module recurses once per level of nesting, so a body of 100,000 "[" ends in a RecursionError (a
500) before any validation runs; it also accepts NaN and Infinity, which no serializer, Decimal or database
column wants. orjson parses in Rust with a depth limit of its own and refuses non-finite numbers; on top of it,
a value nested deeper than MAX_JSON_DEPTH (nothing we accept comes close) and text holding U+0000 (which
PostgreSQL cannot store in text or jsonb) are refused too. Every refusal is a ValueError whose message says
what is wrong, so the caller answers 400 with it.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

# Shopify's product payloads are 4 levels deep, the API's bodies 1; 32 leaves room and keeps every walk
# over a parsed value (serializers, the JSON encoder on the way to jsonb) far from Python's recursion limit.
MAX_JSON_DEPTH = 32


def parse_json(data: bytes | str) -> Any:
    """The JSON value in `data` (UTF-8 when bytes); ValueError with a message on anything we refuse."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
        raise ValueError(f"not valid JSON: {exc}") from None
    _check(value)
    return value


def _check(value: Any) -> None:
    # Iterative on purpose: a recursive walk is what this module exists to avoid.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("the JSON holds a U+0000 (NUL) character, which cannot be stored")
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


class StrictJSONParser(BaseParser):
    """DRF's JSONParser, parsing with parse_json: a refused body is a ParseError (400, the one error shape)."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = str((parser_context or {}).get("encoding") or "utf-8")
        raw = stream.read() if stream is not None else b""
        try:
            if codecs.lookup(encoding).name != "utf-8":
                raw = raw.decode(encoding)
            return parse_json(raw)
        except LookupError:
            raise ParseError(f"JSON parse error - unknown charset {encoding[:40]!r}.") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
