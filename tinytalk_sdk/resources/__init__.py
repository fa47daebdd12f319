"""One module per API area; each endpoint is one keyword-only typed method (sync and async classes)."""

from .auth import AsyncAuth, Auth
from .config import AsyncConfig, Config
from .heygen import AsyncHeygen, Heygen
from .ops import AsyncOps, Ops
from .pipeline import AsyncPipeline, Pipeline
from .sessions import AsyncSessions, Sessions

__all__ = [
    "AsyncAuth",
    "AsyncConfig",
    "AsyncHeygen",
    "AsyncOps",
    "AsyncPipeline",
    "AsyncSessions",
    "Auth",
    "Config",
    "Heygen",
    "Ops",
    "Pipeline",
    "Sessions",
]
