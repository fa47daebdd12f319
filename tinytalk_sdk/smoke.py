"""`tinytalk smoke`: the conversation pipeline end to end, timed stage by stage.

Two targets, the same stages:

* ``api`` — through the TinyTalk API (local or production, by profile): register a throw-away user →
  create a session → upload a push-to-talk clip (STT) → GPT stream → TTS stream → avatar step → save the
  session → check the rows written (messages; usage logs when the database is reachable) → delete the user.
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
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ._exceptions import CheckFailedError, TinyTalkError
from ._redact import redact

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ._client import TinyTalk
    from .config import Config
    from .providers.base import UsageRecorder
    from .providers.bundle import Providers
    from .testing.fake_vendors import RunningFakeVendors

__all__ = [
    "DEFAULT_UTTERANCE",
    "SMOKE_TAG",
    "ApiPipeline",
    "ProviderPipeline",
    "SmokeReport",
    "StageResult",
    "Turn",
    "open_pipeline",
    "run_smoke",
]

DEFAULT_UTTERANCE = "I like to play soccer with my friends after school."
SMOKE_TAG = "smoke"
Target = Literal["api", "providers"]
Avatar = Literal["replika", "heygen"]
METRICS = ("stt_latency", "ttft", "gpt_total", "tts_ttfb", "tts_total", "avatar_ready", "speech_to_avatar")


@dataclass
class StageResult:
    name: str
    status: str  # pass | fail | skip
    seconds: float | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"


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
        data = asdict(self)
        data["passed"] = self.passed
        return data


@dataclass
class Turn:
    """What one utterance went through: the timings QA aggregates and the texts smoke checks."""

    transcript: str = ""
    reply: str = ""
    audio: bytes = b""
    audio_path: Path | None = None
    content_type: str = ""
    alignment: dict[str, list[Any]] | None = None
    metrics: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(METRICS))


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return redact(text)[:300]


class _Stages:
    """Runs named stages, times them, and turns their errors into a failed stage (never a traceback)."""

    def __init__(self, report: SmokeReport, on_stage: Callable[[StageResult], None] | None = None) -> None:
        self.report = report
        self.on_stage = on_stage
        self.blocked: str | None = None

    def _add(self, result: StageResult) -> None:
        self.report.stages.append(result)
        if self.on_stage:
            self.on_stage(result)

    def run(self, name: str, fn: Callable[[StageResult], None], *, always: bool = False) -> StageResult:
        """Run one stage; after a failed stage the others are skipped unless ``always`` (clean-up)."""
        result = StageResult(name, "pass")
        if self.blocked and not always:
            result.status, result.detail = "skip", f"after failed stage '{self.blocked}'"
            self._add(result)
            return result
        started = time.perf_counter()
        try:
            fn(result)
        except _Skip as skip:
            result.status, result.detail = "skip", str(skip)
        except (TinyTalkError, OSError, ValueError, KeyError, RuntimeError, AssertionError) as exc:
            result.status, result.detail = "fail", _one_line(exc)
            self.blocked = self.blocked or name
        finally:
            result.seconds = round(time.perf_counter() - started, 3)
            self._add(result)
        return result


class _Skip(Exception):
    pass


# ---- pipelines: the same turn through the API or straight to the providers ------------------------------


class ApiPipeline:
    """One conversation turn through the TinyTalk API (``TinyTalk`` client)."""

    def __init__(self, client: TinyTalk, *, work_dir: Path) -> None:
        self.client = client
        self.work_dir = work_dir
        self.session_id: int | None = None
        self.user_id: int | None = None
        self._heygen: str | None = None

    def stt(self, turn: Turn, audio: Path) -> None:
        started = time.perf_counter()
        result = self.client.pipeline.transcribe(audio, session_id=self.session_id, language="en")
        turn.metrics["stt_latency"] = round(time.perf_counter() - started, 3)
        turn.transcript = result.text.strip()

    def chat(self, turn: Turn, message: str) -> None:
        from ._streaming import DeltaEvent

        if self.session_id is None:
            raise CheckFailedError("no chat session")
        started = time.perf_counter()
        parts: list[str] = []
        with self.client.pipeline.chat_stream(session_id=self.session_id, message=message) as stream:
            for event in stream:
                if isinstance(event, DeltaEvent):
                    if turn.metrics["ttft"] is None:
                        turn.metrics["ttft"] = round(time.perf_counter() - started, 3)
                    parts.append(event.text)
        turn.metrics["gpt_total"] = round(time.perf_counter() - started, 3)
        if stream.error is not None:
            raise CheckFailedError(f"gpt_stream error event: {stream.error.code}: {stream.error.message}")
        turn.reply = (stream.done.text if stream.done is not None else "".join(parts)).strip()

    def tts(self, turn: Turn, text: str, *, with_timestamps: bool = False) -> None:
        started = time.perf_counter()
        first: list[float] = []

        def progress(done: int, _total: int) -> None:
            if not first and done:
                first.append(time.perf_counter() - started)

        target = self.work_dir / f"tts-{secrets.token_hex(4)}.audio"
        result = self.client.pipeline.speak(text=text, to=target, session_id=self.session_id, progress=progress)
        turn.metrics["tts_total"] = round(time.perf_counter() - started, 3)
        turn.metrics["tts_ttfb"] = round(first[0], 3) if first else None
        turn.content_type = result.content_type
        turn.audio = target.read_bytes()
        suffix = ".mp3" if "mpeg" in result.content_type else ".wav"
        turn.audio_path = target.rename(target.with_suffix(suffix))

    def heygen_open(self) -> str:
        sess = self.client.heygen.create_session(quality="low", chat_session_id=self.session_id)
        self._heygen = sess.session_id
        self.client.heygen.start(session_id=sess.session_id, sdp={"type": "answer", "sdp": "v=0\r\n"})
        return sess.session_id

    def heygen_say(self, session_id: str, text: str) -> None:
        self.client.heygen.task(session_id=session_id, text=text, task_type="repeat")

    def heygen_close(self, session_id: str) -> None:
        self.client.heygen.stop(session_id=session_id)
        self._heygen = None


class ProviderPipeline:
    """One conversation turn straight to the providers (real vendors, or their fakes)."""

    def __init__(self, providers: Providers, recorder: UsageRecorder, *, work_dir: Path, tag: str = SMOKE_TAG,
                 fakes: RunningFakeVendors | None = None) -> None:
        from .providers.base import CallContext

        self.providers = providers
        self.recorder = recorder
        self.work_dir = work_dir
        self.ctx = CallContext(tag=tag)
        self.fakes = fakes
        self.history: list[Any] = []

    def stt(self, turn: Turn, audio: Path) -> None:
        started = time.perf_counter()
        result = self.providers.stt.transcribe(audio, language="en", ctx=self.ctx)
        turn.metrics["stt_latency"] = round(time.perf_counter() - started, 3)
        turn.transcript = result.text.strip()

    def chat(self, turn: Turn, message: str) -> None:
        from .providers.base import ChatResult, ChatTurn

        turns = [ChatTurn("system", "You are a friendly English tutor for children. Answer in one or two "
                                    "short sentences and ask a simple question back."),
                 *self.history[-6:], ChatTurn("user", message)]
        result = ChatResult(text="")
        started = time.perf_counter()
        for _delta in self.providers.chat.stream(turns, ctx=self.ctx, result=result):
            if turn.metrics["ttft"] is None:
                turn.metrics["ttft"] = round(time.perf_counter() - started, 3)
        turn.metrics["gpt_total"] = round(time.perf_counter() - started, 3)
        turn.reply = result.text.strip()
        self.history += [ChatTurn("user", message), ChatTurn("assistant", turn.reply)]

    def tts(self, turn: Turn, text: str, *, with_timestamps: bool = False) -> None:
        started = time.perf_counter()
        stream = self.providers.tts.stream(text, with_timestamps=with_timestamps, ctx=self.ctx)
        chunks: list[bytes] = []
        for chunk in stream.chunks:
            if not chunks:
                turn.metrics["tts_ttfb"] = round(time.perf_counter() - started, 3)
            chunks.append(chunk)
        turn.metrics["tts_total"] = round(time.perf_counter() - started, 3)
        turn.audio = b"".join(chunks)
        turn.content_type = stream.content_type
        turn.alignment = stream.alignment
        suffix = ".mp3" if "mpeg" in stream.content_type else ".wav"
        turn.audio_path = self.work_dir / f"tts-{secrets.token_hex(4)}{suffix}"
        turn.audio_path.write_bytes(turn.audio)

    def heygen_open(self) -> str:
        avatar = self.providers.avatar
        sess = avatar.create_session(quality="low", ctx=self.ctx)
        try:
            avatar.start_session(sess.session_id, ctx=self.ctx)
        except BaseException:
            avatar.stop_session(sess.session_id, ctx=self.ctx)
            raise
        return sess.session_id

    def heygen_say(self, session_id: str, text: str) -> None:
        self.providers.avatar.speak(session_id, text, ctx=self.ctx)

    def heygen_close(self, session_id: str) -> None:
        self.providers.avatar.stop_session(session_id, ctx=self.ctx)


def lipsync(turn: Turn) -> dict[str, Any]:
    """The Replika avatar step: a Live2D motion whose mouth follows the TTS audio."""
    from live2d_tools.lipsync import lipsync_motion

    if turn.audio_path is None:
        raise CheckFailedError("no TTS audio to lip-sync")
    motion = lipsync_motion(turn.audio_path, alignment=turn.alignment)
    if not motion.get("Curves") or float(motion["Meta"]["Duration"]) <= 0:
        raise CheckFailedError("lip-sync motion is empty")
    return motion


def speech_to_avatar(turn: Turn, avatar: str) -> float | None:
    """End of the user's speech → the avatar speaking, for a turn run stage after stage.

    Replika: STT + GPT answer + first TTS byte + the lip-sync motion. HeyGen: STT + GPT answer + the task
    accepted (HeyGen speaks with its own voice; the session is open before the user speaks).
    """
    m = turn.metrics
    parts = [m["stt_latency"], m["gpt_total"]]
    parts += [m["tts_ttfb"], m["avatar_ready"]] if avatar == "replika" else [m["avatar_ready"]]
    if any(p is None for p in parts):
        return None
    return round(sum(p for p in parts if p is not None), 3)


# ---- setting up a target --------------------------------------------------------------------------------


@dataclass
class _Opened:
    pipeline: ApiPipeline | ProviderPipeline
    api_url: str | None = None
    engine: Engine | None = None
    providers: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _api_reachable(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url.rstrip("/") + "/health.php", timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


@contextmanager
def open_pipeline(
    config: Config, *, target: Target, work_dir: Path, api_url: str | None = None, start_server: bool | None = None,
    use_fakes: bool | None = None, tag: str = SMOKE_TAG, engine: Engine | None = None,
) -> Iterator[_Opened]:
    """A ready pipeline for ``target``; starts what the run needs (local server, vendor fakes) and stops it."""
    with ExitStack() as stack:
        if target == "api":
            yield _open_api(config, stack, work_dir=work_dir, api_url=api_url, start_server=start_server,
                            engine=engine, tag=tag)
        else:
            yield _open_providers(config, stack, work_dir=work_dir, use_fakes=use_fakes, tag=tag, engine=engine)


def _open_api(config: Config, stack: ExitStack, *, work_dir: Path, api_url: str | None,
              start_server: bool | None, engine: Engine | None, tag: str = SMOKE_TAG) -> _Opened:
    from ._base_client import DEFAULT_BASE_URL
    from ._client import TinyTalk

    notes: list[str] = []
    url = api_url or config.get("api_url")
    local_engine = engine
    if not url:
        if _api_reachable(DEFAULT_BASE_URL):
            url = DEFAULT_BASE_URL
        elif start_server is False or (start_server is None and config.profile != "default"):
            raise CheckFailedError(
                f"no TinyTalk API at {DEFAULT_BASE_URL}",
                hint="start one with `tinytalk serve`, set api_url, or pass --start-server",
            )
        else:
            from .providers.factory import cost_for
            from .server.background import start_background_server
            from .server.paths import server_folders

            uploads, cdn = server_folders(config)
            server = start_background_server(config.database_url, uploads_dir=uploads, cdn_dir=cdn,
                                             cost=cost_for(config))
            stack.callback(server.stop)
            url = server.base_url
            notes.append(f"started the local API server on {url} (offline providers) for this run")
    if local_engine is None:
        local_engine = _usage_engine(config)
        if local_engine is not None:
            stack.callback(local_engine.dispose)
    # The server copies the tag onto every usage row of our requests: no database access needed for it.
    client = TinyTalk(base_url=url, timeout=60, default_headers={"X-TinyTalk-Tag": tag})
    stack.callback(client.close)
    return _Opened(ApiPipeline(client, work_dir=work_dir), api_url=url, engine=local_engine, notes=notes)


def _usage_engine(config: Config) -> Engine | None:
    """The profile's database, when it holds the TinyTalk tables (to check and tag the rows)."""
    try:
        from sqlalchemy import inspect

        from .db import make_engine
        from .db.migrate import sqlite_file_missing

        engine = make_engine(config.database_url)
        # never create an empty SQLite file just to look into it
        if not sqlite_file_missing(engine) and inspect(engine).has_table("api_usage_logs"):
            return engine
        engine.dispose()
    except Exception:  # the database is optional for a smoke run: the API is what is tested
        return None
    return None


