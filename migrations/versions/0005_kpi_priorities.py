"""kpi priorities

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 18:18:02.837109
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.models.base


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kpi_priority',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Float(), nullable=False),
    sa.Column('updated_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpi_definition.id'], ),
    sa.ForeignKeyConstraint(['model_version_id'], ['competency_model_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('model_version_id', 'kpi_id')
    )
    with op.batch_alter_table('kpi_priority', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_priority_kpi_id'), ['kpi_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpi_priority_model_version_id'), ['model_version_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('kpi_priority', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_priority_model_version_id'))
        batch_op.drop_index(batch_op.f('ix_kpi_priority_kpi_id'))

    op.drop_table('kpi_priority')
