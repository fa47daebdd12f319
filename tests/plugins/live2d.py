"""Shared Live2D fixtures: a generated valid model (live2d_tools.generate) copied per test.

Only light imports at module level (the generator imports numpy lazily).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def live2d_model_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid model (7 emotions, mapping file, 1×256 px texture) generated once per session; do not modify."""
    from live2d_tools.generate import generate_model

    return generate_model(tmp_path_factory.mktemp("live2d-template") / "Hiyori")


@pytest.fixture
def live2d_model(live2d_model_template: Path, tmp_path: Path) -> Path:
    """A private copy of the valid model; returns the path of its ``Hiyori.model3.json``."""
    dest = tmp_path / "Hiyori"
    shutil.copytree(live2d_model_template.parent, dest)
    return dest / live2d_model_template.name
