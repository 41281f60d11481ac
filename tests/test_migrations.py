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


def test_status_history_is_read_back_from_the_timeline_prose(app, runner):
    with app.app_context():
        empty_database()
    assert runner.invoke(args=["db", "upgrade", "0009"]).exit_code == 0
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO facebook_leads (id, meta_lead_id, is_organic, is_test, form_data,"
                " status, score, meta_created_at, created_at, updated_at, version_id)"
                " VALUES (1, 'm1', false, false, '[]', 'lost', 0, :t, :t, :t, 1)"
            ),
            {"t": "2026-11-01 10:00:00"},
        )
        for row_id, kind, text, when in [
            (1, "assignment", "Assigned to ayse. Status new → assigned.", "2026-11-01 11:00:00"),
            (2, "status_change", "Status assigned → contacted. Called.", "2026-11-01 12:00:00"),
            (3, "status_change", "Status contacted → qualified.", "2026-11-02 09:00:00"),
            (4, "status_change", "Status qualified → lost. Too far.", "2026-11-03 09:00:00"),
            (5, "note", "Status of the visa → unclear.", "2026-11-03 10:00:00"),
        ]:
            conn.execute(
                sa.text(
                    "INSERT INTO lead_interactions (id, lead_id, interaction_type, description,"
                    " created_at) VALUES (:id, 1, :kind, :text, :when)"
                ),
                {"id": row_id, "kind": kind, "text": text, "when": when},
            )
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context(), db.engine.connect() as conn:
        history = conn.execute(
            sa.text("SELECT id, from_status, to_status FROM lead_interactions ORDER BY id")
        ).all()
        lead = conn.execute(sa.text("SELECT qualified_at, lost_at FROM facebook_leads")).one()
    assert [tuple(row) for row in history] == [
        (1, "new", "assigned"),
        (2, "assigned", "contacted"),
        (3, "contacted", "qualified"),
        (4, "qualified", "lost"),
        (5, None, None),  # a note is not a status change, whatever it says
    ]
    assert str(lead.qualified_at).startswith("2026-11-02 09:00")
    assert str(lead.lost_at).startswith("2026-11-03 09:00")