def _open_providers(config: Config, stack: ExitStack, *, work_dir: Path, use_fakes: bool | None, tag: str,
                    engine: Engine | None) -> _Opened:
    from .providers.base import UsageRecorder
    from .providers.factory import SERVICES, build_providers, cost_for, recorder_for

    notes: list[str] = []
    has_any = any(config.get(f"{s}_api_key") for s in SERVICES)
    fakes = None
    if use_fakes or (use_fakes is None and not has_any):
        from .config import Config as _Config
        from .testing.fake_vendors import start_fake_vendors

        fakes = start_fake_vendors()
        stack.callback(fakes.stop)
        config = _Config(profile=config.profile, path=config.path, file_values=dict(config.file_values),
                         env={**config.env, **fakes.env()})
        notes.append(f"no vendor keys configured: using the vendor fakes on {fakes.base_url}")
    recorder = UsageRecorder(engine, cost=cost_for(config)) if engine is not None else recorder_for(config)
    providers = build_providers(config, recorder, require_real=True)
    for provider in (providers.stt, providers.tts, providers.avatar):
        close = getattr(provider, "close", None)
        if callable(close):
            stack.callback(close)
    pipeline = ProviderPipeline(providers, recorder, work_dir=work_dir, tag=tag, fakes=fakes)
    return _Opened(pipeline, engine=recorder.engine, providers=providers.names(), notes=notes)


