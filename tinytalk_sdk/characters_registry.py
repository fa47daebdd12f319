"""Register a published Live2D model: the ``ai_characters`` row and its seven ``character_emotions`` rows.

Called by ``tinytalk live2d publish --register`` after a verified publish, with the manifest that publish
wrote. Every URL points into the immutable version folder, so the rows stay correct until the next
register, whatever the CDN pointer does meanwhile (a rollback re-registers the older manifest).

Which emotions loop (decision, docs/publishing.md): the four states that last as long as the app stays in
them (``idle``, ``listening``, ``thinking``, ``speaking``) loop; the reactions (``praise``, ``review``,
``error``) play once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._exceptions import ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["DEFAULT_PUBLIC_URL", "LOOPING_EMOTIONS", "public_url", "register_published_character"]

# Where `tinytalk serve` serves the file:// CDN folder.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8787/assets/live2d/"
LOOPING_EMOTIONS = frozenset({"idle", "listening", "thinking", "speaking"})


def public_url(base: str, *parts: str) -> str:
    """``base`` + the ``/``-joined parts, each path segment percent-encoded (spaces, non-ASCII)."""
    path = "/".join(quote(seg, safe="") for part in parts for seg in part.split("/") if seg)
    return base.rstrip("/") + "/" + path


def register_published_character(
    engine: Engine, manifest: Mapping[str, Any], public_base_url: str = DEFAULT_PUBLIC_URL
) -> int:
    """Create or update the character named by ``manifest["character"]`` and its 7 emotions; return its id.

    One transaction: either the character and all seven emotions point at the new version, or nothing
    changed. Raises :class:`ValidationError` when the manifest does not map all seven emotions.
    """
    from sqlalchemy import select

    from .db import transaction
    from .db.models import EMOTIONS, AiCharacter, CharacterEmotion

    code = str(manifest.get("character") or "")
    version = str(manifest.get("version") or "")
    if not code or not version:
        raise ValidationError("manifest: 'character' and 'version' are required to register")
    emotions = manifest.get("emotions") or {}
    missing = [e for e in EMOTIONS if not isinstance(emotions.get(e), Mapping) or not emotions[e].get("file")]
    if missing:
        raise ValidationError(
            f"manifest of {code} {version}: emotions {', '.join(missing)} are not mapped; cannot register",
            hint="validate with --emotions and map every emotion (docs/live2d.md, Emotions)",
        )
    folder = f"{code}/v/{version}"
    model = manifest.get("model")
    moc = manifest.get("moc_version")

    with transaction(engine) as session:
        row = session.scalars(select(AiCharacter).where(AiCharacter.code == code)).one_or_none()
        if row is None:
            row = AiCharacter(code=code, name=str(manifest.get("name") or code), is_active=True)
            session.add(row)
        # An existing character keeps its name (admins edit it): only where the files are changes.
        row.model_url = public_url(public_base_url, folder, str(model)) if model else None
        row.manifest_url = public_url(public_base_url, folder, "manifest.json")
        row.model_version = version
        row.moc_version = int(moc) if isinstance(moc, int) else None
        session.flush()
        existing = {
            e.emotion: e
            for e in session.scalars(select(CharacterEmotion).where(CharacterEmotion.character_id == row.id))
        }
        for emotion in EMOTIONS:
            spec = emotions[emotion]
            item = existing.get(emotion) or CharacterEmotion(character_id=row.id, emotion=emotion)
            item.motion_group = str(spec.get("group")) if spec.get("group") is not None else None
            item.motion_index = int(spec.get("index") or 0)
            item.motion_url = public_url(public_base_url, folder, str(spec["file"]))
            item.expression = str(spec["expression"]) if spec.get("expression") else None
            exp_file = spec.get("expression_file")
            item.expression_url = public_url(public_base_url, folder, str(exp_file)) if exp_file else None
            item.loop = emotion in LOOPING_EMOTIONS
            session.add(item)
        return int(row.id)
