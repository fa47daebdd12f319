"""heygen_session (GET: the caller's open session, POST: create) / heygen_start / heygen_ice / heygen_task /
heygen_stop, through the video-avatar vendor the platform setting ``video_avatar_vendor`` names (heygen: the
bundle's avatar slot, offline an in-memory fake; liveavatar: LiveAvatar when its key is configured), as the PHP
backend proxies them. A session keeps the vendor it was created with, even if the setting changes meanwhile.

With LiveAvatar the answers keep their shape: ``url``/``access_token`` are the LiveKit room and client token,
``heygen_start`` has nothing left to do (LiveAvatar starts on create), ``heygen_ice`` is accepted and ignored
(LiveKit negotiates itself), and ``heygen_task`` sends ``avatar.speak_text`` (``talk``: ``speak_response``).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..db.session import transaction
from ._call import Call, Handler
from ._chat import provider_errors
from ._lookup import default_persona, setting, video_avatar_vendor
from ._responses import ApiError, ok
from ._serialize import iso

__all__ = ["HANDLERS"]


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _avatar(call: Call, info: dict[str, Any]) -> Any:
    return call.state.providers.video(info.get("vendor"))


def _owned(call: Call, session_id: str) -> dict[str, Any]:
    with call.state.avatar_lock:
        info = call.state.avatar_sessions.get(session_id)
    if info is None or info["user_id"] != call.user_id:
        raise ApiError(404, "avatar_session_not_found", f"avatar session '{session_id}' not found")
    return info


def _session_out(session_id: str, info: dict[str, Any]) -> dict[str, Any]:
    return {"session_id": session_id, "status": info["status"], "avatar_id": info.get("avatar_id"),
            "url": info.get("url"), "access_token": info.get("access_token"),
            "ice_servers": info.get("ice_servers") or [], "sdp": info.get("sdp"),
            "created_at": iso(info.get("created_at"))}


def current(call: Call) -> Response:
    with call.state.avatar_lock:
        mine = [(sid, info) for sid, info in call.state.avatar_sessions.items()
                if info["user_id"] == call.user_id and info["status"] in ("new", "started")]
    if not mine:
        raise ApiError(404, "avatar_session_not_found", "no open avatar session")
    session_id, info = mine[-1]
    return ok(_session_out(session_id, info))


def create(call: Call) -> Response:
    p = call.params
    avatar_id = p.avatar_id
    with transaction(call.state.engine) as session:
        vendor = video_avatar_vendor(session)
        if vendor not in call.state.providers.videos:
            vendor = "heygen"  # LiveAvatar chosen but no key here: the PHP backend would fall back the same way
        if avatar_id is None and vendor == "liveavatar":  # HeyGen avatar names are not LiveAvatar UUIDs
            avatar_id = setting(session, "liveavatar_avatar_id")
        elif avatar_id is None:  # the default persona's avatar, else the heygen_avatar_id setting
            persona = default_persona(session)
            avatar_id = (persona.heygen_avatar_id if persona else None) or setting(session, "heygen_avatar_id")
    avatar = call.state.providers.video(vendor)
    voice_id = p.voice_id
    if vendor == "liveavatar" and voice_id and not _is_uuid(voice_id):
        voice_id = None  # a HeyGen voice name the app sent: LiveAvatar voices are UUIDs (the profile's is used)
    with provider_errors(), call.usage(avatar, "heygen_new", session_id=p.chat_session_id):
        made = avatar.create_session(avatar_id=avatar_id, voice_id=voice_id, quality=p.quality,
                                     ctx=call.ctx(p.chat_session_id))
    info: dict[str, Any] = {
        "user_id": call.user_id, "status": "new", "avatar_id": made.avatar_id, "url": made.url,
        "access_token": made.access_token, "ice_servers": made.extra.get("ice_servers") or [],
        "sdp": made.extra.get("sdp"), "created_at": call.state.now(), "chat_session_id": p.chat_session_id,
        "vendor": vendor,
    }
    with call.state.avatar_lock:
        call.state.avatar_sessions[made.session_id] = info
    return ok(_session_out(made.session_id, info))


def start(call: Call) -> Response:
    p = call.params
    info = _owned(call, p.session_id)
    avatar = _avatar(call, info)
    with provider_errors(), call.usage(avatar, "heygen_start", session_id=info.get("chat_session_id")):
        answer = avatar.start_session(p.session_id, sdp=p.sdp, ctx=call.ctx(info.get("chat_session_id")))
    info["status"] = "started"
    return ok({"session_id": p.session_id, "status": "started", "sdp": answer.get("sdp")})


def ice(call: Call) -> Response:
    p = call.params
    info = _owned(call, p.session_id)
    avatar = _avatar(call, info)
    with provider_errors(), call.usage(avatar, "heygen_ice", session_id=info.get("chat_session_id")):
        avatar.send_ice(p.session_id, p.candidate, ctx=call.ctx(info.get("chat_session_id")))
    return ok({"accepted": True})


def task(call: Call) -> Response:
    p = call.params
    info = _owned(call, p.session_id)
    avatar = _avatar(call, info)
    with provider_errors(), call.usage(avatar, "heygen_task", session_id=info.get("chat_session_id")) as entry:
        entry.characters = len(p.text)
        made = avatar.speak(p.session_id, p.text, task_type=p.task_type, ctx=call.ctx(info.get("chat_session_id")))
    return ok({"task_id": made.task_id, "duration_ms": made.duration_ms})


def stop(call: Call) -> Response:
    p = call.params
    info = _owned(call, p.session_id)
    if info["status"] == "stopped":  # stopping twice is harmless (the SDK retries it)
        return ok({"session_id": p.session_id, "status": "stopped", "duration_seconds": info.get("duration")})
    avatar = _avatar(call, info)
    with provider_errors(), call.usage(avatar, "heygen_stop", session_id=info.get("chat_session_id")) as entry:
        stopped = avatar.stop_session(p.session_id, ctx=call.ctx(info.get("chat_session_id")))
        entry.session_minutes = stopped.session_minutes
    info["status"], info["duration"] = "stopped", stopped.duration_seconds
    return ok({"session_id": p.session_id, "status": "stopped", "duration_seconds": stopped.duration_seconds})


HANDLERS: dict[str, Handler] = {
    "heygen_session": current,
    "heygen_session_create": create,
    "heygen_start": start,
    "heygen_ice": ice,
    "heygen_task": task,
    "heygen_stop": stop,
}
