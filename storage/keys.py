"""Each person's data under a data key of their own (envelope encryption).

Just before a flush, every encrypted value about to be written is marked with the data key
of the person it belongs to (the owner rules below); the column types then encrypt it with
that key (storage/crypto.py). A person gets a key the first time something of theirs is
written. Erasure deletes the key first (`shred`): their rows, the copies of old row
versions PostgreSQL keeps until a vacuum, and the write-ahead log can't be read after that.

Rows that are no single person's (a digest naming several clients, a button's payload of
the operator's) stay under the operator's key and are emptied on erasure.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import delete, event, insert, inspect, select
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from storage import crypto
from storage.db import dialect_insert
from storage.models import (
    Assignment,
    ButtonToken,
    ClientNote,
    Code,
    DataKey,
    DestroyedKey,
    Entry,
    Flag,
    Link,
    OutboxMessage,
    Secret,
    StoredFile,
    TrackedDict,
    User,
)

NEW_KEYS = "homework_new_data_keys"
DESTROYED_KEYS = "homework_destroyed_data_keys"


def _client_of_link(session: Session, link_id: int | None) -> int | None:
    if link_id is None:
        return None
    link = session.get(Link, link_id)
    return None if link is None else link.client_id


def outbox_owner(session: Session, user_id: int | None, payload: dict[str, Any]) -> int | None:
    """A message about one client (an alert, a photo shared, a notice) is theirs; a message
    to a client (a reply, a reminder) is theirs too; a digest of several is nobody's."""
    about = payload.get("about")
    if isinstance(about, int):
        return about
    if user_id is None:
        return None
    recipient = session.get(User, user_id)
    if recipient is None or recipient.role != "client":
        return None
    return recipient.id


def _outbox_owner(session: Session, message: OutboxMessage) -> int | None:
    return outbox_owner(session, message.user_id, message.payload or {})


OWNERS: dict[type[Any], Callable[[Session, Any], int | None]] = {
    User: lambda _s, user: None,  # themselves: see _key_for
    Code: lambda _s, code: code.therapist_id,
    Link: lambda _s, link: link.client_id,
    Assignment: lambda s, assignment: _client_of_link(s, assignment.link_id),
    Entry: lambda _s, entry: entry.client_id,
    StoredFile: lambda _s, stored: stored.client_id,
    ClientNote: lambda _s, note: note.client_id,
    Flag: lambda _s, flag: flag.client_id,
    OutboxMessage: _outbox_owner,
    # A button's payload is the one person's who may press it (a check-in's words, say).
    ButtonToken: lambda _s, token: token.user_id,
}
"""Whose data each table's encrypted columns hold (a user id), by the row."""

UNDER_OPERATOR_KEY = {(User, "chat_id")}
"""Encrypted columns kept under the operator's key although their row is someone's: a
person's chat id must outlive their data key, so the bot can tell them, once everything
is erased, that it is (their row, deleted then, is rewritten on PostgreSQL)."""


def _encrypted_attributes(model: type[Any]) -> list[str]:
    mapper = inspect(model)
    return [
        attribute.key
        for attribute in mapper.column_attrs
        if isinstance(attribute.columns[0].type, crypto.ENCRYPTED)
    ]


ENCRYPTED: dict[type[Any], list[str]] = {model: _encrypted_attributes(model) for model in OWNERS}


def _data_keys(session: Session) -> crypto.DataKeys | None:
    return crypto.data_keys_of(session.get_bind().dialect)


def _new_key(session: Session, keys: crypto.DataKeys) -> int:
    """Make a data key (stored wrapped by the operator's key) and load it here."""
    key = Fernet.generate_key().decode("ascii")
    statement = insert(DataKey).values(key=key, created_at=datetime.now(UTC))
    key_id = int(session.execute(statement.returning(DataKey.id)).scalar_one())
    keys.add(key_id, key)
    _record(session, NEW_KEYS, key_id)
    return key_id


def _record(session: Session, what: str, key_id: int) -> None:
    """Remember a key made or destroyed, with the transaction (or savepoint) it was in."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(what, []).append((transaction, key_id))


def _key_for(session: Session, owner: User | None, keys: crypto.DataKeys) -> int | None:
    if owner is None or owner.erasing_at is not None:
        return None  # being erased: nothing new of theirs is kept under a key of theirs
    if owner.data_key_id is None and owner.id is not None:
        # Someone stored before data keys existed: two transactions may write their first
        # value at once. Their row is locked and read again, so both use one key (on
        # SQLite one writer at a time already).
        locked = select(User.data_key_id).where(User.id == owner.id).with_for_update()
        current = session.execute(locked).scalar_one_or_none()
        if current is not None:
            owner.data_key_id = current
    if owner.data_key_id is None:
        owner.data_key_id = _new_key(session, keys)
    return owner.data_key_id


def _mark(obj: Any, name: str, key_id: int | None) -> None:
    value = getattr(obj, name)
    if value is None:
        return
    if isinstance(value, TrackedDict):
        value.data_key = key_id
    elif isinstance(value, str | bytes | int) and crypto.owner_key(value) != key_id:
        setattr(obj, name, crypto.owned(value, key_id))


def owner_of(session: Session, obj: Any) -> User | None:
    """The person a row's encrypted values belong to, if one (by the rules of OWNERS)."""
    if isinstance(obj, User):
        return obj
    rule = OWNERS.get(type(obj))
    owner_id = None if rule is None else rule(session, obj)
    return None if owner_id is None else session.get(User, owner_id)


