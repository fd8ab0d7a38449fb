"""templates by version; photos; follow-ups and scores on entries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:00:00

Entries keep the template version they started on. The two built-in templates that shipped
before this revision are recorded here exactly as they were (version 1), so every entry
open at upgrade time goes on with the questions it started with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

THOUGHT_RECORD_V1 = r"""# Thought record: catching a thought, weighing it, and finding a more balanced one.
#
# Sources:
# - Beck, A. T., Rush, A. J., Shaw, B. F. & Emery, G. (1979). Cognitive Therapy of
#   Depression. Guilford Press. (The daily record of dysfunctional thoughts.)
# - Greenberger, D. & Padesky, C. A. (2016). Mind Over Mood, 2nd ed. Guilford Press.
#   The seven-column thought record: situation; moods rated 0-100 %; automatic
#   thoughts with the "hot" one marked; evidence that supports the hot thought;
#   evidence that does not; an alternative or balanced thought, belief 0-100 %;
#   moods re-rated 0-100 %.
# - Burns, D. D. (1980). Feeling Good: The New Mood Therapy. Morrow. The ten
#   "cognitive distortions", offered here as an optional picker of thinking traps.
#
# This file is also a worked example of the template language: copy it to make
# your own version (for example drop evidence_for and evidence_against for the
# shorter five-column record).
id: thought_record
version: 1
title: Thought record
names: [thought record, thought records, thoughts, tr, thought diary, cbt thought record]
description: Situation, feeling and its strength, thoughts, evidence both ways, a balanced thought, and the feeling re-rated.
intro: >-
  Let's look at one moment together. Think of a recent time your mood
  dropped or changed, even a small one. There are no right or wrong
  answers here.
outro: >-
  Well done for working through that. Looking at a thought this closely
  takes practice, and you just practised.

steps:
  - id: situation
    kind: text
    label: Situation
    prompt: >-
      What was happening? Where were you, who was there, and what was
      going on?

  - id: emotion
    kind: text
    label: Feeling
    max_length: 100
    prompt: >-
      What did you feel in that moment? A word or two is plenty, like sad,
      anxious, angry or ashamed.

  - id: emotion_before
    kind: scale
    label: How strong
    min: 0
    max: 100
    step: 10
    min_label: not at all
    max_label: as strong as it gets
    prompt: How strong was that feeling, from 0 to 100?

  - id: thoughts
    kind: text
    label: Thoughts
    prompt: >-
      What went through your mind just then? Write the thoughts down as they
      came, even if they seem odd or harsh now.

  - id: hot_thought
    kind: text
    label: Hot thought
    prompt: >-
      Which of those thoughts hit hardest, the one behind most of the
      feeling? Write that one down.

  - id: evidence_for
    kind: text
    label: Evidence for
    prompt: >-
      What makes that thought feel true? Try to stick to facts, things
      someone else could notice too.

  - id: evidence_against
    kind: text
    label: Evidence against
    prompt: >-
      What doesn't quite fit that thought? Anything that points the other
      way, even a little.

  - id: thinking_traps
    kind: choice
    label: Thinking traps
    multiple: true
    optional: true
    prompt: >-
      Minds often fall into the same thinking traps. Do any of these fit
      that thought? Pick as many as you like.
    options:
      - {value: all_or_nothing, label: All-or-nothing thinking}
      - {value: overgeneralising, label: Overgeneralising}
      - {value: mental_filter, label: Mental filter}
      - {value: disqualifying_positive, label: Discounting the positive}
      - {value: mind_reading, label: Mind reading}
      - {value: fortune_telling, label: Fortune telling}
      - {value: catastrophising, label: Magnifying or catastrophising}
      - {value: emotional_reasoning, label: Emotional reasoning}
      - {value: should_statements, label: “Should” statements}
      - {value: labelling, label: Labelling}
      - {value: personalising, label: Personalising and blame}

  - id: balanced_thought
    kind: text
    label: Balanced thought
    prompt: >-
      Looking at everything you've written, what is a fairer, more balanced
      way to see it? It might help to think what you'd say to a friend.

  - id: belief
    kind: scale
    label: Belief in it
    optional: true
    min: 0
    max: 100
    step: 10
    min_label: not at all
    max_label: completely
    prompt: How much do you believe that balanced thought, from 0 to 100?

  - id: emotion_after
    kind: scale
    label: How strong now
    min: 0
    max: 100
    step: 10
    min_label: not at all
    max_label: as strong as it gets
    prompt: >-
      Earlier you felt “{emotion}” at {emotion_before}. How strong is that
      feeling now, from 0 to 100?

digest: "{situation} → {balanced_thought}, {emotion} {emotion_before} → {emotion_after}"
"""

GRATITUDE_V1 = r"""# Gratitude entry: "three good things".
#
# Source: Seligman, M. E. P., Steen, T. A., Park, N. & Peterson, C. (2005).
# Positive psychology progress: empirical validation of interventions.
# American Psychologist, 60(5), 410-421. Each evening for a week, write down
# three things that went well that day and why each one happened; in that
# trial happiness rose and depressive symptoms fell for six months.
#
# The therapist may change how many good things are asked for (count).
id: gratitude
version: 1
title: Gratitude entry
names: [gratitude entry, gratitude, three good things, 3 good things, good things, gratitude journal]
description: A few things that went well today, and why each one happened.
intro: >-
  Let's look back over today for a few good things. They can be small: a
  warm drink, a kind word, a moment of quiet.
outro: >-
  Thank you. Noticing what went well, and why, gets easier the more you do
  it.

params:
  count: {type: integer, default: 3, min: 1, max: 10, label: How many good things}

steps:
  - id: good_things
    kind: group
    label: Good things
    repeat: "{count}"
    steps:
      - id: what
        kind: text
        label: Good thing
        prompt: "Good thing {n} of {total}: what went well today?"

      - id: why
        kind: text
        label: Why it happened
        optional: true
        prompt: Why do you think that happened?

digest: "{good_things}"
"""


def upgrade() -> None:
    templates = op.create_table(
        "templates",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_templates_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("key", "version", name=op.f("pk_templates")),
    )
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_templates_owner_id"), ["owner_id"], unique=False)
    # SQLite keeps no zone: aware times are stored as naive UTC, as UTCDateTime does.
    shipped = datetime(2026, 11, 21, tzinfo=UTC)
    if op.get_bind().dialect.name == "sqlite":
        shipped = shipped.replace(tzinfo=None)
    op.bulk_insert(
        templates,
        [
            {
                "key": "thought_record",
                "version": 1,
                "owner_id": None,
                "title": "Thought record",
                "source": THOUGHT_RECORD_V1,
                "created_at": shipped,
            },
            {
                "key": "gratitude",
                "version": 1,
                "owner_id": None,
                "title": "Gratitude entry",
                "source": GRATITUDE_V1,
                "created_at": shipped,
            },
        ],
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("step_key", sa.String(length=80), nullable=False),
        sa.Column("mime", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["users.id"], name=op.f("fk_files_client_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_files_entry_id_entries"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_files_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_files_entry_id"), ["entry_id"], unique=False)
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resume_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("scores", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_entries_resume_at"), ["resume_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entries_resume_at"))
        batch_op.drop_column("scores")
        batch_op.drop_column("resume_at")
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_files_entry_id"))
        batch_op.drop_index(batch_op.f("ix_files_client_id"))
    op.drop_table("files")
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_templates_owner_id"))
    op.drop_table("templates")
