"""Members: filters, PIN hashes PHP accepts, token revocation, deactivation, exports without hashes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import bcrypt
import pytest
from sqlalchemy import select

from tests.admin.conftest import add_token, add_user, db_dump, now
from tinytalk_sdk import ConflictError, NotFoundError, ValidationError
from tinytalk_sdk.admin import members as M
from tinytalk_sdk.db import transaction
from tinytalk_sdk.db.models import User, UserAuthToken
from tinytalk_sdk.passwords import hash_password, is_bcrypt_hash, verify_password

if TYPE_CHECKING:
    from sqlalchemy import Engine


def test_password_format_is_php_compatible() -> None:
    hashed = hash_password("123456", cost=4)
    assert hashed.startswith("$2y$04$") and len(hashed) == 60 and is_bcrypt_hash(hashed)
    # What PHP's password_verify does: the same algorithm under the $2b$ name for Python's bcrypt.
    assert bcrypt.checkpw(b"123456", ("$2b$" + hashed[4:]).encode())
    assert verify_password("123456", hashed)
    assert not verify_password("654321", hashed)
    for prefix in ("$2b$", "$2a$"):
        assert verify_password("123456", prefix + hashed[4:])
    assert not verify_password("123456", "plain-text")
    assert not verify_password("123456", None)
    assert hash_password("1234").startswith("$2y$10$")  # PHP's default cost
    with pytest.raises(ValidationError):
        hash_password("x" * 73)


@pytest.fixture
def school(engine: Engine) -> dict[str, int]:
    t = now()
    return {
        "kim": add_user(engine, "kim@a.kr", name="김민준", school="서울초", class_name="3-1",
                        created_at=t - dt.timedelta(days=40), last_login_at=t - dt.timedelta(days=1)),
        "lee": add_user(engine, "lee@a.kr", name="이서연", school="서울초", class_name="3-2",
                        created_at=t - dt.timedelta(days=10), last_login_at=t - dt.timedelta(days=20)),
        "park": add_user(engine, "park@b.kr", name="Park Jisoo", school="Busan Elem", class_name="3-1",
                         created_at=t - dt.timedelta(days=2), student_no="2025-007"),
    }


def test_filters(engine: Engine, school: dict[str, int]) -> None:
    def emails(**kw: object) -> list[str]:
        return [m.email for m in M.list_members(engine, M.MemberFilter(**kw))]  # type: ignore[arg-type]

    assert emails() == ["kim@a.kr", "lee@a.kr", "park@b.kr"]
    assert emails(school="서울초") == ["kim@a.kr", "lee@a.kr"]
    assert emails(school="서울초", class_name="3-1") == ["kim@a.kr"]
    assert emails(created_from="30d") == ["lee@a.kr", "park@b.kr"]
    assert emails(created_to="30d") == ["kim@a.kr"]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert emails(created_from="5d", created_to=today) == ["park@b.kr"]  # a bare date includes that day
    assert emails(login_from="7d") == ["kim@a.kr"]
    assert emails(login_to="7d") == ["lee@a.kr"]  # never logged in: not in a login range
    assert emails(query="서연") == ["lee@a.kr"]
    assert emails(query="2025-007") == ["park@b.kr"]
    assert emails(query="%") == []  # LIKE wildcards are literal
    assert [m.email for m in M.iter_members(engine, M.MemberFilter(school="서울초"), batch=1)] == [
        "kim@a.kr", "lee@a.kr"]
    with pytest.raises(ValidationError, match="created-from"):
        emails(created_from="yesterday")


def test_create_and_reset_pin(engine: Engine) -> None:
    m = M.create_member(engine, email="new@a.kr", pin="2468", name="새 학생", school="서울초")
    assert m.is_active and not hasattr(m, "pin_hash")
    with transaction(engine) as s:
        stored = s.scalars(select(User.pin_hash).where(User.id == m.id)).one()
    assert stored.startswith("$2y$10$") and verify_password("2468", stored)
    with pytest.raises(ConflictError):
        M.create_member(engine, email="NEW@a.kr", pin="1111", name="dup")
    add_token(engine, m.id)
    _member, revoked = M.reset_pin(engine, "new@a.kr", "97531")
    assert revoked == 1
    with transaction(engine) as s:
        stored = s.scalars(select(User.pin_hash).where(User.id == m.id)).one()
    assert verify_password("97531", stored) and not verify_password("2468", stored)


def test_bad_input_changes_nothing(engine: Engine, school: dict[str, int]) -> None:
    add_token(engine, school["kim"])
    before = db_dump(engine)
    with pytest.raises(ValidationError) as info:
        M.create_member(engine, email="not-an-address", pin="12", name="")
    assert len(info.value.errors) == 3
    with pytest.raises(ValidationError):
        M.reset_pin(engine, "kim@a.kr", "abcd")
    with pytest.raises(NotFoundError):
        M.reset_pin(engine, "ghost@a.kr", "1234")
    with pytest.raises(NotFoundError):
        M.deactivate_member(engine, "999999")
    assert db_dump(engine) == before


def test_revoke_and_deactivate(engine: Engine, school: dict[str, int]) -> None:
    kim = school["kim"]
    add_token(engine, kim)
    add_token(engine, kim)
    add_token(engine, kim, revoked=True)
    other = add_token(engine, school["lee"])
    assert M.member_details(engine, kim).active_tokens == 2

    before = db_dump(engine)
    dry = M.deactivate_member(engine, "kim@a.kr", dry_run=True)
    assert (dry.tokens_revoked, dry.dry_run, dry.member.is_active) == (2, True, True)
    assert db_dump(engine) == before

    assert M.revoke_tokens(engine, kim) == 2
    assert M.revoke_tokens(engine, kim) == 0
    add_token(engine, kim)
    result = M.deactivate_member(engine, str(kim))
    assert (result.tokens_revoked, result.member.is_active) == (1, False)
    with transaction(engine) as s:
        open_tokens = s.scalars(select(UserAuthToken.id).where(UserAuthToken.revoked_at.is_(None))).all()
    assert open_tokens == [other]
    assert [m.email for m in M.list_members(engine, M.MemberFilter(active=False))] == ["kim@a.kr"]
