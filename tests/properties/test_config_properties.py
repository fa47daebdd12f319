"""Config TOML loading on generated files: a Config or a ConfigError naming the file, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tinytalk_sdk._exceptions import ConfigError, TinyTalkError
from tinytalk_sdk.config import SETTINGS, load_config

KEY = st.one_of(st.sampled_from(sorted(SETTINGS)), st.text(st.characters(min_codepoint=97, max_codepoint=122),
                                                           min_size=1, max_size=10))
VALUE = st.one_of(st.text(max_size=30).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"')
                                           .replace("\n", "\\n") + '"'),
                  st.integers().map(str), st.sampled_from(["true", "[1, 2]", "{a = 1}", "1979-05-27", "nan"]))
TABLE = st.sampled_from(["[profiles.default]", "[profiles.prod]", "[default]", "[profiles]", "profiles = 1",
                         "[[profiles.x]]", "[profiles.default.inner]", ""])
LINE = st.one_of(st.tuples(KEY, VALUE).map(lambda kv: f"{kv[0]} = {kv[1]}"), TABLE,
                 st.text(max_size=30))


@given(st.lists(LINE, max_size=8), st.sampled_from([None, "prod", "staging"]))
def test_generated_toml(lines: list[str], profile: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text("\n".join(lines), encoding="utf-8")
        path.chmod(0o600)
        try:
            cfg = load_config(profile, path=path, env={})
        except ConfigError as exc:
            assert str(path) in str(exc) and "\n" not in str(exc).strip()
            return
        except TinyTalkError as exc:  # pragma: no cover - the property
            raise AssertionError(f"{type(exc).__name__} instead of ConfigError: {exc}") from exc
        for key in SETTINGS:
            cfg.get(key)  # every value resolves (a table or a number where text is expected must not crash)
        cfg.shown()


@given(st.binary(max_size=200))
def test_bytes_that_are_not_utf8_toml(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_bytes(data)
        try:
            load_config(path=path, env={})
        except ConfigError as exc:
            assert str(path) in str(exc)
