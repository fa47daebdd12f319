"""The schema map: parsed against the models, rendered by a per-engine compiler, read from the profile."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text, update
from sqlalchemy.orm import Session, aliased

from tests.db._helpers import run_sql
from tinytalk_sdk import ConfigError
from tinytalk_sdk.config import load_config, write_schema
from tinytalk_sdk.db import make_engine
from tinytalk_sdk.db.migrate import upgrade
from tinytalk_sdk.db.models import StudentCharacterAssignment, User
from tinytalk_sdk.db.schema_map import parse_schema_map

USERS_MAP = {"users": {"pin_hash": "pin", "school": "school_name", "last_login_at": "last_login"}}


@pytest.mark.parametrize(("data", "message"), [
    ({"members": {"pin_hash": "pin"}}, "[schema.members]: no such table"),
    ({"users": {"pin": "pin_hash"}}, "'pin' is not a column of users"),
    ({"users": {"pin_hash": "pin", "name": "pin"}}, "both map to live column 'pin'"),
    ({"users": {"pin_hash": ""}}, "maps to an empty name"),
    ({"user_auth_tokens": {"token_hash": {"from": "token", "transform": "md5"}}}, "transform = one of"),
    ({"users": "pin"}, "must be a table"),
])
def test_bad_maps_name_the_table_and_column(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_schema_map(data, source="config.toml")
    assert message in str(err.value) and str(err.value).startswith("config.toml: ")


def test_derived_columns_and_renames() -> None:
    smap = parse_schema_map({**USERS_MAP, "user_auth_tokens": {"token_hash": {"from": "token",
                                                                                "transform": "sha256"}}})
    assert smap.present and smap.live("users", "pin_hash") == "pin" and smap.live("users", "name") == "name"
    assert smap.derived["user_auth_tokens"]["token_hash"].source == "token"
    assert smap.live("user_auth_tokens", "token_hash") == "token_hash"
    assert parse_schema_map({}).present and not parse_schema_map(None).present


def _php_like(tmp_path: Path, name: str) -> Engine:
    """A migrated SQLite database whose users columns were then renamed the PHP way."""
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    upgrade(engine)
    engine.dispose()
    run_sql(engine, "ALTER TABLE users RENAME COLUMN pin_hash TO pin",
            "ALTER TABLE users RENAME COLUMN school TO school_name",
            "ALTER TABLE users RENAME COLUMN last_login_at TO last_login")
    return make_engine(f"sqlite:///{tmp_path / name}", schema_map=USERS_MAP)


def test_orm_and_core_statements_use_the_live_names(tmp_path: Path) -> None:
    mapped = _php_like(tmp_path, "php.db")
    plain = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    upgrade(plain)
    # Two engines, two maps, one process: each renders its own names (the compiler is per engine).
    for engine in (mapped, plain):
        with Session(engine) as s:
            s.add(User(email="a@example.kr", pin_hash="$2y$x", name="김민준", school="서울초"))
            s.commit()
            user = s.scalars(select(User).where(User.pin_hash == "$2y$x")).one()
            assert (user.pin_hash, user.school) == ("$2y$x", "서울초")
            user.pin_hash = "$2y$y"
            s.commit()
            s.execute(update(User).where(User.school == "서울초").values(school="부산초"))
            alias = aliased(User)
            assert s.execute(select(alias.pin_hash, alias.school)).all() == [("$2y$y", "부산초")]
            sub = select(User.pin_hash.label("p"), User.school).subquery()
            assert s.execute(select(sub.c.p, sub.c.school)).all() == [("$2y$y", "부산초")]
            s.execute(insert(User.__table__), [{"email": "b@example.kr", "pin_hash": "h", "name": "b",
                                                "locale": "ko", "is_active": True}])
            s.commit()
            assert len(s.scalars(select(User).order_by(User.last_login_at)).all()) == 2
    with mapped.connect() as conn:  # what PHP reads: its own column names
        assert conn.execute(text("SELECT pin, school_name FROM users ORDER BY id")).all() == [
            ("$2y$y", "부산초"), ("h", None)]


def test_mysql_upsert_and_ddl_render_live_names() -> None:
    engine = create_engine("mysql+pymysql://u:p@127.0.0.1/db")  # compile only: never connects
    from tinytalk_sdk.db.schema_map import install

    install(engine, parse_schema_map({"student_character_assignments": {"school": "school_name"}}))
    from sqlalchemy.dialects.mysql import insert as mysql_insert

    table = StudentCharacterAssignment.__table__
    stmt = mysql_insert(table).values(user_id=1, character_id=2, school="s")
    stmt = stmt.on_duplicate_key_update(school=stmt.inserted.school)
    sql = str(stmt.compile(engine))
    assert "`school`" not in sql.replace("school_name", "")
    assert sql.count("school_name") == 3, sql
    from sqlalchemy.schema import CreateIndex

    ddl = [str(CreateIndex(ix).compile(engine)) for ix in table.indexes if "school" in str(ix.name)]
    assert ddl and all("school_name" in d for d in ddl)


def test_the_profile_holds_the_map(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[profiles.prod]\ndatabase_url = "sqlite:///x.db"\n', encoding="utf-8")
    cfg = load_config("prod", path=path, env={})
    assert cfg.schema is None
    write_schema(cfg, {**USERS_MAP, "user_auth_tokens": {"token_hash": {"from": "token", "transform": "sha256"}}})
    again = load_config("prod", path=path, env={})
    assert again.schema == {**USERS_MAP, "user_auth_tokens": {"token_hash": {"from": "token", "transform": "sha256"}}}
    assert again.get("database_url") == "sqlite:///x.db"
    path.write_text('[profiles.prod]\nschema = "users"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[profiles.prod.schema\] must be a table"):
        load_config("prod", path=path, env={})


def test_no_raw_sql_over_model_tables() -> None:
    """text() SQL bypasses the map: the SDK, server and admin code run none over the 12 tables."""
    from tinytalk_sdk.db.base import Base

    tables = "|".join(sorted(Base.metadata.tables))
    pattern = re.compile(r"text\(\s*f?[\"'][^\"']*\b(FROM|INTO|UPDATE|JOIN)\s+`?(" + tables + r")\b", re.I)
    root = Path(__file__).parents[2]
    # The adoption code speaks the live names on purpose; everything else must go through the models.
    allowed = {"adopt_plan.py", "adopt_apply.py", "map_suggest.py"}
    offenders = [str(p.relative_to(root)) for folder in ("tinytalk_sdk", "tinytalk_cli")
                 for p in (root / folder).rglob("*.py")
                 if p.name not in allowed and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
