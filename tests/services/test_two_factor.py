"""TOTP codes: right, skewed by one step, replayed, recovery codes once, remembered devices."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from app.extensions import db
from app.models import Role, UserTwoFactor
from app.services import accounts, two_factor
from tests import factories

NOW = datetime(2026, 12, 2, 9, 0, 5, tzinfo=UTC)


def code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


@pytest.fixture
def enrolled(app_ctx):
    user = factories.make_user("admin", role=Role.SUPERADMIN)
    enrolment = two_factor.begin_enrolment(user, "Meta Lead Desk")
    codes = two_factor.confirm_enrolment(user, code_at(enrolment.secret, NOW), NOW)
    db.session.commit()
    return user, enrolment.secret, codes


def test_enrolment_gives_a_scannable_uri_and_an_svg_qr_and_keeps_the_secret_encrypted(app_ctx):
    user = factories.make_user("ayse")
    enrolment = two_factor.begin_enrolment(user, "Meta Lead Desk")
    assert enrolment.uri.startswith("otpauth://totp/Meta%20Lead%20Desk:ayse?secret=")
    assert "<svg" in enrolment.qr_svg and "<script" not in enrolment.qr_svg
    record = db.session.get(UserTwoFactor, user.id)
    assert enrolment.secret not in record.secret_encrypted
    assert not two_factor.is_enabled(user)
    with pytest.raises(two_factor.TwoFactorError):
        two_factor.confirm_enrolment(user, "000000", NOW)


def test_a_code_works_once_and_one_step_of_clock_skew_is_accepted(enrolled):
    user, secret, _ = enrolled
    later = NOW + timedelta(minutes=5)
    assert two_factor.verify(user, code_at(secret, later), later)
    assert not two_factor.verify(user, code_at(secret, later), later)  # replayed
    after = later + timedelta(seconds=30)
    two_steps_back = after - timedelta(seconds=60)
    assert not two_factor.verify(user, code_at(secret, two_steps_back), after)
    skewed = after + timedelta(minutes=1)
    assert two_factor.verify(user, code_at(secret, skewed + timedelta(seconds=30)), skewed)
    far = skewed + timedelta(minutes=5)
    assert not two_factor.verify(user, code_at(secret, far + timedelta(seconds=90)), far)
    assert not two_factor.verify(user, "12345", far) and not two_factor.verify(user, "", far)


def test_recovery_codes_sign_in_once_each_and_are_stored_hashed(enrolled):
    user, _, codes = enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    assert two_factor.verify(user, codes[0].upper(), NOW)
    assert not two_factor.verify(user, codes[0], NOW)
    assert two_factor.count_recovery_codes(user) == 9
    fresh = two_factor.new_recovery_codes(user)
    assert not two_factor.verify(user, codes[1], NOW)  # replaced
    assert two_factor.verify(user, fresh[0], NOW)


def test_a_remembered_device_lasts_30_days_and_a_password_change_forgets_it(enrolled):
    user, _, _ = enrolled
    cookie = two_factor.remember_device(user, NOW)
    db.session.commit()
    assert two_factor.device_is_trusted(user, cookie, NOW + timedelta(days=29))
    assert not two_factor.device_is_trusted(user, cookie, NOW + timedelta(days=31))
    device_id = cookie.partition(":")[0]
    for forged in (f"{device_id}:guess", "x:y", "", None, f"{10**30}:a"):
        assert not two_factor.device_is_trusted(user, forged, NOW)
    other = factories.make_user("ayse")
    assert not two_factor.device_is_trusted(other, cookie, NOW)
    accounts.reset_password(user, "another-long-password")
    db.session.commit()
    assert not two_factor.device_is_trusted(user, cookie, NOW)


def test_the_policy_requires_superadmins_only_until_they_enrol(app_ctx):
    admin = factories.make_user("admin", role=Role.SUPERADMIN)
    staff = factories.make_user("ayse")
    assert not two_factor.is_required(admin)
    two_factor.set_policy(True)
    db.session.commit()
    assert two_factor.is_required(admin) and not two_factor.is_required(staff)
    enrolment = two_factor.begin_enrolment(admin, "Meta Lead Desk")
    two_factor.confirm_enrolment(admin, code_at(enrolment.secret, NOW), NOW)
    assert not two_factor.is_required(admin)
    two_factor.disable(admin)
    assert two_factor.is_required(admin)
