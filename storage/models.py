"""The tables. Sensitive text is encrypted by its column type; every time is UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from storage.crypto import (
    EncryptedBool,
    EncryptedBytes,
    EncryptedInt,
    EncryptedJSON,
    EncryptedText,
    HashedId,
)

DAMAGED = "__damaged__"
"""The key a stored value that is not a JSON object is read under (see TrackedDict)."""


class TrackedDict(MutableDict[str, Any]):
    """A dict that reports in-place changes; a stored value that is not a JSON object
    (damage) is read wrapped as {DAMAGED: value} rather than failing the whole load, so
    the code that reads it sets the row aside and nothing else stops."""

    data_key: int | None = None
    """The data key this value is written under (set just before a flush: storage/keys.py)."""

    @classmethod
    def coerce(cls, key: str, value: Any) -> Any:
        if value is not None and not isinstance(value, dict):
            value = {DAMAGED: value}
        return super().coerce(key, value)


EncryptedDict = TrackedDict.as_mutable(EncryptedJSON)
"""An encrypted JSON object whose in-place changes (`user.dialog["ask"] = ...`) are saved
too, not only a new object put in its place."""


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is needed")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


NEVER_REUSED = {"sqlite_autoincrement": True}
"""Ids that are never handed out twice. A queued message or a button may name a row by its
id after the row is gone; SQLite would otherwise give a new row the highest id freed (a
photo of one practice's client sent to another practice). PostgreSQL's sequences never
reuse one."""


class User(Base):
    """A therapist or a client who has consented. Nobody else is stored."""

    __tablename__ = "users"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(HashedId, unique=True)
    """Only its keyed hash is stored: a person is found by it, it is never read back."""
    chat_id: Mapped[int] = mapped_column(EncryptedInt)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(EncryptedText)
    username: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(8), default="en")
    digest_time: Mapped[str | None] = mapped_column(String(5), nullable=True)
    digest_weekday: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    """A weekly digest on this day (0 = Monday); None: daily."""
    erasing_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """The client asked for everything to be deleted (/delete); the tick erases it."""
    digest_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    digest_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Where the last scheduled digest ended, so the next one starts there: no gaps, no repeats."""
    dialog: Mapped[dict[str, Any] | None] = mapped_column(EncryptedDict, nullable=True)
    """A question the bot is waiting on outside homework (time zone, a wizard step)."""
    offered: Mapped[dict[str, Any] | None] = mapped_column(EncryptedDict, nullable=True)
    """The buttons last offered in this chat ({"at", "choices": rows of [label, data]}), so
    a person can type one instead of tapping it (encrypted: labels may name clients)."""
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    """Local "HH:MM" from which reminders wait (quiet hours), until `quiet_end`."""
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """A client who paused all reminders (/pause) until /resume."""
    data_key_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The data key their data is encrypted under (DataKey; no foreign key: erasure deletes
    the key first). None until something of theirs is first written, and after erasure."""


class DataKey(Base):
    """One person's data key (a Fernet key), wrapped by the operator's key. Deleting this
    row is what makes everything written with it unreadable (crypto-shredding)."""

    __tablename__ = "data_keys"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Secret(Base):
    """A key of the database's own, wrapped by the operator's key (the id hash key: see
    crypto.hash_id). rotate-key rewraps it; it never changes."""

    __tablename__ = "secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DestroyedKey(Base):
    """The id of a data key destroyed by an erasure (the key itself is gone): a value made
    with it reads as nothing, and is never mistaken for one under a key not yet loaded."""

    __tablename__ = "destroyed_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    destroyed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Code(Base):
    """A single-use registration or invite code; only its hash is kept."""

    __tablename__ = "codes"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    therapist_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    label: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pending_telegram_id: Mapped[int | None] = mapped_column(HashedId, nullable=True)
    """Who opened an invite and has not yet consented: all that is kept about them."""


class Link(Base):
    """A client's consented link to a therapist; only linked therapists see a client's data."""

    __tablename__ = "links"
    __table_args__ = (Index("ix_links_client_active", "client_id", "ended_at"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    label: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    columbia: Mapped[bool | None] = mapped_column(EncryptedBool, nullable=True)
    """The therapist turned on the Columbia screen after a risk message (empty: off)."""


class Assignment(Base):
    """Homework a therapist gave a client, on a schedule in the client's time zone."""

    __tablename__ = "assignments"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[str] = mapped_column(EncryptedText)
    params: Mapped[dict[str, Any]] = mapped_column(EncryptedDict)
    schedule: Mapped[str] = mapped_column(String(80))
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """The therapist paused this homework's reminders until they resume it."""


class Occurrence(Base):
    """One due time of an assignment; unique, so a reminder is made once."""

    __tablename__ = "occurrences"
    __table_args__ = (UniqueConstraint("assignment_id", "due_at"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="due", server_default="due")
    """due (reminded), skipped (the client chose to), missed (too late to remind after
    downtime), paused (by the client or the therapist) or unreachable (blocked the bot)."""


class Entry(Base):
    """One homework conversation, from its first question to its summary."""

    __tablename__ = "entries"
    __table_args__ = (Index("ix_entries_client_status", "client_id", "status"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL"), nullable=True, index=True
    )
    occurrence_id: Mapped[int | None] = mapped_column(
        ForeignKey("occurrences.id", ondelete="SET NULL"), nullable=True
    )
    template_id: Mapped[str] = mapped_column(EncryptedText)
    template_version: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(EncryptedDict)
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedDict)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    resume_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    """When a follow-up part is due (status waiting)."""
    scores: Mapped[dict[str, Any] | None] = mapped_column(EncryptedDict, nullable=True)
    """A measure's total and band, once saved."""
    asked_rev: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Counts the questions (and reviews) put to the client: the latest one's number."""
    shown_rev: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """The latest question known to have reached the client (its message was sent)."""
    shown_message: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The Telegram message that showed it: text written before it (a lower message id)
    was not written in answer to it."""


class TemplateVersion(Base):
    """One version of a template, as written: entries read the version they started on."""

    __tablename__ = "templates"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    """The id for a built-in; the id and the owner's number for a therapist's own."""
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoredFile(Base):
    """A photo a client sent as an answer, encrypted; it belongs to the entry."""

    __tablename__ = "files"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), nullable=True, index=True
    )
    step_key: Mapped[str] = mapped_column(String(120))
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(EncryptedBytes)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClientNote(Base):
    """Something a client says to their therapist: a /note for the next session, or how a
    homework went ("how was this?": helpful, too hard, not for me, and a comment)."""

    __tablename__ = "client_notes"
    __table_args__ = (
        Index("ix_client_notes_link_created", "link_id", "created_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("links.id", ondelete="SET NULL"), nullable=True
    )
    """The therapist it is for (the link when it was written)."""
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"), nullable=True
    )
    template_id: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    """note or feedback."""
    rating: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    """helpful, too hard or not for me (feedback only)."""
    text: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Flag(Base):
    """Something a client wrote that may mean they are at risk; open until acknowledged.

    Recorded whatever the chat was doing (homework, a settings question, a message outside
    homework); the alert to the therapist and any escalation name it. Never cleared silently.
    """

    __tablename__ = "flags"
    __table_args__ = (
        Index("ix_flags_open", "acknowledged_at", "escalated_at", "created_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("links.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The therapist link it was raised under (None: the client had no therapist)."""
    kind: Mapped[str] = mapped_column(EncryptedText)
    source: Mapped[str] = mapped_column(EncryptedText)
    """Where it was written: homework, message, setup, edited, caption."""
    template_id: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"), nullable=True
    )
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The Telegram message it came from: editing that message raises no second alert."""
    excerpt: Mapped[str] = mapped_column(EncryptedText)
    """The sentence that raised it (what the therapist is shown)."""
    text: Mapped[str] = mapped_column(EncryptedText)
    """The whole message, so nothing the client wrote is lost."""
    imminent: Mapped[bool] = mapped_column(EncryptedBool, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalation: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    """Why it went to the fallback chat: unacknowledged, undeliverable, no_therapist."""
    screen: Mapped[dict[str, Any] | None] = mapped_column(EncryptedDict, nullable=True)
    """The Columbia screen's answers given after this flag, when it was asked: {"answers":
    {question: yes}, "done": bool, "stopped": bool}."""


class OutboxMessage(Base):
    """A message the bot sends on its own, recorded before it is sent."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_not_before", "status", "not_before"),
        Index("ix_outbox_status_lane", "status", "lane", "not_before"),
        Index("ix_outbox_chat_key_slot", "chat_key", "slot_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    """`kind:key`, each part hashed (crypto.hash_key): one message per key, named by none."""
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    chat_id: Mapped[int] = mapped_column(EncryptedInt)
    chat_key: Mapped[int | None] = mapped_column(HashedId, nullable=True)
    """The chat's keyed hash, by which the per-chat limit counts (set from chat_id)."""
    kind: Mapped[str] = mapped_column(EncryptedText)
    lane: Mapped[int] = mapped_column(SmallInteger, default=3)
    """Priority: 0 alerts, 1 deferred replies, 2 feedback and notices, 3 reminders, 4 digests."""
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedDict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The sender (a process, see Sender) that holds the claim: when it stops beating, its
    claims are taken over without waiting for the lease to run out."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """When this message's turn to be sent came (the send budget; see storage/outbox.py)."""
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Not worth sending after this (a reminder past its grace window); else the horizon."""


class AuditRecord(Base):
    """Append-only: who read, sent, exported or deleted what, and key rotations (never any
    words anyone wrote; `subject` names rows by id)."""

    __tablename__ = "audit_log"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The user who acted (kept as a number: it outlives the user), None: the operator."""
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(80))


class CodeAttempt(Base):
    """Wrong codes tried from one Telegram account in the current window (slowed down)."""

    __tablename__ = "code_attempts"

    telegram_id: Mapped[int] = mapped_column(HashedId, primary_key=True, autoincrement=False)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer)


class SendClock(Base):
    """One row: the next free moment in the send budget every process shares."""

    __tablename__ = "send_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Telegram asked to wait (a 429) until then: nothing but risk alerts is sent before."""


class Sender(Base):
    """A running bot process, by a random name of its own, and when it was last alive."""

    __tablename__ = "senders"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ProcessedUpdate(Base):
    """A Telegram update already handled (see storage/updates.py)."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ButtonToken(Base):
    """An opaque, short-lived token behind a button; only its owner may press it."""

    __tablename__ = "button_tokens"

    token: Mapped[str] = mapped_column(String(24), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedDict)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
