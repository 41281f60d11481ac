"""Seeding many leads fast for the bulk and export benchmarks: plain Core INSERTs of realistic
rows (names, phones, emails, treatments, campaigns), then the counters rebuilt once. Search
terms are left out: these benchmarks do not search.

Leads come in days of PER_DAY: lead i was received on day i // PER_DAY (local time), so a
dashboard date filter selects exactly one day's leads."""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.database import empty_database
from app.extensions import db
from app.models import FacebookLead, Role, User
from app.services import accounts, lead_counters

LEADS = FacebookLead.__table__
PER_DAY = 10_000
FIRST_DAY = date(2025, 1, 1)
CHUNK = 10_000
FIRST = ["Ayşe", "Mehmet", "John", "Maria", "Ahmed", "Olga", "Lukas", "Fatma", "Ali", "Emma"]
LAST = ["Yılmaz", "Kaya", "Smith", "García", "Hassan", "Ivanova", "Müller", "Demir", "Öztürk"]
SERVICES = ["hair_transplant", "dental_implants", "veneers", "rhinoplasty", "ivf", None]
HOSTILE = '=HYPERLINK("https://evil.example","x")'


def day_of(index: int) -> date:
    return FIRST_DAY + timedelta(days=index // PER_DAY)


def received(index: int, tz: ZoneInfo) -> datetime:
    start = datetime.combine(day_of(index), time.min, tz)
    return (start + timedelta(seconds=(index % PER_DAY) * 8)).astimezone(UTC)


def rows(start: int, count: int, tz: ZoneInfo, rng: random.Random) -> list[dict]:
    made = []
    for i in range(start, start + count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        when = received(i, tz)
        made.append(
            {
                "id": i + 1,
                "meta_lead_id": f"8{i:015d}",
                "meta_form_id": f"20000000000000{i % 3}",
                "campaign_id": f"3000{i % 7}",
                "campaign_name": f"Campaign {i % 7}",
                "platform": "ig" if i % 3 else "fb",
                "is_organic": False,
                "is_test": False,
                "first_name": HOSTILE if i % 9973 == 0 else first,
                "last_name": last,
                "email": f"lead{i}@example.com",
                "phone": f"+90532{i:07d}",
                "phone_raw": f"0532 {i:07d}",
                "country_code": "TR",
                "service": rng.choice(SERVICES),
                "form_data": [],
                "status": "new",
                "score": rng.randint(0, 100),
                "meta_created_at": when,
                "created_at": when,
                "updated_at": when,
                "version_id": 1,
            }
        )
    return made


def seed(count: int, tz_name: str) -> None:
    """An empty schema, a superadmin `bench` and staff, then *count* leads. Commits."""
    empty_database()
    db.create_all()
    accounts.create_user("bench", "bench-password-1234", role=Role.SUPERADMIN)
    for name in ("ayse", "mehmet", "zeynep"):
        accounts.create_user(name, "bench-password-1234", role=Role.STAFF)
    db.session.commit()
    tz, rng = ZoneInfo(tz_name), random.Random(7)
    for start in range(0, count, CHUNK):
        db.session.execute(sa.insert(LEADS), rows(start, min(CHUNK, count - start), tz, rng))
        db.session.commit()
    lead_counters.recount()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        sequence = "SELECT setval('facebook_leads_id_seq', (SELECT max(id) FROM facebook_leads))"
        db.session.execute(sa.text(sequence))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))


def bench_user() -> User:
    return db.session.scalar(sa.select(User).where(User.username == "bench"))
