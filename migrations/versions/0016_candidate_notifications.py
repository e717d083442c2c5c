"""candidate notifications: one delivery row per interview and e-mail kind (invitation, reminder)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 20:51:52.854130
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.models.base


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('interview_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('invitation', 'reminder', name='notificationkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', 'bounced', 'opted_out', 'skipped', name='deliverystatus', native_enum=False, length=32), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('due_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('sealed_link', sa.Text(), nullable=True),
    sa.Column('claimed_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interview.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('interview_id', 'kind')
    )
    with op.batch_alter_table('interview_notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interview_notification_interview_id'), ['interview_id'], unique=False)
        batch_op.create_index('ix_interview_notification_status_due_at', ['status', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_interview_notification_updated_at'), ['updated_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('interview_notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interview_notification_updated_at'))
        batch_op.drop_index('ix_interview_notification_status_due_at')
        batch_op.drop_index(batch_op.f('ix_interview_notification_interview_id'))

    op.drop_table('interview_notification')
