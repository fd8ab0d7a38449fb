"""Templates by version: the built-ins, and every version stored in the database.

An entry is read with the version it started on, loaded from its stored words (and kept
in this process once read). New entries use the newest version.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import wording
from conversations.engine import Flow, State, compile_flow
from conversations.templates import Template, TemplateError, load_template
from storage import library
from storage.models import DAMAGED, Entry

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


async def template_version(
    rt: Runtime, session: AsyncSession, key: str, version: int
) -> Template | None:
    """The template `key` as it was at `version` (None when it is not stored or broken)."""
    built_in = rt.library.get(key)
    if built_in is not None and built_in.version == version:
        return built_in
    cached = rt.versions.get((key, version))
    if cached is not None:
        return cached
    stored = await library.get_version(session, key=key, version=version)
    if stored is None:
        return None
    try:
        template = load_template(stored.source, filename=f"{key} version {version}", strict=False)
    except TemplateError:
        log.error("stored template %s version %s does not load", key, version)
        return None
    rt.versions[(key, version)] = template
    rt.titles[key] = template.title
    return template


async def newest(rt: Runtime, session: AsyncSession, key: str) -> Template | None:
    """The newest version of template `key`."""
    built_in = rt.library.get(key)
    if built_in is not None:
        return built_in
    stored = await library.latest_version(session, key=key)
    if stored is None:
        return None
    return await template_version(rt, session, key, stored.version)


async def record_builtins(rt: Runtime) -> list[str]:
    """Store each built-in version not yet stored; the keys changed without a new version."""
    async with rt.db.transaction() as session:
        return await library.record_builtins(
            session,
            templates=[(t.id, t.version, t.title, t.source) for t in rt.library.values()],
            now=rt.clock.now(),
        )


async def entry_state(
    rt: Runtime, session: AsyncSession, entry: Entry, *, language: str = "en"
) -> tuple[Flow, State] | None:
    """An entry's flow (the version it started on) and where it stands; None, logged
    without any of its content, when it cannot be read."""
    template = await template_version(rt, session, entry.template_id, entry.template_version)
    if template is None:
        log.warning("entry %s cannot be shown: its template is missing or broken", entry.id)
        return None
    try:
        flow = compiled(rt, entry.template_id, template, entry.params, language)
        if not isinstance(entry.state, dict) or DAMAGED in entry.state:
            raise ValueError("stored conversation state is not a mapping")
        return flow, State.from_json(entry.state, flow)
    except Exception:  # any damage at all: the entry is set aside, never a crash
        log.warning("entry %s cannot be shown: its state or settings are damaged", entry.id)
        return None


FLOW_CACHE_SIZE = 512


def compiled(
    rt: Runtime, template_key: str, template: Template, params: object, language: str
) -> Flow:
    """The flow of a template version with an entry's settings, compiled once per process
    (a stored template version never changes, so neither does its flow)."""
    key = (template_key, template.version, json.dumps(params, sort_keys=True), language)
    flow = rt.flows.get(key)
    if flow is None:
        settings = params if isinstance(params, dict) else {}
        flow = compile_flow(template, settings, language=language, wording=wording(language))
        if len(rt.flows) >= FLOW_CACHE_SIZE:
            rt.flows.pop(next(iter(rt.flows)))
        rt.flows[key] = flow
    return flow


def title_in(template: Template, language: str) -> str:
    """A template's title in `language` when it has one (own templates included)."""
    words = template.translations.get(language)
    return (words.title if words is not None else None) or template.title
