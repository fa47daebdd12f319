"""One wrapper turns a handler into an endpoint: auth, body parsing and validation, idempotency keys.

Handlers are plain synchronous functions ``handler(call) -> Response`` run in the thread pool (the
database layer is synchronous SQLAlchemy). Everything a request can get wrong is answered here with a
contract error (400/401/413/415/422) before a handler runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from ..providers.base import CallContext, UsageEntry
from ..providers.bundle import service_of
from ._auth import authenticate, bearer_token
from ._body import MAX_JSON_BYTES, parse_json_object, too_large
from ._responses import ApiError
from .idempotency import Seal, StoredResponse

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..db.models import User
    from ..types import Endpoint
    from ._state import ServerState

__all__ = [
    "MAX_JSON_BYTES",
    "TAG_HEADER",
    "Call",
    "Handler",
    "make_endpoint",
    "upload_limit",
    "upload_too_large",
    "validation_fields",
]

log = logging.getLogger("tinytalk.server")

_MB = 1024 * 1024
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,64}$")  # visible ASCII, as Stripe's keys
# A caller's label for its own traffic ("smoke"), copied to every usage row of the request.
TAG_HEADER = "X-TinyTalk-Tag"
_TAG_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # fits api_usage_logs.tag (32)


@dataclass
class Call:
    """One request as a handler sees it."""

    request: Request
    state: ServerState
    endpoint: Endpoint
    params: Any
    request_id: str
    user_id: int | None = None
    token_id: int | None = None
    upload: Path | None = None  # stt_upload: the received file, on disk
    upload_name: str | None = None
    idempotency_key: str | None = None
    tag: str | None = None  # the X-TinyTalk-Tag header
    bearer: str | None = field(default=None, repr=False)  # the caller's token: seals its idempotent answers
    extra: dict[str, Any] = field(default_factory=dict)

    def ctx(self, session_id: int | None = None) -> CallContext:
        """Who a provider call is for: user, session, the caller's tag and this request's id."""
        return CallContext(user_id=self.user_id, session_id=session_id, tag=self.tag,
                           request_id=self.request_id or None)

    def user(self, session: Session) -> User:
        from ..db.models import User

        user = session.get(User, self.user_id)
        if user is None:
            raise ApiError(401, "unauthorized", "invalid or expired token")
        return user

    def base_url(self) -> str:
        """Scheme and host the client used (for absolute audio and asset URLs)."""
        return str(self.request.base_url).rstrip("/")

    @contextmanager
    def usage(self, provider: object, operation: str, *, session_id: int | None = None) -> Iterator[UsageEntry]:
        """Record a provider call, unless the provider records its own (``records_usage = True``)."""
        if getattr(provider, "records_usage", False):
            yield UsageEntry(service=service_of(provider), operation=operation)  # recorded by the provider
            return
        with self.state.recorder.call(service_of(provider), operation, model=getattr(provider, "model", None),
                                      ctx=self.ctx(session_id)) as entry:
            yield entry


Handler = Callable[[Call], Response]


def validation_fields(exc: PydanticValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err.get("loc", ())) or "body"
        message = "unknown field" if err.get("type") == "extra_forbidden" else str(err.get("msg", "invalid"))
        fields.setdefault(loc, message)
    return fields


def _validate(model: type[BaseModel], data: Any, *, strict: bool = False) -> Any:
    """``strict`` for JSON bodies: JSON has types, so ``true`` is not 1 and ``"5"`` is not 5 (as the
    schemas say); query strings and form fields are text and are converted."""
    try:
        return model.model_validate(data, strict=strict)
    except PydanticValidationError as exc:
        fields = validation_fields(exc)
        first = next(iter(fields.items()))
        raise ApiError(422, "validation_failed", f"{first[0]}: {first[1]}", fields=fields) from None


async def _json_body(request: Request) -> Any:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_JSON_BYTES:
        raise too_large()
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # chunked bodies carry no length: count while reading
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise too_large()
        parts.append(chunk)
    raw = b"".join(parts)
    if not raw.strip():
        return {}  # PHP: json_decode('') ?? [] — an empty body is an empty object, validated as such
    if _media_type(request) == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qsl

        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ApiError(400, "invalid_body", "form body is not UTF-8") from None
    return parse_json_object(raw)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def upload_limit(state: ServerState) -> int:
    """The upload limit in bytes: the ``max_upload_mb`` setting (default 10), never above Whisper's 25 MB."""
    from ..db.session import transaction
    from ..types import MAX_UPLOAD_BYTES
    from ._lookup import setting

    with transaction(state.engine) as session:
        value = setting(session, "max_upload_mb")
    try:
        mb = int(value)
    except (TypeError, ValueError):
        return MAX_UPLOAD_BYTES
    return min(mb * _MB, MAX_UPLOAD_BYTES) if mb > 0 else MAX_UPLOAD_BYTES


