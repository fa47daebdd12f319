"""Profiles and secrets.

Where a setting comes from, first hit wins:

1. ``TINYTALK_<KEY>`` environment variable (``TINYTALK_DATABASE_URL``); for provider keys also the vendor's
   own variable (``OPENAI_API_KEY``, ``ELEVENLABS_API_KEY``, ``HEYGEN_API_KEY``);
2. the OS keyring (service ``tinytalk:<profile>``), for secrets, when the optional ``keyring`` package works;
3. ``[profiles.<name>]`` in ``config.toml`` in the platformdirs user config folder
   (``TINYTALK_CONFIG_DIR`` moves the folder, ``TINYTALK_CONFIG`` names the file);
4. the built-in default.

Reading the config never touches the network or the database; nothing happens at import time.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._exceptions import ConfigError, MissingCredentialError, ValidationError
from ._redact import mask, register_secret

__all__ = [
    "SECRET_KEYS",
    "SETTINGS",
    "Config",
    "Setting",
    "config_path",
    "data_dir",
    "load_config",
]


@dataclass(frozen=True)
class Setting:
    key: str
    help: str
    secret: bool = False
    vendor_env: str | None = None


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting("api_url", "TinyTalk API base URL (…/api); empty = the local server"),
        Setting("api_token", "Bearer token for the TinyTalk API (set by `tinytalk api login`)", secret=True),
        Setting("database_url", "SQLAlchemy URL; default: SQLite in the user data folder"),
        Setting("openai_api_key", "OpenAI API key", secret=True, vendor_env="OPENAI_API_KEY"),
        Setting("openai_base_url", "OpenAI base URL (with /v1)", vendor_env="OPENAI_BASE_URL"),
        Setting("elevenlabs_api_key", "ElevenLabs API key", secret=True, vendor_env="ELEVENLABS_API_KEY"),
        Setting("elevenlabs_base_url", "ElevenLabs base URL (no /v1)"),
        Setting("elevenlabs_voice_id", "ElevenLabs voice for TTS"),
        Setting("heygen_api_key", "HeyGen API key", secret=True, vendor_env="HEYGEN_API_KEY"),
        Setting("heygen_base_url", "HeyGen base URL"),
        Setting("heygen_avatar_id", "HeyGen avatar for streaming sessions"),
        Setting("liveavatar_api_key", "LiveAvatar API key (app.liveavatar.com; HeyGen keys do not work)",
                secret=True, vendor_env="LIVEAVATAR_API_KEY"),
        Setting("liveavatar_base_url", "LiveAvatar base URL (default https://api.liveavatar.com)"),
        Setting("liveavatar_mode", "LiveAvatar session mode: FULL (2 credits/min) or LITE (1 credit/min)"),
        Setting("liveavatar_avatar_id", "LiveAvatar avatar (UUID) for sessions"),
        Setting("liveavatar_voice_id", "LiveAvatar voice (UUID) for FULL mode; empty = the avatar's own"),
        Setting("liveavatar_context_id", "LiveAvatar context (UUID): what the avatar knows in FULL mode"),
        Setting("liveavatar_room", "LiveKit room for LiveAvatar events: livekit (default) or loopback (the fakes)"),
        Setting("cdn_url", "Publishing target: file://DIR, sftp://user@host/path, s3://bucket/prefix"),
        Setting("cdn_public_url", "Public base URL the app loads published assets from"),
        Setting("s3_endpoint_url", "Endpoint URL of an S3-compatible store"),
        Setting("sftp_key_file", "Private key file for sftp:// publishing"),
        Setting("cleanup_token", "Token that protects cleanup_uploads.php", secret=True),
        Setting("uploads_dir", "Folder holding voice uploads (local server / storage report)"),
        Setting("price_table", "Path of a price table TOML overriding the built-in one"),
        Setting("admin_user", "Name recorded as `changed_by` in audit rows (default: OS user)"),
        Setting("production", "true marks a production profile (`qa load` refuses it without "
                "--i-know-this-is-production)"),
    ]
}
# `[profiles.<name>.schema.<table>]`: the live column names of a PHP-made database (tinytalk_sdk.db.schema_map).
SCHEMA_KEY = "schema"
SECRET_KEYS = frozenset(k for k, s in SETTINGS.items() if s.secret)
PROFILE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("TINYTALK_CONFIG"):
        return Path(env["TINYTALK_CONFIG"]).expanduser()
    if env.get("TINYTALK_CONFIG_DIR"):
        return Path(env["TINYTALK_CONFIG_DIR"]).expanduser() / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir("tinytalk", appauthor=False)) / "config.toml"


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("TINYTALK_DATA_DIR"):
        return Path(env["TINYTALK_DATA_DIR"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("tinytalk", appauthor=False))


def _check_key(key: str) -> Setting:
    if key not in SETTINGS:
        raise ValidationError(
            f"unknown setting '{key}'", hint="`tinytalk config show` lists the settings"
        )
    return SETTINGS[key]


def _keyring_get(profile: str, key: str) -> str | None:
    if os.environ.get("TINYTALK_NO_KEYRING"):
        return None
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        value = keyring.get_password(f"tinytalk:{profile}", key)
    except (KeyringError, RuntimeError):
        return None
    return value or None


@dataclass
class Config:
    """The settings of one profile, resolved. Secrets are readable through :meth:`get` only."""

    profile: str = "default"
    path: Path = field(default_factory=config_path)
    file_values: dict[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # Problems with the file itself the user should hear about (a secret in a file others can read).
    warnings: list[str] = field(default_factory=list)

    def source(self, key: str) -> str:
        setting = _check_key(key)
        if self.env.get("TINYTALK_" + key.upper()):
            return "env"
        if setting.vendor_env and self.env.get(setting.vendor_env):
            return "env"
        if setting.secret and _keyring_get(self.profile, key):
            return "keyring"
        if key in self.file_values:
            return "file"
        return "default"

    def get(self, key: str, default: str | None = None) -> str | None:
        setting = _check_key(key)
        value = self.env.get("TINYTALK_" + key.upper()) or (
            self.env.get(setting.vendor_env) if setting.vendor_env else None
        )
        if not value and setting.secret:
            value = _keyring_get(self.profile, key)
        if not value:
            raw = self.file_values.get(key)
            value = str(raw) if raw not in (None, "") else None
        if value and setting.secret:
            register_secret(value)
        return value if value else default

    @property
    def schema(self) -> dict[str, Any] | None:
        """The profile's ``[schema]`` table (live column names), ``None`` when it has none."""
        raw = self.file_values.get(SCHEMA_KEY)
        return dict(raw) if isinstance(raw, dict) else None

    def require(self, key: str) -> str:
        value = self.get(key)
        if not value:
            raise MissingCredentialError(key, profile=self.profile)
        return value

    @property
    def database_url(self) -> str:
        url = self.get("database_url")
        if url:
            return url
        folder = data_dir(self.env)
        return f"sqlite:///{folder / (self.profile + '.db')}"

    def shown(self) -> dict[str, dict[str, str | None]]:
        """Every setting with its value (secrets masked) and where it came from."""
        out: dict[str, dict[str, str | None]] = {}
        for key, setting in SETTINGS.items():
            value = self.get(key)
            if key == "database_url" and value is None:
                value = self.database_url
            if value and setting.secret:
                value = mask(value)
            elif value and key == "database_url":
                from ._redact import redact

                value = redact(value)
            out[key] = {"value": value, "source": self.source(key)}
        return out


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc.__class__.__name__}") from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' must be a table of [profiles.<name>] sections")
    # A hand-written `[default]` (or a bare `api_url = …`) would otherwise be ignored without a word.
    stray = sorted(k for k in data if k != "profiles")
    if stray:
        hint = f"[profiles.{stray[0]}]" if isinstance(data[stray[0]], dict) else "[profiles.default]"
        raise ConfigError(
            f"{path}: '{stray[0]}' is outside the [profiles.<name>] tables", hint=f"move it under {hint}"
        )
    return data


