"""CDN publishing: one small backend interface (file, sftp, s3) and the publish orchestration over it.

``open_backend(url, config)`` gives a :class:`Backend`; :func:`publish`, :func:`versions`, :func:`rollback`
and :func:`prune` work on any backend, each holding the character's publish lease (:mod:`.lease`;
:func:`read_lease` says who holds it). Heavy clients (paramiko, boto3) load only when their backend opens.
"""

from ._base import CACHE_IMMUTABLE, CACHE_POINTER, Backend, ObjectInfo, content_type_for
from ._open import open_backend
from .lease import LeaseRecord, read_lease
from .live2d import Live2DPublish, character_code_for, publish_live2d
from .publish import (
    MANIFEST_NAME,
    POINTER_NAME,
    PlanItem,
    PruneResult,
    PublishProgress,
    PublishResult,
    VersionInfo,
    current_version,
    prune,
    publish,
    read_manifest,
    read_pointer,
    rollback,
    versions,
)

__all__ = [
    "CACHE_IMMUTABLE",
    "CACHE_POINTER",
    "MANIFEST_NAME",
    "POINTER_NAME",
    "Backend",
    "LeaseRecord",
    "Live2DPublish",
    "ObjectInfo",
    "PlanItem",
    "PruneResult",
    "PublishProgress",
    "PublishResult",
    "VersionInfo",
    "character_code_for",
    "content_type_for",
    "current_version",
    "open_backend",
    "prune",
    "publish",
    "publish_live2d",
    "read_lease",
    "read_manifest",
    "read_pointer",
    "rollback",
    "versions",
]