def upload_too_large(limit: int) -> ApiError:
    """413 naming the limit, in the message and in ``fields`` (what the SDK shows and the app can display)."""
    mb = limit // _MB
    return ApiError(413, "payload_too_large", f"file: larger than this server's {mb} MB upload limit (max_upload_mb)",
                    fields={"file": f"larger than {mb} MB"})


async def _multipart(request: Request, call_files: dict[str, Any], limit: int) -> dict[str, Any]:
    ctype = request.headers.get("content-type", "").lower()
    if not ctype.startswith("multipart/form-data"):
        raise ApiError(400, "invalid_body", "expected multipart/form-data with a 'file' part")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + 64 * 1024:  # 64 KiB: the multipart framing
        raise upload_too_large(limit)
    try:
        form = await request.form(max_files=1, max_fields=20)
    except Exception as exc:  # python-multipart / starlette raise several types for a broken body
        raise ApiError(400, "invalid_body", f"malformed multipart body ({exc.__class__.__name__})") from None
    data: dict[str, Any] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "file":
                raise ApiError(422, "validation_failed", f"{key}: unknown file part", fields={key: "unknown field"})
            call_files["file"] = value
        elif value != "":
            data[key] = value
    return data


def _canonical(params: Any, upload_hash: str | None) -> str:
    """The request as the idempotency store sees it: validated fields in key order, plus the upload."""
    payload = params.model_dump(mode="json") if isinstance(params, BaseModel) else params
    return json.dumps(payload, sort_keys=True, default=str) + "|" + (upload_hash or "")


