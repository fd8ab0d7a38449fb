"""The registry of step kinds: each is one module here, listed once below.

The template schema is built from the registry (a union of the kinds' models, told apart by
`kind`), so a kind that is not registered fails when a template is loaded, and adding a
kind is its module, one line below, and its tests.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field

from conversations.kinds.base import Kind, StepBase
from conversations.kinds.choice import ChoiceKind
from conversations.kinds.date import DateKind
from conversations.kinds.duration import DurationKind
from conversations.kinds.follow_up import FollowUpKind
from conversations.kinds.group import GroupKind, GroupStep
from conversations.kinds.info import InfoKind
from conversations.kinds.number import NumberKind
from conversations.kinds.photo import PhotoKind
from conversations.kinds.scale import ScaleKind
from conversations.kinds.text import TextKind
from conversations.kinds.time_of_day import TimeKind
from conversations.kinds.yes_no import YesNoKind

_REGISTERED: tuple[Kind[Any], ...] = (
    TextKind(),
    NumberKind(),
    ScaleKind(),
    ChoiceKind(),
    YesNoKind(),
    PhotoKind(),
    TimeKind(),
    DateKind(),
    DurationKind(),
    InfoKind(),
    GroupKind(),
    FollowUpKind(),
)
KINDS: dict[str, Kind[Any]] = {kind.name: kind for kind in _REGISTERED}
"""Every step kind by name."""

OUTER_ONLY = frozenset({"group", "follow_up"})
"""Kinds that cannot be inside a group."""


def _union(kinds: list[Kind[Any]]) -> Any:
    models = tuple(kind.model for kind in kinds)
    return Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007


InnerStep: Any = _union([k for k in _REGISTERED if k.name not in OUTER_ONLY])
"""A step that may be inside a group."""
AnyStep: Any = _union(list(_REGISTERED))
"""Any step a template may have."""

GroupStep.model_rebuild(_types_namespace={"InnerStep": InnerStep})


def kind_of(step: StepBase) -> Kind[Any]:
    """The kind behind a loaded step."""
    return KINDS[step.kind]


__all__ = ["KINDS", "OUTER_ONLY", "AnyStep", "InnerStep", "Kind", "StepBase", "kind_of"]
