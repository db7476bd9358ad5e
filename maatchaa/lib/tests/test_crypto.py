from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from maatchaa.lib.crypto import constant_time_equals

SIGNATURE = base64.b64encode(hmac.new(b"secret", b"body", hashlib.sha256).digest()).decode()


def test_equal_signatures_match_as_str_or_bytes() -> None:
    assert constant_time_equals(SIGNATURE, SIGNATURE)
    assert constant_time_equals(SIGNATURE.encode(), SIGNATURE)
    assert constant_time_equals("état", "état")


@pytest.mark.parametrize(
    "given",
    [
        "",
        None,
        SIGNATURE[:-1],
        SIGNATURE + "=",
        "é" * 44,  # hmac.compare_digest raises TypeError on non-ASCII str
        "\N{SNOWMAN}" + SIGNATURE[1:],
        "\ud800" + SIGNATURE[1:],  # a lone surrogate: not even valid UTF-8
        "\x00" * 44,
        SIGNATURE.encode("utf-16"),
    ],
)
def test_anything_a_client_sends_that_differs_is_a_mismatch_never_an_error(given: str | bytes | None) -> None:
    assert constant_time_equals(given, SIGNATURE) is False
