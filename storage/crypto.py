"""Encryption at rest: column types that encrypt on write and decrypt on read.

Keys are Fernet keys (AES-128-CBC with HMAC-SHA256). The operator's keys (ENCRYPTION_KEY):
the first encrypts; every key decrypts, so a new key can be put first and old rows still
read (`MultiFernet`).

Envelope encryption: each person's data is encrypted under a data key of their own, stored
wrapped by the operator's key (`storage/keys.py`). Such a value is `d<key id>:<token>`; a
value under the operator's key is a bare token. Destroying a data key (erasure) leaves every
value made with it unreadable, wherever a copy of it lies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import BigInteger, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class EncryptionKeyError(RuntimeError):
    """The encryption keys are missing or cannot read stored data."""


class DataKeyMissing(RuntimeError):
    """A value was made with a data key this process has not loaded yet (another process
    made it): load the keys again and run the unit of work again."""

    def __init__(self, key_id: int) -> None:
        super().__init__(f"data key {key_id} is not loaded in this process")
        self.key_id = key_id


class Destroyed(Exception):
    """The data key a value was made with is destroyed (its owner was erased)."""


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
    """True when the primary key alone cannot read `token` (it was made under an older key).
    A value under a data key never is: rotating rewraps the data key instead."""
    if split(token)[0] is not None:
        return False
    try:
        _primary_key().decrypt(token.encode("ascii"))
    except InvalidToken:
        return True
    return False


def rotate(token: str) -> str:
    """`token` re-encrypted under the primary key."""
    return _ring().rotate(token.encode("ascii")).decode("ascii")


DATA_PREFIX = "d"
"""A value under a data key reads `d<key id>:<Fernet token>`; a Fernet token itself always
starts with "gAAAAA" (its version byte), so the two never mix."""


class DataKeys:
    """The data keys of one database, unwrapped, as this process knows them, and the ids of
    the keys destroyed (an erased person's: storage/keys.py records each one)."""

    def __init__(self) -> None:
        self.keys: dict[int, Fernet] = {}
        self.gone: set[int] = set()
        self.loaded = False
        self.id_key: bytes | None = None
        """The key of the hash Telegram ids (and outbox keys) are looked up by (see
        hash_id): made once, stored wrapped by the operator's key; rotate-key rewraps it
        but never changes it, or no one could be found again."""
        self.stale = False
        """A value needed a key this process has not loaded: load them at the next chance
        (even when whoever met it went on without it)."""

    def fill(self, rows: Iterable[tuple[int, str]], destroyed: Iterable[int] = ()) -> None:
        """Every key in the database now, as (id, key) pairs (the key unwrapped), and the
        ids destroyed. Keys this process made in transactions still open are kept."""
        self.gone |= {int(key_id) for key_id in destroyed}
        for key_id, key in rows:
            if int(key_id) not in self.keys:
                self.keys[int(key_id)] = Fernet(key)
        for key_id in self.gone:
            self.keys.pop(key_id, None)
        self.loaded = True
        self.stale = False

    def add(self, key_id: int, key: str) -> None:
        self.keys[key_id] = Fernet(key)

    def discard(self, key_ids: Iterable[int]) -> None:
        """Keys whose making was rolled back (SQLite may give their ids again)."""
        for key_id in key_ids:
            self.keys.pop(key_id, None)

    def destroyed(self, key_ids: Iterable[int]) -> None:
        for key_id in key_ids:
            self.keys.pop(key_id, None)
            self.gone.add(key_id)

    def fernet(self, key_id: int) -> Fernet:
        found = self.keys.get(key_id)
        if found is not None:
            return found
        if key_id in self.gone:
            raise Destroyed
        self.stale = True
        raise DataKeyMissing(key_id)


_by_dialect: weakref.WeakKeyDictionary[Dialect, DataKeys] = weakref.WeakKeyDictionary()


def register(dialect: Dialect, keys: DataKeys) -> None:
    """Values read or written through this dialect (one engine's) use these data keys."""
    _by_dialect[dialect] = keys


def data_keys_of(dialect: Dialect) -> DataKeys | None:
    return _by_dialect.get(dialect)


def split(token: str) -> tuple[int | None, str]:
    """(data key id, Fernet token) of a stored value; None: the operator's key made it."""
    if token.startswith(DATA_PREFIX):
        head, _, rest = token.partition(":")
        if head[1:].isdigit() and rest:
            return int(head[1:]), rest
    return None, token


def seal(plain: bytes, key_id: int | None, dialect: Dialect) -> str:
    """A stored value for `plain`: under data key `key_id`, or the operator's key (None)."""
    if key_id is None:
        return encrypt(plain)
    keys = data_keys_of(dialect)
    if keys is None:
        raise EncryptionKeyError("no data keys are set up for this database")
    fernet = keys.fernet(key_id)  # a key is loaded before anything is written with it
    return f"{DATA_PREFIX}{key_id}:{fernet.encrypt(plain).decode('ascii')}"


def unseal(token: str, dialect: Dialect) -> bytes:
    """The plain bytes of a stored value (Destroyed: its data key is gone)."""
    key_id, rest = split(token)
    if key_id is None:
        return decrypt(token)
    keys = data_keys_of(dialect)
    if keys is None:
        raise EncryptionKeyError("no data keys are set up for this database")
    try:
        return keys.fernet(key_id).decrypt(rest.encode("ascii"))
    except InvalidToken as error:
        raise EncryptionKeyError(
            f"stored data cannot be decrypted with its data key ({key_id})"
        ) from error


def owner_key(value: object) -> int | None:
    """The data key a value to be written was marked with (storage/keys.py), if any."""
    key = getattr(value, "data_key", None)
    return key if isinstance(key, int) else None


ID_SPACE = 1 << 62
"""Hashed ids lie in [2**62, 2**63): Telegram's own ids (users, chats, channels) are far
smaller in magnitude (at most 52 significant bits), so a hash is never taken for an id,
and hashing one again leaves it as it is (a row read back and written again)."""


def _hmac(keys: DataKeys | None, what: bytes) -> bytes:
    if keys is None or keys.id_key is None:
        raise EncryptionKeyError("the id hash key is not loaded for this database")
    return hmac.new(keys.id_key, what, hashlib.sha256).digest()


def hash_id(value: int, keys: DataKeys | None) -> int:
    """The keyed hash a Telegram id is stored and looked up as (an id already hashed is
    returned as it is)."""
    if value >= ID_SPACE:
        return value
    digest = _hmac(keys, b"id:%d" % value)
    return ID_SPACE + int.from_bytes(digest[:8], "big") % ID_SPACE


HASHED_KEY = "h:"
"""How an outbox key that is hashed begins (older ones, plain, are hashed at start-up)."""

KEY_PARTS = 3
"""How many parts of an outbox key (`kind:id:...`) after its kind a prefix may name."""


def _digest(keys: DataKeys | None, what: str) -> str:
    return base64.urlsafe_b64encode(_hmac(keys, b"key:" + what.encode())[:9]).decode()


def hash_key(key: str, keys: DataKeys | None, *, prefix: bool = False) -> str:
    """An outbox key (`kind:id:...`) hashed so it names neither the kind nor a chat, and
    every key has the same shape, yet a `prefix` of up to KEY_PARTS parts after the kind
    (`breathing:entry:`, its ":" included) hashes to a prefix of every key it begins.
    Field i is the hash of the key's first i + 1 parts, with the ":" that follows when
    more follow (the kind is never hashed alone); the last field, of the whole key. A key
    with fewer parts has its missing fields made from the whole key."""
    body = key.removesuffix(":") if prefix else key
    parts = body.split(":")
    if prefix and len(parts) > KEY_PARTS + 1:
        raise ValueError("an outbox key prefix names at most KEY_PARTS parts after its kind")
    fields = []
    for size in range(2, KEY_PARTS + 2):
        if size <= len(parts):
            more = ":" if prefix or size < len(parts) else ""
            fields.append(_digest(keys, ":".join(parts[:size]) + more))
        elif prefix:
            break
        else:
            fields.append(_digest(keys, f"{size}/{body}"))
    if prefix:
        return HASHED_KEY + ":".join(fields) + ":"
    return HASHED_KEY + ":".join([*fields, _digest(keys, "=" + body)])


class HashedId(TypeDecorator[int]):
    """A Telegram id kept only as its keyed hash: found by equality, never read back."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> int | None:
        return None if value is None else hash_id(int(value), data_keys_of(dialect))


def sealed(value: object) -> bool:
    """True when a stored value is a token (under a data key or the operator's), not text
    written before its column was encrypted."""
    if not isinstance(value, str):
        return False
    return split(value)[1].startswith("gAAAA")


class OwnedInt(int):
    """A number (or a yes/no) to be written under its owner's data key."""

    data_key: int | None = None


class OwnedStr(str):
    """Text to be written under its owner's data key."""

    data_key: int | None = None


class OwnedBytes(bytes):
    """Bytes to be written under their owner's data key."""

    data_key: int | None = None


class OwnedDict(dict[str, Any]):
    """A JSON object to be written under its owner's data key (a Core insert's value)."""

    data_key: int | None = None


def owned(value: Any, key_id: int | None) -> Any:
    """`value` (text, bytes or a number; a bool becomes 1 or 0) marked to be written under
    data key `key_id` (None: the operator's key)."""
    kind = (
        OwnedStr if isinstance(value, str) else OwnedBytes if isinstance(value, bytes) else OwnedInt
    )
    marked = kind(value)
    marked.data_key = key_id
    return marked


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return seal(value.encode("utf-8"), owner_key(value), dialect)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return unseal(value, dialect).decode("utf-8")
        except Destroyed:
            return ""


class EncryptedBytes(TypeDecorator[bytes]):
    """Binary data (a photo) encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else seal(value, owner_key(value), dialect)

    def process_result_value(self, value: str | None, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        try:
            return unseal(value, dialect)
        except Destroyed:
            return b""


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document encrypted at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        return seal(plain, owner_key(value), dialect)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        try:
            return json.loads(unseal(value, dialect))
        except Destroyed:
            return {}


class EncryptedInt(TypeDecorator[int]):
    """A number encrypted at rest (a chat id); 0 once its owner's key is destroyed."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return seal(b"%d" % int(value), owner_key(value), dialect)

    def process_result_value(self, value: str | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        try:
            return int(unseal(value, dialect))
        except Destroyed:
            return 0


class EncryptedBool(TypeDecorator[bool]):
    """A yes/no encrypted at rest (whether a risk flag was imminent)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: bool | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return seal(b"1" if value else b"0", owner_key(value), dialect)

    def process_result_value(self, value: str | None, dialect: Dialect) -> bool | None:
        if value is None:
            return None
        try:
            return unseal(value, dialect) == b"1"
        except Destroyed:
            return False


ENCRYPTED = (EncryptedText, EncryptedBytes, EncryptedJSON, EncryptedInt, EncryptedBool)
"""The encrypted column types."""
