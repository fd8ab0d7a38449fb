"""Template versions as written: built-ins recorded at start, therapists' own as they add them.

A version is never changed once stored, so an entry always reads the questions it started
with; a change is a new version.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_unless_exists
from storage.models import TemplateVersion


async def record_builtins(
    session: AsyncSession, *, templates: Iterable[tuple[str, int, str, str]], now: datetime
) -> list[str]:
    """Record each built-in (key, version, title, source) not yet stored; return the keys of
    any stored already with other words under the same version (that version must change)."""
    changed: list[str] = []
    for key, version, title, source in templates:
        stored = await session.get(TemplateVersion, (key, version))
        if stored is None:
            await add_version(
                session,
                key=key,
                version=version,
                owner_id=None,
                title=title,
                source=source,
                now=now,
            )
        elif stored.source != source:
            changed.append(f"{key} v{version}")
    return changed


async def add_version(
    session: AsyncSession,
    *,
    key: str,
    version: int,
    owner_id: int | None,
    title: str,
    source: str,
    now: datetime,
) -> bool:
    """Store a new version; False when that key and version exist already."""
    created = await insert_unless_exists(
        session,
        TemplateVersion,
        {
            "key": key,
            "version": version,
            "owner_id": owner_id,
            "title": title,
            "source": source,
            "created_at": now,
        },
        unique=["key", "version"],
        returning="version",
    )
    return created is not None


async def get_version(session: AsyncSession, *, key: str, version: int) -> TemplateVersion | None:
    """One stored version."""
    return await session.get(TemplateVersion, (key, version))


async def latest_version(session: AsyncSession, *, key: str) -> TemplateVersion | None:
    """The newest version of a template."""
    query = (
        select(TemplateVersion)
        .where(TemplateVersion.key == key)
        .order_by(TemplateVersion.version.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def own_templates(session: AsyncSession, *, owner_id: int) -> list[TemplateVersion]:
    """The newest version of each template this therapist wrote, by title."""
    newest = (
        select(TemplateVersion.key, func.max(TemplateVersion.version).label("version"))
        .where(TemplateVersion.owner_id == owner_id)
        .group_by(TemplateVersion.key)
        .subquery()
    )
    query = (
        select(TemplateVersion)
        .join(
            newest,
            (TemplateVersion.key == newest.c.key) & (TemplateVersion.version == newest.c.version),
        )
        .order_by(TemplateVersion.title)
    )
    return list((await session.execute(query)).scalars())


async def titles(session: AsyncSession) -> dict[str, str]:
    """The newest title of every stored template, by key."""
    query = select(TemplateVersion.key, TemplateVersion.title).order_by(
        TemplateVersion.key, TemplateVersion.version
    )
    return {key: title for key, title in (await session.execute(query)).all()}
