"""training and development: programme catalogue, recommendations, plans, LMS completion imports;
dimension development thresholds and employees' departure dates

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 20:49:26.476997
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_completion_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("request_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("training_completion_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_completion_import_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "training_programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("duration_hours", sa.Float(), nullable=False),
        sa.Column(
            "delivery_mode",
            sa.Enum("classroom", "online", "blended", "on_the_job", name="deliverymode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["competency_model_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("training_programme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_programme_model_version_id"), ["model_version_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_programme_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "training_programme_dimension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("dimension_id", sa.Integer(), nullable=False),
        sa.Column("created_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dimension_id"],
            ["dimension.id"],
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["training_programme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "dimension_id"),
    )
    with op.batch_alter_table("training_programme_dimension", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_programme_dimension_dimension_id"), ["dimension_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_programme_dimension_programme_id"), ["programme_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_programme_dimension_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "development_plan_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("training", "process_review", name="recommendationkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("dimension_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned", "in_progress", "completed", "cancelled", name="planitemstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("completion_source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dimension_id"],
            ["dimension.id"],
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employee.id"],
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["training_programme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("development_plan_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_development_plan_item_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_plan_item_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_plan_item_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_plan_item_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "development_recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("training", "process_review", name="recommendationkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("open", "accepted", "rejected", name="recommendationstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("dimension_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("kpi_id", sa.Integer(), nullable=True),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("decided_at", gateway.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("plan_item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dimension_id"],
            ["dimension.id"],
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employee.id"],
        ),
        sa.ForeignKeyConstraint(
            ["kpi_id"],
            ["kpi_definition.id"],
        ),
        sa.ForeignKeyConstraint(
            ["plan_item_id"],
            ["development_plan_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["training_programme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("employee_id", "key"),
    )
    with op.batch_alter_table("development_recommendation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_development_recommendation_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_recommendation_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_recommendation_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_recommendation_updated_at"), ["updated_at"], unique=False)

    with op.batch_alter_table("dimension", schema=None) as batch_op:
        batch_op.add_column(sa.Column("development_threshold", sa.Float(), nullable=True))

    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("departed_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.drop_column("departed_on")

    with op.batch_alter_table("dimension", schema=None) as batch_op:
        batch_op.drop_column("development_threshold")

    with op.batch_alter_table("development_recommendation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_development_recommendation_updated_at"))
        batch_op.drop_index(batch_op.f("ix_development_recommendation_status"))
        batch_op.drop_index(batch_op.f("ix_development_recommendation_programme_id"))
        batch_op.drop_index(batch_op.f("ix_development_recommendation_employee_id"))

    op.drop_table("development_recommendation")
    with op.batch_alter_table("development_plan_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_development_plan_item_updated_at"))
        batch_op.drop_index(batch_op.f("ix_development_plan_item_status"))
        batch_op.drop_index(batch_op.f("ix_development_plan_item_programme_id"))
        batch_op.drop_index(batch_op.f("ix_development_plan_item_employee_id"))

    op.drop_table("development_plan_item")
    with op.batch_alter_table("training_programme_dimension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_programme_dimension_updated_at"))
        batch_op.drop_index(batch_op.f("ix_training_programme_dimension_programme_id"))
        batch_op.drop_index(batch_op.f("ix_training_programme_dimension_dimension_id"))

    op.drop_table("training_programme_dimension")
    with op.batch_alter_table("training_programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_programme_updated_at"))
        batch_op.drop_index(batch_op.f("ix_training_programme_model_version_id"))

    op.drop_table("training_programme")
    with op.batch_alter_table("training_completion_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_completion_import_updated_at"))

    op.drop_table("training_completion_import")
