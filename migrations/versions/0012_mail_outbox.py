"""mail outbox and notification choices

Revision ID: 0012
Revises: 0017
Create Date: 2026-12-02 02:10:00.000000

`mail_outbox`: every mail is a row queued in the transaction of the change that causes it,
sent by the background runner (retries, backoff, dead after N tries; one row per event and
recipient through the unique dedupe_key). Users gain a display name and their notification
choices (plain ADD COLUMNs with server defaults: no table rebuild of `users`).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0017"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
CHOICES = (
    "notify_new_leads",
    "notify_assignments",
    "notify_changes",
    "notify_daily_summary",
    "notify_browser",
)


def upgrade():
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("params", JSON, nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["facebook_leads.id"],
            name=op.f("fk_mail_outbox_lead_id_facebook_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_mail_outbox_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_mail_outbox_dedupe_key")),
    )
    op.create_index("ix_mail_outbox_status_due", "mail_outbox", ["status", "next_attempt_at"])
    op.create_index(
        "ix_mail_outbox_recipient_created", "mail_outbox", ["recipient", "created_at"]
    )
    op.create_index(op.f("ix_mail_outbox_user_id"), "mail_outbox", ["user_id"])
    op.create_index(op.f("ix_mail_outbox_lead_id"), "mail_outbox", ["lead_id"])
    op.add_column("users", sa.Column("display_name", sa.String(length=120), nullable=True))
    for name in CHOICES:
        op.add_column(
            "users", sa.Column(name, sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade():
    # Dropping columns of `users` on SQLite would rebuild the table (and cascade into its
    # children): the choices stay; only the outbox goes.
    op.drop_index(op.f("ix_mail_outbox_lead_id"), table_name="mail_outbox")
    op.drop_index(op.f("ix_mail_outbox_user_id"), table_name="mail_outbox")
    op.drop_index("ix_mail_outbox_recipient_created", table_name="mail_outbox")
    op.drop_index("ix_mail_outbox_status_due", table_name="mail_outbox")
    op.drop_table("mail_outbox")
