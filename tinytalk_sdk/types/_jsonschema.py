"""Render the JSON Schemas (2020-12) of every endpoint from the pydantic models.

``scripts/gen_schemas.py`` writes them to ``schemas/api/``; the drift test compares the files with
:func:`render_schemas`. File names: ``<stem>.request.json`` / ``<stem>.response.json`` (the response schema
describes the ``data`` object of the envelope), ``gpt_stream.event.<name>.json`` for the SSE events,
``error.json`` for the error envelope.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from ._base import ErrorEnvelope
from ._endpoints import ENDPOINTS, Endpoint
from .pipeline import DeltaData, DoneData, ErrorData

__all__ = ["DIALECT", "render_schemas", "schema_of"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_ID_BASE = "https://tinytalkstudy.com/schemas/api/"


def schema_of(model: type[BaseModel], file_name: str, description: str) -> dict[str, Any]:
    body = model.model_json_schema(mode="validation")
    head = {"$schema": DIALECT, "$id": _ID_BASE + file_name, "description": description}
    body.pop("description", None)
    return {**head, **body}


def _binary_schema(file_name: str, ep: Endpoint) -> dict[str, Any]:
    return {
        "$schema": DIALECT,
        "$id": _ID_BASE + file_name,
        "description": f"{ep.method} {ep.path}: binary audio body (audio/mpeg, or audio/wav offline), chunked",
        "title": "AudioBody",
        "type": "string",
        "contentMediaType": "audio/*",
    }


def render_schemas() -> dict[str, str]:
    """File name → file text (sorted, stable, ends with a newline)."""
    out: dict[str, dict[str, Any]] = {}
    by_stem: dict[str, list[Endpoint]] = {}
    for ep in ENDPOINTS:
        by_stem.setdefault(ep.stem, []).append(ep)
    for stem, eps in by_stem.items():
        # A path with GET and POST (heygen_session): the request schema is the one with a body.
        req_ep = max(eps, key=lambda e: e.body != "none")
        methods = "/".join(e.method for e in eps)
        name = f"{stem}.request.json"
        out[name] = schema_of(req_ep.request, name, f"{methods} {req_ep.path}: request ({req_ep.body})")
        name = f"{stem}.response.json"
        resp = eps[0].response
        if resp is None:
            out[name] = _binary_schema(name, eps[0])
        else:
            out[name] = schema_of(resp, name, f"{methods} {eps[0].path}: the data object of a success")
    for event, model in (("delta", DeltaData), ("done", DoneData), ("error", ErrorData)):
        name = f"gpt_stream.event.{event}.json"
        out[name] = schema_of(model, name, f"gpt_stream.php SSE `event: {event}` data")
    out["error.json"] = schema_of(ErrorEnvelope, "error.json", "every error answer (4xx/5xx) of every endpoint")
    return {k: json.dumps(v, indent=2, ensure_ascii=False) + "\n" for k, v in sorted(out.items())}