# ---- the smoke run ------------------------------------------------------------------------------------


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
    from .testing.speech import speak_wav, word_error_rate

    report = SmokeReport(target=target, avatar=avatar, utterance=utterance)
    stages = _Stages(report, on_stage)
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
            pipe = opened.pipeline
            turn = Turn()
            clip = work / "push-to-talk.wav"
            if audio is not None:
                clip.write_bytes(Path(audio).read_bytes())
            else:
                clip.write_bytes(speak_wav(utterance))
            if isinstance(pipe, ProviderPipeline) and pipe.fakes is not None and audio is None:
                pipe.fakes.state.know_audio(clip.read_bytes(), utterance)
            user_email = f"smoke+{secrets.token_hex(6)}@tinytalk.invalid"

            def register(st: StageResult) -> None:
                assert isinstance(pipe, ApiPipeline)
                token = pipe.client.auth.register(email=user_email, pin=f"{secrets.randbelow(10**6):06d}",
                                                  name="Smoke Test", device="tinytalk smoke")
                pipe.user_id = token.user.id

            def session(st: StageResult) -> None:
                assert isinstance(pipe, ApiPipeline)
                pipe.session_id = pipe.client.sessions.create(
                    title="smoke test", response_mode="video" if avatar == "heygen" else "audio").session.id

            def stt(st: StageResult) -> None:
                pipe.stt(turn, clip)
                if not turn.transcript:
                    raise CheckFailedError("empty transcript")
                report.transcript = turn.transcript
                report.wer = word_error_rate(utterance, turn.transcript) if audio is None else None
                st.detail = f'"{turn.transcript[:80]}"' + (f" WER {report.wer:.2f}" if report.wer is not None else "")

            def gpt_stream(st: StageResult) -> None:
                pipe.chat(turn, turn.transcript)
                if not turn.reply:
                    raise CheckFailedError("empty answer")
                report.reply = turn.reply
                st.detail = f'"{turn.reply[:80]}"'

            def tts_stream(st: StageResult) -> None:
                pipe.tts(turn, turn.reply, with_timestamps=avatar == "replika" and target == "providers")
                if not turn.audio:
                    raise CheckFailedError("no audio")
                st.detail = f"{len(turn.audio)} bytes {turn.content_type}"

            def avatar_step(st: StageResult) -> None:
                started = time.perf_counter()
                if avatar == "heygen":
                    sid = pipe.heygen_open()
                    try:
                        pipe.heygen_say(sid, turn.reply)
                        turn.metrics["avatar_ready"] = round(time.perf_counter() - started, 3)
                    finally:
                        pipe.heygen_close(sid)  # always: HeyGen bills the minutes
                    st.detail = f"heygen session {sid[:12]}… stopped"
                else:
                    motion = lipsync(turn)
                    turn.metrics["avatar_ready"] = round(time.perf_counter() - started, 3)
                    meta = motion["Meta"]
                    st.detail = f"lip-sync motion {meta['Duration']} s, {meta['CurveCount']} curve(s)"

            def save(st: StageResult) -> None:
                assert isinstance(pipe, ApiPipeline)
                if pipe.session_id is None:
                    raise CheckFailedError("no session to save")
                saved = pipe.client.sessions.save(session_id=pipe.session_id, title="smoke test")
                if saved.session.status != "saved":
                    raise CheckFailedError(f"session status is '{saved.session.status}'")

            def check_rows(st: StageResult) -> None:
                st.detail = _check_rows(pipe, opened.engine, avatar=avatar, started_at=report.started_at)

            def cleanup(st: StageResult) -> None:
                st.detail = _cleanup(pipe, opened.engine, started_at=report.started_at)

            api = isinstance(pipe, ApiPipeline)
            plan: list[tuple[str, Callable[[StageResult], None]]] = [
                *([("register", register), ("session", session)] if api else []),
                ("stt", stt), ("gpt_stream", gpt_stream), ("tts_stream", tts_stream), ("avatar", avatar_step),
                *([("save", save)] if api else []),
                ("check_rows", check_rows),
            ]
            try:
                for name, fn in plan:
                    stages.run(name, fn)
            finally:
                stages.run("cleanup", cleanup, always=True)
            turn.metrics["speech_to_avatar"] = speech_to_avatar(turn, avatar)
            report.metrics = dict(turn.metrics)
    if raise_on_failure and not report.passed:
        failed = ", ".join(f"{s.name} ({s.detail})" for s in report.failed)
        raise CheckFailedError(f"smoke failed: {failed}")
    return report


