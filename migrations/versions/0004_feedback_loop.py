"""feedback loop

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:36:30.672783
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.models.base


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kpi_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('request_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    op.create_table('candidate_self_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('recorded_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('candidate_id')
    )
    op.create_table('reweighting_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('proposed', 'applied', 'rejected', name='proposalstatus', native_enum=False, length=32), nullable=False),
    sa.Column('current_weights', sa.JSON(), nullable=False),
    sa.Column('proposed_weights', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('question_suggestions', sa.JSON(), nullable=False),
    sa.Column('applied_version_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('decided_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applied_version_id'], ['competency_model_version.id'], ),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpi_definition.id'], ),
    sa.ForeignKeyConstraint(['model_version_id'], ['competency_model_version.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reweighting_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reweighting_proposal_model_version_id'), ['model_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reweighting_proposal_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('reweighting_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reweighting_proposal_status'))
        batch_op.drop_index(batch_op.f('ix_reweighting_proposal_model_version_id'))

    op.drop_table('reweighting_proposal')
    op.drop_table('candidate_self_report')
    op.drop_table('kpi_import')
