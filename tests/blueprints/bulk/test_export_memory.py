"""An export of 50,000 rows streams at flat memory: its peak (tracemalloc, while the response
is read chunk by chunk) is no larger than that of an export of 20,000, give or take: both span
several pages of lines, and memory holds one page at a time whatever the size."""

import tracemalloc
from datetime import UTC, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead
from app.services import lead_counters

ROWS = 50_000


def seed(app) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        db.session.execute(
            sa.insert(FacebookLead.__table__),
            [
                {
                    "meta_lead_id": f"7{i:015d}",
                    "first_name": "=HYPERLINK(1)" if i % 1000 == 0 else f"Name{i}",
                    "last_name": "Yılmaz",
                    "email": f"lead{i}@example.com",
                    "phone": f"+90532{i:07d}",
                    "service": "ivf" if i % 5 < 2 else "veneers",
                    "form_data": [],
                    "status": "new",
                    "score": i % 100,
                    "is_organic": False,
                    "is_test": False,
                    "meta_created_at": now,
                    "created_at": now,
                    "updated_at": now,
                    "version_id": 1,
                }
                for i in range(ROWS)
            ],
        )
        lead_counters.recount()
        db.session.commit()


def peak_while_reading(client, path: str) -> tuple[int, int]:
    """(rows read, peak bytes allocated) for one streamed download."""
    tracemalloc.start()
    response = client.get(path, buffered=False)
    lines = 0
    for chunk in response.response:
        lines += chunk.count(b"\n")
    response.close()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines - 1, peak


def test_a_50000_row_csv_export_streams_at_flat_memory(app, client, auth, users):
    seed(app)
    auth.login("admin")
    small_rows, small_peak = peak_while_reading(client, "/facebook-leads/export.csv?service=ivf")
    rows, peak = peak_while_reading(client, "/facebook-leads/export.csv")
    assert (small_rows, rows) == (ROWS * 2 // 5, ROWS)
    assert peak < 1.25 * small_peak + 2**20, (peak, small_peak)
    json_rows, json_peak = peak_while_reading(client, "/facebook-leads/export.json")
    assert json_rows > 0 and json_peak < 2 * small_peak + 4 * 2**20, (json_peak, small_peak)
