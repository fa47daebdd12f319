"""Choose the providers for a profile: the real vendors where a key is configured, offline otherwise.

Per service, independently: ``openai_api_key`` → OpenAI for STT and chat; ``elevenlabs_api_key`` →
ElevenLabs TTS; ``heygen_api_key`` → HeyGen avatar. Each slot without a key falls back to its offline
provider (pocketsphinx, the tutor, espeak-ng, the in-memory avatar), so ``tinytalk serve`` runs on a fresh
machine and uses the real vendors as soon as keys exist. ``require_real=True`` turns a missing key into
:class:`MissingCredentialError` instead (``smoke --target providers`` against production).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .base import CostFn, UsageRecorder
from .bundle import Providers, VideoAvatar

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ..config import Config
    from ..pricing import PriceTable
    from .elevenlabs_provider import ElevenLabsProvider
    from .heygen import HeyGenClient
    from .liveavatar import LiveAvatarClient
    from .openai_provider import OpenAIProvider

__all__ = [
    "build_providers",
    "cost_for",
    "make_elevenlabs",
    "make_heygen",
    "make_liveavatar",
    "make_openai",
    "price_table_for",
    "provider_sources",
    "recorder_for",
]

SERVICES = ("openai", "elevenlabs", "heygen")


def price_table_for(config: Config) -> PriceTable:
    """The profile's price table: its ``price_table`` setting, else the built-in one (ConfigError if broken)."""
    from ..pricing import builtin_price_table_path, load_price_table

    # An explicit path: load_price_table(None) would read the *default* profile's setting, not this one's.
    return load_price_table(config.get("price_table") or builtin_price_table_path())


def cost_for(config: Config) -> CostFn:
    """A :class:`UsageRecorder` cost function on the profile's price table (what every recorder built
    from a config uses: ``tinytalk serve``, smoke, QA, the provider commands)."""
    import functools

    from ..pricing import estimate_cost

    return functools.partial(estimate_cost, table=price_table_for(config))


def make_openai(config: Config, recorder: UsageRecorder | None = None) -> OpenAIProvider:
    from .openai_provider import OpenAIProvider

    return OpenAIProvider(
        api_key=config.require("openai_api_key"), base_url=config.get("openai_base_url"),
        recorder=recorder, profile=config.profile,
    )


def make_elevenlabs(config: Config, recorder: UsageRecorder | None = None) -> ElevenLabsProvider:
    from .elevenlabs_provider import ElevenLabsProvider

    return ElevenLabsProvider(
        api_key=config.require("elevenlabs_api_key"), base_url=config.get("elevenlabs_base_url"),
        voice_id=config.get("elevenlabs_voice_id"), recorder=recorder, profile=config.profile,
    )


def make_heygen(config: Config, recorder: UsageRecorder | None = None) -> HeyGenClient:
    from .heygen import HeyGenClient

    return HeyGenClient(
        api_key=config.require("heygen_api_key"), base_url=config.get("heygen_base_url"),
        avatar_id=config.get("heygen_avatar_id"), recorder=recorder, profile=config.profile,
    )


def make_liveavatar(config: Config, recorder: UsageRecorder | None = None) -> LiveAvatarClient:
    """The LiveAvatar client of a profile; ``liveavatar_room = loopback`` speaks to the fakes' room."""
    from .._exceptions import ValidationError
    from .liveavatar import LiveAvatarClient

    room = (config.get("liveavatar_room") or "livekit").strip().lower()
    if room not in ("livekit", "loopback"):
        raise ValidationError(f"liveavatar_room '{room}': use livekit or loopback")
    factory = None
    if room == "loopback":
        from ..testing.fakes.liveavatar import LoopbackRoom

        factory = LoopbackRoom
    return LiveAvatarClient(
        api_key=config.require("liveavatar_api_key"), base_url=config.get("liveavatar_base_url"),
        mode=config.get("liveavatar_mode"), avatar_id=config.get("liveavatar_avatar_id"),
        voice_id=config.get("liveavatar_voice_id"), context_id=config.get("liveavatar_context_id"),
        recorder=recorder, room_factory=factory, profile=config.profile,
    )


def provider_sources(config: Config) -> dict[str, str]:
    """Which provider each slot will use: ``{"stt": "openai", "tts": "offline", ...}``."""
    has = {s: bool(config.get(f"{s}_api_key")) for s in SERVICES}
    return {
        "stt": "openai" if has["openai"] else "offline",
        "chat": "openai" if has["openai"] else "offline",
        "tts": "elevenlabs" if has["elevenlabs"] else "offline",
        "avatar": "heygen" if has["heygen"] else "offline",
    }


def build_providers(
    config: Config, recorder: UsageRecorder | None = None, *, require_real: bool | Iterable[str] = False,
) -> Providers:
    """The bundle the server, smoke and QA run on. All providers share ``recorder`` (one row per call)."""
    from .offline import make_offline_providers

    recorder = recorder or UsageRecorder(cost=cost_for(config))
    required = set(SERVICES) if require_real is True else set(require_real or ())
    sources = provider_sources(config)
    offline = make_offline_providers(recorder=recorder)
    openai = make_openai(config, recorder) if sources["chat"] == "openai" or "openai" in required else None
    eleven = make_elevenlabs(config, recorder) if sources["tts"] == "elevenlabs" or "elevenlabs" in required \
        else None
    heygen = make_heygen(config, recorder) if sources["avatar"] == "heygen" or "heygen" in required else None
    videos: dict[str, VideoAvatar] = {}
    if config.get("liveavatar_api_key") or "liveavatar" in required:
        videos["liveavatar"] = make_liveavatar(config, recorder)
    return Providers(
        stt=openai or offline.stt,
        chat=openai or offline.chat,
        tts=eleven or offline.tts,
        avatar=heygen or offline.avatar,
        videos=videos,
    )


def recorder_for(config: Config, engine: Engine | None = None) -> UsageRecorder:
    """A recorder writing to the profile's database when it has ``api_usage_logs``; in memory otherwise.

    Commands like ``heygen sessions list`` must work before ``db init`` (and on a machine that cannot
    reach the database); their rows are then kept in memory and a warning is logged.
    """
    import logging

    cost = cost_for(config)  # a broken price table is a ConfigError naming the file, database or not
    try:
        from sqlalchemy import inspect

        from ..db import make_engine
        from ..db.migrate import sqlite_file_missing

        engine = engine or make_engine(config.database_url, schema_map=config.schema)
        # never create an empty SQLite file just to look into it
        if not sqlite_file_missing(engine) and inspect(engine).has_table("api_usage_logs"):
            return UsageRecorder(engine, cost=cost)
    except Exception as exc:  # no database is not a reason to refuse a vendor call
        logging.getLogger("tinytalk.providers").warning("usage rows kept in memory: %s", exc.__class__.__name__)
        return UsageRecorder(cost=cost)
    logging.getLogger("tinytalk.providers").warning("usage rows kept in memory: run `tinytalk db init`")
    return UsageRecorder(cost=cost)
