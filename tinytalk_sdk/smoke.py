"""`tinytalk smoke`: the conversation pipeline end to end, timed stage by stage.

Two targets, the same stages (the pupil turn of :mod:`tinytalk_sdk.pipeline`):

* ``api`` — through the TinyTalk API (local or production, by profile): register a throw-away user →
  create a session → upload a push-to-talk clip (STT) → GPT stream → TTS stream → avatar step → save the
  session → check the rows written (messages; usage logs when the database is reachable) → delete the user
  and the clip the server kept.
* ``providers`` — straight to OpenAI / ElevenLabs / HeyGen with the profile's keys; with no key at all, the
  vendor fakes (``tinytalk_sdk.testing.fake_vendors``) run in-process instead, so the official clients
  still do the talking.

The avatar step is HeyGen (new session + task + stop, always stopped) or Replika (a Live2D lip-sync motion
made from the TTS audio with ``live2d_tools.lipsync``). Usage rows of a smoke run carry ``tag='smoke'``
so reports can leave them out. A failed stage fails the run (:class:`CheckFailedError`, exit 12); the
stages after it that need its output are skipped, and clean-up always runs.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._exceptions import CheckFailedError
from .pipeline import (
    METRICS,
    ApiTarget,
    LoginStage,
    Opened,
    ProviderTarget,
    SaveStage,
    SessionStage,
    Stage,
    StageResult,
    Turn,
    TurnContext,
    avatar_for,
    lipsync,
    open_target,
    pupil_turn,
    remove_test_user,
    run_stages,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from .config import Config

__all__ = [
    "DEFAULT_UTTERANCE",
    "METRICS",
    "SMOKE_TAG",
    "ApiPipeline",
    "ProviderPipeline",
    "SmokeReport",
    "StageResult",
    "Turn",
    "lipsync",
    "open_pipeline",
    "run_smoke",
    "start_local_server",
]

DEFAULT_UTTERANCE = "I like to play soccer with my friends after school."
SMOKE_TAG = "smoke"
Target = Literal["api", "providers"]
Avatar = Literal["replika", "heygen", "liveavatar"]
# The names this module has always exported; the classes live in the pipeline package.
ApiPipeline = ApiTarget
ProviderPipeline = ProviderTarget


@dataclass
class SmokeReport:
    target: str
    avatar: str
    api_url: str | None = None
    providers: dict[str, str] = field(default_factory=dict)
    utterance: str = DEFAULT_UTTERANCE
    transcript: str | None = None
    reply: str | None = None
    wer: float | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    stages: list[StageResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def passed(self) -> bool:
        return all(s.ok for s in self.stages) and any(s.status == "pass" for s in self.stages)

    @property
    def failed(self) -> list[StageResult]:
        return [s for s in self.stages if s.status == "fail"]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "avatar": self.avatar, "api_url": self.api_url,
                "providers": dict(self.providers), "utterance": self.utterance, "transcript": self.transcript,
                "reply": self.reply, "wer": self.wer, "metrics": dict(self.metrics),
                "stages": [s.to_dict() for s in self.stages], "notes": list(self.notes),
                "started_at": self.started_at, "passed": self.passed}


def start_local_server(config: Config) -> tuple[str, Callable[[], None]]:
    """The local API server on the profile's database and folders (offline providers), in the background."""
    from .providers.factory import cost_for
    from .server.background import start_background_server
    from .server.paths import server_folders

    uploads, cdn = server_folders(config)
    server = start_background_server(config.database_url, uploads_dir=uploads, cdn_dir=cdn, cost=cost_for(config))
    return server.base_url, server.stop


@contextmanager
def open_pipeline(
    config: Config, *, target: Target, work_dir: Path, api_url: str | None = None, start_server: bool | None = None,
    use_fakes: bool | None = None, tag: str = SMOKE_TAG, engine: Engine | None = None,
) -> Iterator[Opened]:
    """A ready target for ``target`` (:func:`tinytalk_sdk.pipeline.open_target` with the local server)."""
    with open_target(config, target=target, work_dir=work_dir, tag=tag, api_url=api_url, start_server=start_server,
                     local_server=start_local_server, use_fakes=use_fakes, engine=engine) as opened:
        yield opened


class CheckRowsStage(Stage):
    """The rows the turn wrote: messages through the API; one usage row per provider call."""

    name = "check_rows"

    def __init__(self, opened: Opened, *, avatar: str, started_at: dt.datetime) -> None:
        self.opened, self.avatar, self.started_at = opened, avatar, started_at

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        return _check_rows(ctx.target, self.opened.engine, avatar=self.avatar, started_at=self.started_at)


class CleanupStage(Stage):
    name = "cleanup"
    always = True

    def __init__(self, opened: Opened, *, started_at: dt.datetime, tag: str) -> None:
        self.opened, self.started_at, self.tag = opened, started_at, tag

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        return _cleanup(ctx.target, self.opened.engine, started_at=self.started_at, tag=self.tag,
                        uploads_dir=self.opened.uploads_dir)