def _expected_rows(avatar: str) -> int:
    return 3 + (4 if avatar == "heygen" else 0)  # stt, chat_stream, tts (+ heygen new/start/task/stop)


def _check_rows(pipe: ApiPipeline | ProviderPipeline, engine: Engine | None, *, avatar: str,
                started_at: dt.datetime) -> str:
    notes: list[str] = []
    if isinstance(pipe, ApiPipeline):
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


def _cleanup(pipe: ApiPipeline | ProviderPipeline, engine: Engine | None, *, started_at: dt.datetime) -> str:
    if isinstance(pipe, ProviderPipeline):
        return "nothing to clean up"
    if pipe.user_id is None:
        return "no test user was created"
    if engine is None:
        with suppress(TinyTalkError):
            pipe.client.auth.logout()
        return f"logged out; test user {pipe.user_id} kept (no database access)"
    from sqlalchemy import delete, func, select, update

    from .db.models import ApiUsageLog, User
    from .db.session import transaction

    with transaction(engine) as session:
        # The server tagged the run's usage rows (X-TinyTalk-Tag). Fallback for a server that predates the
        # header: tag the rows it left untagged (they outlive the user: no foreign key). Then delete the
        # user; sessions, messages and tokens go with it (ON DELETE CASCADE).
        # (SQLite may hand a deleted user's id to the next one: only this run's rows are looked at.)
        since = started_at - dt.timedelta(seconds=1)
        mine = (ApiUsageLog.user_id == pipe.user_id, ApiUsageLog.created_at >= since)
        by_server = int(session.scalar(select(func.count()).select_from(ApiUsageLog)
                                       .where(*mine, ApiUsageLog.tag == SMOKE_TAG)) or 0)
        result: Any = session.execute(update(ApiUsageLog).where(*mine, ApiUsageLog.tag.is_(None))
                                      .values(tag=SMOKE_TAG))
        tagged = int(result.rowcount or 0)
        session.execute(delete(User).where(User.id == pipe.user_id))
    how = f"{by_server} usage row(s) tagged '{SMOKE_TAG}' by the server"
    if tagged:
        how += f", {tagged} untagged row(s) tagged here"
    return f"test user {pipe.user_id} deleted, {how}"
