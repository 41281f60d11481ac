"""`flask mail send-pending` killed with SIGKILL mid-batch, for real: a subprocess sends to an
aiosmtpd server that stalls on one mail's DATA; the test kills the process there, runs the
command again (at once, and after the dead sender's lease), and counts what the server got.

The guarantee (mail_jobs.send_one): at least once per outbox row, and the unique dedupe_key
makes one row per event and recipient. A kill before the server's "250" (it stalls before
taking the mail) loses nothing and repeats nothing: every mail arrives exactly once. A kill in
the one window no outbox can close (the server took the mail, the row does not say so yet)
sends that one mail a second time, and only that one."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import MailStatus, OutboxMail
from app.services import alerts
from tests.mail_server import Inbox, start_smtp

ROOT = Path(__file__).resolve().parents[2]
MAILS, BATCH, STALL_AT = 12, 5, 7  # batches 5 + 5 + 2; the 8th mail (batch 2) stalls
LEASE_S = 120  # the test moves the dead sender's claim into the past instead of waiting


class StallingInbox(Inbox):
    """Takes STALL_AT mails, then holds the next DATA without a reply until `release`.
    *accept_first*: the stalled mail counts as delivered (the server kept it before its reply
    was lost, the unavoidable window); otherwise it is not (the client left before "250")."""

    def __init__(self, accept_first: bool) -> None:
        super().__init__()
        self.accept_first = accept_first
        self.stalled = threading.Event()
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if len(self.messages) == STALL_AT and not self.released.is_set():
            if self.accept_first:
                self.messages.append((list(envelope.rcpt_tos), envelope.content))
            self.stalled.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "421 4.3.0 closing"  # the client is gone: nobody hears this
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture(params=[False, True], ids=["killed-before-accept", "killed-after-accept"])
def stalling(request):
    inbox = StallingInbox(accept_first=request.param)
    controller = start_smtp(inbox)
    yield inbox
    inbox.released.set()
    controller.stop()


@pytest.fixture
def app_config(stalling):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": stalling.port}


def send_pending_env(app, inbox) -> dict[str, str]:
    config = app.config
    return os.environ | {
        "FLASK_APP": "wsgi.py",
        "APP_ENV": "development",
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": config["SECRET_KEY"],
        "TOKEN_ENCRYPTION_KEYS": config["TOKEN_ENCRYPTION_KEYS"],
        "META_SANDBOX": "0",
        "SCHEDULER_ENABLED": "0",
        "WEBHOOK_WORKER": "0",
        "MAIL_WORKER": "0",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(inbox.port),
        "MAIL_TIMEOUT": "30",  # longer than the test: the stall, not a timeout, ends it
        "MAIL_BATCH": str(BATCH),
        "MAIL_LEASE_SECONDS": str(LEASE_S),
    }


def send_pending(env) -> subprocess.CompletedProcess:
    flask = str(Path(sys.executable).parent / "flask")
    done = subprocess.run(
        [flask, "mail", "send-pending"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def expire_claims() -> None:
    """As if LEASE_S had passed since the killed sender claimed its batch."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    db.session.execute(
        sa.update(OutboxMail).where(OutboxMail.locked_until.is_not(None)).values(locked_until=past)
    )
    db.session.commit()


def statuses() -> Counter:
    db.session.rollback()
    return Counter(db.session.scalars(sa.select(OutboxMail.status)))


def test_send_pending_killed_mid_batch_then_run_again_loses_nothing(app_ctx, app, stalling):
    addresses = [f"r{n:02d}@example.com" for n in range(MAILS)]
    for address in addresses:
        alerts.queue_test_mail(address, address)
    alerts.queue_test_mail(addresses[0], addresses[0])  # the same event again: one row
    db.session.commit()
    env = send_pending_env(app, stalling)
    flask = str(Path(sys.executable).parent / "flask")
    killed = subprocess.Popen(
        [flask, "mail", "send-pending"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert stalling.stalled.wait(60), "the sender never reached the stalled mail"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    stalling.released.set()
    assert statuses() == {MailStatus.SENT: STALL_AT, MailStatus.QUEUED: MAILS - STALL_AT}

    send_pending(env)  # at once: the third batch was never claimed; the second's rest is held
    assert statuses() == {MailStatus.SENT: MAILS - (BATCH * 2 - STALL_AT), MailStatus.QUEUED: 3}
    expire_claims()
    send_pending(env)  # the dead sender's lease is over: its claimed mails go now
    assert statuses() == {MailStatus.SENT: MAILS}

    received = Counter(to[0] for to, _ in stalling.messages)
    assert set(received) == set(addresses)  # nothing lost
    stalled_one = addresses[STALL_AT]
    twice = {a for a, n in received.items() if n > 1}
    assert twice == ({stalled_one} if stalling.accept_first else set())
    assert max(received.values()) <= 2
