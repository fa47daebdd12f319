"""Example data: idempotent, bilingual, usable credentials."""

from __future__ import annotations

from pathlib import Path

import bcrypt
from sqlalchemy import Engine, func, select

from tests.db._helpers import HEAD, REVISIONS
from tinytalk_sdk.db import make_engine, transaction
from tinytalk_sdk.db.migrate import current
from tinytalk_sdk.db.models import AdminSetting, AdminUser, AiPersona, PromptHistory, User
from tinytalk_sdk.db.seed import EXAMPLE_ADMIN, EXAMPLE_PIN, ensure_database, load_example_data
from tinytalk_sdk.settings import KNOWN_SETTINGS, get_setting


def _counts(engine: Engine) -> dict[str, int]:
    with transaction(engine) as s:
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (AiPersona, PromptHistory, AdminUser, User, AdminSetting)
        }


def test_example_data_is_idempotent(engine: Engine) -> None:
    assert ensure_database(engine) == []  # the fixture already migrated
    first = load_example_data(engine)
    assert first == {"ai_personas": 2, "prompt_history": 2, "admin_users": 1, "users": 3,
                     "admin_settings": len(KNOWN_SETTINGS)}
    counts = _counts(engine)
    assert load_example_data(engine) == dict.fromkeys(first, 0)
    assert _counts(engine) == counts

    with transaction(engine) as s:
        students = s.scalars(select(User).order_by(User.id)).all()
        personas = {p.name: p for p in s.scalars(select(AiPersona))}
        admin = s.scalars(select(AdminUser)).one()
    assert [u.name for u in students] == ["김민준", "이서연", "박지호"]
    assert {(u.school, u.class_name) for u in students} == {("서울숲초등학교", "5-2")}
    assert bcrypt.checkpw(EXAMPLE_PIN.encode(), students[0].pin_hash.encode())
    assert bcrypt.checkpw(EXAMPLE_ADMIN["password"].encode(), admin.password_hash.encode())
    prompt = personas["tutor_kim"].system_prompt
    assert "선생님" in prompt and "You are" in prompt and len(prompt) > 1500
    assert personas["tutor_kim"].is_default and not personas["buddy_max"].is_default
    assert get_setting(engine, "avatar_provider").raw == "replika"
    assert get_setting(engine, "default_persona").raw == "tutor_kim"


def test_ensure_database_migrates_an_empty_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert ensure_database(engine) == REVISIONS
        assert current(engine) == HEAD
    finally:
        engine.dispose()
