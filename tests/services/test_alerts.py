"""Token alerts reach every superadmin in their own language, through a real SMTP server:
one message per language group, subject and body translated."""

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from app.extensions import db
from app.models import BackupRun, BackupStatus, BackupTrigger, Role
from app.services import alerts, meta_configs
from app.tasks import mail_jobs
from tests import factories
from tests.mail_server import smtp_config


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp)


def superadmin(name: str, email: str | None, language: str | None):
    user = factories.make_user(name, role=Role.SUPERADMIN)
    user.email, user.language = email, language
    return user


def read(raw: bytes) -> tuple[str, str]:
    """Subject and plain-text body of a sent message, decoded."""
    message = message_from_bytes(raw, policy=policy.default)
    return " ".join(message["Subject"].split()), message.get_body(("plain",)).get_content()


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
    mail_jobs.send_pending()

    by_recipient = {tuple(to): read(raw) for to, raw in smtp.wait_for(3)}
    assert set(by_recipient) == {
        ("turkan@example.com",),
        ("emma@example.com",),
        ("nolang@example.com",),
    }
    assert by_recipient[("emma@example.com",)] == by_recipient[("nolang@example.com",)]
    subject, body = by_recipient[("turkan@example.com",)]
    assert subject == "[Meta Lead Desk] Meta bağlantısı durdu: Sayfa token'ı yenilenmeli"
    assert f"{config.id} numaralı Sayfa bağlantısının (Sayfa 123) erişim token'ını reddetti" in body
    assert "Yapılacak:" in body and "What to do" not in body
    subject, body = by_recipient[("emma@example.com",)]
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
    mail_jobs.send_pending()
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
    mail_jobs.send_pending()
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
    mail_jobs.send_pending()
    by_recipient = {tuple(to): read(raw) for to, raw in smtp.wait_for(2)}
    subject, body = by_recipient[("turkan@example.com",)]
    assert subject == "[Meta Lead Desk] Veritabanı yedeği alınamadı"
    assert body.startswith("1 Ara 2026 14:05 tarihli veritabanı yedeği alınamadı.")
    subject, body = by_recipient[("emma@example.com",)]
    assert subject == "[Meta Lead Desk] The database backup failed"
    assert body.startswith("The database backup of 1 Dec 2026, 14:05 failed.")
