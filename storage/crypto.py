"""Encryption at rest: column types that encrypt on write and decrypt on read.

Keys are Fernet keys (AES-128-CBC with HMAC-SHA256). The first key encrypts; every key
decrypts, so a new key can be put first and old rows still read (`MultiFernet`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class EncryptionKeyError(RuntimeError):
    """The encryption keys are missing or cannot read stored data."""


# The keys as configured (the first encrypts) and the ring built from them. The primary is
# kept here rather than read back out of MultiFernet, whose internals are not its API.
_keys: tuple[str, ...] = ()
_keyring: MultiFernet | None = None
_primary: Fernet | None = None


def parse_keys(value: str) -> list[str]:
    """Keys from a comma-separated setting; the first one encrypts."""
    keys = [part.strip() for part in value.split(",") if part.strip()]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as error:
            raise EncryptionKeyError(
                "ENCRYPTION_KEY must be one or more Fernet keys separated by commas "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from error
    if not keys:
        raise EncryptionKeyError("ENCRYPTION_KEY is empty")
    return keys


def can_read(token: str) -> bool:
    """True when the configured keys decrypt `token`."""
    try:
        decrypt(token)
    except EncryptionKeyError:
        return False
    return True


def load_or_create_key_file(path: Path) -> tuple[list[str], bool]:
    """The keys stored in `path`, creating it with a new key (readable by owner only) if absent."""
    if path.exists():
        return parse_keys(path.read_text(encoding="ascii")), False
    key = Fernet.generate_key().decode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return [key], True


def configure_keys(keys: Sequence[str]) -> None:
    """Install the keys the encrypted column types use in this process."""
    global _keys, _keyring, _primary
    fernets = [Fernet(key) for key in keys]
    if not fernets:
        raise EncryptionKeyError("ENCRYPTION_KEY is empty")
    _keys = tuple(keys)
    _keyring = MultiFernet(fernets)
    _primary = fernets[0]


def configured_keys() -> tuple[str, ...]:
    """The keys installed by `configure_keys`, the primary first."""
    return _keys


def _ring() -> MultiFernet:
    if _keyring is None:
        raise EncryptionKeyError("encryption keys are not configured")
    return _keyring


def _primary_key() -> Fernet:
    if _primary is None:
        raise EncryptionKeyError("encryption keys are not configured")
    return _primary


def encrypt(plain: bytes) -> str:
    """A token for `plain` under the primary key."""
    return _ring().encrypt(plain).decode("ascii")


def decrypt(token: str) -> bytes:
    """The plain bytes behind `token`, under any configured key."""
    try:
        return _ring().decrypt(token.encode("ascii"))
    except InvalidToken as error:
        raise EncryptionKeyError(
            "stored data cannot be decrypted with the configured ENCRYPTION_KEY"
        ) from error


def needs_rotation(token: str) -> bool:
    """True when the primary key alone cannot read `token` (it was made under an older key)."""
    try:
        _primary_key().decrypt(token.encode("ascii"))
    except InvalidToken:
        return True
    return False


def rotate(token: str) -> str:
    """`token` re-encrypted under the primary key."""
    return _ring().rotate(token.encode("ascii")).decode("ascii")


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value.encode("utf-8"))

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value).decode("utf-8")


class EncryptedBytes(TypeDecorator[bytes]):
    """Binary data (a photo) encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(decrypt(value))
