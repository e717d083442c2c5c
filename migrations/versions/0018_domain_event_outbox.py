"""domain event outbox

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 20:49:25.731118
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.models.base


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('domain_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('application.stage_changed', 'interview.submitted', 'interview.scored', 'interview.failed', 'report.decided', 'employee.hired', 'kpi_records.imported', 'competency_model.version_created', 'candidate.erased', 'webhook_endpoint.disabled', name='domaineventtype', native_enum=False), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('requisition_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('dispatched_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('domain_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_domain_event_dispatched_at'), ['dispatched_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_domain_event_requisition_id'), ['requisition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_domain_event_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_domain_event_type'), ['type'], unique=False)
        batch_op.create_index(batch_op.f('ix_domain_event_updated_at'), ['updated_at'], unique=False)

    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('readable', sa.JSON(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('previous_secret', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('previous_secret_expires_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('disabled_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failure_streak', sa.Integer(), nullable=False),
    sa.Column('last_success_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('deleted_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoint_updated_at'), ['updated_at'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('replay', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'delivered', 'failed', name='webhookdeliverystatus', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('delivered_at', gateway.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['domain_event.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('endpoint_id', 'event_id', 'replay')
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_delivery_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_updated_at'), ['updated_at'], unique=False)

    op.create_table('webhook_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', gateway.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempt_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_attempt_updated_at'), ['updated_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempt_updated_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_attempt_delivery_id'))

    op.drop_table('webhook_attempt')
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_updated_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_status'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_event_id'))
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_endpoint_id'))

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoint_updated_at'))

    op.drop_table('webhook_endpoint')
    with op.batch_alter_table('domain_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_domain_event_updated_at'))
        batch_op.drop_index(batch_op.f('ix_domain_event_type'))
        batch_op.drop_index(batch_op.f('ix_domain_event_subject_id'))
        batch_op.drop_index(batch_op.f('ix_domain_event_requisition_id'))
        batch_op.drop_index(batch_op.f('ix_domain_event_dispatched_at'))

    op.drop_table('domain_event')
