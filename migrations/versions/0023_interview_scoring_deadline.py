"""interview: when its status last changed, and how often the scoring sweep queued it again

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-27 21:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gateway.models.base

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_changed_at", gateway.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("scoring_requeues", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_interview_status_changed_at"), ["status_changed_at"], unique=False)
    # Interviews waiting today get the best time known, so the first sweep judges them by their submission.
    op.execute("UPDATE interview SET status_changed_at = COALESCE(submitted_at, created_at)")


def downgrade() -> None:
    with op.batch_alter_table("interview", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interview_status_changed_at"))
        batch_op.drop_column("scoring_requeues")
        batch_op.drop_column("status_changed_at")
