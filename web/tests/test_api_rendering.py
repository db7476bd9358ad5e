"""The list endpoints' JSON renderer (orjson) writes what DRF's own JSONRenderer writes."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from web.api import FastJSONRenderer

MOMENT = datetime(2026, 11, 3, 9, 30, 15, 123456, tzinfo=UTC)


def test_it_writes_exactly_drfs_json_for_the_records_we_serve() -> None:
    data = {
        "count": 2,
        "next": None,
        "results": [
            {
                "as_of": MOMENT,
                "whole_second": MOMENT.replace(microsecond=0),
                "paris": MOMENT.astimezone(timezone(timedelta(hours=1))),
                "naive": MOMENT.replace(tzinfo=None),
                "day": MOMENT.date(),
                "score": 0.9123,
                "engagement": 0.06000000000000001,
                "views": 3_000_000_000,
                "hidden": False,
                "price": Decimal("24.50"),
                "id": uuid.UUID("2b6c9aa2-2d90-44ab-9aee-3f038ad8be73"),
                "title": 'Matcha — whisk ✓ \u2028 line\u2029 "quoted" \\ back',
                "lazy": gettext_lazy("Product not found."),
                "terms": ("matcha", "whisk"),
                "evidence": {"nested": [1, 2.5, None, {"deep": []}]},
            }
        ],
    }
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_tiny_floats_keep_their_value_though_spelled_without_an_exponent() -> None:
    data = {"engagement": 5e-05}
    fast, drf = FastJSONRenderer().render(data), JSONRenderer().render(data)
    assert (fast, drf) == (b'{"engagement":0.00005}', b'{"engagement":5e-05}')
    assert json.loads(fast) == json.loads(drf) == data


def test_what_orjson_cannot_write_goes_to_drfs_renderer() -> None:
    data = {"huge": 2**70, "indent": "no"}
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    indented = "application/json; indent=2"
    assert FastJSONRenderer().render(data, indented, {}) == JSONRenderer().render(data, indented, {})
