"""One pupil turn, defined once: the stages, their timing model, the runner, and the avatar per provider.

``tinytalk smoke``, ``tinytalk qa compare`` and ``tinytalk qa load`` are thin users of this package (their
reports are rendered in their own modules). The package talks to the services through the client
(``TinyTalk``) and the providers; it never imports the server or the CLI (an import-linter contract).
A local server is started by the caller and handed in (:data:`LocalServer`).
"""

from .avatars import AVATARS, Avatar, HeyGenAvatar, Live2DAvatar, LiveAvatarAvatar, avatar_for, lipsync
from .cleanup import remove_test_user, remove_uploads
from .runner import SkipStage, failure_kind, run_stages
from .setup import LocalServer, Opened, TargetName, open_target
from .stages import (
    AvatarStage,
    GptStage,
    LoginStage,
    SaveStage,
    SessionStage,
    Stage,
    SttStage,
    TtsStage,
    TurnContext,
    pupil_turn,
)
from .targets import ApiTarget, ProviderTarget, Target
from .timing import METRICS, Clock, StageResult, Turn

__all__ = [
    "AVATARS",
    "METRICS",
    "ApiTarget",
    "Avatar",
    "AvatarStage",
    "Clock",
    "GptStage",
    "HeyGenAvatar",
    "Live2DAvatar",
    "LiveAvatarAvatar",
    "LocalServer",
    "LoginStage",
    "Opened",
    "ProviderTarget",
    "SaveStage",
    "SessionStage",
    "SkipStage",
    "Stage",
    "StageResult",
    "SttStage",
    "Target",
    "TargetName",
    "TtsStage",
    "Turn",
    "TurnContext",
    "avatar_for",
    "failure_kind",
    "lipsync",
    "open_target",
    "pupil_turn",
    "remove_test_user",
    "remove_uploads",
    "run_stages",
]
