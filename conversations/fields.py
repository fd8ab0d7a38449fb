"""Field types template parts share: ids, texts, and the strict base model."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from conversations.notes import N_, Unreadable

MAX_TEXT = 3500
"""The longest text a template may hold in one field (a prompt, an intro)."""
MAX_SHORT = 60

_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _identifier(value: str) -> str:
    if not _ID.fullmatch(value):
        raise Unreadable(
            N_(
                "“{value}” is not a valid id: use lower-case letters, digits and _, "
                "starting with a letter, at most 40 characters"
            ),
            value=value[:50],
        )
    return value


def _stripped(value: str) -> str:
    return value.strip()


Identifier = Annotated[str, AfterValidator(_identifier)]
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_stripped)]
Short = Annotated[str, Field(max_length=MAX_SHORT), AfterValidator(_stripped)]


class Strict(BaseModel):
    """Template parts: unknown fields are errors, and nothing changes once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
