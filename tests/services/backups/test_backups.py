"""Backups that restore, on SQLite and PostgreSQL: consistent under concurrent ingestion,
restored row for row into a fresh database, damaged or foreign files refused."""

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet

from app.extensions import db
from app.models import Distributor, Role
from app.services import backups
from app.services.backups.artifact import MAGIC
from app.services.backups.manifest import code_head, manifest_path, read_snapshot
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from app.services.privacy import erasure
from tests import factories
from tests.conftest import DATABASES
from tests.services.backups.conftest import restore

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FORM = "200000000000001"
BATCH = 20
SAMPLE = (
    "SELECT id, meta_lead_id, first_name, last_name, email, phone, status, score, "
    "duplicate_of_id, meta_created_at, form_data FROM facebook_leads WHERE id % 7 = 1 ORDER BY id"
)


def raw_lead(n: int) -> dict:
    """A Graph lead; every tenth shares the phone of the one before (a re-inquiry)."""
    phone = n - 1 if n % 10 == 9 else n
    return {
        "id": str(10_000_000 + n),
        "created_time": (NOW - timedelta(minutes=n % 900)).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "form_id": FORM,
        "field_data": [
            {"name": "full_name", "values": [f"Ayşe Yılmaz {n}"]},
            {"name": "phone_number", "values": [f"0532 {phone:07d}"]},
            {"name": "email", "values": [f"lead{n}@example.com"]},
        ],
    }


def make_source() -> LeadSource:
    distributor = factories.make_distributor()
    factories.make_user("boss", role=Role.SUPERADMIN)
    db.session.commit()
    return LeadSource(distributor.id, "100000000000001", FORM, None)


def seed(count: int, start: int = 0) -> LeadSource:
    source = make_source()
    ingest_raw_leads([raw_lead(n) for n in range(start, start + count)], source, now=NOW)
    db.session.commit()
    return source


def query(app, sql: str) -> list[tuple]:
    with app.app_context(), db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


def counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as conn:
        return read_snapshot(conn).tables


