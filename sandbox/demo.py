"""The demo: a distributor, a config on the built-in Meta sandbox, users, generated leads."""

import logging
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.extensions import db
from app.models import MetaApiConfig, MetaForm, Role
from app.services import accounts, meta_configs
from app.services.meta_lead_service import LeadSource, ingest_raw_leads

from .generator import LeadFactory
from .state import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, SandboxState

log = logging.getLogger(__name__)
DEMO_DISTRIBUTOR = "MSH Med Tour (demo)"
DEMO_USERS = (("admin", Role.SUPERADMIN), ("ayse", Role.STAFF), ("mehmet", Role.STAFF))
SEED_CHUNK = 5000


@dataclass
class DemoSummary:
    config_id: int
    lines: list[str] = field(default_factory=list)


def seed_demo(instance_dir: Path) -> DemoSummary:
    """Create (once) the demo distributor, sandbox config and users. Caller commits."""
    distributor = accounts.get_distributor_by_name(DEMO_DISTRIBUTOR)
    if distributor is None:
        distributor = accounts.create_distributor(DEMO_DISTRIBUTOR, "demo@example.com")
    config = demo_config(distributor)
    summary = DemoSummary(config.id)
    for username, role in DEMO_USERS:
        password = demo_password(instance_dir, username)
        user = accounts.get_user_by_username(username)
        if user is None:
            user = accounts.create_user(username, password, role=role)
        elif not user.check_password(password):
            continue  # someone changed it: leave their password alone and don't print ours
        summary.lines.append(f"Demo {role.value}: {username} / {password}")
    return summary


def sign_in_lines(instance_dir: Path) -> list[str]:
    """ "Demo superadmin: admin / …" for each demo user whose password is still the one kept in
    instance/ (what `make run` prints once the server is up)."""
    lines = []
    for username, role in DEMO_USERS:
        path = instance_dir / f"demo_{username}_password"
        user = accounts.get_user_by_username(username)
        if path.exists() and user is not None and user.check_password(path.read_text().strip()):
            lines.append(f"Demo {role.value}: {username} / {path.read_text().strip()}")
    return lines


def demo_config(distributor) -> MetaApiConfig:
    form = db.session.scalar(
        db.select(MetaForm).join(MetaForm.config).where(MetaApiConfig.page_id == DEFAULT_PAGE_ID)
    )
    if form is not None:
        return form.config
    sandbox = SandboxState(leads_per_form=0)
    return meta_configs.add_config(
        distributor,
        page_id=DEFAULT_PAGE_ID,
        form_ids=list(sandbox.forms),
        token=DEFAULT_PAGE_TOKEN,
        interval_minutes=1,
    )


def demo_password(instance_dir: Path, username: str) -> str:
    """A random password per demo user, kept in instance/ so `make run` can show it again."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / f"demo_{username}_password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


def seed_leads(config_id: int, count: int, *, seed: int = 11, spread_days: float = 90) -> int:
    """Bulk-insert *count* generated sandbox-shaped leads; commits per chunk (a job loop)."""
    config = db.session.get(MetaApiConfig, config_id)
    forms = list(SandboxState(leads_per_form=0).forms.values())
    factory, rng = LeadFactory(seed), random.Random(seed)
    now = int(time.time())
    created = 0
    for start in range(0, count, SEED_CHUNK):
        size = min(SEED_CHUNK, count - start)
        stamps = sorted(now - int(rng.random() * spread_days * 86400) for _ in range(size))
        raws = [factory.lead(forms[i % len(forms)], ts) for i, ts in enumerate(stamps)]
        source = LeadSource.of(config)
        result = ingest_raw_leads(raws, source, now=datetime.now(UTC), announce_events=False)
        db.session.commit()
        created += result.created
        log.info("seeded %d/%d leads", start + size, count)
    return created
