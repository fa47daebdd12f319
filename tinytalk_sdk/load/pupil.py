"""The simulated pupil: a Locust ``User`` whose task is one pupil turn of the pipeline.

Imported only inside the Locust child process (``tinytalk_sdk.load.child``): importing Locust monkey-patches
the standard library with gevent. Each stage the pipeline runs becomes a Locust request event with
``request_type`` = the stage name and ``name`` = ``total`` (the stage's time) — plus, for the stages that
have one, the first useful output (``ttft`` of ``gpt_stream``, ``ttfb`` of ``tts_stream``, ``ready`` of
``avatar``). A failed stage is a failed request whose error is the failure kind (``timeout``,
``http_503``…), so Locust's failure table counts failures by kind.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any, ClassVar

from locust import User, task
from locust.exception import StopUser

from .._exceptions import TinyTalkError
from ..pipeline import (
    ApiTarget,
    Avatar,
    LoginStage,
    SaveStage,
    SessionStage,
    Stage,
    StageResult,
    TurnContext,
    avatar_for,
    pupil_turn,
    run_stages,
)
from .plan import FIRST_NAMES, LOAD_TAG, LoadPlan

__all__ = ["AvatarSessionStage", "CharacterStage", "Pupil", "plan_of"]

# One clip per utterance per process, made once (espeak-ng) before the first pupil speaks.
_CLIPS: dict[str, Path] = {}


def plan_of(environment: Any) -> LoadPlan:
    """The plan the child put on ``parsed_options`` (on a worker: the copy the master sent with ``spawn``)."""
    raw = getattr(environment.parsed_options, "tinytalk_plan", None)
    if not raw:
        raise RuntimeError("no tinytalk plan on this Locust environment")
    return LoadPlan.from_dict(raw)


def clips_for(plan: LoadPlan) -> dict[str, Path]:
    from ..testing.speech import speak_wav

    if not _CLIPS:
        folder = Path(tempfile.mkdtemp(prefix="tinytalk-load-clips-"))
        for i, text in enumerate(plan.utterances):
            path = folder / f"utterance-{i}.wav"
            path.write_bytes(speak_wav(text))
            _CLIPS[text] = path
    return _CLIPS


class AvatarSessionStage(Stage):
    """Open the avatar's vendor session (HeyGen), as the app does when the video screen opens."""

    name = "avatar_session"

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        ctx.avatar.open(ctx.target)
        timing.mark_first()
        return ""


class CharacterStage(Stage):
    """The Live2D character the pupil is assigned (``get_user_character.php``) and its model file fetched from
    the CDN, as the app does when the lesson screen opens; ``first`` = the API's answer. Skipped when no
    character is configured."""

    name = "character"

    def run(self, ctx: TurnContext, timing: StageResult) -> str:
        import httpx

        from ..pipeline import SkipStage

        api = ctx.api()
        character = api.client.config.user_character().character
        timing.mark_first()
        if character is None or not character.model_url:
            raise SkipStage("no character configured")
        with httpx.Client(timeout=api.client.timeout) as cdn:
            response = cdn.get(character.model_url)
            response.raise_for_status()
        return f"{character.code}: {len(response.content)} bytes from the CDN"


class Pupil(User):
    """One pupil of the class: logs in, opens today's session, then talks turn after turn."""

    registry: ClassVar[set[Pupil]] = set()  # every pupil of this process not yet cleaned up (Ctrl-C sweep)

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.plan = plan_of(environment)
        self.avatar: Avatar = avatar_for(self.plan.avatar)
        self.work = Path(tempfile.mkdtemp(prefix="tinytalk-load-pupil-"))
        self.target: ApiTarget | None = None
        self.ready = False
        self.turns = 0

    def wait_time(self) -> float:  # think time between turns
        return random.uniform(self.plan.think_min, self.plan.think_max)

    def _context(self, text: str | None = None) -> TurnContext:
        assert self.target is not None
        clips = clips_for(self.plan)
        clip = clips[text] if text is not None else next(iter(clips.values()))
        return TurnContext(target=self.target, avatar=self.avatar, clip=clip, utterance=text, title="load test",
                           user=(self.plan.email_prefix, "Load Pupil", "tinytalk qa load"))

    def fire(self, result: StageResult) -> None:
        """One Locust request per stage (and one for its first output), with the pipeline's own timings."""
        if result.status == "skip":
            return
        events = self.environment.events.request
        failed = result.status == "fail"
        events.fire(request_type=result.name, name="total", response_time=(result.seconds or 0.0) * 1000,
                    response_length=0, exception=(result.kind or "error") if failed else None,
                    context={"detail": result.detail})
        first = FIRST_NAMES.get(result.name)
        if first and not failed and result.first is not None:
            events.fire(request_type=result.name, name=first, response_time=result.first * 1000,
                        response_length=0, exception=None, context={})

    def on_start(self) -> None:
        from .._client import TinyTalk

        Pupil.registry.add(self)
        client = TinyTalk(base_url=self.plan.api_url, timeout=self.plan.timeout,
                          default_headers={"X-TinyTalk-Tag": LOAD_TAG})
        self.target = ApiTarget(client, work_dir=self.work)
        self.start_lesson()

    def start_lesson(self) -> None:
        """Login, today's session, the avatar's session: timed like any stage; a failure is retried next turn."""
        assert self.target is not None
        stages: list[Stage] = [*([LoginStage()] if self.target.user_id is None else []), SessionStage(),
                               *([AvatarSessionStage()] if self.avatar.has_session else [CharacterStage()])]
        results = run_stages(stages, self._context(), on_stage=self.fire)
        self.ready = all(r.ok for r in results)  # (a skipped stage, e.g. no character, is no failure)

    @task
    def talk(self) -> None:
        if not self.ready:
            self.start_lesson()
            return
        text = random.choice(self.plan.utterances)
        ctx = self._context(text)
        run_stages([*pupil_turn(self.avatar, require_text=False), SaveStage()], ctx, on_stage=self.fire)
        if ctx.turn.audio_path is not None:
            ctx.turn.audio_path.unlink(missing_ok=True)
        self.turns += 1
        if self.plan.turns and self.turns >= self.plan.turns:
            raise StopUser  # (on_stop runs: avatar session stopped, logged out)

    def on_stop(self) -> None:
        self.finish()

    def finish(self) -> None:
        """Stop the avatar session (always: HeyGen bills minutes) and log out; the parent deletes the user."""
        if self not in Pupil.registry:
            return
        Pupil.registry.discard(self)
        target = self.target
        if target is None:
            return
        if self.avatar.is_open:
            result = StageResult("avatar_session")
            result.start()
            try:
                self.avatar.close(target)
            except TinyTalkError as exc:
                from ..pipeline import failure_kind

                result.status, result.kind = "fail", failure_kind(exc)
            result.finish()
            self.environment.events.request.fire(
                request_type="avatar_session", name="stop", response_time=(result.seconds or 0.0) * 1000,
                response_length=0, exception=result.kind if result.status == "fail" else None, context={})
        if target.user_id is not None:
            with suppress(TinyTalkError):
                target.client.auth.logout()
        target.client.close()
        shutil.rmtree(self.work, ignore_errors=True)

    @classmethod
    def finish_all(cls) -> None:
        """Whatever Locust did not stop gracefully (Ctrl-C, a killed greenlet): stop it here."""
        for pupil in list(cls.registry):
            with suppress(Exception):
                pupil.finish()
