"""Therapists, clients, codes and links: who may see whom."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.models import Code, Link, User

CodeKind = Literal["therapist", "client"]
CodeProblem = Literal["unknown", "used", "expired", "wrong_kind"]


async def _first_of(connection: AsyncSession | AsyncConnection, *queries: str) -> str | None:
    """The value the first of these queries finds (each returns one column, one row)."""
    for query in queries:
        row = (await connection.execute(text(query))).first()
        if row is not None:
            return str(row[0])
    return None


async def encrypted_sample(connection: AsyncSession | AsyncConnection) -> str | None:
    """One stored encrypted value as it lies on disk, to check the keys can read it."""
    return await _first_of(
        connection,
        "SELECT name FROM users ORDER BY id DESC LIMIT 1",
        "SELECT label FROM codes WHERE label IS NOT NULL ORDER BY id DESC LIMIT 1",
    )


async def operator_sample(connection: AsyncSession | AsyncConnection) -> str | None:
    """One stored value under the operator's key itself (a wrapped key, or a value written
    before data keys), to check the keys given before anything is made with them."""
    return await _first_of(
        connection,
        "SELECT value FROM secrets ORDER BY name LIMIT 1",
        "SELECT key FROM data_keys ORDER BY id DESC LIMIT 1",
        "SELECT name FROM users WHERE name NOT LIKE 'd%' ORDER BY id DESC LIMIT 1",
        "SELECT label FROM codes WHERE label NOT LIKE 'd%' ORDER BY id DESC LIMIT 1",
    )


def hash_code(code: str) -> str:
    """Codes are kept only as hashes, so a copy of the database opens no doors."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


