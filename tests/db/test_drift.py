"""`check_drift`: clean on a migrated database; each kind of drift found on a database altered by hand."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from tests.db._helpers import run_sql, sqlite_rebuild
from tinytalk_sdk.db import migrate
from tinytalk_sdk.db.drift import KINDS, check_drift, normalize_type


@dataclass(frozen=True)
class Alteration:
    kind: str
    table: str
    target: str | None  # the column or index the finding must name
    mysql: tuple[str, ...]
    sqlite: tuple[str, ...] | None  # SQL, or ("rebuild", pattern, replacement)
    expected: str | None = None
    actual: str | None = None


ALTERATIONS = [
    Alteration("missing_column", "users", "nickname",
               ("ALTER TABLE users DROP COLUMN nickname",), ("ALTER TABLE users DROP COLUMN nickname",),
               expected="VARCHAR(50) NULL"),
    Alteration("extra_column", "users", "legacy_points",
               ("ALTER TABLE users ADD COLUMN legacy_points INT(11) NOT NULL DEFAULT 0",),
               ("ALTER TABLE users ADD COLUMN legacy_points INTEGER",)),
    Alteration("type", "admin_users", "username",
               ("ALTER TABLE admin_users MODIFY username VARCHAR(32) NOT NULL",),
               ("rebuild", r"username VARCHAR\(64\) NOT NULL", "username VARCHAR(32) NOT NULL"),
               expected="VARCHAR(64)", actual="VARCHAR(32)"),
    Alteration("nullable", "users", "name",
               ("ALTER TABLE users MODIFY name VARCHAR(100) NULL",),
               ("rebuild", r"\bname VARCHAR\(100\) NOT NULL", "name VARCHAR(100)"),
               expected="NOT NULL", actual="NULL"),
    Alteration("missing_index", "chat_messages", "ix_chat_messages_session_id_id",
               ("DROP INDEX ix_chat_messages_session_id_id ON chat_messages",
                # MySQL needs some index on a foreign-key column: leave one that does not serve the query.
                "CREATE INDEX php_msg_session ON chat_messages (session_id, created_at)")
               [::-1],
               ("DROP INDEX ix_chat_messages_session_id_id",)),
    Alteration("missing_unique", "users", "uq_users_email",
               ("ALTER TABLE users DROP INDEX uq_users_email",),
               ("rebuild", r",\s*CONSTRAINT uq_users_email UNIQUE \(email\)", ""),
               expected="email"),
    Alteration("extra_table", "php_sessions", None,
               ("CREATE TABLE php_sessions (id VARCHAR(128) PRIMARY KEY, data TEXT) "
                "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",),
               ("CREATE TABLE php_sessions (id VARCHAR(128) PRIMARY KEY, data TEXT)",)),
    Alteration("missing_table", "prompt_history", None,
               ("DROP TABLE prompt_history",), ("DROP TABLE prompt_history",)),
]
# MySQL only: SQLite has one DATETIME, no engines, no character sets.
MYSQL_ONLY = [
    Alteration("precision", "chat_messages", "created_at",
               ("ALTER TABLE chat_messages MODIFY created_at DATETIME NOT NULL",), None,
               expected="DATETIME(6)", actual="DATETIME"),
    Alteration("engine", "api_usage_logs", None, ("ALTER TABLE api_usage_logs ENGINE=MyISAM",), None,
               expected="InnoDB", actual="MyISAM"),
    Alteration("charset", "users", "name",
               ("ALTER TABLE users MODIFY name VARCHAR(100) CHARACTER SET latin1 NOT NULL",), None,
               expected="utf8mb4", actual="latin1"),
]


def test_every_kind_is_exercised() -> None:
    assert {a.kind for a in ALTERATIONS + MYSQL_ONLY} == set(KINDS) - {"primary_key"}


def test_migrated_database_has_no_drift(engine: Engine) -> None:
    before = sorted(inspect(engine).get_table_names())
    report = check_drift(engine)
    assert report.ok, [f.message for f in report.findings]
    assert report.to_dict()["count"] == 0
    assert sorted(inspect(engine).get_table_names()) == before  # read-only


def _alter_and_check(engine: Engine, alteration: Alteration) -> None:
    if engine.dialect.name == "sqlite":
        assert alteration.sqlite is not None
        if alteration.sqlite[0] == "rebuild":
            sqlite_rebuild(engine, alteration.table, alteration.sqlite[1], alteration.sqlite[2])
        else:
            run_sql(engine, *alteration.sqlite)
    else:
        run_sql(engine, *alteration.mysql)

    report = check_drift(engine)

    # Exactly the drift made, nothing else: the comparison is by meaning, so no noise.
    assert report.kinds() == {alteration.kind}, [f.message for f in report.findings]
    [finding] = report.findings
    assert finding.table == alteration.table
    if alteration.target is not None:
        assert alteration.target in (finding.column, finding.index)
        assert alteration.target in finding.message
    if alteration.expected is not None:
        assert finding.expected == alteration.expected
    if alteration.actual is not None:
        assert finding.actual == alteration.actual
    assert "\n" not in finding.message and finding.message.startswith(alteration.table)


@pytest.mark.parametrize("alteration", ALTERATIONS, ids=lambda a: a.kind)
def test_drift_made_by_hand_is_found(engine: Engine, alteration: Alteration) -> None:
    _alter_and_check(engine, alteration)


@pytest.mark.mariadb
@pytest.mark.parametrize("alteration", MYSQL_ONLY, ids=lambda a: a.kind)
def test_mysql_only_drift_is_found(mariadb: object, alteration: Alteration) -> None:
    from tests._mariadb import MariaDB
    from tinytalk_sdk.db import make_engine

    assert isinstance(mariadb, MariaDB)
    url = mariadb.create_database()
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        _alter_and_check(engine, alteration)
    finally:
        engine.dispose()
        mariadb.drop_database(url.rsplit("/", 1)[1].split("?")[0])


@pytest.mark.mariadb
def test_php_style_table_is_not_drift(mariadb: object) -> None:
    """PHP's spelling (INT(11), TINYINT(1), its own index names, no CHECKs) is the same schema."""
    from tests._mariadb import MariaDB
    from tinytalk_sdk.db import make_engine

    assert isinstance(mariadb, MariaDB)
    url = mariadb.create_database()
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        run_sql(engine, "DROP TABLE admin_users", """
            CREATE TABLE admin_users (
              id int(11) NOT NULL AUTO_INCREMENT,
              username varchar(64) NOT NULL,
              email varchar(191) DEFAULT NULL,
              password_hash varchar(255) NOT NULL,
              role varchar(16) NOT NULL DEFAULT 'admin',
              is_active tinyint(1) NOT NULL DEFAULT 1,
              created_at datetime(6) NOT NULL,
              last_login_at datetime(6) DEFAULT NULL,
              PRIMARY KEY (id),
              UNIQUE KEY username (username)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci""",
                # InnoDB: KEY (session_id) is really (session_id, id), the index the model asks for.
                "CREATE INDEX session_id ON chat_messages (session_id)",
                "DROP INDEX ix_chat_messages_session_id_id ON chat_messages")
        report = check_drift(engine)
        assert report.ok, [f.message for f in report.findings]
    finally:
        engine.dispose()
        mariadb.drop_database(url.rsplit("/", 1)[1].split("?")[0])


