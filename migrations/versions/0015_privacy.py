"""health-data protection: erasures and tombstones, retention runs, the access log

Revision ID: 0015
Revises: 0018
Create Date: 2026-12-02 02:30:00.000000

New tables only (issue 16), plus `sync_runs.erased` (leads of erased people a sync skipped),
added with a server default so no table is rebuilt.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0018"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "privacy_erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.Column("removed", JSON, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_privacy_erasures_created_at", "privacy_erasures", ["created_at"])
    op.create_table(
        "privacy_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("erasure_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("lead", "phone", "email", name="tombstonekind",
                                  native_enum=False, create_constraint=False, length=8),
                  nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["erasure_id"], ["privacy_erasures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_privacy_tombstones_erasure_id", "privacy_tombstones", ["erasure_id"])
    op.create_index("ix_privacy_tombstones_digest", "privacy_tombstones", ["digest"])
    op.create_index("ix_privacy_tombstones_form_id", "privacy_tombstones", ["form_id"])
    op.create_table(
        "privacy_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("counts", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_privacy_runs_started_at", "privacy_runs", ["started_at"])
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.Enum("view", "api", "export", "erase", "subject_export",
                                    name="accessaction", native_enum=False,
                                    create_constraint=False, length=16),
                  nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("erasure_id", sa.Integer(), nullable=True),
        sa.Column("detail", JSON, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_created_at", "access_log", ["created_at"])
    op.create_index("ix_access_log_lead_id", "access_log", ["lead_id"])
    op.create_index("ix_access_log_user_created", "access_log", ["user_id", "created_at"])
    op.add_column(
        "sync_runs", sa.Column("erased", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade():
    with op.batch_alter_table("sync_runs") as batch_op:
        batch_op.drop_column("erased")
    op.drop_table("access_log")
    op.drop_table("privacy_runs")
    op.drop_table("privacy_tombstones")
    op.drop_table("privacy_erasures")