def lead_count(app) -> int:
    return counts(app).get("facebook_leads", 0)


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_backup_during_ingestion_holds_whole_batches_each_lead_once(migrated, target):
    app = migrated
    with app.app_context():
        source = make_source()
    committed: list[list[str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def ingest() -> None:
        with app.app_context():
            try:
                while not stop.is_set() and len(committed) < 2000:
                    raws = [raw_lead(len(committed) * BATCH + i) for i in range(BATCH)]
                    ingest_raw_leads(raws, source, now=NOW, announce_events=False)
                    db.session.commit()
                    committed.append([raw["id"] for raw in raws])
            except BaseException as error:  # reported by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=ingest, name="ingest")
    thread.start()
    try:
        wait_until(lambda: len(committed) >= 5)
        with app.app_context():
            manifest, path = backups.create_backup()
        during = len(committed)
        wait_until(lambda: len(committed) >= during + 3 or bool(errors))
    finally:
        stop.set()
        thread.join(60)
    assert not errors
    batches, remainder = divmod(manifest.leads, BATCH)
    assert remainder == 0 and 0 < batches < len(committed)  # taken mid-stream, whole batches

    result = restore(target, path)
    assert result.exit_code == 0, result.output
    assert counts(target) == manifest.tables
    restored = [row[0] for row in query(target, "SELECT meta_lead_id FROM facebook_leads")]
    assert sorted(restored) == sorted(i for batch in committed[:batches] for i in batch)
    assert query(target, "SELECT sum(n) FROM lead_counters") == [(manifest.leads,)]
    indexed = "SELECT count(DISTINCT lead_id) FROM lead_search_terms"
    assert query(target, indexed) == [(manifest.leads,)]


def test_restore_into_a_fresh_database_brings_back_the_same_rows(migrated, target, database):
    app = migrated
    with app.app_context():
        source = seed(300)
        if database == "sqlite":  # committed rows still in the WAL are part of the copy
            assert Path(db.engine.url.database + "-wal").stat().st_size > 0
        manifest, path = backups.create_backup()
        head = code_head()[0]
    assert path.name.endswith(".sqlite.gz" if database == "sqlite" else ".pgdump")
    assert manifest.leads == 300 and manifest.tables["lead_interactions"] == 30
    assert manifest.schema_revision == head and len(manifest.sha256) == 64
    assert path.stat().st_mode & 0o077 == 0 == manifest_path(path).stat().st_mode & 0o077

    result = restore(target, path)
    assert result.exit_code == 0, result.output
    assert "300 leads" in result.output
    assert counts(target) == counts(app) == manifest.tables
    assert query(target, SAMPLE) == query(app, SAMPLE) and len(query(app, SAMPLE)) >= 40
    with target.app_context():  # the restored database goes on taking leads (sequences too)
        added = ingest_raw_leads([raw_lead(5000)], source, now=NOW)
        db.session.commit()
    assert added.created == 1 and lead_count(target) == 301


@pytest.mark.parametrize("damage", ["truncated", "changed", "no_manifest"])
def test_a_damaged_backup_is_refused_and_nothing_is_restored(migrated, target, damage):
    damage_and_restore(migrated, target, damage)


# pg_dump's custom format has no checksum of its own; encryption authenticates those backups.
@pytest.mark.parametrize("database", ["sqlite"])
def test_a_changed_sqlite_backup_with_a_fixed_up_manifest_is_refused(migrated, target):
    damage_and_restore(migrated, target, "changed_and_rehashed")


def damage_and_restore(migrated, target, damage: str) -> None:
    with migrated.app_context():
        seed(50)
        manifest, path = backups.create_backup()
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "no_manifest":
        manifest_path(path).unlink()
    else:
        data[len(data) // 2] ^= 0x55
        path.write_bytes(bytes(data))
    if damage == "changed_and_rehashed":  # the manifest fixed up too: gzip's CRC-32 still knows
        rehash(path, manifest, data)
    result = restore(target, path)
    expected = {
        "truncated": "truncated",
        "changed": "checksum does not match",
        "changed_and_rehashed": "damaged",
        "no_manifest": "No manifest",
    }[damage]
    assert result.exit_code == 1 and expected in result.output, result.output
    assert lead_count(target) == 0


def rehash(path: Path, manifest, data: bytes) -> None:
    text = manifest_path(path).read_text()
    manifest_path(path).write_text(text.replace(manifest.sha256, hashlib.sha256(data).hexdigest()))


def test_an_encrypted_backup_round_trips_and_a_wrong_key_is_refused(migrated, target):
    key, newer = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    migrated.config["BACKUP_ENCRYPTION_KEY"] = key
    with migrated.app_context():
        seed(80)
        manifest, path = backups.create_backup()
    raw = path.read_bytes()
    assert path.name.endswith(".enc") and manifest.encryption == "fernet-chunked-v1"
    assert raw.startswith(MAGIC) and b"PGDMP" not in raw and b"\x1f\x8b\x08" not in raw[:64]

    target.config["BACKUP_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    wrong = restore(target, path)
    target.config["BACKUP_ENCRYPTION_KEY"] = ""
    missing = restore(target, path)
    assert wrong.exit_code == 1 and "another key" in wrong.output
    assert missing.exit_code == 1 and "set BACKUP_ENCRYPTION_KEY" in missing.output
    assert lead_count(target) == 0

    target.config["BACKUP_ENCRYPTION_KEY"] = f"{newer},{key}"  # rotated: the old key decrypts
    manifest_text = manifest_path(path).read_text()
    changed = bytearray(raw)
    changed[len(raw) // 2] ^= 0x55  # a changed byte, and the manifest fixed up to match
    path.write_bytes(bytes(changed))
    rehash(path, manifest, bytes(changed))
    refused = restore(target, path)
    assert refused.exit_code == 1 and "was changed" in refused.output
    assert lead_count(target) == 0

    path.write_bytes(raw)
    manifest_path(path).write_text(manifest_text)
    result = restore(target, path)
    assert result.exit_code == 0, result.output
    assert counts(target) == manifest.tables


def test_a_database_holding_rows_is_refused_unless_forced(migrated):
    app = migrated
    with app.app_context():
        source = seed(30)
        manifest, path = backups.create_backup()
        ingest_raw_leads([raw_lead(777)], source, now=NOW)
        db.session.commit()

    refused = restore(app, path)
    assert refused.exit_code == 1 and "not empty" in refused.output and "--force" in refused.output
    assert lead_count(app) == 31

    forced = restore(app, path, "--force")
    assert forced.exit_code == 0, forced.output
    assert lead_count(app) == 30 and counts(app) == manifest.tables
    safety = Path(forced.output.split("backed up first to ")[1].split(".\n")[0].rstrip("."))
    with app.app_context():
        assert backups.manifest.read_manifest(safety).leads == 31


def test_an_older_backup_is_restored_then_migrated(app, target):
    with app.app_context():
        from app.database import empty_database

        empty_database()
        flask_migrate.upgrade(revision="0004")
        with db.engine.begin() as conn:
            insert = "INSERT INTO distributors (name, is_active, created_at) VALUES (:n, :a, :t)"
            conn.execute(sa.text(insert), {"n": "Old", "a": True, "t": NOW.replace(tzinfo=None)})
        manifest, path = backups.create_backup()
    assert manifest.schema_revision == "0004"

    result = restore(target, path)
    assert result.exit_code == 0, result.output
    with target.app_context():
        head = code_head()[0]
        assert f"0004 -> {head}" in result.output
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
            assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
    assert query(target, "SELECT name FROM distributors") == [("Old",)]


def test_a_backup_from_a_newer_schema_is_refused(migrated, target):
    with migrated.app_context():
        seed(5)
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        manifest, path = backups.create_backup()
    result = restore(target, path)
    assert result.exit_code == 1
    assert "9999" in result.output and "newer version" in result.output
    assert lead_count(target) == 0


@pytest.mark.parametrize("database", DATABASES[1:])  # PostgreSQL only
def test_a_backup_needs_pg_dump_and_says_how_to_install_it(migrated, tmp_path):
    migrated.config["PG_BIN_DIR"] = str(tmp_path)
    with migrated.app_context(), pytest.raises(backups.BackupError) as caught:
        backups.create_backup()
    assert "pg_dump was not found" in str(caught.value)
    assert "apt-get install postgresql-client-1" in str(caught.value)
    assert not list(Path(migrated.config["BACKUP_DIR"]).glob("*"))


def test_an_erased_person_stays_erased_after_restoring_an_older_backup(migrated):
    app = migrated
    with app.app_context():
        seed(30)
        manifest, path = backups.create_backup()  # holds lead 5 (and its re-inquiry, 6)
        person = erasure.find_person(email="lead5@example.com")
        erasure.erase(person, reason="asked by phone")
        db.session.commit()
        erased_ids = {"10000005"}
    assert lead_count(app) == 29

    forced = restore(app, path, "--force")
    assert forced.exit_code == 0, forced.output
    rows = query(app, "SELECT meta_lead_id FROM facebook_leads")
    assert lead_count(app) == 29 and not erased_ids & {row[0] for row in rows}
    assert query(app, "SELECT count(*) FROM privacy_erasures") == [(1,)]
    assert query(
        app,
        "SELECT count(*) FROM lead_search_terms t LEFT JOIN facebook_leads l "
        "ON l.id = t.lead_id WHERE l.id IS NULL",
    ) == [(0,)]
    # And a re-poll of the erased lead is still refused after the restore.
    with app.app_context():
        distributor = db.session.scalar(sa.select(Distributor.id))
        source = LeadSource(distributor, "100000000000001", FORM, None)
        again = ingest_raw_leads([raw_lead(5)], source, now=NOW)
        db.session.commit()
        assert again.created == 0
