"""Encryption at rest for secrets such as Shopify tokens (Fernet: AES-128-CBC + HMAC-SHA256), and the one
constant-time comparison for signatures and tokens that a client sends."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionError(Exception):
    pass


def _fernet(keys: Sequence[str]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(plaintext: str, *, keys: Sequence[str]) -> str:
    """Encrypt with the first key; `keys` after it only decrypt (key rotation)."""
    return _fernet(keys).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str, *, keys: Sequence[str]) -> str:
    try:
        return _fernet(keys).decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("Could not decrypt: no configured key matches (FIELD_ENCRYPTION_KEYS).") from exc


def constant_time_equals(given: str | bytes | None, expected: str | bytes) -> bool:
    """Whether two signatures, tokens or states are equal, in time that does not depend on where they differ.

    hmac.compare_digest refuses a str holding anything but ASCII (TypeError), and a header or query value
    is whatever the client sent: "é" in a signature header must be a mismatch, not a server error. Both
    sides are compared as UTF-8 bytes ("surrogatepass": even a lone surrogate encodes, and still differs).
    """
    if given is None:
        return False
    left = given.encode("utf-8", "surrogatepass") if isinstance(given, str) else given
    right = expected.encode("utf-8", "surrogatepass") if isinstance(expected, str) else expected
    return hmac.compare_digest(left, right)
