"""access and privacy

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:53:16.477936
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.models.base


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('review_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('explanation', 'human_review', name='reviewrequestkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('open', 'resolved', name='reviewrequeststatus', native_enum=False, length=32), nullable=False),
    sa.Column('candidate_message', sa.Text(), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('requested_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['interview_id'], ['interview.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_request_interview_id'), ['interview_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_request_status'), ['status'], unique=False)

    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('requisition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hiring_manager_subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('candidate_report_visible', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_requisition_hiring_manager_subject'), ['hiring_manager_subject'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('requisition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requisition_hiring_manager_subject'))
        batch_op.drop_column('candidate_report_visible')
        batch_op.drop_column('hiring_manager_subject')

    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.drop_column('erased_at')

    with op.batch_alter_table('review_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_request_status'))
        batch_op.drop_index(batch_op.f('ix_review_request_interview_id'))

    op.drop_table('review_request')
