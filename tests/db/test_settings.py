"""admin_settings through the SDK: validation, nothing written on error, the audit history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from tests.db._helpers import run_sql
from tinytalk_sdk import NotFoundError, ValidationError
from tinytalk_sdk.db import transaction
from tinytalk_sdk.db.models import AdminSetting
from tinytalk_sdk.settings import (
    HISTORY_LIMIT,
    KNOWN_SETTINGS,
    ensure_default_settings,
    get_setting,
    list_settings,
    set_setting,
    setting_history,
)


def _rows(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with transaction(engine) as s:
        return {
            r.setting_key: (r.setting_value, r.updated_by, r.updated_at, list(r.history or []))
            for r in s.scalars(select(AdminSetting))
        }


def test_required_settings_are_known() -> None:
    assert {"avatar_provider", "default_character", "default_persona", "max_upload_mb", "maintenance_mode",
            "feature_flags", "tts_voice_id", "heygen_avatar_id"} <= set(KNOWN_SETTINGS)
    assert KNOWN_SETTINGS["avatar_provider"].choices == ("heygen", "replika")
    assert KNOWN_SETTINGS["avatar_provider"].default == "replika"


def test_defaults_without_rows(engine: Engine) -> None:
    view = get_setting(engine, "avatar_provider")
    assert (view.value, view.is_default, view.known) == ("replika", True, True)
    assert [v.key for v in list_settings(engine)] == sorted(KNOWN_SETTINGS)
    assert _rows(engine) == {}


def test_valid_change_records_who_when_old_new(engine: Engine) -> None:
    at = dt.datetime(2026, 5, 1, 9, 0, 0, 250000, tzinfo=dt.UTC)
    first = set_setting(engine, "avatar_provider", "heygen", actor="alice", now=lambda: at)
    assert (first.old, first.new, first.changed) == (None, "heygen", True)
    second = set_setting(engine, "avatar_provider", "replika", actor="bob")
    assert (second.old, second.new) == ("heygen", "replika")

    value, by, when, history = _rows(engine)["avatar_provider"]
    assert (value, by) == ("replika", "bob")
    assert when is not None and when.tzinfo is not None
    assert [(h["by"], h["old"], h["new"]) for h in history] == [("alice", None, "heygen"),
                                                                 ("bob", "heygen", "replika")]
    assert history[0]["at"] == "2026-05-01T09:00:00.250000Z"
    assert setting_history(engine, "avatar_provider") == history


@pytest.mark.parametrize("bad", ["vimeo", "HeyGen2", "", "replika; DROP TABLE users"])
def test_invalid_avatar_provider_writes_nothing(engine: Engine, bad: str) -> None:
    set_setting(engine, "avatar_provider", "heygen", actor="alice")
    before = _rows(engine)
    with pytest.raises(ValidationError) as info:
        set_setting(engine, "avatar_provider", bad, actor="mallory")
    message = str(info.value)
    assert "avatar_provider" in message and "heygen, replika" in message and "\n" not in message
    assert info.value.exit_code == 4
    assert _rows(engine) == before


def test_invalid_value_on_a_missing_row_creates_no_row(engine: Engine) -> None:
    with pytest.raises(ValidationError, match="max_upload_mb"):
        set_setting(engine, "max_upload_mb", "500", actor="alice")
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(AdminSetting)) == 0


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("avatar_provider", "HEYGEN", "heygen"),
        ("maintenance_mode", "yes", "true"),
        ("maintenance_mode", False, "false"),
        ("max_upload_mb", " 25 ", "25"),
        ("feature_flags", '{"missions": true, "레벨": 2}', '{"missions":true,"레벨":2}'),
        ("feature_flags", {"b": 1, "a": 2}, '{"a":2,"b":1}'),
        ("default_character", "hana", "hana"),
        ("default_persona", "tutor_kim", "tutor_kim"),
        ("default_persona", "", None),
        ("tts_voice_id", "21m00Tcm4TlvDq8ikWAM", "21m00Tcm4TlvDq8ikWAM"),
        ("heygen_avatar_id", "Wayne_20240711", "Wayne_20240711"),
    ],
)
def test_values_are_normalised(key: str, value: Any, stored: str | None) -> None:
    spec = KNOWN_SETTINGS[key]
    assert spec.dump(spec.parse(value)) == stored


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("maintenance_mode", "maybe"),
        ("max_upload_mb", "0"),
        ("max_upload_mb", "26"),
        ("max_upload_mb", "ten"),
        ("max_upload_mb", True),
        ("feature_flags", "[1, 2]"),
        ("feature_flags", "{not json"),
        ("default_character", "Hana Chan"),
        ("tts_voice_id", "voice id with spaces"),
        ("avatar_provider", None),
    ],
)
def test_invalid_values_name_key_and_allowed(key: str, value: Any) -> None:
    spec = KNOWN_SETTINGS[key]
    with pytest.raises(ValidationError) as info:
        spec.parse(value)
    assert f"'{key}'" in str(info.value) and "allowed:" in str(info.value)
    assert info.value.errors[0]["key"] == key


def test_same_value_is_a_no_op(sqlite_engine: Engine) -> None:
    set_setting(sqlite_engine, "max_upload_mb", 10, actor="alice")
    change = set_setting(sqlite_engine, "max_upload_mb", "10", actor="bob")
    assert change.changed is False
    assert [h["by"] for h in _rows(sqlite_engine)["max_upload_mb"][3]] == ["alice"]


def test_dry_run_writes_nothing(sqlite_engine: Engine) -> None:
    change = set_setting(sqlite_engine, "avatar_provider", "heygen", actor="alice", dry_run=True)
    assert (change.changed, change.dry_run, change.new) == (True, True, "heygen")
    assert _rows(sqlite_engine) == {}


def test_history_keeps_the_last_50(sqlite_engine: Engine) -> None:
    for i in range(HISTORY_LIMIT + 5):
        set_setting(sqlite_engine, "max_upload_mb", str(i % 25 + 1), actor=f"admin{i}")
    history = _rows(sqlite_engine)["max_upload_mb"][3]
    assert len(history) == HISTORY_LIMIT
    assert history[-1]["by"] == f"admin{HISTORY_LIMIT + 4}" and history[0]["by"] == "admin5"


def test_unknown_keys_need_force(sqlite_engine: Engine) -> None:
    with pytest.raises(ValidationError, match="unknown setting 'php_banner'") as info:
        set_setting(sqlite_engine, "php_banner", "hello", actor="alice")
    assert info.value.hint and "--force" in info.value.hint
    assert _rows(sqlite_engine) == {}
    change = set_setting(sqlite_engine, "php_banner", "안녕하세요 👋", actor="alice", force=True)
    assert change.changed
    view = get_setting(sqlite_engine, "php_banner")
    assert (view.value, view.known, view.value_type) == ("안녕하세요 👋", False, "string")
    with pytest.raises(ValidationError, match="invalid setting key"):
        set_setting(sqlite_engine, "Bad Key!", "x", actor="alice", force=True)


def test_unknown_absent_key_is_not_found(sqlite_engine: Engine) -> None:
    with pytest.raises(NotFoundError, match="'nope'"):
        get_setting(sqlite_engine, "nope")


def test_actor_is_required(sqlite_engine: Engine) -> None:
    with pytest.raises(ValidationError, match="actor"):
        set_setting(sqlite_engine, "avatar_provider", "heygen", actor="  ")


def test_row_written_by_php_with_a_bad_value_is_flagged(sqlite_engine: Engine) -> None:
    run_sql(sqlite_engine, "INSERT INTO admin_settings (setting_key, setting_value, value_type) "
                           "VALUES ('avatar_provider', 'live2d', 'string')")
    view = get_setting(sqlite_engine, "avatar_provider")
    assert (view.valid, view.raw) == (False, "live2d")
    assert view.problem and "heygen, replika" in view.problem
    # Fixing it records the bad old value in the history.
    set_setting(sqlite_engine, "avatar_provider", "replika", actor="alice")
    assert setting_history(sqlite_engine, "avatar_provider")[-1]["old"] == "live2d"


def test_ensure_default_settings_never_overwrites(sqlite_engine: Engine) -> None:
    set_setting(sqlite_engine, "avatar_provider", "heygen", actor="alice")
    added = ensure_default_settings(sqlite_engine, actor="seed")
    assert "avatar_provider" not in added and set(added) == set(KNOWN_SETTINGS) - {"avatar_provider"}
    assert get_setting(sqlite_engine, "avatar_provider").value == "heygen"
    assert ensure_default_settings(sqlite_engine, actor="seed") == []
