"""Sign-ins (`user_sessions`): what starts, re-issues and ends them (the service level)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.errors import ValidationError
from app.extensions import db
from app.models import Role, User, UserSession
from app.services import accounts, user_sessions
from tests import factories

HOURS = timedelta(hours=12)


@pytest.fixture
def alice(app_ctx) -> User:
    user = factories.make_user("alice", role=Role.SUPERADMIN)
    db.session.commit()
    return user


def sign_in(user: User) -> str:
    key = user_sessions.start_session(user, user_agent="Browser/1.0", max_age=HOURS)
    db.session.commit()
    return key


def live(key: str) -> bool:
    db.session.expire_all()
    return user_sessions.user_for_key(key) is not None


def test_a_sign_in_keeps_only_a_hash_of_the_cookie_secret(alice):
    key = sign_in(alice)
    session_id, _, secret = key.partition(":")
    row = db.session.get(UserSession, int(session_id))
    assert row.user_id == alice.id and row.user_agent == "Browser/1.0"
    assert secret not in row.secret_hash and len(secret) >= 40
    assert user_sessions.user_for_key(key).id == alice.id


def test_ending_one_sign_in_leaves_the_others(alice):
    laptop, phone = sign_in(alice), sign_in(alice)
    alice.session_key = laptop
    user_sessions.end_session(alice)
    db.session.commit()
    assert not live(laptop) and live(phone)


def test_an_expired_sign_in_is_refused_and_cleared_at_the_next_sign_in(alice):
    old = sign_in(alice)
    db.session.execute(
        sa.update(UserSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db.session.commit()
    assert not live(old)
    sign_in(alice)
    assert user_sessions.count_sessions(alice) == 1


def test_change_password_reissues_the_current_sign_in_and_ends_the_others(alice):
    current, other = sign_in(alice), sign_in(alice)
    current_id = int(current.partition(":")[0])
    expires = db.session.get(UserSession, current_id).expires_at

    renewed = accounts.change_password(
        alice, "correct-horse", "a-new-password", keep_session=current_id
    )
    db.session.commit()

    assert renewed and renewed.partition(":")[0] != str(current_id)
    assert live(renewed) and not live(current) and not live(other)
    assert db.session.get(UserSession, int(renewed.partition(":")[0])).expires_at == expires
    assert alice.check_password("a-new-password")
    assert user_sessions.count_sessions(alice) == 1


def test_change_password_without_a_session_to_keep_ends_them_all(alice):
    keys = [sign_in(alice), sign_in(alice)]
    assert accounts.change_password(alice, "correct-horse", "a-new-password") is None
    db.session.commit()
    assert not any(live(key) for key in keys)


@pytest.mark.parametrize(
    ("current", "new", "error"),
    [
        ("not-the-password", "a-new-password", "current password is wrong"),
        ("correct-horse", "short", "at least 8"),
        ("correct-horse", "correct-horse", "same as the current"),
    ],
)
def test_change_password_refuses_and_changes_nothing(alice, current, new, error):
    key = sign_in(alice)
    with pytest.raises(ValidationError, match=error):
        accounts.change_password(alice, current, new, keep_session=int(key.split(":")[0]))
    db.session.rollback()
    assert live(key) and alice.check_password("correct-horse")


def test_ending_sign_ins_queues_session_ended_then_a_disconnect_per_sign_in(alice):
    first, second = (int(sign_in(alice).split(":")[0]) for _ in range(2))
    user_sessions.end_sessions(alice, reason="deactivated")
    queued = events.pending()
    db.session.rollback()
    assert queued == [
        ("session_ended", {"reason": "deactivated"}, f"session:{first}"),
        (events.DISCONNECT_ROOM, {}, f"session:{first}"),
        ("session_ended", {"reason": "deactivated"}, f"session:{second}"),
        (events.DISCONNECT_ROOM, {}, f"session:{second}"),
    ]


def test_deactivating_a_user_ends_their_sign_ins(alice):
    bob = factories.make_user("bob")
    db.session.commit()
    key = sign_in(bob)
    accounts.set_user_active(bob, False, actor=alice)
    db.session.commit()
    assert user_sessions.count_sessions(bob) == 0
    bob.is_active = True
    db.session.commit()
    assert not live(key)  # reactivated, the old cookie still names no sign-in
