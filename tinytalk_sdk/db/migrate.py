"""Placeholder: replaced by the Alembic-backed implementation."""

from __future__ import annotations

from sqlalchemy import Engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    from .base import Base
    from . import models  # noqa: F401

    Base.metadata.create_all(engine)
