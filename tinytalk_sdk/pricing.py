"""Estimated provider costs from a versioned price table.

The built-in table ships in the package (``tinytalk_sdk/data/prices/<version>.toml``); the config setting
``price_table`` (a path to a TOML file of the same shape) overrides it. Every usage row records the
``version`` of the table its cost came from, so a report can say which prices it used.

An unknown model is never an error here: :func:`estimate_cost` returns ``(None, version)`` and logs a
warning, because a missing price must not lose a usage row (:class:`~tinytalk_sdk.providers.base.UsageRecorder`).
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._exceptions import ConfigError

if TYPE_CHECKING:
    from .usage_record import UsageEntry

__all__ = [
    "BUILTIN_VERSION",
    "PriceTable",
    "Rates",
    "builtin_price_table_path",
    "estimate_cost",
    "load_price_table",
]

log = logging.getLogger("tinytalk.pricing")

BUILTIN_VERSION = "2026-11"
_RATE_KEYS = (
    "input_per_1m_tokens",
    "output_per_1m_tokens",
    "per_audio_minute",
    "per_1k_characters",
    "per_session_minute",
    "min_session_minutes",
    "credits_per_session_minute",
    "usd_per_credit",
)
_MILLION = Decimal(1_000_000)
_THOUSAND = Decimal(1000)
_SIXTY = Decimal(60)
_QUANTUM = Decimal("0.000001")  # api_usage_logs.cost_usd is NUMERIC(12, 6)


@dataclass(frozen=True)
class Rates:
    """The prices of one service/model. ``None`` means "not billed this way"."""

    input_per_1m_tokens: Decimal | None = None
    output_per_1m_tokens: Decimal | None = None
    per_audio_minute: Decimal | None = None
    per_1k_characters: Decimal | None = None
    per_session_minute: Decimal | None = None
    min_session_minutes: Decimal | None = None
    # Vendors that bill in credits (LiveAvatar): credits = minutes × credits_per_session_minute, priced at
    # usd_per_credit. ``min_session_minutes`` applies here too.
    credits_per_session_minute: Decimal | None = None
    usd_per_credit: Decimal | None = None

    def credits(self, session_minutes: float | None) -> Decimal | None:
        """The credits a session of ``session_minutes`` consumes; None when not billed in credits."""
        if self.credits_per_session_minute is None or not session_minutes:
            return None
        minutes = Decimal(str(session_minutes))
        if self.min_session_minutes is not None:
            minutes = max(minutes, self.min_session_minutes)
        return minutes * self.credits_per_session_minute

    @property
    def session_minute_price(self) -> Decimal | None:
        """USD per session minute: ``per_session_minute`` plus credits per minute × USD per credit."""
        price = self.per_session_minute
        if self.credits_per_session_minute is not None and self.usd_per_credit is not None:
            price = (price or Decimal(0)) + self.credits_per_session_minute * self.usd_per_credit
        return price

    @property
    def has_token_prices(self) -> bool:
        return self.input_per_1m_tokens is not None or self.output_per_1m_tokens is not None

    def cost(
        self,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        characters: int | None = None,
        audio_seconds: float | None = None,
        session_minutes: float | None = None,
    ) -> Decimal:
        """The cost of what one call consumed. Quantities the table has no price for cost nothing."""
        total = Decimal(0)
        used_tokens = False
        if self.input_per_1m_tokens is not None and input_tokens:
            total += Decimal(input_tokens) * self.input_per_1m_tokens / _MILLION
            used_tokens = True
        if self.output_per_1m_tokens is not None and output_tokens:
            total += Decimal(output_tokens) * self.output_per_1m_tokens / _MILLION
            used_tokens = True
        # A transcription model priced by tokens *and* by minute: minutes only when the row has no tokens,
        # so a call is never billed twice.
        if self.per_audio_minute is not None and audio_seconds and not used_tokens:
            total += Decimal(str(audio_seconds)) * self.per_audio_minute / _SIXTY
        if self.per_1k_characters is not None and characters:
            total += Decimal(characters) * self.per_1k_characters / _THOUSAND
        per_minute = self.session_minute_price
        if per_minute is not None and session_minutes:
            minutes = Decimal(str(session_minutes))
            if self.min_session_minutes is not None:
                minutes = max(minutes, self.min_session_minutes)
            total += minutes * per_minute
        return total.quantize(_QUANTUM)


@dataclass(frozen=True)
class PriceTable:
    """A loaded price table: ``rates[service][model]`` (model ``"*"`` = the service's fallback)."""

    version: str
    currency: str = "USD"
    source: str = "built-in"
    rates: dict[str, dict[str, Rates]] = field(default_factory=dict)

    def lookup(self, service: str, model: str | None) -> Rates | None:
        """The rates for ``model``: exact name, else the longest key it is a dated snapshot of, else ``*``."""
        models = self.rates.get(service)
        if not models:
            return None
        if model:
            if model in models:
                return models[model]
            best = max(
                (k for k in models if k != "*" and model.startswith(k + "-")), key=len, default=None
            )
            if best is not None:
                return models[best]
        return models.get("*")

    def estimate(self, entry: UsageEntry) -> Decimal | None:
        rates = self.lookup(entry.service, entry.model)
        if rates is None:
            return None
        return rates.cost(
            input_tokens=entry.input_tokens,
            output_tokens=entry.output_tokens,
            characters=entry.characters,
            audio_seconds=entry.audio_seconds,
            session_minutes=entry.session_minutes,
        )


def builtin_price_table_path() -> Path:
    ref = resources.files("tinytalk_sdk").joinpath("data", "prices", f"{BUILTIN_VERSION}.toml")
    return Path(str(ref))


def _decimal(value: Any, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{where}: not a number: {value!r}") from None
    if number < 0:
        raise ConfigError(f"{where}: a price cannot be negative")
    return number


def parse_price_table(data: dict[str, Any], *, source: str) -> PriceTable:
    version = data.get("version")
    if not isinstance(version, str) or not version or len(version) > 32:
        raise ConfigError(f"{source}: 'version' must be a string of at most 32 characters")
    rates: dict[str, dict[str, Rates]] = {}
    for service, models in data.items():
        if service in ("version", "currency"):
            continue
        if not isinstance(models, dict):
            raise ConfigError(f"{source}: [{service}] must be a table of models")
        for model, values in models.items():
            where = f"{source}: [{service}.\"{model}\"]"
            if not isinstance(values, dict):
                raise ConfigError(f"{where} must be a table")
            unknown = set(values) - set(_RATE_KEYS)
            if unknown:
                raise ConfigError(f"{where}: unknown key '{sorted(unknown)[0]}' (known: {', '.join(_RATE_KEYS)})")
            kwargs = {k: _decimal(v, f"{where}.{k}") for k, v in values.items()}
            rates.setdefault(service, {})[model] = Rates(**kwargs)
    return PriceTable(version=version, currency=str(data.get("currency", "USD")), source=source, rates=rates)


_cache: dict[tuple[str, float, bool], PriceTable] = {}


def _configured_path() -> str | None:
    # The env variable is what `cfg.get("price_table")` reads first; reading the profile file as well keeps
    # `tinytalk config set price_table …` effective for code that has no Config at hand.
    env = os.environ.get("TINYTALK_PRICE_TABLE")
    if env:
        return env
    try:
        from .config import load_config

        return load_config().get("price_table")
    except ConfigError:
        return None


def load_price_table(path: str | Path | None = None) -> PriceTable:
    """Load a price table: ``path``, else the config setting ``price_table``, else the built-in one.

    Raises :class:`ConfigError` for a file that is missing or malformed. Loaded tables are cached by path and
    modification time.
    """
    chosen = Path(path).expanduser() if path else None
    if chosen is None:
        configured = _configured_path()
        chosen = Path(configured).expanduser() if configured else None
    builtin = chosen is None
    file = builtin_price_table_path() if chosen is None else chosen
    try:
        mtime = file.stat().st_mtime
    except OSError:
        raise ConfigError(f"price table {file}: file not found", hint="check the `price_table` setting") from None
    # `builtin` is in the key: the same file named explicitly is labelled by its path, not "built-in".
    key = (str(file), mtime, builtin)
    if key in _cache:
        return _cache[key]
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"price table {file}: malformed TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = "it is a folder" if file.is_dir() else getattr(exc, "strerror", None) or exc.__class__.__name__
        raise ConfigError(f"price table {file}: cannot read ({reason})") from None
    table = parse_price_table(data, source="built-in" if builtin else str(file))
    _cache[key] = table
    return table


_warned: set[tuple[str, str | None, str]] = set()


def estimate_cost(entry: UsageEntry, table: PriceTable | None = None) -> tuple[Decimal | None, str | None]:
    """``(cost_usd, price_table_version)`` for one usage entry; ``(None, version)`` for an unknown model.

    Never raises: a broken price table is logged and gives ``(None, None)``.
    """
    if table is None:
        try:
            table = load_price_table()
        except ConfigError as exc:
            log.warning("no price table: %s", exc)
            return None, None
    cost = table.estimate(entry)
    if cost is None:
        key = (entry.service, entry.model, table.version)
        if key not in _warned:  # once per model, not once per call
            _warned.add(key)
            log.warning(
                "price table %s has no price for %s model %r; cost left empty",
                table.version, entry.service, entry.model,
            )
    return cost, table.version