def make_endpoint(state: ServerState, endpoint: Endpoint, handler: Handler,
                  *, keyed: bool | None = None) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint of one row of ``tinytalk_sdk.types.ENDPOINTS``.

    ``keyed`` (default: the endpoint's retry class is ``"key"``) turns on the idempotency store.
    """
    use_store = endpoint.retry == "key" if keyed is None else keyed

    async def run(request: Request) -> Response:
        request_id = str(request.scope.get("state", {}).get("request_id", ""))
        files: dict[str, Any] = {}
        # -- authenticate first (401), as the PHP scripts do, then parse and validate (400/413/422).
        user_id: int | None = None
        token_id: int | None = None
        token: str | None = None
        if endpoint.auth:
            token = _bearer(request, endpoint.name)
            user_id, token_id = await run_in_threadpool(_authenticate, state, token)
        strict = False
        if request.method == "GET" or endpoint.body == "query":
            data: Any = dict(request.query_params)
            if endpoint.name == "gpt_stream":
                data.pop("token", None)  # EventSource cannot send headers (see _bearer below)
            if endpoint.body == "none":
                data = {}
        elif endpoint.body == "multipart":
            limit = await run_in_threadpool(upload_limit, state)
            data = await _multipart(request, files, limit)
        else:
            data = await _json_body(request)
            strict = _media_type(request) != "application/x-www-form-urlencoded"
        params = _validate(endpoint.request, data, strict=strict)
        call = Call(request=request, state=state, endpoint=endpoint, params=params, request_id=request_id,
                    user_id=user_id, token_id=token_id, tag=_tag(request), bearer=token)
        upload_hash: str | None = None
        tmpdir: str | None = None
        try:
            upload = files.get("file")
            if endpoint.body == "multipart":
                if upload is None:
                    raise ApiError(422, "validation_failed", "file: a 'file' part is required",
                                   fields={"file": "required"})
                tmpdir = tempfile.mkdtemp(prefix="tinytalk-upload-")
                call.upload_name = Path(upload.filename or "upload").name
                call.upload = Path(tmpdir) / ("upload" + Path(call.upload_name).suffix.lower()[:8])
                upload_hash = await _save_upload(upload, call.upload, limit)
            key = request.headers.get("idempotency-key")
            if key is not None and not _KEY_RE.match(key):
                raise ApiError(400, "invalid_idempotency_key", "Idempotency-Key must be 1-64 visible ASCII chars")
            call.idempotency_key = key
            if not (use_store and key):
                return await run_in_threadpool(handler, call)
            return await _keyed(state, call, handler, key, _canonical(params, upload_hash))
        finally:
            if tmpdir:
                shutil.rmtree(tmpdir, ignore_errors=True)

    return run


def _tag(request: Request) -> str | None:
    tag = request.headers.get(TAG_HEADER)
    if tag is None:
        return None
    if not _TAG_RE.match(tag):
        raise ApiError(400, "invalid_tag", f"{TAG_HEADER} must be 1-32 characters of A-Z a-z 0-9 _ -",
                       fields={TAG_HEADER: "1-32 characters of A-Z a-z 0-9 _ -"})
    return tag


def _bearer(request: Request, name: str) -> str:
    header = request.headers.get("authorization")
    if not header and name == "gpt_stream" and request.method == "GET" and request.query_params.get("token"):
        header = "Bearer " + request.query_params["token"]
    return bearer_token(header)


def _authenticate(state: ServerState, token: str) -> tuple[int, int]:
    from ..db.session import transaction

    with transaction(state.engine) as session:
        user, row = authenticate(session, token, now=state.now())
        return user.id, row.id


async def _save_upload(upload: UploadFile, dest: Path, limit: int) -> str:
    digest = hashlib.sha256()
    size = 0
    with dest.open("wb") as out:
        while chunk := await upload.read(1024 * 1024):
            size += len(chunk)
            if size > limit:  # counted while reading: a multipart part carries no length of its own
                raise upload_too_large(limit)
            digest.update(chunk)
            out.write(chunk)
    await upload.close()
    return digest.hexdigest()


async def _keyed(state: ServerState, call: Call, handler: Handler, key: str, request: str) -> Response:
    principal = f"user:{call.user_id}" if call.user_id is not None else "anonymous"
    slot = (principal, call.endpoint.name, key)
    seal = await run_in_threadpool(Seal.derive, slot, request, token=call.bearer)
    found = await run_in_threadpool(state.idempotency.begin, slot, seal)
    if found == "mismatch":
        raise ApiError(409, "idempotency_key_reused", "Idempotency-Key was used with a different request body")
    if found == "pending":
        raise ApiError(409, "idempotency_key_in_use", "a request with this Idempotency-Key is still running")
    if isinstance(found, StoredResponse):
        return Response(found.body, status_code=found.status, media_type=found.media_type,
                        headers={"Idempotent-Replayed": "true"})
    stored: StoredResponse | None = None
    try:
        response = await run_in_threadpool(handler, call)
        if 200 <= response.status_code < 300 and hasattr(response, "body"):
            stored = StoredResponse(response.status_code, bytes(response.body), response.media_type)
        return response
    finally:
        await run_in_threadpool(state.idempotency.finish, slot, seal, stored)
