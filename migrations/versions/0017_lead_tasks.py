"""follow-ups (lead_tasks), WhatsApp templates, and where signing in lands (users.start_page)

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-02 02:10:00.000000

New tables only, plus one nullable column on `users` added in place (no batch rebuild: users
has children that cascade).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

OPEN = "done_at IS NULL"
UNNOTIFIED = "done_at IS NULL AND notified_at IS NULL"


def upgrade():
    op.create_table(
        "lead_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["facebook_leads.id"], name=op.f("fk_lead_tasks_lead_id_facebook_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_lead_tasks_user_id_users")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_lead_tasks_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_tasks")),
    )
    op.create_index("ix_lead_tasks_lead_id", "lead_tasks", ["lead_id"])
    op.create_index(
        "ix_lead_tasks_open_user_due", "lead_tasks", ["user_id", "due_at"],
        postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_lead_tasks_unnotified_due", "lead_tasks", ["due_at"],
        postgresql_where=sa.text(UNNOTIFIED), sqlite_where=sa.text(UNNOTIFIED),
    )
    op.create_table(
        "whatsapp_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("treatment", sa.String(length=40), server_default="", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_whatsapp_templates_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whatsapp_templates")),
        sa.UniqueConstraint(
            "language", "treatment", name=op.f("uq_whatsapp_templates_language")
        ),
    )
    op.add_column("users", sa.Column("start_page", sa.String(length=20), nullable=True))


def downgrade():
    op.drop_column("users", "start_page")
    op.drop_table("whatsapp_templates")
    op.drop_index("ix_lead_tasks_unnotified_due", table_name="lead_tasks")
    op.drop_index("ix_lead_tasks_open_user_due", table_name="lead_tasks")
    op.drop_index("ix_lead_tasks_lead_id", table_name="lead_tasks")
    op.drop_table("lead_tasks")
