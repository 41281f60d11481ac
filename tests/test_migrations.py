"""`flask db upgrade` builds the schema the models describe, on SQLite and PostgreSQL."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.database import empty_database
from app.extensions import db


def test_upgrade_builds_a_schema_matching_the_models(app, runner):
    with app.app_context():
        empty_database()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        tables = set(sa.inspect(conn).get_table_names())
    assert {
        "users",
        "distributors",
        "meta_api_configs",
        "meta_forms",
        "facebook_leads",
        "lead_interactions",
        "sync_runs",
        "meta_failed_leads",
    } <= tables


def test_dashboard_indexes_exist(app, runner):
    with app.app_context():
        empty_database()
    runner.invoke(args=["db", "upgrade"])
    with app.app_context(), db.engine.connect() as conn:
        indexed = {
            tuple(ix["column_names"]) for ix in sa.inspect(conn).get_indexes("facebook_leads")
        }
    for columns in [
        ("distributor_id", "status"),
        ("meta_created_at",),
        ("created_at",),
        ("assigned_to_id",),
        ("score",),
        ("email",),
        ("phone",),
    ]:
        assert columns in indexed
