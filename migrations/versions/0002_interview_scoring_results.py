"""interview scoring results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:10:19.777120
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.models.base


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('media_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('uploaded_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scoring_attempts', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('interview_report', schema=None) as batch_op:
        # Server defaults fill rows scored before this revision; new rows get values from the code.
        batch_op.add_column(sa.Column('radar', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('models', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.add_column(sa.Column('scored_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('interview_report', schema=None) as batch_op:
        batch_op.drop_column('scored_at')
        batch_op.drop_column('models')
        batch_op.drop_column('radar')

    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.drop_column('scoring_attempts')

    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('uploaded_at')
        batch_op.drop_column('media_sha256')