def profiles(path: Path | None = None) -> list[str]:
    data = _read_file(path or config_path())
    names = set(data.get("profiles", {})) | {"default"}
    return sorted(names)


def load_config(
    profile: str | None = None, *, path: Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Resolve one profile. An unknown non-default profile is an error (a typo must not hit prod's DB)."""
    env = dict(os.environ if env is None else env)
    name = profile or env.get("TINYTALK_PROFILE") or "default"
    path = path or config_path(env)
    data = _read_file(path)
    table = data.get("profiles", {}).get(name)
    if table is None and name != "default":
        known = ", ".join(sorted(data.get("profiles", {}))) or "none"
        raise ConfigError(f"unknown profile '{name}' in {path} (profiles: {known})")
    table = table or {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [profiles.{name}] must be a table")
    for key in table:
        if key == SCHEMA_KEY:
            if not isinstance(table[key], dict):
                raise ConfigError(f"{path}: [profiles.{name}.schema] must be a table of [schema.<table>] tables")
            continue
        if key not in SETTINGS:
            raise ConfigError(f"{path}: [profiles.{name}] has unknown setting '{key}'")
    return Config(profile=name, path=path, file_values=dict(table), env=env, warnings=_file_warnings(path, data))


def _file_secrets(data: Mapping[str, Any]) -> list[str]:
    """Names of the secrets the file holds in any profile (every profile is in the same readable file)."""
    from urllib.parse import urlsplit

    found: list[str] = []
    for table in data.get("profiles", {}).values():
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            if key in SECRET_KEYS and value:
                found.append(key)
            elif key == "database_url" and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    if urlsplit(value).password:
                        found.append("database_url (its password)")
    return found


def _file_warnings(path: Path, data: Mapping[str, Any]) -> list[str]:
    from ._filemode import exposed_secret_warning

    warning = exposed_secret_warning(path, _file_secrets(data)) if data else None
    # Not logged: with no handler, Python's last-resort handler would print it a second time.
    return [] if warning is None else [warning]


def write_setting(cfg: Config, key: str, value: str | None, *, use_keyring: bool = False) -> str:
    """Set (or with ``value=None`` unset) one setting in the profile. Returns where it was stored."""
    setting = _check_key(key)
    if cfg.profile and not set(cfg.profile) <= PROFILE_NAME_CHARS:
        raise ValidationError(f"profile name '{cfg.profile}' may use a-z, 0-9, '-' and '_' only")
    if use_keyring and setting.secret:
        try:
            import keyring

            if value is None:
                # Deleting an absent secret raises in most backends; absent is what we want.
                with contextlib.suppress(Exception):
                    keyring.delete_password(f"tinytalk:{cfg.profile}", key)
            else:
                keyring.set_password(f"tinytalk:{cfg.profile}", key, value)
            return "keyring"
        except Exception as exc:  # keyring backends raise a zoo of errors
            raise ConfigError(f"keyring unavailable: {exc.__class__.__name__}") from None
    data = _read_file(cfg.path)
    table = data.setdefault("profiles", {}).setdefault(cfg.profile, {})
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
    _write_file(cfg, data)
    if value is None:
        cfg.file_values.pop(key, None)
    else:
        cfg.file_values[key] = value
    return "file"


def write_schema(cfg: Config, schema: Mapping[str, Any]) -> Path:
    """Store a schema map as the profile's ``[profiles.<name>.schema]`` (replacing any). Returns the file."""
    if cfg.profile and not set(cfg.profile) <= PROFILE_NAME_CHARS:
        raise ValidationError(f"profile name '{cfg.profile}' may use a-z, 0-9, '-' and '_' only")
    data = _read_file(cfg.path)
    table = data.setdefault("profiles", {}).setdefault(cfg.profile, {})
    table[SCHEMA_KEY] = {t: dict(cols) for t, cols in schema.items()}
    _write_file(cfg, data)
    cfg.file_values[SCHEMA_KEY] = table[SCHEMA_KEY]
    return cfg.path


def _write_file(cfg: Config, data: dict[str, Any]) -> None:
    import tomli_w

    tmp = cfg.path.with_suffix(".toml.tmp")
    try:
        cfg.path.parent.mkdir(parents=True, exist_ok=True)
        # The file can hold secrets: create it private, then swap it in atomically.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(data, fh)
        os.replace(tmp, cfg.path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise ConfigError(
            f"{cfg.path}: cannot write the config file ({exc.strerror or exc.__class__.__name__})",
            hint="check TINYTALK_CONFIG_DIR and the folder's permissions",
        ) from None
