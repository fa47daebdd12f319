"""The public names of the publishing package and the lip-sync / preview modules (changes are deliberate)."""

from __future__ import annotations

import live2d_tools.lipsync
import live2d_tools.preview
import tinytalk_sdk.cdn
import tinytalk_sdk.characters_registry


def test_public_names_are_pinned() -> None:
    assert sorted(tinytalk_sdk.cdn.__all__) == sorted([
        "CACHE_IMMUTABLE", "CACHE_POINTER", "MANIFEST_NAME", "POINTER_NAME", "Backend", "Live2DPublish",
        "ObjectInfo", "PlanItem", "PruneResult", "PublishProgress", "PublishResult", "VersionInfo",
        "character_code_for", "content_type_for", "current_version", "open_backend", "prune", "publish",
        "publish_live2d", "read_manifest", "read_pointer", "rollback", "versions",
        "LeaseRecord", "read_lease",  # issue 12: who holds a character's publish lease
    ])
    for module in (tinytalk_sdk.cdn, live2d_tools.lipsync, live2d_tools.preview, tinytalk_sdk.characters_registry):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
    assert "lipsync_motion" in live2d_tools.lipsync.__all__ and "preview" in live2d_tools.preview.__all__
    assert "register_published_character" in tinytalk_sdk.characters_registry.__all__


def test_backends_satisfy_the_protocol(tmp_path: object) -> None:
    from tinytalk_sdk.cdn import Backend, open_backend

    assert isinstance(open_backend(f"file://{tmp_path}"), Backend)
