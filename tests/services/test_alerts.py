"""Token alerts reach every superadmin in their own language, through a real SMTP server:
one message per language group, subject and body translated."""

import socket
import time
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from app.models import BackupRun, BackupStatus, BackupTrigger, Role
from app.services import alerts, meta_configs
from tests import factories


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"

    def wait_for(self, count: int) -> list:
        deadline = time.monotonic() + 5
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp():
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd cannot start on port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture
def app_config(smtp):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.port, "MAIL_SUPPRESS_SEND": False}


def superadmin(name: str, email: str | None, language: str | None):
    user = factories.make_user(name, role=Role.SUPERADMIN)
    user.email, user.language = email, language
    return user


def read(raw: str) -> tuple[str, str]:
    """Subject and body of a sent message, decoded."""
    message = message_from_bytes(raw.encode("utf-8"))
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    return " ".join(str(make_header(decode_header(message["Subject"]))).split()), body


def test_each_superadmin_reads_the_alert_in_their_own_language(app_ctx, smtp):
    superadmin("turkan", "turkan@example.com", "tr")
    superadmin("emma", "emma@example.com", "en")
    superadmin("nolang", "nolang@example.com", None)  # DEFAULT_LOCALE (en in the tests)
    superadmin("silent", None, "tr")  # no address: no mail
    config = meta_configs.add_config(
        factories.make_distributor("MSH"), page_id="123", form_ids=[], token="t0ken"
    )
    alerts.alert_superadmins(config, "dead")
    db.session.commit()

    by_recipient = {tuple(sorted(to)): read(raw) for to, raw in smtp.wait_for(2)}
    english = ("emma@example.com", "nolang@example.com")
    assert set(by_recipient) == {("turkan@example.com",), english}
    subject, body = by_recipient[("turkan@example.com",)]
    assert subject == "[Meta Lead Desk] Meta bağlantısı durdu: Sayfa token'ı yenilenmeli"
    assert f"{config.id} numaralı Sayfa bağlantısının (Sayfa 123) erişim token'ını reddetti" in body
    assert "Yapılacak:" in body and "What to do" not in body
    subject, body = by_recipient[english]
    assert subject == "[Meta Lead Desk] Meta connection stopped: the Page token must be replaced"
    assert "What to do: open Admin → Meta connections" in body
    assert "t0ken" not in body


def test_the_expiry_date_is_written_in_the_readers_language_and_time_zone(app_ctx, smtp):

    superadmin("turkan", "turkan@example.com", "tr")
    config = meta_configs.add_config(
        factories.make_distributor("MSH"), page_id="123", form_ids=[], token="t0ken"
    )
    config.token_expires_at = datetime(2026, 12, 1, 11, 5, tzinfo=UTC)
    alerts.alert_superadmins(config, "expiring")
    db.session.commit()
    subject, body = read(smtp.wait_for(1)[0][1])
    assert subject == "[Meta Lead Desk] Meta Sayfa token'ının süresi yakında doluyor"
    assert "süresi 1 Ara 2026 14:05 tarihinde doluyor" in body


def test_no_superadmin_with_an_address_means_no_mail(app_ctx, smtp):
    superadmin("silent", None, "tr")
    config = meta_configs.add_config(
        factories.make_distributor("MSH"), page_id="123", form_ids=[], token="t0ken"
    )
    alerts.alert_superadmins(config, "dead")
    db.session.commit()
    time.sleep(0.2)
    assert smtp.messages == []


def test_a_failed_backup_is_reported_to_each_superadmin_in_their_language(app_ctx, smtp):
    superadmin("turkan", "turkan@example.com", "tr")
    superadmin("emma", "emma@example.com", "en")
    run = BackupRun(
        trigger=BackupTrigger.SCHEDULE,
        status=BackupStatus.FAILED,
        started_at=datetime(2026, 12, 1, 11, 5, tzinfo=UTC),
        error="disk full",
    )
    db.session.add(run)
    db.session.flush()
    alerts.alert_backup_failed(run)
    db.session.commit()
    by_recipient = {tuple(to): read(raw) for to, raw in smtp.wait_for(2)}
    subject, body = by_recipient[("turkan@example.com",)]
    assert subject == "[Meta Lead Desk] Veritabanı yedeği alınamadı"
    assert body.startswith("1 Ara 2026 14:05 tarihli veritabanı yedeği alınamadı.")
    subject, body = by_recipient[("emma@example.com",)]
    assert subject == "[Meta Lead Desk] The database backup failed"
    assert body.startswith("The database backup of 1 Dec 2026, 14:05 failed.")