async def get_user(
    session: AsyncSession, *, telegram_id: int, for_update: bool = False
) -> User | None:
    """The stored person behind a Telegram account, if they registered or consented."""
    query = select(User).where(User.telegram_id == telegram_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_user_by_id(session: AsyncSession, *, user_id: int) -> User | None:
    """A stored person by our own id."""
    return await session.get(User, user_id)


async def get_link(session: AsyncSession, *, link_id: int) -> Link | None:
    """A link by our own id (for the bot's own bookkeeping; access is checked by callers)."""
    return await session.get(Link, link_id)


async def create_code(
    session: AsyncSession,
    *,
    kind: CodeKind,
    now: datetime,
    ttl: timedelta,
    therapist_id: int | None = None,
    label: str | None = None,
) -> str:
    """A new single-use code (long and random); returns the code, stores only its hash."""
    code = secrets.token_urlsafe(24)
    session.add(
        Code(
            code_hash=hash_code(code),
            kind=kind,
            therapist_id=therapist_id,
            label=label,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return code


async def check_code(
    session: AsyncSession, *, code: str, now: datetime, for_update: bool = True
) -> Code | CodeProblem:
    """The usable code row for `code`, or why it cannot be used."""
    if not code or len(code) > 64:
        return "unknown"
    query = select(Code).where(Code.code_hash == hash_code(code))
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        return "unknown"
    if row.used_at is not None:
        return "used"
    if row.expires_at <= now:
        return "expired"
    return row


async def register_therapist(
    session: AsyncSession,
    *,
    code: Code,
    telegram_id: int,
    chat_id: int,
    name: str,
    username: str | None,
    now: datetime,
    language: str = "en",
) -> User:
    """Use a registration code: the person becomes a therapist."""
    code.used_at = now
    await release_held_invites(session, telegram_id=telegram_id)
    return await _add_user(
        session,
        role="therapist",
        telegram_id=telegram_id,
        chat_id=chat_id,
        name=code.label or name,
        username=username,
        now=now,
        language=language,
    )


async def _add_user(
    session: AsyncSession,
    *,
    role: str,
    telegram_id: int,
    chat_id: int,
    name: str,
    username: str | None,
    now: datetime,
    language: str = "en",
) -> User:
    user = User(
        telegram_id=telegram_id,
        chat_id=chat_id,
        role=role,
        name=name,
        username=username,
        timezone="UTC",
        language=language,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def hold_invite(session: AsyncSession, *, code: Code, telegram_id: int) -> str:
    """Remember who opened an invite while they read what will be shared.

    Any other invite they opened is let go, so one answer can only go to one invite.
    Returns a nonce for the consent buttons (part of the code's hash, not an id).
    """
    await release_held_invites(session, telegram_id=telegram_id)
    code.pending_telegram_id = telegram_id
    return code.code_hash[:16]


async def release_held_invites(session: AsyncSession, *, telegram_id: int) -> None:
    """Forget this person on every invite they opened and did not answer."""
    query = select(Code).where(Code.pending_telegram_id == telegram_id)
    for held in (await session.execute(query)).scalars():
        held.pending_telegram_id = None


async def find_held_invite(
    session: AsyncSession, *, telegram_id: int, now: datetime, nonce: str | None = None
) -> Code | None:
    """The invite this person opened and has not yet answered (the one `nonce` names, if given)."""
    query = select(Code).where(
        Code.pending_telegram_id == telegram_id,
        Code.used_at.is_(None),
        Code.expires_at > now,
        Code.kind == "client",
    )
    for held in (await session.execute(query.order_by(Code.id.desc()))).scalars():
        if nonce is None or held.code_hash[:16] == nonce:
            return held
    return None


async def release_invite(session: AsyncSession, *, code: Code) -> None:
    """The person declined: forget them, keep the invite usable."""
    code.pending_telegram_id = None


async def accept_invite(
    session: AsyncSession,
    *,
    code: Code,
    telegram_id: int,
    chat_id: int,
    name: str,
    username: str | None,
    now: datetime,
    language: str = "en",
) -> tuple[User, Link]:
    """The client consented: store them and link them to the inviting therapist."""
    if code.therapist_id is None:
        raise ValueError("an invite code must name its therapist")
    code.used_at = now
    code.pending_telegram_id = None
    label, code.label = code.label, None  # the name lives on the link only, erased with it
    user = await get_user(session, telegram_id=telegram_id)
    if user is None:
        user = await _add_user(
            session,
            role="client",
            telegram_id=telegram_id,
            chat_id=chat_id,
            name=name,
            username=username,
            now=now,
            language=language,
        )
    else:
        for old in await active_links(session, client_id=user.id):
            old.ended_at = now
    link = Link(
        therapist_id=code.therapist_id,
        client_id=user.id,
        label=label,
        consented_at=now,
    )
    session.add(link)
    await session.flush()
    return user, link


async def active_links(session: AsyncSession, *, client_id: int) -> list[Link]:
    query = select(Link).where(Link.client_id == client_id, Link.ended_at.is_(None))
    return list((await session.execute(query)).scalars())


async def active_link(session: AsyncSession, *, client_id: int) -> Link | None:
    """The client's current link to a therapist."""
    links = await active_links(session, client_id=client_id)
    return links[-1] if links else None


async def therapist_clients(session: AsyncSession, *, therapist_id: int) -> list[tuple[Link, User]]:
    """Every client linked to this therapist now, oldest link first."""
    query = (
        select(Link, User)
        .join(User, User.id == Link.client_id)
        .where(Link.therapist_id == therapist_id, Link.ended_at.is_(None))
        .order_by(Link.id)
    )
    return [(link, user) for link, user in (await session.execute(query))]


def client_display_name(link: Link, user: User) -> str:
    """How a therapist sees a client: the invite's label, else their Telegram name."""
    return link.label or user.name


async def find_clients(
    session: AsyncSession, *, therapist_id: int, query: str
) -> list[tuple[Link, User]]:
    """This therapist's clients whose label, name or username matches `query`, in any case
    and with or without accents ("lucia" finds Lucía).

    Exact matches win; when none is exact, names that start with the query are offered.
    """
    wanted = _loose(query.strip().lstrip("@"))
    if not wanted:
        return []
    clients = await therapist_clients(session, therapist_id=therapist_id)

    def names(link: Link, user: User) -> list[str]:
        return [_loose(n) for n in (link.label, user.name, user.username) if n]

    exact = [(link, user) for link, user in clients if wanted in names(link, user)]
    if exact:
        return exact
    return [
        (link, user)
        for link, user in clients
        if any(n.startswith(wanted) for n in names(link, user))
    ]


def _loose(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


async def client_of_therapist(
    session: AsyncSession, *, therapist_id: int, link_id: int
) -> tuple[Link, User] | None:
    """A link and its client, only if the link belongs to this therapist and is active."""
    query = (
        select(Link, User)
        .join(User, User.id == Link.client_id)
        .where(Link.id == link_id, Link.therapist_id == therapist_id, Link.ended_at.is_(None))
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def remember_offered(session: AsyncSession, *, user_id: int, offered: dict[str, Any]) -> None:
    """Keep the buttons just sent to a person (a reminder's, an alert's), to be typed too;
    not over buttons offered after this send began (a reply that crossed it)."""
    user = await session.get(User, user_id)
    if user is None:
        return
    if _offered_at(user.offered) > _offered_at(offered):
        return
    user.offered = offered


def _offered_at(offered: dict[str, Any] | None) -> datetime:
    try:
        return datetime.fromisoformat(str((offered or {})["at"]))
    except (KeyError, ValueError):
        return datetime.min.replace(tzinfo=UTC)


async def postpone_digest(session: AsyncSession, *, therapist_id: int, until: datetime) -> None:
    """Look at a therapist's digest again only at `until` (it failed; don't retry every tick)."""
    therapist = await session.get(User, therapist_id)
    if therapist is not None:
        therapist.digest_next_at = until


async def due_digests(session: AsyncSession, *, now: datetime, limit: int) -> list[User]:
    """Therapists whose digest is due (read only: `claim_digest` takes one for sending)."""
    query = (
        select(User)
        .where(
            User.role == "therapist",
            User.digest_next_at.is_not(None),
            User.digest_next_at <= now,
        )
        .order_by(User.digest_next_at)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def claim_digest(
    session: AsyncSession, *, therapist_id: int, next_at: datetime
) -> User | None:
    """The therapist, locked, if their digest is still due at `next_at` (no other replica
    has sent it since it was read); None otherwise."""
    query = (
        select(User)
        .where(User.id == therapist_id, User.digest_next_at == next_at)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def links_of_client(session: AsyncSession, *, client_id: int) -> list[Link]:
    """Every link a client has had (for their own export), oldest first."""
    query = select(Link).where(Link.client_id == client_id).order_by(Link.id)
    return list((await session.execute(query)).scalars())