def test_empty_database_is_all_missing_tables(db_url: str) -> None:
    from tinytalk_sdk.db import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect():
            pass  # an empty database, not a missing one
        report = check_drift(engine)
    finally:
        engine.dispose()
    assert report.kinds() == {"missing_table"} and len(report.findings) == 16  # 12 + 2 of 0002 + 2 of 0003
    assert "tinytalk-test-pw" not in str(report.to_dict())


def test_missing_sqlite_file_is_an_error_and_stays_missing(tmp_path: Path) -> None:
    from tinytalk_sdk import DatabaseError
    from tinytalk_sdk.db import make_engine

    path = tmp_path / "typo.db"
    engine = make_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseError, match="no database at sqlite:///"):
        check_drift(engine)
    assert migrate.current(engine) is None
    assert not path.exists()


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("INT(11)", "INTEGER", True),
        ("int(10) unsigned", "INTEGER", True),
        ("TINYINT(1)", "BOOL", True),
        ("BOOLEAN", "BOOL", True),
        ("TINYINT(4)", "BOOL", False),
        ("BIGINT(20)", "BIGINT", True),
        ("BIGINT", "INTEGER", False),
        ("DECIMAL(12, 6)", "NUMERIC(12,6)", True),
        ("DECIMAL(10, 2)", "NUMERIC(12, 6)", False),
        ("VARCHAR(191)", "VARCHAR(191)", True),
        ("VARCHAR(100)", "VARCHAR(191)", False),
        ("DATETIME", "DATETIME(6)", False),
        ("DATETIME(6)", "DATETIME(6)", True),
        ("TIMESTAMP", "DATETIME(6)", False),
        ("MEDIUMTEXT", "TEXT", False),
        ("LONGTEXT", "LONGTEXT", True),
        ("DOUBLE", "FLOAT", False),
        ("DATE", "DATE", True),
    ],
)
def test_normalize_type(a: str, b: str, same: bool) -> None:
    assert (normalize_type(a) == normalize_type(b)) is same
