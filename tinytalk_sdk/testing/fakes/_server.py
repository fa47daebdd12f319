"""The loopback-server base every vendor fake stands on: state, scenarios, the request log, running it.

A vendor module (``openai``, ``elevenlabs``, ``heygen``, …) imports only this module and offers
``PAYLOADS`` (its built-in answer shapes) and ``routes(fake)`` (its Starlette routes); ``_app`` joins them.
Vendor modules never import each other (an import-linter contract), so a new vendor is one new file.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..._exceptions import TinyTalkError

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "KNOWN_UTTERANCE",
    "STREAM_ONLY",
    "FakeState",
    "RunningFakeVendors",
    "Scenario",
    "bearer",
    "json_object",
    "mask",
    "serve",
]

STREAM_ONLY = frozenset({"slow_first_token", "malformed_chunk", "cut_stream"})
KNOWN_UTTERANCE = "I like to play soccer with my friends after school."

T = TypeVar("T")


@dataclass
class Scenario:
    name: str
    params: dict[str, str] = field(default_factory=dict)

    def num(self, key: str, default: float) -> float:
        try:
            return float(self.params.get(key, default))
        except ValueError:
            return default

    @classmethod
    def parse(cls, header: str) -> Scenario:
        name, *pairs = [p.strip() for p in header.split(";") if p.strip()]
        return cls(name, dict(p.split("=", 1) for p in pairs if "=" in p))


@dataclass
class FakeState:
    """What the fakes remember: one-shot scenarios, revoked keys, HeyGen sessions, a request log.

    ``payloads`` starts empty and is filled with the built-in shapes when the app is built; vendors that
    need more memory than the fields below keep it in :meth:`vendor` (cleared by :meth:`reset`).
    """

    payloads: dict[str, Any] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    scenarios: dict[str, list[Scenario]] = field(default_factory=dict)
    transcripts: dict[str, str] = field(default_factory=dict)  # sha256 of audio → what it says
    heygen_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    heygen_tokens: set[str] = field(default_factory=set)
    heygen_limit: int = 3
    chunk_delay: float = 0.005
    log: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    vendors: dict[str, Any] = field(default_factory=dict)

    def push(self, vendor: str, name: str, *, times: int = 1, **params: Any) -> None:
        with self.lock:
            for _ in range(times):
                self.scenarios.setdefault(vendor, []).append(Scenario(name, {k: str(v) for k, v in params.items()}))

    def pop(self, vendor: str, request: Request, *, streaming: bool = True) -> Scenario | None:
        """The next scenario for this request. Stream-only scenarios wait for a streaming request."""
        header = request.headers.get("x-fake-scenario")
        if header:
            return Scenario.parse(header)
        with self.lock:
            queue = self.scenarios.get(vendor) or []
            for i, scenario in enumerate(queue):
                if streaming or scenario.name not in STREAM_ONLY:
                    return queue.pop(i)
            return None

    def know_audio(self, audio: bytes, text: str) -> None:
        """Tell the fake Whisper what a clip says (real Whisper transcribes espeak-ng speech exactly)."""
        self.transcripts[hashlib.sha256(audio).hexdigest()] = text

    def vendor(self, name: str, factory: Callable[[], T]) -> T:
        """The per-vendor memory object, made on first use (a vendor module owns its type)."""
        with self.lock:
            if name not in self.vendors:
                self.vendors[name] = factory()
            value: T = self.vendors[name]
            return value

    def reset(self) -> None:
        with self.lock:
            self.revoked.clear()
            self.scenarios.clear()
            self.heygen_sessions.clear()
            self.heygen_tokens.clear()
            self.log.clear()
            self.vendors.clear()

    def active_heygen(self) -> list[dict[str, Any]]:
        return [s for s in self.heygen_sessions.values() if s["status"] != "closed"]

    def calls(self, vendor: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        return [c for c in self.log if (vendor is None or c["vendor"] == vendor)
                and (path is None or c["path"].endswith(path))]

    def logged(self, vendor: str, request: Request, status: int) -> None:
        self.log.append({"vendor": vendor, "method": request.method, "path": request.url.path,
                         "status": status, "at": time.time()})


# ---- helpers shared by the vendor modules ----------------------------------------------------------


def mask(key: str) -> str:
    return f"{key[:5]}***…{key[-4:]}" if len(key) > 10 else "***"


def bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


async def json_object(request: Request) -> dict[str, Any] | None:
    """The request body as a JSON object, or None when it is missing, unparsable or not an object."""
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


# ---- running it ------------------------------------------------------------------------------------


@dataclass
class RunningFakeVendors:
    """A fake-vendor server running in a background thread on loopback."""

    base_url: str
    state: FakeState
    _server: Any = field(repr=False, default=None)
    _thread: threading.Thread | None = field(repr=False, default=None)

    @property
    def openai_url(self) -> str:
        return self.base_url + "/v1"

    @property
    def elevenlabs_url(self) -> str:
        return self.base_url

    @property
    def heygen_url(self) -> str:
        return self.base_url

    @property
    def liveavatar_url(self) -> str:
        return self.base_url + "/liveavatar"  # its /v1/voices would collide with ElevenLabs' at the root

    def env(self, key: str = "sk-fake-0123456789abcdef") -> dict[str, str]:
        """Settings that point a profile's providers here (``TINYTALK_*`` variables)."""
        return {
            "TINYTALK_OPENAI_API_KEY": key,
            "TINYTALK_OPENAI_BASE_URL": self.openai_url,
            "TINYTALK_ELEVENLABS_API_KEY": "xi-fake-0123456789abcdef",
            "TINYTALK_ELEVENLABS_BASE_URL": self.elevenlabs_url,
            "TINYTALK_HEYGEN_API_KEY": "hg-fake-0123456789abcdef",
            "TINYTALK_HEYGEN_BASE_URL": self.heygen_url,
            # a LiveAvatar key is a UUID (HeyGen keys are refused); no LiveKit server: the loopback room
            "TINYTALK_LIVEAVATAR_API_KEY": "0fa4e000-0000-4000-8000-00000000fa4e",
            "TINYTALK_LIVEAVATAR_BASE_URL": self.liveavatar_url,
            "TINYTALK_LIVEAVATAR_AVATAR_ID": "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a",
            "TINYTALK_LIVEAVATAR_ROOM": "loopback",
        }

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> RunningFakeVendors:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve(app: Any, fake: FakeState, *, host: str = "127.0.0.1", port: int = 0) -> RunningFakeVendors:
    """Run an ASGI app under uvicorn in a daemon thread; returns once the port accepts connections."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fake-vendors", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise TinyTalkError(f"the vendor fakes did not start on {host}:{bound_port}")
        time.sleep(0.01)
    return RunningFakeVendors(base_url=f"http://{host}:{bound_port}", state=fake, _server=server, _thread=thread)