def run_smoke(
    config: Config,
    *,
    target: Target = "api",
    avatar: Avatar = "replika",
    audio: Path | None = None,
    utterance: str = DEFAULT_UTTERANCE,
    api_url: str | None = None,
    start_server: bool | None = None,
    use_fakes: bool | None = None,
    engine: Engine | None = None,
    on_stage: Callable[[StageResult], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    raise_on_failure: bool = True,
) -> SmokeReport:
    """Run every stage once; raise :class:`CheckFailedError` (after clean-up) when one failed."""
    from .testing.speech import speak_wav

    report = SmokeReport(target=target, avatar=avatar, utterance=utterance)
    with tempfile.TemporaryDirectory(prefix="tinytalk-smoke-") as tmp:
        work = Path(tmp)
        with open_pipeline(config, target=target, work_dir=work, api_url=api_url, start_server=start_server,
                           use_fakes=use_fakes, engine=engine) as opened:
            report.notes.extend(opened.notes)
            for note in opened.notes:
                if on_note:
                    on_note(note)
            report.api_url = opened.api_url
            report.providers = opened.providers
            pipe = opened.target
            clip = work / "push-to-talk.wav"
            clip.write_bytes(Path(audio).read_bytes() if audio is not None else speak_wav(utterance))
            if isinstance(pipe, ProviderTarget) and pipe.fakes is not None and audio is None:
                pipe.fakes.state.know_audio(clip.read_bytes(), utterance)
            ctx = TurnContext(target=pipe, avatar=avatar_for(avatar), clip=clip,
                              utterance=utterance if audio is None else None, title="smoke test",
                              user=("smoke", "Smoke Test", "tinytalk smoke"))
            api = isinstance(pipe, ApiTarget)
            # smoke checks the TTS endpoint in HeyGen mode too; the avatar session lives inside its stage
            plan: list[Stage] = [
                *([LoginStage(), SessionStage()] if api else []),
                *pupil_turn(ctx.avatar, tts=True, session_per_turn=True),
                *([SaveStage()] if api else []),
                CheckRowsStage(opened, avatar=avatar, started_at=report.started_at),
                CleanupStage(opened, started_at=report.started_at, tag=SMOKE_TAG),
            ]
            report.stages = run_stages(plan, ctx, on_stage=on_stage)
            turn = ctx.turn
            report.transcript = turn.transcript or None
            report.reply = turn.reply or None
            report.wer = ctx.wer
            turn.metrics["speech_to_avatar"] = ctx.avatar.speech_to_avatar(turn)
            report.metrics = dict(turn.metrics)
    if raise_on_failure and not report.passed:
        failed = ", ".join(f"{s.name} ({s.detail})" for s in report.failed)
        raise CheckFailedError(f"smoke failed: {failed}")
    return report


def _expected_rows(avatar: str) -> int:
    # stt, chat_stream, tts (+ heygen new/start/task/stop; + liveavatar token/start/speak/stop — a smoke turn is
    # shorter than the keep-alive interval)
    return 3 + (4 if avatar in ("heygen", "liveavatar") else 0)


def _check_rows(pipe: ApiTarget | ProviderTarget, engine: Engine | None, *, avatar: str,
                started_at: dt.datetime) -> str:
    notes: list[str] = []
    if isinstance(pipe, ApiTarget):
        if pipe.session_id is None:
            raise CheckFailedError("no session")
        history = pipe.client.sessions.history(session_id=pipe.session_id)
        roles = [m.role for m in history.messages]
        if "user" not in roles or "assistant" not in roles:
            raise CheckFailedError(f"chat_messages: expected a user and an assistant message, got {roles}")
        notes.append(f"{len(roles)} messages")
        if engine is None:
            notes.append("usage rows not checked (no database access)")
            return ", ".join(notes)
        rows = _usage_rows(engine, user_id=pipe.user_id, since=started_at)
    else:
        expected = _expected_rows(avatar)
        entries = [e for e in pipe.recorder.entries if e.tag == pipe.ctx.tag]
        if len(entries) != expected:
            raise CheckFailedError(f"expected {expected} usage rows (one per provider call), got {len(entries)}")
        rows = ([{"status": e.status, "service": e.service, "operation": e.operation} for e in entries]
                if engine is None else _usage_rows(engine, tag=pipe.ctx.tag, since=started_at))
    bad = [f"{r['service']}/{r['operation']}" for r in rows if r["status"] != "ok"]
    expected = _expected_rows(avatar)
    if len(rows) < expected:
        raise CheckFailedError(f"api_usage_logs: expected at least {expected} rows, found {len(rows)}")
    if bad:
        raise CheckFailedError(f"api_usage_logs: calls that failed: {', '.join(bad)}")
    notes.append(f"{len(rows)} usage rows" + (" in the database" if engine is not None else " (in memory)"))
    return ", ".join(notes)


def _usage_rows(engine: Engine, *, user_id: int | None = None, tag: str | None = None,
                since: dt.datetime | None = None) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from .db.models import ApiUsageLog
    from .db.session import transaction

    query = select(ApiUsageLog)
    if user_id is not None:
        query = query.where(ApiUsageLog.user_id == user_id)
    if tag is not None:
        query = query.where(ApiUsageLog.tag == tag)
    if since is not None:
        query = query.where(ApiUsageLog.created_at >= since - dt.timedelta(seconds=1))
    with transaction(engine) as session:
        return [{"status": r.status, "service": r.service, "operation": r.operation}
                for r in session.scalars(query).all()]


def _cleanup(pipe: ApiTarget | ProviderTarget, engine: Engine | None, *, started_at: dt.datetime,
             tag: str = SMOKE_TAG, uploads_dir: Path | None = None) -> str:
    return remove_test_user(pipe, engine, started_at=started_at, tag=tag, uploads_dir=uploads_dir)