def _written(obj: Any, name: str, new: bool) -> bool:
    if new:
        return True
    return bool(inspect(obj).attrs[name].history.has_changes())


@event.listens_for(Session, "before_flush")
def _mark_owners(session: Session, _context: UOWTransaction, _instances: object) -> None:
    keys = _data_keys(session)
    if keys is None:
        return
    for obj, new in [(o, True) for o in session.new] + [(o, False) for o in session.dirty]:
        model = type(obj)
        if model not in OWNERS:
            continue
        names = [name for name in ENCRYPTED[model] if _written(obj, name, new)]
        if not names:
            continue
        key_id = _key_for(session, owner_of(session, obj), keys)
        for name in names:
            _mark(obj, name, None if (model, name) in UNDER_OPERATOR_KEY else key_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_new_keys(session: Session, previous: SessionTransaction) -> None:
    """A rollback undoes the keys made and destroyed in it: all of them for the whole
    transaction, those of the savepoint alone for a savepoint."""
    keys = _data_keys(session)
    for what in (NEW_KEYS, DESTROYED_KEYS):
        kept: list[tuple[SessionTransaction, int]] = []
        dropped: list[tuple[SessionTransaction, int]] = []
        for transaction, key_id in session.info.pop(what, []):
            inside = not previous.nested or _within(transaction, previous)
            (dropped if inside else kept).append((transaction, key_id))
        if kept:
            session.info[what] = kept
        if what == NEW_KEYS and keys is not None and dropped:
            keys.discard(key_id for _t, key_id in dropped)


def _within(transaction: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    """True when `transaction` is the savepoint or was opened inside it."""
    while transaction is not None:
        if transaction is savepoint:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _settle_keys(session: Session) -> None:
    session.info.pop(NEW_KEYS, None)
    destroyed = session.info.pop(DESTROYED_KEYS, [])
    keys = _data_keys(session)
    if keys is not None and destroyed:
        keys.destroyed(key_id for _t, key_id in destroyed)


async def owned_payload(
    session: Any, *, user_id: int | None, payload: dict[str, Any]
) -> dict[str, Any]:
    """`payload` of an outbox row written by a Core statement (an AsyncSession's), marked
    with the data key of the person it belongs to (see outbox_owner)."""

    def mark(sync: Session) -> dict[str, Any]:
        keys = _data_keys(sync)
        owner_id = outbox_owner(sync, user_id, payload)
        if keys is None or owner_id is None:
            return payload
        key_id = _key_for(sync, sync.get(User, owner_id), keys)
        if key_id is None:
            return payload
        marked = crypto.OwnedDict(payload)
        marked.data_key = key_id
        return marked

    result: dict[str, Any] = await session.run_sync(mark)
    return result


ID_KEY = "id_hash_key"
"""The Secret holding the key of the id hash (crypto.hash_id)."""


async def load(session: Any, keys: crypto.DataKeys) -> None:
    """Every data key in the database, unwrapped into `keys` (an AsyncSession), the ids
    of those destroyed, and the id hash key (if it was made)."""
    rows = (await session.execute(select(DataKey.id, DataKey.key))).all()
    gone = (await session.execute(select(DestroyedKey.id))).scalars().all()
    id_key = (await session.execute(select(Secret.value).where(Secret.name == ID_KEY))).scalar()
    keys.fill(((int(row[0]), str(row[1])) for row in rows), destroyed=[int(g) for g in gone])
    if id_key:
        keys.id_key = base64.urlsafe_b64decode(id_key)


async def put_secret(session: Any, name: str, value: str) -> None:
    """Store a Secret unless one of that name is there (two processes may race: one wins)."""
    statement = dialect_insert(session)(Secret).values(
        name=name, value=value, created_at=datetime.now(UTC)
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["name"]))


async def make_id_key(session: Any) -> None:
    """Make the id hash key, once for the database."""
    await put_secret(session, ID_KEY, base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())


async def shred(session: Any, user: User) -> int | None:
    """Delete `user`'s data key (an AsyncSession's transaction): once committed, nothing
    written with it can be read. The caller vacuums the key table after the commit."""
    key_id = user.data_key_id
    user.data_key_id = None
    if key_id is None:
        return None
    await session.execute(delete(DataKey).where(DataKey.id == key_id))
    session.add(DestroyedKey(id=key_id, destroyed_at=datetime.now(UTC)))
    _record(session.sync_session, DESTROYED_KEYS, key_id)
    return key_id
