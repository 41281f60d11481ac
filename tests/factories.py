"""Plain factory functions: add + flush with sensible defaults (callers commit)."""

import itertools
from datetime import UTC, datetime
from typing import Any

from app.extensions import db
from app.models import Distributor, FacebookLead, LeadStatus, Role, User
from app.services import accounts, lead_derived

_counter = itertools.count(1)


def make_user(
    username: str | None = None, *, role: Role = Role.STAFF, password="correct-horse"
) -> User:
    return accounts.create_user(username or f"user{next(_counter)}", password, role=role)


def make_distributor(name: str | None = None) -> Distributor:
    return accounts.create_distributor(name or f"Distributor {next(_counter)}")


def make_lead(**values: Any) -> FacebookLead:
    n = next(_counter)
    defaults: dict[str, Any] = {
        "meta_lead_id": f"9{n:015d}",
        "first_name": "Ayşe",
        "last_name": f"Yılmaz {n}",
        "email": f"lead{n}@example.com",
        "phone": f"+90532{n:07d}",
        "form_data": [{"name": "full_name", "values": [f"Ayşe Yılmaz {n}"]}],
        "status": LeadStatus.NEW,
        "score": 50,
        "meta_created_at": datetime.now(UTC),
    }
    lead = FacebookLead(**(defaults | values))
    db.session.add(lead)
    db.session.flush()
    lead_derived.added(lead)  # search terms and counters, as for every stored lead
    return lead
