"""Migrations: empty → head on SQLite and MariaDB, autogenerate clean, text and times round-trip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text

from tests.db._helpers import HEAD, REVISIONS, run_sql
from tinytalk_sdk import DatabaseError
from tinytalk_sdk.db import make_engine, migrate, transaction
from tinytalk_sdk.db.base import Base
from tinytalk_sdk.db.drift import check_drift
from tinytalk_sdk.db.models import AiPersona, ChatMessage, ChatSession, User

TABLES = {
    "users", "user_auth_tokens", "ai_personas", "ai_characters", "character_emotions",
    "student_character_assignments", "chat_sessions", "chat_messages", "api_usage_logs", "admin_users",
    "admin_settings", "prompt_history",
    "auth_throttles", "idempotency_keys",  # the server's own (revision 0002, issue 12)
    "api_usage_rollups", "api_usage_rollup_state",  # the toolkit's own (revision 0003)
}


def test_migrations_ship_inside_the_package() -> None:
    loc = migrate.SCRIPT_LOCATION
    assert (loc / "env.py").is_file() and (loc / "script.py.mako").is_file()
    names = sorted(p.name for p in (loc / "versions").glob("*.py"))
    assert names == ["0001_initial_schema.py", "0002_security_tables.py", "0003_usage_rollups.py"]
    assert migrate.head() == HEAD
    assert not list(Path(migrate.__file__).parent.rglob("alembic.ini"))


def test_upgrade_empty_database_to_head(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        before = migrate.status(engine)
        assert before["current"] is None and before["pending"] == REVISIONS and not before["up_to_date"]
        assert migrate.upgrade(engine) == REVISIONS
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        after = migrate.status(engine)
        assert after == {**after, "current": HEAD, "head": HEAD, "pending": [], "up_to_date": True}
        assert "tinytalk-test-pw" not in after["database"]
        assert migrate.upgrade(engine) == []  # idempotent
    finally:
        engine.dispose()


def test_autogenerate_is_clean(engine: Engine) -> None:
    assert migrate.autogen_diff(engine) == []


def test_autogenerate_sees_a_hand_made_change(engine: Engine) -> None:
    """The clean result above means something: a changed column type does show up."""
    if engine.dialect.name == "sqlite":
        run_sql(engine, "DROP INDEX ix_users_created_at", "ALTER TABLE users ADD COLUMN legacy INTEGER")
    else:
        run_sql(engine, "ALTER TABLE users MODIFY created_at DATETIME NOT NULL",
                "ALTER TABLE users ADD COLUMN legacy INT")
    ops = [d[0][0] if isinstance(d, list) else d[0] for d in migrate.autogen_diff(engine)]
    assert "remove_column" in ops
    assert ("add_index" if engine.dialect.name == "sqlite" else "modify_type") in ops


@pytest.mark.mariadb
def test_mariadb_tables_are_innodb_utf8mb4_with_microsecond_times(mariadb: object) -> None:
    from tests._mariadb import MariaDB

    assert isinstance(mariadb, MariaDB)
    url = mariadb.create_database()
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            tables = conn.execute(text(
                "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'alembic_version'")).all()
            datetimes = conn.execute(text(
                "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                "AND DATA_TYPE = 'datetime'")).scalars().all()
            prompt = conn.execute(text(
                "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = 'ai_personas' AND COLUMN_NAME = 'system_prompt'")).scalar()
        assert {t[0] for t in tables} == TABLES
        assert {(t[1], t[2]) for t in tables} == {("InnoDB", "utf8mb4_unicode_ci")}
        assert datetimes and set(datetimes) == {"datetime(6)"}
        assert prompt == "mediumtext"
    finally:
        engine.dispose()
        mariadb.drop_database(url.rsplit("/", 1)[1].split("?")[0])


def test_korean_and_emoji_round_trip(engine: Engine) -> None:
    name = "김민준 🐯"
    # Over TEXT's 64 KiB in bytes (3 bytes per Hangul syllable, 4 per emoji): needs MEDIUMTEXT.
    prompt = ("당신은 친절한 영어 선생님입니다. You are a kind tutor. 😀🎉\n" * 1200).strip()
    assert len(prompt.encode()) > 65_535
    content = "Great job! 참 잘했어요 👍🏽 ✨"
    created = dt.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    with transaction(engine) as session:
        user = User(email="minjun@example.com", pin_hash="x", name=name, created_at=created)
        persona = AiPersona(name="tutor", display_name="선생님", system_prompt=prompt)
        session.add_all([user, persona])
        session.flush()
        chat = ChatSession(user_id=user.id, persona_id=persona.id, session_date=dt.date(2026, 3, 1))
        session.add(chat)
        session.flush()
        session.add(ChatMessage(session_id=chat.id, role="assistant", content=content))
    engine.dispose()  # read back over a fresh connection, not from any cache
    with transaction(engine) as session:
        assert session.scalars(select(User.name)).one() == name
        assert session.scalars(select(AiPersona.system_prompt)).one() == prompt
        assert session.scalars(select(ChatMessage.content)).one() == content
        got = session.scalars(select(User.created_at)).one()
    assert got == created and got.tzinfo is not None  # microseconds kept, aware UTC


def test_upgrade_refuses_a_database_made_outside_the_migrations(db_url: str) -> None:
    """The PHP-made production database: tables exist, no alembic_version. Adopt it with stamp."""
    engine = make_engine(db_url)
    try:
        Base.metadata.create_all(engine)
        with pytest.raises(DatabaseError, match="no schema revision") as info:
            migrate.upgrade(engine)
        assert info.value.hint and "db stamp" in info.value.hint
        assert migrate.current(engine) is None
        assert check_drift(engine).ok
        migrate.stamp(engine, "head")
        assert migrate.status(engine)["up_to_date"]
        assert migrate.upgrade(engine) == []
    finally:
        engine.dispose()


def test_create_database_if_missing_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'x.db'}")
    try:
        assert migrate.create_database_if_missing(engine) is True
        assert migrate.create_database_if_missing(engine) is False
    finally:
        engine.dispose()


@pytest.mark.mariadb
def test_create_database_if_missing_mariadb(mariadb: object) -> None:
    from tests._mariadb import MariaDB

    assert isinstance(mariadb, MariaDB)
    name = "t_created_by_init"
    mariadb.admin(f"GRANT ALL ON `{name}`.* TO '{mariadb.user}'@'127.0.0.1'")
    engine = make_engine(mariadb.url(name))
    try:
        with pytest.raises(DatabaseError, match="Unknown database") as info:
            migrate.current(engine)
        assert info.value.hint and "db init" in info.value.hint
        assert migrate.create_database_if_missing(engine) is True
        assert migrate.create_database_if_missing(engine) is False
        with engine.connect() as conn:
            charset = conn.execute(text(
                "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
                "WHERE SCHEMA_NAME = DATABASE()")).scalar()
        assert charset == "utf8mb4"
    finally:
        engine.dispose()
        mariadb.drop_database(name)


def test_unreachable_mariadb_is_one_database_error_without_password() -> None:
    from tests._mariadb import free_port

    engine = make_engine(f"mysql+pymysql://u:secretpw@127.0.0.1:{free_port()}/x")
    with pytest.raises(DatabaseError) as info:
        migrate.status(engine)
    message = str(info.value)
    assert message.startswith("cannot connect to mysql+pymysql://u:***@127.0.0.1:")
    assert "secretpw" not in message and "\n" not in message
