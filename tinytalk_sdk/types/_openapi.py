"""The API contract as one OpenAPI 3.1 document, built from the JSON Schemas of ``schemas/api/``.

``tinytalk serve`` answers it at ``/api/openapi.json``; Schemathesis tests the running server against it.
It is built from :func:`~._jsonschema.render_schemas` (the same text as the checked-in files) and the
:data:`~._endpoints.ENDPOINTS` table, so the two cannot disagree: :func:`render_openapi` also accepts
the files' contents, and the drift test compares the document built from the files with the one built
from the models.

Each schema file becomes a component named after it (``auth_login.request``); its ``$defs`` are hoisted
to components of their own (one per model name). Every operation documents its success envelope, the
error envelope for every other status, its security (bearer, or none for the public endpoints) and, for
``key`` endpoints, the ``Idempotency-Key`` header.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .._version import __version__
from ._endpoints import ENDPOINTS, Endpoint
from ._jsonschema import DIALECT, render_schemas

__all__ = ["OPENAPI_VERSION", "render_openapi"]

OPENAPI_VERSION = "3.1.0"
_REF = "#/components/schemas/"
# Statuses every operation may answer with the error envelope (docs/server.md, docs/security-server.md).
_ERRORS = {
    "400": "malformed body, query or header (invalid_json, invalid_body, invalid_idempotency_key, …)",
    "401": "missing, malformed or expired bearer token; wrong email or PIN",
    "404": "the thing named does not exist or is not the caller's",
    "409": "conflict: email_taken, idempotency_key_reused, idempotency_key_in_use, …",
    "413": "body larger than the limit (payload_too_large)",
    "415": "unsupported content type",
    "422": "validation_failed: fields names each field at fault",
    "429": "too_many_attempts (login/registration throttle, with Retry-After) or rate_limited",
}


def _hoist(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without ``$schema``/``$id``/``$defs``, its ``#/$defs/X`` refs pointing at components."""
    body = {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
    for name, sub in (schema.get("$defs") or {}).items():
        fixed = _retarget(sub)
        if components.setdefault(name, fixed) != fixed:
            raise ValueError(f"two different models are both called {name!r}")
    return _retarget(body)


def _retarget(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (_REF + v.removeprefix("#/$defs/") if k == "$ref" and isinstance(v, str) else _retarget(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_retarget(v) for v in node]
    return node


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch and the null default."""
    out = copy.deepcopy(schema)
    options = out.get("anyOf")
    if isinstance(options, list):
        rest = [o for o in options if o != {"type": "null"}]
        if len(rest) == 1:
            out.pop("anyOf")
            out.update(rest[0])
        else:
            out["anyOf"] = rest
    if out.get("default", 0) is None:
        out.pop("default")
    return out


def _query_parameters(request: dict[str, Any], *, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    required = set(request.get("required") or [])
    return [{"name": name, "in": "query", "required": name in required, "schema": _without_null(prop)}
            for name, prop in (request.get("properties") or {}).items() if name not in skip]


def _success(ep: Endpoint, data_ref: str) -> dict[str, Any]:
    if ep.stream == "sse":
        # One schema per event as Schemathesis reads a stream: {"event": …, "data": "<JSON text>"}; the data
        # objects are the gpt_stream.event.*.json components.
        event = {"type": "object", "required": ["event", "data"], "additionalProperties": True,
                 "properties": {"event": {"enum": ["delta", "done", "error"]},
                                "data": {"type": "string", "contentMediaType": "application/json"}}}
        return {"description": "server-sent events: delta*, then done or error (gpt_stream.event.* schemas)",
                "content": {"text/event-stream": {"schema": event}}}
    if ep.stream == "audio":
        binary = {"schema": {"type": "string", "format": "binary"}}
        return {"description": "chunked audio", "content": {"audio/mpeg": binary, "audio/wav": binary}}
    envelope = {"type": "object", "required": ["success", "data"], "additionalProperties": True,
                "properties": {"success": {"const": True}, "data": {"$ref": data_ref}}}
    return {"description": "success", "content": {"application/json": {"schema": envelope}}}


def _operation(ep: Endpoint, request: dict[str, Any], *, req_ref: str, data_ref: str,
               method: str) -> dict[str, Any]:
    error = {"content": {"application/json": {"schema": {"$ref": _REF + "error"}}}}
    op: dict[str, Any] = {
        "operationId": ep.name if method == ep.method.lower() else f"{ep.name}_{method}",
        "tags": [ep.area],
        "summary": f"{ep.method} {ep.path}",
        "responses": {str(ep.status): _success(ep, data_ref),
                      **{code: {"description": why, **error} for code, why in _ERRORS.items()},
                      "default": {"description": "any other error", **error}},
    }
    if ep.auth:
        op["security"] = [{"bearer": []}, {"query_token": []}] if method == "get" and ep.stream else [{"bearer": []}]
    else:
        op["security"] = []
    params: list[dict[str, Any]] = []
    if method == "get" and ep.body in ("query", "json"):
        params += _query_parameters(request)
    elif ep.body == "json":
        # PHP reads an empty body as {} (json_decode('') ?? []): the body may be left out when no field is required.
        op["requestBody"] = {"required": bool(request.get("required")),
                             "content": {"application/json": {"schema": {"$ref": req_ref}}}}
    elif ep.body == "multipart":
        form = copy.deepcopy(request)
        form.pop("title", None)
        form.setdefault("properties", {})["file"] = {"type": "string", "format": "binary"}
        form["required"] = [*form.get("required", []), "file"]
        form["properties"] = {k: (_without_null(v) if k != "file" else v) for k, v in form["properties"].items()}
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    if ep.retry == "key":
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,64}$"}})
    if params:
        op["parameters"] = params
    return op


def render_openapi(schemas: dict[str, str] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``schemas`` (file name → text) defaults to the models' rendering."""
    files = {name: json.loads(text) for name, text in (schemas or render_schemas()).items()}
    components: dict[str, Any] = {}
    named: dict[str, Any] = {}
    for name, schema in sorted(files.items()):
        named[name.removesuffix(".json")] = _hoist(schema, components)
    components.update(named)
    paths: dict[str, dict[str, Any]] = {}
    for ep in ENDPOINTS:
        req_name = f"{ep.stem}.request"
        request = named[req_name] if ep.body != "none" else {"type": "object", "properties": {}}
        refs = {"req_ref": _REF + req_name, "data_ref": _REF + f"{ep.stem}.response"}
        item = paths.setdefault(ep.path, {})
        item[ep.method.lower()] = _operation(ep, request, method=ep.method.lower(), **refs)
        if ep.stream == "sse":  # EventSource clients GET the same endpoint with query parameters
            item["get"] = _operation(ep, request, method="get", **refs)
    return {
        "openapi": OPENAPI_VERSION,
        "jsonSchemaDialect": DIALECT,
        "info": {"title": "TinyTalk API (local server)", "version": __version__,
                 "description": "The 25 endpoints of the TinyTalk Study platform; generated from "
                                "tinytalk_sdk.types (see docs/server.md and docs/security-server.md)."},
        "servers": [{"url": "/api"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "token from auth_login/register"},
                "query_token": {"type": "apiKey", "in": "query", "name": "token",
                                "description": "the bearer token, for EventSource (GET gpt_stream.php)"},
            },
        },
    }
