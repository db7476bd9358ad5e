"""Encryption at rest for secrets such as Shopify tokens (Fernet: AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

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
